"""The main job as a function: score every hypothesis against the targets, simulate the
reference table and choose the hypothesis on it (ABC random forest behind the fit gate),
measure how far the answer can be trusted (recovery), run ABC-SMC on the forest's leaders
(`abc.top`; every hypothesis without a table) and rescore them at their posteriors,
decompose IQ variance, and state the verdict.

    >>> result = brainsim.compare(["population.n=20000", "recovery.per_hypothesis=0"])
    >>> result.posterior_models, result.verdict
    >>> result.write("outputs/mine")   # the files `brainsim` writes

`compare` composes the configs and calls `run`, which takes composed configs (the Hydra
app passes its own). Nothing is written unless asked: `Comparison.write`, or `table_dir` for
the reference table (kept there after every batch, so an interrupted run can extend it).
Stages are reported through `on_stage(text)`, progress through `progress(total, unit,
desc)` (a context manager with `update(k)` and `set_description(text)`), and finished units
of work go through `checkpoints` (`load(name)`, `save(name, obj)`) so that a run can resume.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import assessment, tables
from .provenance import environment, record
from .backends import open_backend
from .decomposition import decompose, decomposition_table
from .engine import population_statistics, prepare, resolve_seed, run as run_population, sample
from .lifecourse import wilson_check
from .paradox import implied_exponents
from .problem import Problem
from .recovery import reachability
from .config.settings import ABCSettings, RunSettings, validate
from .targets import scorecard, to_markdown
from .verdict import verdict

__all__ = ["Comparison", "chooses_hypothesis", "compare", "compose_hypotheses", "environment", "run"]


@dataclass
class Comparison:
    """What one comparison found. Frames (pandas): `scorecard` (hypothesis x target at each
    hypothesis's file values), `ranking`, `decomposition` (share of IQ variance per cause),
    `diagnostics`, `paradox_table`, `life_course` (the Wilson effect, checked beside the
    targets); with ABC `posterior_models`, `abc_history`, `particles`
    and `posterior_scorecard`; with recovery `recovery_frames` (see `brainsim.assessment`).
    `verdict` is the list of sentences the run opens with; `statistics` every hypothesis's
    named statistics; `samples` the figure sample per hypothesis (people x columns)."""

    settings: RunSettings
    seed: int
    scorecard: pd.DataFrame
    ranking: pd.DataFrame
    statistics: dict[str, dict]
    paradox: dict[str, dict]
    paradox_table: pd.DataFrame
    diagnostic_values: dict[str, dict]  # per hypothesis: input check and battery range
    decomposition: pd.DataFrame
    verdict: list[str]
    claims: dict[str, str]
    provenance: dict
    abc: dict | None = None
    posterior_models: pd.DataFrame | None = None
    abc_history: pd.DataFrame | None = None
    particles: pd.DataFrame | None = None
    posterior_scorecard: pd.DataFrame | None = None
    recovery: dict | None = None
    recovery_frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    samples: dict[str, pd.DataFrame] = field(default_factory=dict)
    population: pd.DataFrame | None = None  # save_population=true: the people, all hypotheses
    inbred: pd.DataFrame | None = None  # save_population=true: the inbred cohorts' people, all hypotheses
    priors: dict[str, dict] = field(default_factory=dict)  # each hypothesis's own parameters' ranges
    model_choice: dict | None = None  # ABC-RF on the reference table, gated (see `brainsim.modelchoice`)
    choice_frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    life_course: pd.DataFrame | None = None  # the Wilson effect, checked beside the targets (`brainsim.lifecourse`)

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Input check and battery range, one row per hypothesis (flagged: outside it)."""
        return pd.DataFrame(self.diagnostic_values).T.rename_axis("hypothesis")

    def summary(self) -> dict:
        """What summary.json holds."""
        return {"verdict": self.verdict, "statistics": self.statistics, "paradox": self.paradox,
                "diagnostics": self.diagnostic_values,
                "decomposition": self.decomposition.to_dict(orient="records"),
                "ranking": self.ranking.to_dict(orient="records"), "abc": self.abc,
                "model_choice": self.model_choice, "recovery": self.recovery,
                "life_course": None if self.life_course is None else self.life_course.to_dict(orient="records"),
                "provenance": self.provenance}

    def write(self, out: str | Path, *, figures: bool | None = None, report: bool | None = None,
              workers: int = 1, on_stage: Callable[[str], None] | None = None) -> list[str]:
        """Write every output file of the run into a folder, summary.json last (its presence
        marks a complete run).

        Parameters
        ----------
        out : path
            The folder, created if missing.
        figures, report : bool, optional
            Draw the figures, write report.html; default: the config's plots.enabled, report.
        workers : int
            Processes that draw the figures.
        on_stage : callable, optional
            Called with "drawing figures" before the figures.

        Returns
        -------
        list of str
            What was written.
        """
        from .io import write_csv, write_json, write_parquet, write_text

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        if self.abc is not None:
            write_csv(out / "posterior_models.csv", self.posterior_models)
            write_csv(out / "abc_history.csv", self.abc_history)
            write_parquet(out / "posterior_params.parquet", self.particles)
            written += ["posterior_models.csv", "abc_history.csv", "posterior_params.parquet"]
            if self.posterior_scorecard is not None:
                write_csv(out / "scorecard_posterior.csv", self.posterior_scorecard)
                written.append("scorecard_posterior.csv")
        from .console import ranking_text

        write_csv(out / "scorecard.csv", self.scorecard)
        write_csv(out / "ranking.csv", self.ranking)
        write_csv(out / "decomposition.csv", self.decomposition)
        write_text(out / "scorecard.md", to_markdown(self.scorecard) + "\n" + ranking_text(self.ranking) + "\n")
        written += ["summary.json", "scorecard.csv", "scorecard.md", "ranking.csv", "decomposition.csv"]
        if self.life_course is not None:
            write_csv(out / "life_course.csv", self.life_course)
            written.append("life_course.csv")
        if self.population is not None:
            write_parquet(out / "population.parquet", self.population)
            written.append("population.parquet")
        if self.inbred is not None:
            write_parquet(out / "population_inbred.parquet", self.inbred)
            written.append("population_inbred.parquet")
        for key, frame in self.choice_frames.items():
            if frame is not None and len(frame):
                write_csv(out / f"{key}.csv", frame)
                written.append(f"{key}.csv")
        if self.recovery_frames:
            from .assessment import write_outputs

            written += write_outputs(out, self.recovery_frames)
        figures = self.settings.plots.enabled if figures is None else figures
        report = self.settings.report if report is None else report
        if figures and self.samples:
            from .plots import run_figures, write_figures

            if on_stage is not None:
                on_stage("drawing figures")
            paths = write_figures(run_figures(self.samples, self.settings.model.law, self.scorecard,
                                              self.posterior_models, self.particles, self.priors,
                                              decomposition=self.decomposition, recovery=self.recovery_frames,
                                              choice=self.choice_frames, history=self.abc_history),
                                  out, self.settings.plots.dpi, workers=workers)
            written.append(f"{len(paths)} figures (*.png)")
            if report:
                from .report import write_report

                write_report(out / "report.html", self.ranking, self.scorecard, self.paradox_table, paths,
                             self.posterior_models, self.provenance, self.claims, verdict=self.verdict,
                             decomposition=self.decomposition, posterior_card=self.posterior_scorecard,
                             diagnostics=self.diagnostics, recovery=self.recovery_frames,
                             choice=self.choice_frames, life_course=self.life_course)
                written.append("report.html")
        write_json(out / "summary.json", self.summary())
        return written


class _NoCheckpoints:
    def load(self, name: str):
        return None

    def save(self, name: str, obj) -> None:
        pass


def _no_progress(total=None, unit: str = "", desc: str = ""):
    class Bar:
        def update(self, k: int = 1) -> None:
            pass

        def set_description(self, text: str) -> None:
            pass

    return nullcontext(Bar())


def chooses_hypothesis(overrides: Sequence[str]) -> bool:
    """True when the overrides name one hypothesis (the run scores that one only)."""
    return any(o.lstrip("+~").startswith("hypothesis=") for o in overrides)


def compose_hypotheses(overrides: Sequence[str] = (), hypotheses: Sequence[str] | None = None, *,
                       config_dirs: Sequence[str | Path] = ()) -> dict:
    """{hypothesis: composed config}: one config when `overrides` choose a hypothesis, else
    every hypothesis Hydra can see (or those named in `hypotheses`), each composed with
    `overrides`; `config_dirs` are the user's config folders."""
    from .api import compose, hypothesis_names

    overrides = list(overrides)
    if hypotheses is None and chooses_hypothesis(overrides):
        cfg = compose(overrides, config_dirs=config_dirs)
        return {str(cfg.hypothesis.name): cfg}
    return {h: compose(overrides + [f"hypothesis={h}"], config_dirs=config_dirs)
            for h in (hypotheses or hypothesis_names(config_dirs))}


def compare(overrides: Sequence[str] = (), *, hypotheses: Sequence[str] | None = None,
            config_dirs: Sequence[str | Path] = (), backend=None, table_dir: str | Path | None = None,
            on_stage: Callable[[str], None] | None = None, progress: Callable | None = None) -> Comparison:
    """Run the whole comparison of the hypotheses, as `brainsim` does, and return it.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides of the default config, e.g. ``["seed=3", "abc.repeats=3"]``; one
        ``hypothesis=NAME`` scores that hypothesis only.
    hypotheses : sequence of str, optional
        The hypotheses to compare (default: every one Hydra can see).
    config_dirs : sequence of path
        The user's config folders (hypotheses, laws, batteries of their own).
    backend : optional
        An open backend (`brainsim.backends.open_backend`), e.g. a Dask cluster; default:
        the config's.
    table_dir : path, optional
        Where the reference table is kept (``reference_table.parquet``); default: nowhere.
    on_stage : callable, optional
        Called with a short text as each stage starts.
    progress : callable, optional
        ``progress(total, unit, desc)`` returning a context manager with ``update(k)`` and
        ``set_description(text)``, e.g. a tqdm factory.

    Returns
    -------
    Comparison
        Frames, verdict and provenance; nothing is written until `Comparison.write`.
    """
    configs = compose_hypotheses(overrides, hypotheses, config_dirs=config_dirs)
    return run(configs, overrides=list(overrides), backend=backend, table_dir=table_dir, on_stage=on_stage,
               progress=progress)


def run(configs: Mapping, *, overrides: Sequence[str] = (), seed: int | None = None, backend=None,
        table_dir: str | Path | None = None, checkpoints=None, on_stage: Callable[[str], None] | None = None,
        progress: Callable | None = None) -> Comparison:
    """The comparison of composed configs (what `compare` and the Hydra app call).

    Parameters
    ----------
    configs : mapping of str to DictConfig
        One composed config per hypothesis, all with the same overrides.
    overrides : sequence of str
        The overrides they were composed with (recorded in the provenance).
    seed : int, optional
        Root of every random stream; default: the configs' seed (fresh entropy when null).
    backend, table_dir, on_stage, progress
        As in `compare`.
    checkpoints : optional
        An object with ``load(name)`` and ``save(name, obj)``: finished units of work (a
        hypothesis scored, an ABC generation) are saved and reused on resumption.

    Returns
    -------
    Comparison
    """
    from omegaconf import OmegaConf

    jobs = {name: validate(c) for name, c in configs.items()}
    first = next(iter(jobs.values()))
    seed = resolve_seed(first.seed if seed is None else seed)
    stage = on_stage or (lambda text: None)
    progress = progress or _no_progress
    checkpoints = checkpoints or _NoCheckpoints()
    summaries, cards, claims, frames, paradox, samples, setups = {}, [], {}, [], {}, {}, {}
    inbred: list[pd.DataFrame] = []
    plot_n = first.plots.n if first.plots.enabled else 0
    with open_backend(first.backend) if backend is None else nullcontext(backend) as backend:
        total = sum(s.model.population.n + s.model.population.inbred_n for s in jobs.values())  # people
        with progress(total, "person", "simulating") as bar:
            for name, job in jobs.items():
                model = job.model
                stage(f"scoring {name}")
                bar.set_description(name)
                reliability = tables.reliability_target(job.targets)
                if first.save_population:
                    pop = run_population(model, seed, progress=bar.update)
                    setups[name] = pop.setup
                    summaries[name], paradox[name] = pop.summary(), implied_exponents(model, reliability)
                    frames.append(pop.frame.head(first.save_max_rows).assign(hypothesis=name))
                    if pop.inbred is not None:
                        inbred.append(pop.inbred.head(first.save_max_rows).assign(hypothesis=name))
                    if plot_n:
                        samples[name] = pop.frame.head(plot_n)
                else:  # streaming: constant memory whatever population.n
                    setup = None
                    done = checkpoints.load(f"score_{name}")  # scored before an interruption?
                    if done is None:
                        setup = prepare(model, seed)
                        done = (population_statistics(model, seed, progress=bar.update, setup=setup, backend=backend),
                                implied_exponents(model, reliability))
                        checkpoints.save(f"score_{name}", done)
                    else:
                        bar.update(model.population.n + model.population.inbred_n)
                    summaries[name], paradox[name] = done
                    if plot_n:
                        stage(f"drawing the figure sample of {name}")
                        setup = setup or prepare(model, seed)
                        samples[name] = sample(setup, plot_n)
                    if setup is not None:
                        setups[name] = setup
                claims[name] = job.hypothesis.claim
                cards.append(scorecard(name, summaries[name], list(job.targets)))
        card = pd.concat(cards, ignore_index=True)
        ranked = tables.ranking(card)
        prob, tolerances = _distance_targets(first, assessment.problem(configs, jobs), seed, backend, checkpoints,
                                             stage)
        from .modelchoice import most_voted

        reference = _reference(first, prob, seed, table_dir, backend, stage, progress)
        choice = reference["choice"] if reference else None
        contenders = most_voted(choice, list(prob.names), first.abc.top)  # the SMC's hypotheses
        found = _abc(first.abc, prob.only(contenders), seed, backend, checkpoints, stage, progress)
        if found["summary"] is not None:
            found["summary"]["tolerances"] = tolerances
            found["summary"]["hypotheses"] = contenders
        recovery, recovery_frames, choice_frames = _fit(first, prob, seed, backend, stage, progress, reference,
                                                        found, ranked, card)
        if recovery is not None:
            recovery["tolerances"] = tolerances
    life_course = _life_course(first, jobs, found, contenders, seed, stage)
    stage("decomposing IQ variance")
    shares = {(name, "file"): decompose(setups.get(name) or prepare(job.model, seed)) for name, job in jobs.items()}
    shares |= {(name, "posterior"): decompose(setup) for name, setup in found["setups"].items()}
    decomposition = decomposition_table(shares)
    diagnostics = {name: tables.diagnostics(summaries[name], job.model) for name, job in jobs.items()}
    abc = found["summary"]
    answer = verdict(found["models"], abc["runs"] if abc else None, card, found["card"], decomposition,
                     recovery=recovery, choice=choice, history=found["history"], life_course=life_course)
    provenance = record(seed=seed, overrides=overrides,
                        config=OmegaConf.to_container(next(iter(configs.values())), resolve=True))
    priors = {name: {k: v for k, v in job.hypothesis.free.items() if k in job.hypothesis.own}
              for name, job in jobs.items()}  # each hypothesis's own parameters (background: parquet)
    return Comparison(
        settings=first, seed=seed, scorecard=card, ranking=ranked, statistics=summaries, paradox=paradox,
        paradox_table=tables.paradox_table(summaries, paradox),
        diagnostic_values=diagnostics, decomposition=decomposition,
        verdict=answer, claims=claims, provenance=provenance, abc=abc, posterior_models=found["models"],
        abc_history=found["history"], particles=found["particles"], posterior_scorecard=found["card"],
        recovery=recovery, recovery_frames=recovery_frames, model_choice=choice, choice_frames=choice_frames,
        samples=samples, life_course=life_course,
        population=pd.concat(frames, ignore_index=True) if frames else None, priors=priors,
        inbred=pd.concat(inbred, ignore_index=True) if inbred else None)


def _life_course(first: RunSettings, jobs: Mapping[str, RunSettings], found: dict, contenders: Sequence[str],
                 seed: int, stage: Callable[[str], None]) -> pd.DataFrame | None:
    """The Wilson effect at the ABC's contenders' posterior medians (one without a posterior
    at its files' values), or without ABC at every hypothesis's files' values; None when
    life_course.enabled is off. Run here, not on the backend: about a second per model."""
    lc = first.life_course
    if not lc.enabled:
        return None
    stage("checking the Wilson effect beside the targets (twin h² at 9 and 17)")
    posterior = found["setups"]
    if found["summary"] is None:
        where = [(name, job.model, "file") for name, job in jobs.items()]
    else:
        where = [(name, posterior[name].model, "posterior") if name in posterior else (name, jobs[name].model, "file")
                 for name in contenders]
    return pd.concat([wilson_check({name: model}, at=at, n=lc.n, seed=seed, rise=lc.rise, tolerance=lc.tolerance,
                                   source=lc.source) for name, model, at in where], ignore_index=True)


def _distance_targets(first: RunSettings, prob: Problem, seed: int, backend, checkpoints, stage
                      ) -> tuple[Problem, dict]:
    """The problem every ABC and recovery distance uses: each target's tolerance widened by
    the statistic's own noise at abc.n people (`brainsim.problem.simulation_noise`), and
    {target: [observed tolerance, simulation SD, distance tolerance]}."""
    from .inference import widened
    from .problem import simulation_noise

    settings = first.abc
    wanted = settings.particles > 0 or first.recovery.per_hypothesis > 0
    if not prob.names or settings.noise_replicates < 2 or not wanted:
        return prob, {}
    sd = checkpoints.load("simulation_noise")
    if sd is None:
        stage(f"measuring each statistic's own noise at {settings.n} people ({settings.noise_replicates} "
              "replicates per hypothesis)")
        sd = simulation_noise(prob, settings.n, settings.norm_n, settings.noise_replicates, seed=seed,
                              map_fn=backend.map)
        checkpoints.save("simulation_noise", sd)
    out = widened(prob.targets, sd)
    return prob.with_targets(out), {t.name: [t.tolerance, None if not np.isfinite(s) else float(s), w.tolerance]
                                    for t, s, w in zip(prob.targets, sd, out)}


def _abc(settings: ABCSettings, prob: Problem, seed: int, backend, checkpoints, stage, progress) -> dict:
    """ABC-SMC over the hypotheses, repeated over seeds, and every hypothesis rescored at its
    posterior median. Each seed's sampler state is checkpointed after every generation."""
    from .inference import abc_smc, posterior_particles, posterior_point

    found = {"summary": None, "models": None, "history": None, "particles": None, "card": None, "setups": {},
             "results": None}
    if settings.particles <= 0 or len(prob.names) == 0:
        return found
    simulate = prob.simulator(settings.n, settings.norm_n, settings.missing_z)
    results, params = [], []
    with progress(None, "sim", "ABC") as bar:
        for r in range(settings.repeats):
            def where(generation: int, r=r) -> str:
                return (f"running ABC seed {seed + r} (repeat {r + 1} of {settings.repeats}), generation "
                        f"{generation + 1} (at most {settings.generations})")

            def saved(state, r=r):
                checkpoints.save(f"abc_{r}", state)
                stage(where(state["generation"]))

            state = checkpoints.load(f"abc_{r}")
            stage(where(state["generation"] if state else 0))
            res = abc_smc(prob.hypotheses, simulate, sampler=assessment.sampler(settings),
                          stopping=assessment.stopping(settings), seed=seed + r, progress=bar.update,
                          map_fn=backend.map, state=state, on_generation=saved)
            results.append(res)
            params.append(res.particles.assign(repeat=r))
    models, common = tables.model_table(results, seed)
    # posterior predictive: every hypothesis at its posterior median, full-size run; one with no
    # accepted proposal in the final generation at the last generation that had one (final = False)
    cards = []
    for m, name in enumerate(prob.names):
        kept = posterior_particles(results, name)
        if kept.empty:
            continue
        sampled = posterior_point(results, name)  # the weighted median commutes with log10
        point = prob.values(m, sampled)
        model = prob.model(m, sampled)
        stage(f"rescoring {name} at its posterior median")
        found["setups"][name] = setup = prepare(model, seed)  # the decomposition reuses it
        cards.append(scorecard(name, population_statistics(model, seed, setup=setup, backend=backend), list(prob.targets))
                     .assign(final=bool(kept["final"].all()), **{f"param:{k}": v for k, v in point.items()}))
    runs = tables.convergence(results, seed)
    found |= {"summary": {"probabilities": models.to_dict(orient="records"), "epsilon": common, "runs": runs,
                          "converged": all(run["converged"] for run in runs),
                          "simulations": int(sum(r.simulations for r in results))},
              "models": models, "particles": pd.concat(params, ignore_index=True), "results": results,
              "history": pd.concat([r.history.assign(seed=seed + i) for i, r in enumerate(results)],
                                   ignore_index=True),
              "card": pd.concat(cards, ignore_index=True) if cards else None}
    return found


def _reference(first: RunSettings, prob: Problem, seed: int, table_dir, backend, stage, progress) -> dict | None:
    """The reference table, recovery and calibration on it, and the model choice (ABC random
    forest, fit gate, floor); None when recovery.per_hypothesis is 0."""
    settings = first.recovery
    if settings.per_hypothesis == 0 or not prob.names:
        return None
    stage("simulating the reference table")
    with progress(settings.per_hypothesis * len(prob.names), "sim", "reference table") as bar:
        table, path = assessment.build_table(settings, first.abc, prob, seed, table_dir, backend, progress=bar.update)
    stage("measuring model recovery and calibration")
    summary, frames = assessment.recover(settings, first.abc, prob, table, seed)
    summary["table"] = None if path is None else str(path)
    choice, choice_frames = None, {}
    if first.model_choice.enabled and len(prob.names) > 1:
        from .modelchoice import choose

        stage("choosing the hypothesis: ABC random forest on the reference table, fit gate, error floor")
        choice, choice_frames = choose(first.model_choice, table, prob.names, prob.statistics, prob.observed,
                                       prob.tolerance, seed=seed, missing_z=first.abc.missing_z,
                                       resamples=settings.resamples, rejection=summary["rejection_probabilities"],
                                       workers=first.threads or -1)
    if settings.smc_checks:
        stage("re-running the production ABC on table rows")
        loo = frames["probabilities"][prob.names].to_numpy()
        with progress(None, "sim", "SMC spot checks") as bar:
            frames["smc_checks"] = checks = assessment.smc_spot_checks(settings, first.abc, prob, table, loo, seed,
                                                                       backend, progress=bar.update)
        summary["smc_agreement"] = [float(checks["agree"].mean()), float(checks["agree"].std(ddof=1)
                                                                         / np.sqrt(len(checks)))]
    return {"table": table, "summary": summary, "frames": frames, "choice": choice, "choice_frames": choice_frames}


def _fit(first: RunSettings, prob: Problem, seed: int, backend, stage, progress, reference: dict | None,
         found: dict, ranked: pd.DataFrame, card: pd.DataFrame):
    """The absolute fit of the leading hypotheses (posterior predictive at the SMC's particles,
    else at the table rows nearest the observed targets) and the reachability table, added to
    the reference stage's summary and frames; (None, {}, {}) without a reference table."""
    if reference is None:
        return None, {}, {}
    settings, table = first.recovery, reference["table"]
    summary, frames = reference["summary"], reference["frames"]
    abc = found["summary"]
    summary["abc_epsilon"] = abc["epsilon"] if abc else None
    models, choice = found["models"], reference["choice"]
    if models is not None:  # the SMC's own order (its hypotheses: the forest's most voted)
        order = list(models.sort_values("probability", ascending=False)["hypothesis"])
    elif choice is not None:
        order = sorted(prob.names, key=lambda h: -choice["votes"][h])
    else:
        order = list(ranked["hypothesis"])
    stage("checking the absolute fit (posterior predictive)")
    with progress(settings.predictive * min(settings.top, len(order)), "sim", "predictive") as bar:
        frames["fit"] = assessment.absolute_fit(settings, first.abc, prob, table, order, seed, backend,
                                                abc_results=found["results"], progress=bar.update)
    summary["fit"] = assessment.fit_summary(frames["fit"], len(prob.statistics))
    frames["reachability"] = reach = reachability(frames["fit"].rename(columns={"outside_prior": "outside",
                                                                                "prior_quantile": "quantile"}),
                                                  card, prob.targets)
    summary["reachability"] = {"unreached": sorted(set(reach.loc[reach["reached_by"] == 0, "target"])),
                               "reached_by_one": {t: str(g.loc[g["reaches"], "hypothesis"].iloc[0]) for t, g in
                                                  reach[reach["reached_by"] == 1].groupby("target", sort=False)}}
    return summary, frames, reference["choice_frames"]

"""The `brainsim` command: a Hydra app that simulates a population and writes its summary.

Bad input is caught before Hydra creates a run directory: one line on stderr naming the
key and its allowed range, exit status 2, nothing written.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from . import __version__
from .api import compose
from .backends import open_backend
from .checkpoint import Checkpoints, fingerprint
from .decomposition import decompose, decomposition_table
from .decomposition import wide as decomposition_wide
from .engine import prepare, resolve_seed, run, sample, summarize
from .io import write_csv, write_json, write_parquet, write_text
from .paradox import implied_exponents
from .params import model_from_config
from .scaling import config_names
from .settings import ABCSettings, RunSettings, settings_from_config
from .targets import scorecard, to_markdown, total_distance
from .validation import ConfigError
from .verdict import not_final, verdict

_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc")


def _user_overrides(argv: list[str]) -> list[str] | None:
    """The plain config overrides of the command line (sweeps included), or None when Hydra
    should handle argv alone (help, --cfg and other information flags)."""
    if any(a in _INFO_FLAGS or a.startswith("--info") for a in argv):
        return None
    return [a for a in argv if not a.startswith("-") and not a.lstrip("+~").startswith("hydra")]


def planned_jobs(argv: list[str]) -> list[list[str]]:
    """The overrides of every job the command line will run: one for a single run; for a
    multirun (-m) the sweep expanded as Hydra's basic sweeper will (experiment sweeps included)."""
    overrides = _user_overrides(argv) or []
    if not any(a in ("-m", "--multirun") for a in argv):
        return [overrides]
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from .collect import expand_sweep

    fixed = [o.input_line for o in OverridesParser.create().parse_overrides(overrides) if not o.is_sweep_override()]
    params = OmegaConf.select(compose(fixed, with_hydra=True), "hydra.sweeper.params") or {}
    return expand_sweep(params, overrides)


def validate(cfg: DictConfig) -> RunSettings:
    """The validated settings of a composed config (raises ConfigError; unknown keys included)."""
    return settings_from_config(OmegaConf.to_container(cfg, resolve=True))


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised where the run was, so atomic writers clean up."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_interrupt():
    import threading

    if threading.current_thread() is not threading.main_thread():  # e.g. a launcher's worker thread
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def _resume_command(out: Path) -> str:
    """The command line that continues this run (or sweep) from its checkpoints."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    where = HydraConfig.get().sweep.dir if multirun else str(out)
    args = [a for a in sys.argv[1:] if not a.startswith((key + "=", "resume="))]
    return shlex.join(["brainsim", *args, f"{key}={where}", "resume=true"])


def _is_complete(out: Path, config: dict) -> bool:
    """True when `out` holds the finished outputs of a run of the same config."""
    try:
        done = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return fingerprint(done.get("provenance", {}).get("config", {})) == fingerprint(config)


def _progress_bar(total: int | None, unit: str = "person", desc: str = "simulating"):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, disable=None, file=sys.stderr)


def hypothesis_names() -> list[str]:
    """Every hypothesis shipped in conf/hypothesis/."""
    return config_names("hypothesis")


def _explicit_hypothesis(overrides: list[str]) -> bool:
    return any(o.lstrip("+~").startswith("hypothesis=") for o in overrides)


def ranking(card: pd.DataFrame) -> pd.DataFrame:
    """Hypotheses ordered by total distance (RMS z over computed targets), best first."""
    rows = [{"hypothesis": h, "distance": total_distance(g), "passed": int(g["passed"].sum()),
             "computed": int(g["z"].notna().sum()), "targets": len(g)}
            for h, g in card.groupby("hypothesis", sort=False)]
    return pd.DataFrame(rows).sort_values(["distance", "hypothesis"], ignore_index=True)


@hydra.main(config_path="conf", config_name="config", version_base=None)
def _app(cfg: DictConfig) -> None:
    from hydra import compose as hydra_compose
    from hydra.core.hydra_config import HydraConfig

    out = Path(HydraConfig.get().runtime.output_dir)
    overrides = list(HydraConfig.get().overrides.task)
    if _explicit_hypothesis(overrides):
        configs = {str(cfg.hypothesis.name): cfg}
    else:  # the main job: every hypothesis, each composed as Hydra would (overrides win)
        configs = {h: hydra_compose(config_name="config", overrides=overrides + [f"hypothesis={h}"])
                   for h in hypothesis_names()}
    jobs = {name: validate(c) for name, c in configs.items()}
    first = next(iter(jobs.values()))
    config = OmegaConf.to_container(cfg, resolve=True)
    if first.resume and _is_complete(out, config):
        print(f"{out}: complete (summary.json of the same config); skipped")
        return
    seed = resolve_seed(first.seed)  # once: seed=null gives every hypothesis the same fresh seed
    if first.threads:
        import numba

        numba.set_num_threads(first.threads)
    reproduce = "brainsim " + " ".join(shlex.quote(o) for o in overrides if not o.startswith(("seed=", "resume=")))
    reproduce = reproduce.strip() + f" seed={seed}"
    checkpoints = Checkpoints(out, config).open(first.resume)
    stage = ["setting up"]
    try:
        with _signals_interrupt():
            _execute(config, configs, jobs, seed, out, overrides, reproduce, checkpoints, stage)
    except Interrupted as exc:
        table = " (reference_table.parquet holds the table rows simulated so far; resuming extends it)" \
            if (out / "reference_table.parquet").exists() else ""
        print(f"brainsim: interrupted by {signal.Signals(exc.signum).name} while {stage[0]}; no partial output "
              f"files were left{table}. Continue with: {_resume_command(out)}", file=sys.stderr)
        _exit_now(128 + exc.signum)


def _workers(threads: int | None) -> int:
    """Processes for the figures: the run's thread count."""
    import numba

    return threads or numba.config.NUMBA_NUM_THREADS


def _exit_now(status: int) -> None:
    """Exit at once after an interruption, logs and streams flushed: every output is already
    cleaned up, and the interpreter's teardown (with Numba's and Arrow's worker threads) was
    seen to crash once in CI (SIGSEGV instead of the status)."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _execute(config, configs, jobs, seed, out, overrides, reproduce, checkpoints, stage) -> None:
    """Score every hypothesis, run ABC, write the outputs (summary.json last)."""
    first = next(iter(jobs.values()))
    summaries, cards, claims, frames, paradox, samples, setups = {}, [], {}, [], {}, {}, {}
    plot_n = first.plots.n if first.plots.enabled else 0
    with open_backend(first.backend) as backend:
        total = sum(s.model.population.n for s in jobs.values())
        with _progress_bar(total) as bar:
            for name, job in jobs.items():
                model = job.model
                stage[0] = f"scoring {name}"
                bar.set_description(name)
                reliability = _reliability_target(job.targets)
                if first.save_population:
                    pop = run(model, seed, progress=bar.update)
                    setups[name] = pop.setup
                    summaries[name], paradox[name] = pop.summary(), implied_exponents(model, reliability)
                    frames.append(pop.frame.head(first.save_max_rows).assign(hypothesis=name))
                    if plot_n:
                        samples[name] = pop.frame.head(plot_n)
                else:  # streaming: constant memory whatever population.n
                    setup = None
                    done = checkpoints.load(f"score_{name}")  # scored before an interruption?
                    if done is None:
                        setup = prepare(model, seed)
                        done = (summarize(model, seed, progress=bar.update, setup=setup, backend=backend),
                                implied_exponents(model, reliability))
                        checkpoints.save(f"score_{name}", done)
                    else:
                        bar.update(model.population.n)
                    summaries[name], paradox[name] = done
                    if plot_n:
                        stage[0] = f"drawing the figure sample of {name}"
                        setup = setup or prepare(model, seed)
                        samples[name] = sample(setup, plot_n)
                    if setup is not None:
                        setups[name] = setup
                claims[name] = job.hypothesis.claim
                cards.append(scorecard(name, summaries[name], list(job.targets)))
        card = pd.concat(cards, ignore_index=True)
        ranked = ranking(card)
        abc, abc_models, abc_particles, posterior_setups, posterior_card, abc_results = _run_abc(
            first.abc, configs, jobs, seed, out, backend, checkpoints, stage)
        recovery, recovery_frames = _run_recovery(first, configs, jobs, seed, out, backend, stage, abc_results,
                                                  abc_models, ranked, abc)
    stage[0] = "decomposing IQ variance"
    shares = {(name, "file"): decompose(setups.get(name) or prepare(job.model, seed)) for name, job in jobs.items()}
    shares |= {(name, "posterior"): decompose(setup) for name, setup in posterior_setups.items()}
    decomposition = decomposition_table(shares)
    diagnostics = {name: _diagnostics(summaries[name], job.model) for name, job in jobs.items()}
    diagnostics_frame = pd.DataFrame(diagnostics).T.rename_axis("hypothesis")
    runs = abc["runs"] if abc else None
    answer = verdict(abc_models, runs, card, posterior_card, decomposition, recovery=recovery)
    stage[0] = "writing outputs"
    provenance = {
        "brainsim_version": __version__,
        "seed": seed,
        "overrides": overrides,
        "command": reproduce,
        "config": config,
    }
    md = to_markdown(card)
    write_csv(out / "scorecard.csv", card)
    write_csv(out / "ranking.csv", ranked)
    write_csv(out / "decomposition.csv", decomposition)
    write_text(out / "scorecard.md", md + "\n" + _ranking_text(ranked) + "\n")
    if frames:
        write_parquet(out / "population.parquet", pd.concat(frames, ignore_index=True))
    paradox_table = _paradox_table(summaries, paradox)
    written = ["summary.json", "scorecard.csv", "scorecard.md", "ranking.csv", "decomposition.csv"]
    if recovery_frames:
        from .assessment import write_outputs

        written += write_outputs(out, recovery_frames)
    if samples:
        from .plots import run_figures, write_figures

        stage[0] = "drawing figures"
        priors = {name: {k: v for k, v in job.hypothesis.free.items() if k in job.hypothesis.own}
                  for name, job in jobs.items()}  # each hypothesis's own parameters (background: parquet)
        figures = write_figures(run_figures(samples, first.model.law, card, abc_models, abc_particles, priors,
                                            decomposition=decomposition, recovery=recovery_frames), out,
                                first.plots.dpi, workers=_workers(first.threads))
        written.append(f"{len(figures)} figures (*.png)")
        if first.report:
            from .report import write_report

            write_report(out / "report.html", ranked, card, paradox_table, figures, abc_models, provenance, claims,
                         verdict=answer, decomposition=decomposition, posterior_card=posterior_card,
                         diagnostics=diagnostics_frame, recovery=recovery_frames)
            written.append("report.html")
    # summary.json last: its presence marks a complete run (brainsim-collect and resume rely on it)
    write_json(out / "summary.json", {"verdict": answer, "statistics": summaries, "paradox": paradox,
                                      "diagnostics": diagnostics,
                                      "decomposition": decomposition.to_dict(orient="records"),
                                      "ranking": ranked.to_dict(orient="records"), "abc": abc,
                                      "recovery": recovery,
                                      "provenance": provenance})
    checkpoints.clear()

    print("\nVERDICT\n" + "\n".join(f"  {line}" for line in answer) + "\n")
    print(_ranking_text(ranked))
    print("\nz = (simulated - observed) / tolerance; |z| <= 2 passes\n" + _z_table(card))
    if posterior_card is not None:
        print("\nz at each hypothesis's posterior median (scorecard_posterior.csv)\n" + _z_table(posterior_card))
        dead = not_final(posterior_card)
        if dead:
            print(f"  no proposal accepted in the final generation, so taken at the last generation that accepted "
                  f"one: {', '.join(dead)}")
    print("\nshare of IQ variance per cause (decomposition.csv; causes switched off one at a time)\n"
          + decomposition_wide(decomposition).round(3).to_string())
    print("\nsub-models in range (input check and battery range; flagged: outside it)\n"
          + diagnostics_frame.to_string())
    print("\nthe paradox, per hypothesis: latent capability vs observed IQ (see README)")
    print(paradox_table.to_string())
    for name in ranked["hypothesis"]:
        print(f"  {name}: {claims[name]}")
    print(f"\nwrote {out}/: {', '.join(written)}\nreproduce with: {reproduce}")


def _run_abc(settings: ABCSettings, configs: dict, jobs: dict, seed: int, out: Path, backend,
             checkpoints: Checkpoints, stage: list[str]):
    """ABC-SMC over the hypotheses, repeated over seeds; writes posterior_models.csv, abc_history.csv,
    posterior_params.parquet and scorecard_posterior.csv. Returns what summary.json keeps,
    the model probabilities and the particles (all None when ABC is off). Each seed's
    sampler state is checkpointed after every generation."""
    from .inference import ModelSpec, abc_smc, config_simulator, posterior_particles, posterior_point

    if settings.particles <= 0 or len(configs) == 0:
        return None, None, None, {}, None, None
    names = list(configs)
    containers = [OmegaConf.to_container(configs[h], resolve=True) for h in names]
    specs = [ModelSpec(h, jobs[h].hypothesis.free) for h in names]
    targets = list(jobs[names[0]].targets)
    simulate = config_simulator(containers, targets, settings.n, settings.norm_n, settings.missing_z,
                                log=[jobs[h].hypothesis.log for h in names])
    results, params = [], []
    with _progress_bar(None, unit="sim", desc="ABC") as bar:
        for r in range(settings.repeats):
            def saved(state, r=r):
                checkpoints.save(f"abc_{r}", state)
                stage[0] = f"running ABC seed {seed + r} (repeat {r + 1} of {settings.repeats}), generation " \
                           f"{state['generation'] + 1} (at most {settings.generations})"

            state = checkpoints.load(f"abc_{r}")
            gen = state["generation"] if state else 0
            stage[0] = (f"running ABC seed {seed + r} (repeat {r + 1} of {settings.repeats}), "
                        f"generation {gen + 1} (at most {settings.generations})")
            res = abc_smc(specs, simulate, settings.particles, settings.generations, seed=seed + r,
                          quantile=settings.quantile,
                          min_epsilon=settings.min_epsilon, min_acceptance=settings.min_acceptance,
                          max_simulations=settings.max_simulations,
                          progress=bar.update, map_fn=backend.map, state=state, on_generation=saved)
            results.append(res)
            params.append(res.particles.assign(repeat=r))
    models, common = _model_table(results, seed)
    write_csv(out / "posterior_models.csv", models)
    write_csv(out / "abc_history.csv", pd.concat([r.history.assign(seed=seed + i) for i, r in enumerate(results)],
                                                 ignore_index=True))
    particles = pd.concat(params, ignore_index=True)
    write_parquet(out / "posterior_params.parquet", particles)
    # posterior predictive: every hypothesis at its posterior median, full-size run; one with no
    # accepted proposal in the final generation at the last generation that had one (final = False)
    from .inference import with_parameters

    cards, posterior_setups = [], {}
    for name in names:
        hyp = jobs[name].hypothesis
        kept = posterior_particles(results, name)
        if kept.empty:
            continue
        sampled = posterior_point(results, name)  # the weighted median commutes with log10
        point = {k: hyp.value(k, v) for k, v in sampled.items()}
        model = model_from_config(with_parameters(OmegaConf.to_container(configs[name], resolve=True), point))
        stage[0] = f"rescoring {name} at its posterior median"
        posterior_setups[name] = setup = prepare(model, seed)  # the decomposition reuses it
        cards.append(scorecard(name, summarize(model, seed, setup=setup, backend=backend), targets)
                     .assign(final=bool(kept["final"].all()), **{f"param:{k}": v for k, v in point.items()}))
    posterior_card = pd.concat(cards, ignore_index=True) if cards else None
    if cards:
        write_csv(out / "scorecard_posterior.csv", posterior_card)
    runs = _convergence(results, seed)
    print(f"\nABC posterior model probabilities at epsilon {common:.3g} (mean over {len(results)} seeds ± its MC "
          f"standard error; SD over seeds; {sum(r.simulations for r in results)} simulations):")
    for r in models.sort_values("probability", ascending=False).itertuples():
        print(f"  {r.hypothesis:<22} {r.probability:6.3f} ± {r.se:.3f}   SD {r.sd:.3f}")
    for run in runs:
        flag = "converged" if run["converged"] else "DID NOT CONVERGE"
        print(f"  seed {run['seed']}: {flag} ({run['reason']}) after {run['generations']} generations: "
              f"epsilon {run['epsilon']:.3g}, acceptance {run['acceptance']:.3f}, {run['simulations']} simulations")
    return ({"probabilities": models.to_dict(orient="records"), "epsilon": common, "runs": runs,
             "converged": all(run["converged"] for run in runs),
             "simulations": int(sum(r.simulations for r in results))}, models, particles, posterior_setups,
            posterior_card, results)


def _run_recovery(first: RunSettings, configs: dict, jobs: dict, seed: int, out: Path, backend, stage: list[str],
                  abc_results, abc_models, ranked: pd.DataFrame, abc: dict | None):
    """Recovery and calibration on a reference table, and the absolute fit (see
    `brainsim.assessment`); (None, {}) when recovery.per_hypothesis is 0."""
    from . import assessment

    settings = first.recovery
    if settings.per_hypothesis == 0 or not configs:
        return None, {}
    prob = assessment.problem(configs, jobs)
    stage[0] = "simulating the reference table"
    with _progress_bar(settings.per_hypothesis * len(prob.names), unit="sim", desc="reference table") as bar:
        table, path = assessment.build_table(settings, first.abc, prob, seed, out, backend, progress=bar.update)
    stage[0] = "measuring model recovery and calibration"
    summary, frames = assessment.recover(settings, first.abc, prob, table, seed,
                                         abc_epsilon=abc["epsilon"] if abc else None)
    order = (list(abc_models.sort_values("probability", ascending=False)["hypothesis"]) if abc_models is not None
             else list(ranked["hypothesis"]))
    stage[0] = "checking the absolute fit (posterior predictive)"
    with _progress_bar(settings.predictive * min(settings.top, len(order)), unit="sim", desc="predictive") as bar:
        frames["fit"] = assessment.absolute_fit(settings, first.abc, prob, table, order, seed, backend,
                                                abc_results=abc_results, progress=bar.update)
    summary["fit"] = assessment.fit_summary(frames["fit"], len(prob.statistics))
    summary["table"] = str(path)
    if settings.smc_checks:
        stage[0] = "re-running the production ABC on table rows"
        loo = frames["probabilities"][prob.names].to_numpy()
        with _progress_bar(None, unit="sim", desc="SMC spot checks") as bar:
            frames["smc_checks"] = checks = assessment.smc_spot_checks(settings, first.abc, prob, table, loo, seed,
                                                                       backend, progress=bar.update)
        summary["smc_agreement"] = [float(checks["agree"].mean()), float(checks["agree"].std(ddof=1)
                                                                         / np.sqrt(len(checks)))]
    _print_recovery(summary)
    return summary, frames


def _print_recovery(summary: dict) -> None:
    cal = summary["calibration"]
    print(f"\nmodel recovery (leave-one-out rejection on {summary['table_rows']} prior-predictive simulations, "
          f"{summary['neighbours']} neighbours, median epsilon {summary['rejection_epsilon']:.2f}):")
    for name, (p, se) in summary["recovery"].items():
        print(f"  P(choose {name:<22} | it is true) = {p:.2f} ± {se:.2f}")
    print(f"  the observed targets' {summary['neighbours']}-th nearest simulation: RMS z "
          f"{summary['observed_epsilon']:.2f} (farther than for {summary['observed_epsilon_quantile']:.0%} of the "
          f"simulations); rejection there: " + ", ".join(
              f"{h} {p:.2f}" for h, p in sorted(summary["rejection_probabilities"].items(), key=lambda kv: -kv[1])[:3]))
    print(f"  prior error rate {summary['prior_error']:.3f} ± {summary['prior_error_se']:.3f}; near the observed "
          f"targets ({summary['local_rows']} rows) {summary['local_error']:.3f} ± {summary['local_error_se']:.3f}")
    print(f"  calibration: ECE {cal['ece']:.3f} ± {cal['ece_se']:.3f} (calibrated at this size: mean "
          f"{cal['ece_null_mean']:.3f}, 95% below {cal['ece_null_q95']:.3f}; p = {cal['ece_p_value']:.3f}), "
          f"Brier {cal['brier']:.3f} ± {cal['brier_se']:.3f}, log score {cal['log_score']:.3f} ± "
          f"{cal['log_score_se']:.3f}")


def _model_table(results, seed: int) -> tuple[pd.DataFrame, float]:
    """Model probabilities of every seed at one epsilon, the loosest of the seeds' final ones
    (each seed's final proposals estimate the evidences at any epsilon), and their mean, its
    MC error from each run's own SE, and the SD over seeds (the check that those SEs are honest)."""
    from .inference import probabilities_at

    common = max(r.epsilon for r in results)
    at = [probabilities_at(r, common).set_index("hypothesis") for r in results]
    table = pd.concat([a["probability"].rename(f"seed_{seed + i}") for i, a in enumerate(at)], axis=1)
    se = np.sqrt(np.mean([a["se"].to_numpy() ** 2 for a in at], axis=0) / len(at))
    models = pd.DataFrame({"hypothesis": table.index, "probability": table.mean(axis=1).to_numpy(), "se": se,
                           "sd": table.std(axis=1, ddof=1).to_numpy() if len(at) > 1 else np.nan})
    return pd.concat([models, table.reset_index(drop=True)], axis=1), common


def _convergence(results, seed: int) -> list[dict]:
    """Per seed: whether ABC converged, why it stopped, final epsilon and acceptance rate."""
    from .inference import STOP_REASONS

    return [{"seed": seed + i, "converged": r.converged, "stop": r.stop, "reason": STOP_REASONS[r.stop],
             "generations": int(r.history["generation"].max()) + 1, "epsilon": r.epsilon,
             "acceptance": r.acceptance, "simulations": int(r.simulations)} for i, r in enumerate(results)]


MAX_FLOOR_SHARE, MIN_DISTINCT_IQ = 0.01, 50  # a battery in its working range (see README)


def _diagnostics(stats: dict, model) -> dict:
    """Input check and battery range of one hypothesis's population (and what is off)."""
    out = {"brain_volume_cv": stats.get("brain_volume_cv"), "brain_volume_cv_input": model.population.volume_cv,
           **{k: stats.get(k) for k in ("share_at_floor", "share_at_ceiling", "distinct_iq_values")}}
    flags = []
    for key in ("share_at_floor", "share_at_ceiling"):
        if out[key] is not None and out[key] > MAX_FLOOR_SHARE:
            flags.append(f"{key} > {MAX_FLOOR_SHARE:g}")
    if out["distinct_iq_values"] is not None and out["distinct_iq_values"] < MIN_DISTINCT_IQ:
        flags.append(f"distinct IQ values < {MIN_DISTINCT_IQ}")
    out["flags"] = "; ".join(flags)
    return out


def _z_table(card: pd.DataFrame) -> str:
    """A scorecard's z as targets x hypotheses, for the terminal."""
    return card.pivot_table(index="target", columns="hypothesis", values="z", sort=False).round(2).to_string()


PARADOX = {
    "r_brain_capability": "r(brain, capability)",
    "r_brain_iq": "r(brain, IQ)",
    "retest_r": "retest r",
    "objective_spread": "capability IQ130/IQ70",
    "iq_per_brain_sd": "IQ pts per brain SD",
    "h1_gamma": "H1 gamma needed",
    "h1_max_iq_per_brain_sd": "best any gamma",
    "volume_cv_needed": "brain CV needed",
    "essay_gamma": "gamma for tasks ∝ N",
}


def _paradox_table(summaries: dict[str, dict], paradox: dict[str, dict]) -> pd.DataFrame:
    """How much of the law's signal survives into IQ, how large objective differences are,
    and what brain volume alone would need (see `brainsim.paradox`)."""
    rows = {h: {label: {**s, **paradox[h]}.get(k, np.nan) for k, label in PARADOX.items()} for h, s in summaries.items()}
    return pd.DataFrame(rows).T.round(3)


def _reliability_target(targets) -> float:
    """The observed test-retest reliability, if a target gives it (else Wechsler 2008's 0.90)."""
    return next((t.value for t in targets if t.statistic == "retest_r"), 0.90)


def _ranking_text(ranked: pd.DataFrame) -> str:
    lines = ["ranking (total distance = RMS z over targets; lower is better):"]
    for i, r in enumerate(ranked.itertuples(), 1):
        lines.append(f"{i:>3}. {r.hypothesis:<22} distance {r.distance:6.2f}   passed {r.passed}/{r.targets}"
                     + (f"   ({r.targets - r.computed} not computable)" if r.computed < r.targets else ""))
    return "\n".join(lines)


def _check_reference_table(configs: dict, jobs: dict) -> None:
    """A given recovery.table of another config, seed or version stops the run before anything
    is written (ConfigError). Not checkable here: seed=null (its seed is drawn at run time)."""
    first = next(iter(jobs.values()))
    if first.recovery.per_hypothesis and first.recovery.table and first.seed is not None:
        from . import assessment

        assessment.check_table(first.recovery, first.abc, assessment.problem(configs, jobs), first.seed, Path("."))


def main() -> None:
    """Validate every job the command line asks for, then hand over to Hydra. A bad value stops
    everything before any directory or file is created: one line on stderr, exit status 2."""
    argv = sys.argv[1:]
    if _user_overrides(argv) is not None:
        try:
            for job in planned_jobs(argv):
                names = [None] if _explicit_hypothesis(job) else hypothesis_names()
                configs = {}
                for name in names:
                    cfg = compose(job + ([f"hypothesis={name}"] if name else []))
                    configs[name or str(cfg.hypothesis.name)] = cfg  # keyed as the run keys them
                _check_reference_table(configs, {h: validate(c) for h, c in configs.items()})
        except ConfigError as exc:
            print(f"brainsim: error: {exc}", file=sys.stderr)
            sys.exit(2)
    _app()


if __name__ == "__main__":
    main()

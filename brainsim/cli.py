"""The `brainsim` command: a Hydra app that simulates a population and writes its summary.

Bad input is caught before Hydra creates a run directory: one line on stderr naming the
key and its allowed range, exit status 2, nothing written.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from . import __version__
from .api import compose
from .backends import backend_from_config, open_backend
from .engine import prepare, resolve_seed, run, sample, summarize
from .io import write_csv, write_json, write_parquet, write_text
from .paradox import implied_exponents
from .params import model_from_config
from .scaling import config_names
from .targets import (
    hypothesis_from_config,
    load_targets,
    scorecard,
    to_markdown,
    total_distance,
)
from .validation import ConfigError, check_int

_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc")


def _user_overrides(argv: list[str]) -> list[str] | None:
    """The plain config overrides of a single run, or None when Hydra should handle argv alone."""
    if any(a in _INFO_FLAGS or a.startswith("--info") for a in argv) or any(a in ("-m", "--multirun") for a in argv):
        return None
    return [a for a in argv if not a.startswith("-") and not a.lstrip("+~").startswith("hydra")]


def validate(cfg: DictConfig):
    """Typed model parameters, seed, hypothesis and targets from a composed config (raises ConfigError)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    backend_from_config(container.get("backend"))
    plots = container.get("plots") or {}
    check_int("plots.n", plots.get("n"), 1)
    check_int("plots.dpi", plots.get("dpi"), 30, 1200)
    return (model_from_config(container), resolve_seed(container.get("seed")), hypothesis_from_config(container),
            load_targets(str(container.get("targets", "human"))))


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
    if cfg.get("threads"):
        import numba

        numba.set_num_threads(int(cfg.threads))
    summaries, cards, claims, frames, paradox, samples = {}, [], {}, [], {}, {}
    plot_n = int(cfg.plots.n) if cfg.plots.enabled else 0
    with open_backend(backend_from_config(OmegaConf.to_container(cfg.backend, resolve=True))) as backend:
        total = sum(model.population.n for model, *_ in jobs.values())
        with _progress_bar(total) as bar:
            for name, (model, seed, hypothesis, targets) in jobs.items():
                bar.set_description(name)
                if cfg.get("save_population"):
                    pop = run(model, seed, progress=bar.update)
                    summaries[name] = pop.summary()
                    frames.append(pop.frame.head(int(cfg.save_max_rows)).assign(hypothesis=name))
                    samples[name] = pop.frame.head(plot_n)
                else:  # streaming: constant memory whatever population.n
                    setup = prepare(model, seed)
                    summaries[name] = summarize(model, seed, progress=bar.update, setup=setup, backend=backend)
                    if plot_n:
                        samples[name] = sample(setup, plot_n)
                claims[name] = hypothesis.claim
                paradox[name] = implied_exponents(model, _reliability_target(targets))
                cards.append(scorecard(name, summaries[name], targets))
        card = pd.concat(cards, ignore_index=True)
        ranked = ranking(card)
        abc, abc_models, abc_particles = _run_abc(cfg, configs, jobs, out, backend)
    seed = next(iter(jobs.values()))[1]
    reproduce = "brainsim " + " ".join(shlex.quote(o) for o in overrides if not o.startswith("seed="))
    reproduce = reproduce.strip() + f" seed={seed}"
    provenance = {
        "brainsim_version": __version__,
        "seed": seed,
        "overrides": overrides,
        "command": reproduce,
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    md = to_markdown(card)
    write_csv(out / "scorecard.csv", card)
    write_csv(out / "ranking.csv", ranked)
    write_text(out / "scorecard.md", md + "\n" + _ranking_text(ranked) + "\n")
    if frames:
        write_parquet(out / "population.parquet", pd.concat(frames, ignore_index=True))
    paradox_table = _paradox_table(summaries, paradox)
    written = ["summary.json", "scorecard.csv", "scorecard.md", "ranking.csv"]
    if samples:
        from .plots import run_figures, write_figures

        model = next(iter(jobs.values()))[0]
        figures = write_figures(run_figures(samples, model.law, card, abc_models, abc_particles), out,
                                int(cfg.plots.dpi))
        written.append(f"{len(figures)} figures (*.png)")
        if cfg.report:
            from .report import write_report

            write_report(out / "report.html", ranked, card, paradox_table, figures, abc_models, provenance, claims)
            written.append("report.html")
    # summary.json last: its presence marks a complete run (brainsim-collect relies on it)
    write_json(out / "summary.json", {"statistics": summaries, "paradox": paradox,
                                      "ranking": ranked.to_dict(orient="records"), "abc": abc,
                                      "provenance": provenance})

    print(_ranking_text(ranked))
    pivot = card.pivot_table(index="target", columns="hypothesis", values="z", sort=False)
    print("\nz = (simulated - observed) / tolerance; |z| <= 2 passes\n" + pivot.round(2).to_string())
    print("\nthe paradox, per hypothesis: latent capability vs observed IQ (see README)")
    print(paradox_table.to_string())
    for name in ranked["hypothesis"]:
        print(f"  {name}: {claims[name]}")
    print(f"\nwrote {out}/: {', '.join(written)}\nreproduce with: {reproduce}")


def _run_abc(cfg: DictConfig, configs: dict, jobs: dict, out: Path, backend):
    """ABC-SMC over the hypotheses, repeated over seeds; writes posterior_models.csv,
    posterior_params.parquet and scorecard_posterior.csv. Returns what summary.json keeps,
    the model probabilities and the particles (all None when ABC is off)."""
    from .inference import ModelSpec, abc_smc, config_simulator, posterior_point

    settings = cfg.abc
    if int(settings.particles) <= 0 or len(configs) == 0:
        return None, None, None
    names = list(configs)
    containers = [OmegaConf.to_container(configs[h], resolve=True) for h in names]
    specs = [ModelSpec(h, jobs[h][2].free) for h in names]
    targets = jobs[names[0]][3]
    simulate = config_simulator(containers, targets, int(settings.n), int(settings.norm_n), float(settings.missing_z))
    seed = jobs[names[0]][1]
    results, probs, params = [], [], []
    with _progress_bar(None, unit="sim", desc="ABC") as bar:
        for r in range(int(settings.repeats)):
            res = abc_smc(specs, simulate, int(settings.particles), int(settings.generations), seed=seed + r,
                          quantile=float(settings.quantile), model_keep=float(settings.model_keep),
                          progress=bar.update, map_fn=backend.map)
            results.append(res)
            probs.append(res.probabilities.set_index("hypothesis")["probability"].rename(f"seed_{seed + r}"))
            params.append(res.particles.assign(repeat=r))
    table = pd.concat(probs, axis=1)
    models = pd.DataFrame({"hypothesis": table.index, "probability": table.mean(axis=1).to_numpy(),
                           "sd": table.std(axis=1, ddof=1).to_numpy() if len(probs) > 1 else np.nan})
    models = pd.concat([models, table.reset_index(drop=True)], axis=1)
    write_csv(out / "posterior_models.csv", models)
    particles = pd.concat(params, ignore_index=True)
    write_parquet(out / "posterior_params.parquet", particles)
    # posterior predictive: each surviving hypothesis at its posterior median, full-size run
    from .inference import _set

    cards = []
    for row in models.itertuples():
        name = row.hypothesis
        if row.probability <= 0:
            continue
        c = OmegaConf.to_container(configs[name], resolve=True)
        point = posterior_point(results, name)
        for k, v in point.items():
            _set(c, k, v)
        model = model_from_config(c)
        cards.append(scorecard(name, summarize(model, seed, backend=backend), targets).assign(**{f"param:{k}": v for k, v in point.items()}))
    if cards:
        write_csv(out / "scorecard_posterior.csv", pd.concat(cards, ignore_index=True))
    print("\nABC posterior model probabilities (mean and SD over "
          f"{len(probs)} seeds, {sum(r.simulations for r in results)} simulations):")
    for r in models.sort_values("probability", ascending=False).itertuples():
        print(f"  {r.hypothesis:<22} {r.probability:6.3f} ± {r.sd:.3f}")
    return ({"probabilities": models.to_dict(orient="records"),
             "simulations": int(sum(r.simulations for r in results))}, models, particles)


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


def main() -> None:
    argv = sys.argv[1:]
    overrides = _user_overrides(argv)
    if overrides is not None:
        try:
            names = [None] if _explicit_hypothesis(overrides) else hypothesis_names()
            for name in names:
                validate(compose(overrides + ([f"hypothesis={name}"] if name else [])))
        except ConfigError as exc:
            print(f"brainsim: error: {exc}", file=sys.stderr)
            sys.exit(2)
    _app()


if __name__ == "__main__":
    main()

"""The recovery stage of a run: build or extend the reference table, measure how well the
comparison recovers a known truth, and write what it found (recovery_*.csv).

Pure statistics live in `brainsim.recovery`, the table in `brainsim.reference`; this module
wires them to a run's configs, backend and output folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from .version import __version__
from .engine import stream_rng
from .inference import HypothesisPriors, Sampler, Stopping, derived_seed
from .problem import Problem
from .io import write_csv
from .recovery import (calibration, confusion, choices, nearest, neighbour_probabilities, parameter_recovery,
                       predictive_check, prior_predictive_position, rate, row_errors, statistics_matrix,
                       target_influence)
from .reference import STREAM, load_table, reference_table, save_table, table_fingerprint

__all__ = ["absolute_fit", "build_table", "check_table", "CONFUSED", "fingerprint_of", "fit_summary",
           "PREDICTIVE_ALPHA", "problem", "recover", "sampler", "smc_spot_checks", "stopping", "table_path",
           "write_outputs"]

CONFUSED = 0.2  # P(chosen = j | true = i) at or above this: the targets do not tell i from j
PREDICTIVE_ALPHA = 0.05  # family-wise level of the posterior-predictive check (Bonferroni over targets)


def problem(configs: Mapping, jobs: Mapping, targets: Sequence | None = None) -> Problem:
    """The comparison of a run, built once: every hypothesis's validated parameters, priors
    and resolved config, and the targets (`targets`, e.g. with tolerances widened by
    simulation noise; default: the jobs')."""
    names = list(configs)
    return Problem(tuple(names), tuple(jobs[h].model for h in names),
                   tuple(HypothesisPriors(h, jobs[h].hypothesis.free) for h in names),
                   tuple(jobs[h].hypothesis.log for h in names),
                   tuple(targets) if targets is not None else tuple(jobs[names[0]].targets) if names else (),
                   tuple(OmegaConf.to_container(configs[h], resolve=True) for h in names))


def sampler(abc) -> Sampler:
    """The ABC-SMC sampler of a run's `abc` settings."""
    return Sampler(particles=abc.particles, quantile=abc.quantile)


def stopping(abc) -> Stopping:
    """The ABC-SMC stopping rules of a run's `abc` settings."""
    return Stopping(generations=abc.generations, min_epsilon=abc.min_epsilon, min_acceptance=abc.min_acceptance,
                    max_simulations=abc.max_simulations)


def table_path(settings, out: Path | None) -> Path | None:
    """Where the reference table is kept: recovery.table, else `out`/reference_table.parquet
    (None: nowhere, the table lives in memory)."""
    if settings.table:
        return Path(settings.table).expanduser()
    return None if out is None else Path(out) / "reference_table.parquet"


def fingerprint_of(prob: Problem, abc, seed: int) -> str:
    return table_fingerprint(prob.configs, prob.statistics, n=abc.n, norm_n=abc.norm_n, seed=seed,
                             version=__version__)


def check_table(settings, abc, prob: Problem, seed: int, out: Path) -> None:
    """Refuse an existing table of another config before anything is simulated (ConfigError)."""
    path = table_path(settings, out)
    if settings.per_hypothesis and path is not None and path.exists():
        load_table(path, fingerprint_of(prob, abc, seed), prob.names, prob.statistics)


def build_table(settings, abc, prob: Problem, seed: int, out: Path | None, backend,
                progress: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, Path | None]:
    """The reference table of `settings.per_hypothesis` rows per hypothesis: reused and
    extended from its file if there is one (same fingerprint), saved after every batch
    (unless `table_path` is None)."""
    path = table_path(settings, out)
    fp = fingerprint_of(prob, abc, seed)
    existing = load_table(path, fp, prob.names, prob.statistics) if path is not None and path.exists() else None
    simulate = prob.statistics_simulator(abc.n, abc.norm_n)
    table = reference_table(prob.hypotheses, simulate, prob.statistics, settings.per_hypothesis * len(prob.names),
                            seed=seed, map_fn=backend.map, existing=existing, progress=progress,
                            on_batch=None if path is None else lambda t: save_table(path, t, fp))
    if path is not None and (existing is None or len(existing) < len(table)):
        save_table(path, table, fp)
    return table, path


def _posterior_draws(prob: Problem, m: int, count: int, seed: int, abc_results, table, near) -> list[dict]:
    """`count` parameter vectors of hypothesis m's posterior: the ABC's particles by weight,
    or without ABC the hypothesis's table rows among the rejection neighbours."""
    from .inference import posterior_particles

    name, keys = prob.names[m], list(prob.hypotheses[m].priors)
    rng = stream_rng(seed, STREAM + 1, m)
    if abc_results:
        kept = posterior_particles(abc_results, name)
        if kept.empty:
            return []
        w = kept["weight"].to_numpy(float)  # the run's weights times P(m): all 0 for a hypothesis at 0
        pick = rng.choice(len(kept), size=count, p=w / w.sum() if w.sum() > 0 else None)
        return [{k: float(kept[f"{name}:{k}"].iloc[j]) for k in keys} for j in pick]
    rows = table.iloc[near][table.iloc[near]["hypothesis"] == name]
    if rows.empty:
        return []
    pick = rng.choice(len(rows), size=count)
    return [{k: float(rows[f"param:{k}"].iloc[j]) for k in keys} for j in pick]


def absolute_fit(settings, abc, prob: Problem, table: pd.DataFrame, ranked: Sequence[str], seed: int, backend,
                 abc_results=None, progress=None) -> pd.DataFrame:
    """Per hypothesis and target: where the observed value falls in the prior predictive, and
    for the `settings.top` hypotheses of `ranked` a posterior-predictive p-value from
    `settings.predictive` fresh simulations at posterior draws (the ABC's particles; without
    ABC, the table rows among the k x M nearest to the observed targets)."""
    fit = prior_predictive_position(table, dict(zip(prob.statistics, prob.observed))).rename(
        columns={"quantile": "prior_quantile", "outside": "outside_prior"})
    for col in ("predictive_p", "predictive_z", "predictive_p_normal"):
        fit[col] = np.nan
    if settings.predictive == 0:
        return fit
    simulate = prob.statistics_simulator(abc.n, abc.norm_n)
    near = None
    if not abc_results:
        stats = statistics_matrix(table, prob.statistics)
        count = min(len(table), settings.neighbours * len(prob.names))
        near = nearest(prob.observed[None], stats, prob.tolerance, count,
                       missing_z=prob.charges(abc.missing_z))[0][0]
    for name in list(ranked)[: settings.top]:
        m = prob.names.index(name)
        draws = _posterior_draws(prob, m, settings.predictive, seed, abc_results, table, near)
        if not draws:
            continue
        seeds = np.random.SeedSequence(seed, spawn_key=(STREAM + 2, m)).generate_state(len(draws))
        sims = np.array(backend.map(lambda job: simulate(m, job[0], int(job[1])), list(zip(draws, seeds))))
        if progress is not None:
            progress(len(draws))
        check = predictive_check(sims, prob.observed)
        for t, stat in enumerate(prob.statistics):
            at = (fit.hypothesis == name) & (fit.statistic == stat)
            for key in ("p", "z", "p_normal"):
                fit.loc[at, "predictive_" + key] = check[key][t]
    return fit


def smc_spot_checks(settings, abc, prob: Problem, table: pd.DataFrame, probs: np.ndarray, seed: int,
                    backend, progress=None) -> pd.DataFrame:
    """The production ABC-SMC run on `settings.smc_checks` table rows per hypothesis as if they
    were observed: does it choose what the rejection on the table chose (`probs`, the rows'
    leave-one-out probabilities; `agree` is fractional where the rejection tied)?"""
    from .inference import abc_smc
    from .targets import Target

    rows = []
    picked = choices(probs)
    stats = statistics_matrix(table, prob.statistics)
    for name in prob.names:
        for pos in np.flatnonzero(table["hypothesis"].to_numpy() == name)[: settings.smc_checks]:
            values = stats[pos]
            pseudo = [Target(t.name, t.statistic, float(v), t.tolerance, "table row", "unconfirmed")
                      for t, v in zip(prob.targets, values) if np.isfinite(v)]
            row = int(table["row"].iloc[pos])
            res = abc_smc(prob.hypotheses, prob.with_targets(pseudo).simulator(abc.n, abc.norm_n, abc.missing_z),
                          sampler=sampler(abc), stopping=stopping(abc), seed=derived_seed(seed, STREAM + 3, row),
                          map_fn=backend.map, progress=progress)
            p = res.probabilities.set_index("hypothesis")["probability"]
            smc = str(p.idxmax())
            rows.append({"row": row, "true": name, "smc_chosen": smc, "smc_probability": float(p.max()),
                         "rejection_chosen": prob.names[int(np.argmax(picked[pos]))],
                         "agree": float(picked[pos, prob.names.index(smc)]),
                         "smc_epsilon": res.epsilon, "smc_converged": res.converged})
    return pd.DataFrame(rows)


def recover(settings, abc, prob: Problem, table: pd.DataFrame, seed: int, *, abc_epsilon: float | None = None
            ) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Every recovery statistic of a table: what summary.json keeps and the frames to write."""
    k = settings.neighbours
    charge = prob.charges(abc.missing_z)
    stats = statistics_matrix(table, prob.statistics)
    labels = pd.Categorical(table.hypothesis, categories=prob.names).codes.astype(np.int64)
    idx, dist = nearest(stats, stats, prob.tolerance, k, missing_z=charge, exclude_self=True)
    probs = neighbour_probabilities(labels, idx, len(prob.names))
    probs[~np.isfinite(stats).any(axis=1)] = 1.0 / len(prob.names)  # a simulation that computed nothing
    conf = confusion(labels, probs, prob.names)
    errors = row_errors(labels, probs)
    near, near_d = nearest(prob.observed[None], stats, prob.tolerance, min(max(settings.local, k), len(table)),
                           missing_z=charge)  # nearest first: the local rows and the k-th distance
    near = near[:, : settings.local]
    observed_eps = float(near_d[0, k - 1])
    local, local_se = rate(errors[near[0]])
    reliability, scores = calibration(probs, labels, prob.names, resamples=settings.resamples, seed=seed, k=k)
    cov, ranks = parameter_recovery(table, prob.statistics, prob.tolerance, k, missing_z=charge, seed=seed)
    influence = target_influence(stats, labels, prob.observed, prob.tolerance, prob.names, k,
                                 missing_z=charge, target_names=[t.name for t in prob.targets])
    at_obs = influence[influence.left_out == "none"].set_index("hypothesis")["probability"]
    diag = conf[conf["true"] == conf["chosen"]].set_index("true")
    confused = conf[(conf["true"] != conf["chosen"]) & (conf["p_chosen_given_true"] >= CONFUSED)]
    prior_error, prior_se = rate(errors)
    summary = {
        "table_rows": len(table), "per_hypothesis": int(len(table) // len(prob.names)), "neighbours": k,
        "rejection_epsilon": float(np.median(dist[:, -1])), "abc_epsilon": abc_epsilon,
        "observed_epsilon": observed_eps,
        # share of table rows whose k-th neighbour is nearer than the observed targets' is
        "observed_epsilon_quantile": float(np.mean(dist[:, -1] < observed_eps)),
        "recovery_mean": float(diag["p_chosen_given_true"].mean()),
        "recovery_mean_se": float(np.sqrt((diag["se"] ** 2).sum()) / len(diag)),
        "recovery": {h: [float(r.p_chosen_given_true), float(r.se)] for h, r in diag.iterrows()},
        "prior_error": prior_error, "prior_error_se": prior_se,
        "local_error": local, "local_error_se": local_se, "local_rows": int(near.shape[1]),
        "chosen_at_observed": prob.names[int(np.argmax(choices(at_obs.to_numpy()[None])[0]))],
        "rejection_probabilities": {h: float(p) for h, p in at_obs.items()},
        "confused": [[str(r.true), str(r.chosen), float(r.p_chosen_given_true)] for r in confused.itertuples()],
        "calibration": scores,
        "coverage": {str(lv): [float(g.coverage.mean()), float(np.sqrt((g.se**2).sum()) / len(g))]
                     for lv, g in cov.groupby("level")} if len(cov) else {},
    }
    frames = {"confusion": conf, "calibration": reliability, "coverage": cov, "sbc": ranks, "influence": influence,
              "probabilities": pd.DataFrame(probs, columns=prob.names).assign(
                  row=table["row"].to_numpy(), true=table["hypothesis"].to_numpy(), error=errors)}
    return summary, frames


def write_outputs(out: Path, frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """recovery_<name>.csv for each frame; returns the file names."""
    names = []
    for key, frame in frames.items():
        if frame is not None and len(frame):
            write_csv(Path(out) / f"recovery_{key}.csv", frame)
            names.append(f"recovery_{key}.csv")
    return names


def fit_summary(fit: pd.DataFrame, n_targets: int) -> dict:
    """Per checked hypothesis: whether every target passes the posterior-predictive check
    (normal p-value) at family-wise level PREDICTIVE_ALPHA (Bonferroni), and the targets that
    fail; a target no replicate computes fails."""
    checked = fit[fit.hypothesis.isin(fit.dropna(subset=["predictive_p"]).hypothesis)]
    out = {}
    for name, g in checked.groupby("hypothesis", sort=False):
        bad = g[~(g.predictive_p_normal >= PREDICTIVE_ALPHA / n_targets)]
        failed = [f"{r.statistic}{'' if np.isfinite(r.predictive_p_normal) else ' (not computed)'}"
                  for r in bad.itertuples()]
        out[name] = {"fits": not failed, "failed": failed}
    return out

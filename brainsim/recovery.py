"""Model recovery, calibration, parameter coverage, target influence and absolute fit, from a
reference table (`brainsim.reference`). Pure functions over arrays and frames.

Everything here is leave-one-out ABC rejection on the table, as R abc's `cv4postpr` and
abcrf's prior error rate (Pudlo et al. 2016, Bioinformatics 32:859): row i's statistics
stand in for observed data and the k rows nearest to it (itself excluded) are its ABC
posterior sample, so P(m | row i) is the share of those k that came from hypothesis m (the
table is balanced: equal prior model probabilities). The distance is the production one:
RMS z with the targets' tolerances as the scale, a statistic a row cannot compute counted as
|z| = missing_z (0 for a statistic computed among cases another target counts,
`brainsim.summaries.missing_charges`); a statistic the pseudo-observed row itself cannot compute is left out of
its distances (real observed targets are always defined). The rejection's epsilon is the
k-th neighbour's distance, reported beside the production ABC's final epsilon.

Monte-Carlo errors are binomial (rates) or bootstrap over rows (ECE); leave-one-out rows
share the table, so they are the usual approximation, not exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sstats

from .validation import ConfigError

__all__ = ["calibration", "choices", "confusion", "coverage", "ece", "nearest", "neighbour_probabilities",
           "parameter_recovery", "predictive_check", "prior_predictive_position", "rate", "reachability",
           "row_errors",
           "statistics_matrix", "target_influence"]

_BLOCK = 256  # query rows per distance block: (block, N) floats per target
_FAR = 1e150  # tolerances beyond which a statistic is equally far: a difference's square stays finite


def statistics_matrix(table: pd.DataFrame, statistics: Sequence[str]) -> np.ndarray:
    """A reference table's statistics (float64, (rows, len(statistics))), from its `stat:` columns."""
    return table[[f"stat:{s}" for s in statistics]].to_numpy(float)


def _scaled(stats: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """Statistics in tolerances, within +-_FAR: farther (overflowing included) is far, not missing."""
    x = np.asarray(stats, float)
    with np.errstate(over="ignore"):
        out = x / np.asarray(tolerance, float)[None, :]
    return np.where(np.isfinite(x), np.clip(out, -_FAR, _FAR), out)


def nearest(query: np.ndarray, reference: np.ndarray, tolerance: np.ndarray, k: int, *,
            missing_z: float | np.ndarray, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The k rows of `reference` (N, T) nearest to each row of `query` (Q, T) in the
    production distance (`missing_z`: the |z| a reference row's NaN costs, one for all or (T,)
    per statistic, see `brainsim.summaries.missing_charges`); with `exclude_self` query row i
    is reference row i and never its own neighbour. Returns (indices (Q, k) by increasing
    distance, distances (Q, k)). A statistic beyond 1e150 tolerances counts as 1e150: absurd
    rows rank last, with finite distances. A non-finite one is missing, as in the ABC distance."""
    q, r = _scaled(query, tolerance), _scaled(reference, tolerance)
    charge = np.broadcast_to(np.asarray(missing_z, float), (r.shape[1],))
    n = r.shape[0]
    if not 1 <= k <= n - int(exclude_self):
        raise ConfigError(f"The 'recovery.neighbours' parameter must be an int in [1, {n - int(exclude_self)}] "
                          f"for a table of {n} rows. Got {k} instead.")
    idx, dist = np.empty((q.shape[0], k), np.int64), np.empty((q.shape[0], k))
    r_ok = np.isfinite(r)
    for lo in range(0, q.shape[0], _BLOCK):
        block = q[lo:lo + _BLOCK]
        acc, used = np.zeros((block.shape[0], n)), np.zeros((block.shape[0], 1))
        for t in range(r.shape[1]):
            defined = np.isfinite(block[:, t])[:, None]
            z = np.where(r_ok[None, :, t], r[None, :, t] - block[:, t, None], charge[t])
            acc += np.where(defined, z * z, 0.0)
            used += defined
        d = np.sqrt(acc / np.maximum(used, 1))
        if exclude_self:
            d[np.arange(block.shape[0]), np.arange(lo, lo + block.shape[0])] = np.inf
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd_ = np.take_along_axis(d, part, axis=1)
        order = np.argsort(pd_, axis=1, kind="stable")  # by distance (deterministic for the same input)
        idx[lo:lo + block.shape[0]] = np.take_along_axis(part, order, axis=1)
        dist[lo:lo + block.shape[0]] = np.take_along_axis(pd_, order, axis=1)
    return idx, dist


def neighbour_probabilities(labels: np.ndarray, neighbours: np.ndarray, n_models: int) -> np.ndarray:
    """P(m | query) (Q, M): the share of each query's neighbours from each model."""
    counts = np.zeros((neighbours.shape[0], n_models))
    np.add.at(counts, (np.repeat(np.arange(neighbours.shape[0]), neighbours.shape[1]), labels[neighbours].ravel()), 1.0)
    return counts / neighbours.shape[1]


def choices(probs: np.ndarray) -> np.ndarray:
    """The chosen model as weights (Q, M): 1 on the most probable, ties shared equally."""
    top = probs >= probs.max(axis=1, keepdims=True) - 1e-12
    return top / top.sum(axis=1, keepdims=True)


def confusion(labels: np.ndarray, probs: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """Model recovery: one row per (true, chosen) with count (ties split), P(chosen | true) and
    its binomial SE, and the inverse P(true | chosen) (column-normalised) and its SE."""
    m = len(names)
    counts = np.zeros((m, m))
    np.add.at(counts, labels, choices(probs))
    n_true = np.bincount(labels, minlength=m)[:, None].astype(float)
    n_chosen = counts.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / n_true
        inv = counts / n_chosen
        p_se = np.sqrt(p * (1 - p) / n_true)
        inv_se = np.sqrt(inv * (1 - inv) / n_chosen)
    t, c = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    return pd.DataFrame({"true": np.asarray(names)[t.ravel()], "chosen": np.asarray(names)[c.ravel()],
                         "count": counts.ravel(), "p_chosen_given_true": p.ravel(), "se": p_se.ravel(),
                         "p_true_given_chosen": inv.ravel(), "inverse_se": inv_se.ravel()})


def row_errors(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per row, 1 - the chosen weight on the true model (0 right, 1 wrong, fractions for ties)."""
    return 1.0 - choices(probs)[np.arange(labels.size), labels]


def rate(values: np.ndarray) -> tuple[float, float]:
    """Mean of per-row values in [0, 1] and its SE (binomial for 0/1 values)."""
    v = np.asarray(values, float)
    return float(v.mean()), (float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan"))


def _bins(p: np.ndarray, bins: int) -> np.ndarray:
    return np.minimum((p * bins).astype(int), bins - 1)


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error, classwise: the mean over models m of sum_b (n_b / N)
    |mean P(m) - observed share of m| over `bins` equal-width bins of P(m)."""
    n, m = probs.shape
    onehot = np.eye(m)[labels]
    total = 0.0
    for j in range(m):  # (n_b / N) |mean p - share| = |sum over bin b of (p - y)| / N
        gap = np.bincount(_bins(probs[:, j], bins), weights=probs[:, j] - onehot[:, j], minlength=bins)
        total += np.abs(gap).sum() / n
    return total / m


def calibration(probs: np.ndarray, labels: np.ndarray, names: Sequence[str], *, bins: int = 10,
                resamples: int = 200, seed: int = 0, k: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Reliability per model and bin (n, mean probability, observed share, its 95% Wilson
    interval), and the scores: ECE with its bootstrap SE and its consistency-resampling null
    (labels redrawn from the predicted probabilities: the ECE a calibrated predictor of this
    size gets; Bröcker & Smith 2007), Brier and log score with SEs. A probability of 0 counts
    as 1 / (2k) in the log score (half the smallest non-zero share of k neighbours)."""
    n, m = probs.shape
    onehot = np.eye(m)[labels]
    rows = []
    for j, name in enumerate(names):
        b = _bins(probs[:, j], bins)
        for i in range(bins):
            inside = b == i
            cnt = int(inside.sum())
            hit = int(onehot[inside, j].sum())
            lo_ci, hi_ci = (sstats.binomtest(hit, cnt).proportion_ci(method="wilson") if cnt else (np.nan, np.nan))
            rows.append({"hypothesis": name, "bin": i, "low": i / bins, "high": (i + 1) / bins, "n": cnt,
                         "mean_probability": float(probs[inside, j].mean()) if cnt else np.nan,
                         "observed": hit / cnt if cnt else np.nan, "ci_low": lo_ci, "ci_high": hi_ci})
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    observed_ece = ece(probs, labels, bins)
    boot = [ece(probs[i], labels[i], bins) for i in (rng.integers(0, n, n) for _ in range(resamples))]
    cum = np.cumsum(probs, axis=1)
    null = [ece(probs, np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), m - 1), bins)
            for _ in range(resamples)]
    brier = ((probs - onehot) ** 2).sum(axis=1)
    floor = 0.5 / k if k else 1e-12
    log = -np.log(np.maximum(probs[np.arange(n), labels], floor))
    scores = {"ece": observed_ece, "ece_se": float(np.std(boot, ddof=1)),
              "ece_null_mean": float(np.mean(null)), "ece_null_q95": float(np.quantile(null, 0.95)),
              "ece_p_value": float((np.sum(np.asarray(null) >= observed_ece) + 1) / (resamples + 1)),
              "brier": float(brier.mean()), "brier_se": float(brier.std(ddof=1) / np.sqrt(n)),
              "log_score": float(log.mean()), "log_score_se": float(log.std(ddof=1) / np.sqrt(n)),
              "bins": bins, "resamples": resamples}
    return pd.DataFrame(rows), scores


def coverage(truth: np.ndarray, draws: np.ndarray, levels: Sequence[float] = (0.5, 0.9)) -> tuple[dict, np.ndarray]:
    """Coverage of central posterior intervals and SBC ranks for one parameter: truth (Q,),
    posterior draws (Q, k). Returns ({level: (coverage, se)}, ranks (Q,) in 0..k: how many
    draws fall below the truth; uniform when the posterior is calibrated, Talts et al. 2018)."""
    out = {}
    for level in levels:  # the p (k + 1) rule: an exchangeable truth falls below it with chance p
        # exactly; the default rule's intervals from 40 draws cover 86% at a nominal 90%
        lo = np.quantile(draws, (1 - level) / 2, axis=1, method="weibull")
        hi = np.quantile(draws, (1 + level) / 2, axis=1, method="weibull")
        out[level] = rate((truth >= lo) & (truth <= hi))
    return out, (draws < truth[:, None]).sum(axis=1)


def parameter_recovery(table: pd.DataFrame, statistics: Sequence[str], tolerance: np.ndarray, k: int, *,
                       missing_z: float | np.ndarray, levels: Sequence[float] = (0.5, 0.9),
                       seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave-one-out parameter recovery within each hypothesis: every row of a hypothesis is
    pseudo-observed against that hypothesis's other rows. Returns coverage (hypothesis,
    parameter, level, coverage, se, n, sbc_p: KS of the ranks against uniform) and the SBC
    ranks (hypothesis, parameter, rank, k)."""
    cov_rows, rank_rows = [], []
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    for name, rows in table.groupby("hypothesis", sort=False):
        if len(rows) <= k:
            raise ConfigError(f"The 'recovery.neighbours' parameter must be below the rows per hypothesis "
                              f"({len(rows)}). Got {k} instead.")
        s = statistics_matrix(rows, statistics)
        idx, _ = nearest(s, s, tolerance, k, missing_z=missing_z, exclude_self=True)
        for col in [c for c in rows.columns if c.startswith("param:")]:
            values = rows[col].to_numpy(float)
            if not np.isfinite(values).all() or np.ptp(values) == 0:
                continue  # not a free parameter of this hypothesis
            levels_out, ranks = coverage(values, values[idx], levels)
            # ranks take k + 1 values: a random offset within each makes them exactly uniform
            # when calibrated (a fixed offset would fail the KS test on any large table)
            u = (ranks + rng.random(ranks.size)) / (k + 1)
            sbc_p = float(sstats.kstest(u, "uniform").pvalue)
            for level, (c, se) in levels_out.items():
                cov_rows.append({"hypothesis": name, "parameter": col.split(":", 1)[1], "level": level,
                                 "coverage": c, "se": se, "n": values.size, "sbc_p": sbc_p})
            rank_rows.append(pd.DataFrame({"hypothesis": name, "parameter": col.split(":", 1)[1],
                                           "rank": ranks, "k": k}))
    return pd.DataFrame(cov_rows), (pd.concat(rank_rows, ignore_index=True) if rank_rows else pd.DataFrame())


def target_influence(table_stats: np.ndarray, labels: np.ndarray, observed: np.ndarray, tolerance: np.ndarray,
                     names: Sequence[str], k: int, *, missing_z: float | np.ndarray,
                     target_names: Sequence[str]) -> pd.DataFrame:
    """What carries the verdict: P(m | observed) by rejection on the table with all targets and
    with each target left out in turn (column `left_out`, "none" for all), and each target's
    share of the mean squared z among the k rows nearest to the observed targets."""
    rows = []
    charge = np.broadcast_to(np.asarray(missing_z, float), (len(target_names),))
    idx, _ = nearest(observed[None], table_stats, tolerance, k, missing_z=charge)
    z = (table_stats[idx[0]] - observed[None]) / tolerance[None]
    z2 = np.where(np.isfinite(z), z * z, charge[None] ** 2).mean(axis=0)
    shares = z2 / z2.sum()
    for left in [None, *range(len(target_names))]:
        keep = np.ones(len(target_names), bool)
        if left is not None:
            keep[left] = False
        near, _ = nearest(observed[None, keep], table_stats[:, keep], tolerance[keep], k, missing_z=charge[keep])
        p = neighbour_probabilities(labels, near, len(names))[0]
        rows += [{"left_out": "none" if left is None else target_names[left], "hypothesis": h, "probability": pi,
                  "se": float(np.sqrt(pi * (1 - pi) / k)),
                  "share_of_distance": np.nan if left is None else float(shares[left])}
                 for h, pi in zip(names, p)]
    return pd.DataFrame(rows)


def prior_predictive_position(table: pd.DataFrame, observed: dict[str, float]) -> pd.DataFrame:
    """Where each observed target falls in each hypothesis's prior predictive: the share of its
    simulations below the observed value (ties count half), of those that compute it, and
    whether the value lies outside everything simulated (no parameter value reaches it)."""
    rows = []
    for name, g in table.groupby("hypothesis", sort=False):
        for stat, value in observed.items():
            s = g[f"stat:{stat}"].to_numpy(float)
            s = s[np.isfinite(s)]
            q = ((s < value).sum() + 0.5 * (s == value).sum()) / s.size if s.size else np.nan
            rows.append({"hypothesis": name, "statistic": stat, "observed": value, "quantile": q,
                         "computed": s.size / len(g), "min": s.min() if s.size else np.nan,
                         "max": s.max() if s.size else np.nan,
                         "outside": bool(s.size == 0 or value < s.min() or value > s.max())})
    return pd.DataFrame(rows)


def reachability(position: pd.DataFrame, card: pd.DataFrame, targets: Sequence, *,
                 reference: str = "baseline") -> pd.DataFrame:
    """Which hypothesis can reach which target, and what each mechanism does to it.

    position : `prior_predictive_position` of the reference table (hypothesis, statistic, ...)
    card : the scorecard at the files' values (hypothesis, target, simulated)
    targets : the targets (name, statistic, tolerance)

    One row per (target, hypothesis): the prior predictive's range (min, max), where the
    observed value falls in it (quantile), whether it is inside (`reaches`), how many
    hypotheses reach it (`reached_by`: 1 flags a target only one hypothesis can meet, by
    evidence or by how the model is built), and `shift_z`: how far the hypothesis's mechanism
    moves the target at the files' values, (simulated - `reference`'s) / tolerance (NaN without
    the reference hypothesis).
    """
    sim = card.set_index(["hypothesis", "target"])["simulated"]
    rows = []
    for t in targets:
        mine = position[position["statistic"] == t.statistic]
        base = sim.get((reference, t.name), np.nan)
        for r in mine.itertuples():
            rows.append({"target": t.name, "hypothesis": r.hypothesis, "observed": r.observed, "min": r.min,
                         "max": r.max, "quantile": r.quantile, "reaches": not r.outside,
                         "shift_z": (sim.get((r.hypothesis, t.name), np.nan) - base) / t.tolerance})
    out = pd.DataFrame(rows)
    if len(out):
        out["reached_by"] = out.groupby("target", sort=False)["reaches"].transform("sum").astype(int)
    return out


def predictive_check(simulated: np.ndarray, observed: np.ndarray) -> dict[str, np.ndarray]:
    """Posterior-predictive check per target, each (T,), over the finite replicates of
    simulated (R, T): `p` the two-sided empirical p-value 2 min(P(S <= obs), P(S >= obs)) with
    the (count + 1) / (R + 1) correction (it cannot fall below 2 / (R + 1), too coarse for a
    correction over many targets at tens of replicates), `z` = (obs - mean) / SD of the
    replicates and `p_normal` = 2 Phi(-|z|), which can. NaN where no replicate computes it."""
    t_count = observed.size
    out = {"p": np.full(t_count, np.nan), "z": np.full(t_count, np.nan), "p_normal": np.full(t_count, np.nan)}
    for t in range(t_count):
        s = simulated[:, t][np.isfinite(simulated[:, t])]
        if s.size:
            low = ((s <= observed[t]).sum() + 1) / (s.size + 1)
            high = ((s >= observed[t]).sum() + 1) / (s.size + 1)
            out["p"][t] = min(1.0, 2 * min(low, high))
        if s.size > 1:
            sd = s.std(ddof=1)
            out["z"][t] = (observed[t] - s.mean()) / sd if sd > 0 else np.copysign(np.inf, observed[t] - s.mean()) \
                if observed[t] != s.mean() else 0.0
            out["p_normal"][t] = 2 * sstats.norm.sf(abs(out["z"][t]))
    return out

"""The fit gate: is the observed point where the reference table can speak for it?

A model-choice learner trained on simulations answers anywhere, also far from every
simulation, where learners of equal held-out quality disagree. Before any probability is
quoted the observed statistics are placed in each hypothesis's prior predictive:

- per statistic, the share of the hypothesis's simulations below the observed value
  (`brainsim.recovery.prior_predictive_position`);
- jointly, a typicality p-value: the distance (RMS z, the production distance) from the
  observed point to its k-th nearest simulation of the hypothesis, ranked among the same
  distance for each of that hypothesis's simulations to the others,
  p = (1 + #{rows at least as far}) / (rows + 1).

The gate is **outside** when some statistic lies beyond the simulated range of every
hypothesis, or the observed point is farther than every simulation of every hypothesis;
**edge** when no hypothesis gives a joint p-value of at least `level`, or some statistic
lies in the outer `level` / T (two-sided; Bonferroni over the T statistics, so that a typical
point is not called "edge" for being in one of many tails) of every hypothesis's prior
predictive; else **inside**.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .recovery import nearest

__all__ = ["EDGE", "fit_gate", "INSIDE", "joint_typicality", "OUTSIDE"]

INSIDE, EDGE, OUTSIDE = "inside", "edge", "outside"


def joint_typicality(stats: np.ndarray, labels: np.ndarray, names: Sequence[str], observed: np.ndarray,
                     tolerance: np.ndarray, *, k: int = 5, missing_z: float | np.ndarray = 5.0) -> pd.DataFrame:
    """Per hypothesis: rows, the observed point's k-th-neighbour distance among its
    simulations, and the typicality p-value (module docstring). `stats` (N, T) with `labels`
    (N,) indices into `names`; `observed` (T,); `tolerance` (T,) the distance's scale."""
    rows = []
    for m, name in enumerate(names):
        own = np.asarray(stats, float)[np.asarray(labels) == m]
        kk = min(k, own.shape[0] - 1)
        if kk < 1:
            rows.append({"hypothesis": name, "rows": own.shape[0], "distance": np.nan, "p_value": np.nan})
            continue
        _, d_obs = nearest(np.asarray(observed, float)[None], own, tolerance, kk, missing_z=missing_z)
        _, d_own = nearest(own, own, tolerance, kk, missing_z=missing_z, exclude_self=True)
        far = int((d_own[:, -1] >= d_obs[0, -1]).sum())
        rows.append({"hypothesis": name, "rows": own.shape[0], "distance": float(d_obs[0, -1]),
                     "p_value": (1 + far) / (own.shape[0] + 1)})
    return pd.DataFrame(rows)


def fit_gate(position: pd.DataFrame, joint: pd.DataFrame, *, level: float = 0.05) -> dict:
    """The gate's answer from the per-statistic `position` (hypothesis, statistic, quantile,
    outside) and the `joint` typicality (hypothesis, rows, p_value): status, the statistics
    no hypothesis reaches, those at the edge of every hypothesis, the best joint p-value and
    its hypothesis."""
    by_stat = position.groupby("statistic", sort=False)
    unreached = [s for s, g in by_stat if g["outside"].astype(bool).all()]
    alpha = level / max(position["statistic"].nunique(), 1)
    tail = lambda q: (q < alpha / 2) | (q > 1 - alpha / 2)  # noqa: E731
    edge = [s for s, g in by_stat if s not in unreached and tail(g["quantile"].to_numpy(float)).all()]
    p = joint.set_index("hypothesis")["p_value"].astype(float)
    floor_p = 1.0 / (joint.set_index("hypothesis")["rows"] + 1)
    best = str(p.idxmax()) if p.notna().any() else None
    beyond_all = bool(p.notna().any() and (p <= floor_p + 1e-12).all())
    if unreached or beyond_all:
        status = OUTSIDE
    elif edge or best is None or p.max() < level:
        status = EDGE
    else:
        status = INSIDE
    return {"status": status, "unreached": unreached, "edge": edge, "level": level,
            "best_p_value": None if best is None else float(p.max()), "best_hypothesis": best,
            "p_values": {h: (None if np.isnan(v) else float(v)) for h, v in p.items()}}

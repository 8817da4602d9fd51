"""Named summary statistics of a simulated population."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from . import psychometrics as psy


def summarize(frame: pd.DataFrame, domains) -> dict[str, float]:
    """Statistics keyed by name; NaN where a statistic is undefined (e.g. constant columns)."""
    iq = frame["iq"].to_numpy(float)
    vol = frame["brain_volume"].to_numpy(float)
    out: dict[str, float] = {"n": float(len(frame))}
    out["iq_mean"] = float(iq.mean())
    out["iq_sd"] = float(iq.std(ddof=1)) if iq.size > 1 else float("nan")
    out["iq_skewness"] = float(stats.skew(iq)) if iq.size > 2 else float("nan")
    out["share_iq_below_50"] = float(np.mean(iq < 50.0))
    out["brain_volume_cv"] = float(vol.std(ddof=1) / vol.mean()) if vol.size > 1 else float("nan")
    out["r_brain_iq"] = psy.pearson(vol, iq)
    out["r_brain_true_score"] = psy.pearson(vol, frame["true_score"])
    out["r_brain_capability"] = psy.pearson(vol, frame["capability"])
    out["r_capability_iq"] = psy.pearson(frame["capability"], iq)
    out["retest_r"] = psy.pearson(iq, frame["iq_retest"])
    corr = psy.correlation_matrix(frame[[f"score_{d}" for d in domains]].to_numpy(float))
    out["pc1_share"] = psy.pc1_share(np.atleast_2d(corr))
    out["mean_subtest_r"] = psy.mean_offdiagonal(np.atleast_2d(corr))
    out["r_rt_iq"] = psy.pearson(frame["rt_mean"], iq)
    out["rt_mean"] = float(frame["rt_mean"].mean())
    out["capability_mean"] = float(frame["capability"].mean())
    out["capability_sd"] = float(frame["capability"].std(ddof=1)) if len(frame) > 1 else float("nan")
    cap = frame["capability"].to_numpy(float)
    hi, lo = np.abs(iq - 130.0) <= 5.0, np.abs(iq - 70.0) <= 5.0
    # objective spread: capability at IQ 130 over capability at IQ 70 (H2 says it is ~1)
    out["objective_spread"] = float(cap[hi].mean() / cap[lo].mean()) if hi.any() and lo.any() else float("nan")
    out["output_top1_share"] = psy.top_share(frame["output"], 0.01)
    out["output_top10_share"] = psy.top_share(frame["output"], 0.10)
    if "zygosity" in frame:
        zyg = frame["zygosity"].cat.codes.to_numpy() + 1
        fam = frame["family"].to_numpy()
        out["twin_r_mz"] = psy.twin_correlation(iq, fam, zyg, 1)
        out["twin_r_dz"] = psy.twin_correlation(iq, fam, zyg, 2)
        out["h2_falconer"] = psy.falconer_h2(out["twin_r_mz"], out["twin_r_dz"])
        # mean IQ of the co-twins of people with IQ < 50 (complete pairs only)
        first = np.flatnonzero(fam[:-1] == fam[1:])
        a, b = iq[first], iq[first + 1]
        co = np.concatenate([b[a < 50.0], a[b < 50.0]])
        out["cotwin_iq_of_iq_below_50"] = float(co.mean()) if co.size else float("nan")
        dz = zyg == 2
        inh = frame["inherited_variants"].to_numpy()[dz]
        out["dz_shared_variant_fraction"] = (
            float(frame["shared_variants"].to_numpy()[dz].sum() / inh.sum()) if inh.sum() > 0 else float("nan")
        )
    return out

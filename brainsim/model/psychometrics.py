"""Psychometric statistics: norming, factor structure, reliability, twins, output tails."""

from __future__ import annotations

import numpy as np

IQ_MEAN, IQ_SD = 100.0, 15.0  # the IQ scale's convention (Wechsler)


def norm_constants(composite: np.ndarray) -> tuple[float, float]:
    """Mean and SD (ddof=1) of a norm sample's composite raw score."""
    composite = np.asarray(composite, float)
    sd = composite.std(ddof=1)
    return float(composite.mean()), float(sd if sd > 0 else 1.0)


def to_iq(composite, mean: float, sd: float) -> np.ndarray:
    """Linear norming: the norm sample gets mean 100, SD 15 (not rank-based, shape kept)."""
    return IQ_MEAN + IQ_SD * (np.asarray(composite, float) - mean) / sd


def correlation_matrix(scores: np.ndarray) -> np.ndarray:
    """Pearson correlations between columns of (n, K) scores; NaN where a column is constant."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.corrcoef(np.asarray(scores, float), rowvar=False)


def pc1_share(corr: np.ndarray) -> float:
    """Share of total variance on the first principal component of a correlation matrix."""
    if not np.all(np.isfinite(corr)):
        return float("nan")
    return float(np.linalg.eigvalsh(corr)[-1] / corr.shape[0])


def mean_offdiagonal(corr: np.ndarray) -> float:
    """Mean correlation between distinct subtests (the positive manifold's strength)."""
    k = corr.shape[0]
    if k < 2:
        return float("nan")
    return float((corr.sum() - np.trace(corr)) / (k * (k - 1)))


def twin_correlation(values: np.ndarray, family: np.ndarray, zygosity: np.ndarray, which: int) -> float:
    """Double-entry Pearson correlation of `values` within complete pairs of one zygosity
    (1 = MZ, 2 = DZ). Rows must hold twins of a family next to each other."""
    values, family, zygosity = np.asarray(values, float), np.asarray(family), np.asarray(zygosity)
    first = np.flatnonzero((zygosity[:-1] == which) & (family[:-1] == family[1:]))
    if first.size < 2:
        return float("nan")
    a, b = values[first], values[first + 1]
    return pearson(np.concatenate([a, b]), np.concatenate([b, a]))


def falconer_h2(r_mz: float, r_dz: float) -> float:
    """Falconer's heritability estimate h2 = 2 (rMZ - rDZ)."""
    return 2.0 * (r_mz - r_dz)


def pearson(a, b) -> float:
    """Pearson r; NaN when either side is constant."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    da, db = a - a.mean(), b - b.mean()
    denom = np.sqrt((da @ da) * (db @ db))
    return float(da @ db / denom) if denom > 0 else float("nan")


def top_share(output: np.ndarray, fraction: float) -> float:
    """Share of total output produced by the top `fraction` of people."""
    output = np.sort(np.asarray(output, float))
    k = max(1, int(round(fraction * output.size)))
    total = output.sum()
    return float(output[-k:].sum() / total) if total > 0 else float("nan")

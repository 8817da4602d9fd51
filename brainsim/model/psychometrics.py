"""Psychometric statistics: norming, factor structure, reliability, twins, output tails."""

from __future__ import annotations

import numpy as np

__all__ = ["falconer_h2", "IQ_MEAN", "IQ_SD", "mean_offdiagonal", "norm_constants", "pair_starts",
           "pc1_share", "to_iq"]

IQ_MEAN, IQ_SD = 100.0, 15.0  # the IQ scale's convention (Wechsler)


def norm_constants(composite: np.ndarray) -> tuple[float, float]:
    """Mean and SD (ddof=1) of a norm sample's composite raw score."""
    composite = np.asarray(composite, float)
    sd = composite.std(ddof=1)
    return float(composite.mean()), float(sd if sd > 0 else 1.0)


def to_iq(composite, mean: float, sd: float) -> np.ndarray:
    """Linear norming: the norm sample gets mean 100, SD 15 (not rank-based, shape kept)."""
    return IQ_MEAN + IQ_SD * (np.asarray(composite, float) - mean) / sd


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


def falconer_h2(r_mz: float, r_dz: float) -> float:
    """Falconer's heritability estimate h2 = 2 (rMZ - rDZ)."""
    return 2.0 * (r_mz - r_dz)


def pair_starts(family: np.ndarray) -> np.ndarray:
    """Row of the first twin of every complete pair (int64 indices; a pair's twins sit in
    adjacent rows, as the engine writes them): rows i and i + 1 are co-twins."""
    family = np.asarray(family)
    return np.flatnonzero(family[:-1] == family[1:])

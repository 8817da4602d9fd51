"""Reaction time from a drift-diffusion model of a two-choice (2AFC) task.

Drift v = drift_ref * (noise_median / noise) * (r_med / reducible loss)^b: proportional to the
signal-to-noise ratio, and rising with what was learned when b > 0, relative to the norm
sample's median person (see `engine.drift`). Boundary separation a and non-decision time Ter
vary between people too (lognormal, unrelated to ability). Start point a/2, diffusion scale
s = 0.1 (the EZ convention); times in seconds.

Per person, the observed mean and SD over n trials are drawn from their sampling
distributions around the exact EZ moments (Wagenmakers et al. 2007): mean ~ Normal(Ter + MDT,
VRT / n) and SD^2 ~ VRT * chi2(n - 1) / (n - 1) (normal-theory approximations).
`simulate_trials` is a trial-level Euler simulator kept to check the moments.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["ez_moments", "EZ_SCALE", "sample_rt", "simulate_trials"]

EZ_SCALE = 0.1  # diffusion coefficient s (Wagenmakers et al. 2007 convention)


def ez_moments(drift, boundary, scale: float = EZ_SCALE):
    """Exact accuracy, mean decision time (s) and decision-time variance (s^2).

    Wagenmakers, van der Maas & Grasman 2007, eqs. for Pc, MDT and VRT with y = -v a / s^2.
    """
    v, a = np.asarray(drift, float), np.asarray(boundary, float)
    y = -v * a / scale**2
    pc = 1.0 / (1.0 + np.exp(y))
    # tanh form of (1 - e^y) / (1 + e^y), stable for large |y|
    mdt = a / (2.0 * v) * np.tanh(-y / 2.0)
    ey = np.exp(np.minimum(y, 700.0))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        vrt = a * scale**2 / (2.0 * v**3) * (2.0 * y * ey - np.expm1(2.0 * y)) / (ey + 1.0) ** 2
        # near zero drift the numerator ~ -y^3/3 cancels; use its Taylor series instead
        series = a**4 / (6.0 * scale**4) * (1 + y + 11 / 20 * y**2 + 13 / 60 * y**3) / (ey + 1.0) ** 2
    vrt = np.where(np.abs(y) < 1e-3, series, vrt)
    return pc, mdt, vrt


def sample_rt(drift, boundary, non_decision, trials: int, z, chi):
    """Observed per-person mean RT (s) and RT SD (s) over `trials` trials.

    drift : (float64, (n,)); boundary, non_decision : scalars or (float64, (n,)) (s for Ter);
    z : standard normal draws; chi : chi-square(trials - 1) draws, one each per person.
    """
    drift = np.ascontiguousarray(drift, float)
    mean, sd = np.empty(drift.shape), np.empty(drift.shape)
    boundary = np.ascontiguousarray(np.broadcast_to(np.asarray(boundary, float), drift.shape))
    non_decision = np.ascontiguousarray(np.broadcast_to(np.asarray(non_decision, float), drift.shape))
    _sample_rt(drift, boundary, non_decision, float(trials), EZ_SCALE,
               np.ascontiguousarray(z, float), np.ascontiguousarray(chi, float), mean, sd)
    return mean, sd


@njit(cache=True, nogil=True, parallel=True)
def _sample_rt(drift, boundary, ter, trials, scale, z, chi, mean, sd):
    # `ez_moments` per person, fused with the sampling (no temporaries)
    for i in prange(drift.shape[0]):
        v, a = drift[i], boundary[i]
        y = -v * a / scale**2
        mdt = a / (2.0 * v) * np.tanh(-y / 2.0)
        ey = np.exp(min(y, 700.0))
        if abs(y) < 1e-3:
            vrt = a**4 / (6.0 * scale**4) * (1 + y + 11 / 20 * y**2 + 13 / 60 * y**3) / (ey + 1.0) ** 2
        else:
            vrt = a * scale**2 / (2.0 * v**3) * (2.0 * y * ey - np.expm1(2.0 * y)) / (ey + 1.0) ** 2
        mean[i] = ter[i] + mdt + np.sqrt(vrt / trials) * z[i]
        sd[i] = np.sqrt(vrt * chi[i] / (trials - 1.0))


@njit(cache=True, nogil=True)
def _trials(rng, drift, boundary, scale, dt, rt, correct):
    step = scale * np.sqrt(dt)
    for i in range(rt.shape[0]):
        pos, t = 0.5 * boundary, 0.0
        while 0.0 < pos < boundary:
            pos += drift * dt + step * rng.standard_normal()
            t += dt
        rt[i] = t
        correct[i] = pos >= boundary


def simulate_trials(rng: np.random.Generator, drift: float, boundary: float, n: int, dt: float = 1e-4,
                    scale: float = EZ_SCALE):
    """Decision times (s) and correctness of `n` trials by Euler steps of `dt` s.

    The discrete walk overshoots the boundary by ~0.58 s sqrt(dt), biasing times upward by
    ~1% at the default dt; use it to check moments, not in the pipeline.
    """
    rt, correct = np.empty(n), np.empty(n, np.bool_)
    _trials(rng, float(drift), float(boundary), float(scale), float(dt), rt, correct)
    return rt, correct

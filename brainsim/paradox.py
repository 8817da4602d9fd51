"""The paradox in numbers: how many IQ points one SD of brain volume buys, and what it takes.

Everything here is exact given the model (no item sampling, no Monte Carlo): a population in
which only brain volume varies (every other trait at its reference value) is integrated by
Gauss-Hermite quadrature over log volume, and an expected battery (item thresholds at the
universe's quantile midpoints) gives each node's true score T and item-sampling variance
sum p(1 - p). IQ is normed on that population, so one SD of brain volume moves IQ by

    15 * Cov(T, z) / sqrt(Var T + E[sum p(1 - p)])   points,

which can only reach 15 if the test had no item-sampling error. The target is therefore
15 * sqrt(reliability) points, the most a test of the observed test-retest reliability
allows (Wechsler 2008: 0.90): brain volume alone explaining all the true-score variance.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize

from .model.params import ModelParams
from .model.psychometrics import IQ_SD
from .model.scaling import person_losses
from .model.tasks import depth_factor, threshold_quantile

__all__ = ["CV_GRID", "GAMMA_GRID", "implied_exponents", "iq_per_brain_sd"]

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # expectations over z ~ N(0, 1)
GAMMA_GRID = np.geomspace(1.01, 100.0, 60)  # power-density exponents searched (H1)
CV_GRID = np.geomspace(0.01, 3.0, 60)  # brain volume CVs searched


def _brain_only_losses(model: ModelParams, z: np.ndarray) -> np.ndarray:
    """Reducible loss (nats/token), (len(z), K), of people at log-volume z-scores `z` with
    every other trait at its reference value (data split evenly over domains)."""
    pop, k_dom = model.population, model.battery.n_domains
    sigma = pop.volume_sigma
    volume = np.exp(np.log(pop.volume_mean) - 0.5 * sigma**2 + sigma * z)
    n_params = pop.params_ref * (volume / pop.volume_ref) ** pop.kappa
    data = np.full((z.size, k_dom), pop.data_mean / k_dom)
    x, _ = person_losses(model.law, n_params, data, np.ones_like(data), np.zeros(z.size))
    return x


def iq_per_brain_sd(model: ModelParams) -> float:
    """IQ points gained per SD of (log) brain volume when nothing else varies (exact)."""
    bat, pop = model.battery, model.population
    x = _brain_only_losses(model, _NODES)
    r_med = float(np.median(_brain_only_losses(model, np.zeros(1))))  # the median person: z = 0
    u = (np.arange(bat.items_per_domain) + 0.5) / bat.items_per_domain
    thresholds = threshold_quantile(u, bat.density, bat.gamma, bat.lower, bat.upper) * r_med
    floor = depth_factor(pop.noise_ref, bat.depth)  # (K,) chance no serial step fails
    with np.errstate(over="ignore"):
        p = floor[None, :, None] / (1.0 + np.exp((x[:, :, None] - thresholds) / (bat.width * r_med)))
    true = p.sum(axis=(1, 2))
    error = (p * (1.0 - p)).sum(axis=(1, 2))
    mean = _WEIGHTS @ true
    var_true = _WEIGHTS @ (true - mean) ** 2
    total = var_true + _WEIGHTS @ error
    return float(IQ_SD * (_WEIGHTS @ (true * _NODES)) / np.sqrt(total)) if total > 0 else 0.0


def _with(model: ModelParams, **changes) -> ModelParams:
    pop_keys = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(model.population)}}
    bat_keys = {k: v for k, v in changes.items() if k not in pop_keys}
    return dataclasses.replace(model, population=dataclasses.replace(model.population, **pop_keys),
                               battery=dataclasses.replace(model.battery, **bat_keys))


def _solve(curve, grid: np.ndarray, target: float) -> tuple[float, float, float]:
    """Smallest grid value where curve reaches target (refined by Brent), else NaN; plus
    the curve's maximum over the grid and where it is."""
    values = np.array([curve(g) for g in grid])
    best = int(np.argmax(values))
    above = np.flatnonzero(values >= target)
    if above.size == 0:
        return float("nan"), float(values[best]), float(grid[best])
    i = int(above[0])
    if i == 0:
        return float(grid[0]), float(values[best]), float(grid[best])
    root = optimize.brentq(lambda g: curve(g) - target, grid[i - 1], grid[i], xtol=1e-10, rtol=1e-8)
    return float(root), float(values[best]), float(grid[best])


def implied_exponents(model: ModelParams, reliability: float = 0.90) -> dict[str, float]:
    """What brain volume alone needs to move IQ by 15 * sqrt(reliability) points per SD.

    Returns iq_per_brain_sd (at the model as configured); h1_gamma (the power-density
    exponent that reaches the target with this law, population and battery; NaN when no
    exponent in 1..100 does) with h1_max_iq_per_brain_sd and h1_best_gamma (the most any
    exponent buys and where); volume_cv_needed (the brain volume CV that reaches the target
    with the configured task density; NaN beyond CV 3); and essay_gamma, the exponent at
    which tasks solved grow linearly in N for a universe reaching down to the irreducible
    loss (seed 002: the density 'precisely counteracts' the law), 1 + 1/alpha_eff with
    alpha_eff = -dlog(L - E)/dlog N at the median person.
    """
    target = IQ_SD * np.sqrt(reliability)
    gamma, best, best_gamma = _solve(lambda g: iq_per_brain_sd(_with(model, density="power", gamma=g)),
                                     GAMMA_GRID, target)
    cv, _, _ = _solve(lambda c: iq_per_brain_sd(_with(model, volume_cv=c)), CV_GRID, target)
    h = 1e-4  # central difference in z; dlog N / dz = kappa * sigma
    lo, hi = _brain_only_losses(model, np.array([-h, h])).mean(axis=1)
    alpha_eff = -np.log(hi / lo) / (2 * h * model.population.kappa * model.population.volume_sigma)
    return {
        "target_iq_per_brain_sd": float(target),
        "iq_per_brain_sd": iq_per_brain_sd(model),
        "h1_gamma": gamma,
        "h1_max_iq_per_brain_sd": best,
        "h1_best_gamma": best_gamma,
        "volume_cv_needed": cv,
        "essay_gamma": float(1.0 + 1.0 / alpha_eff) if alpha_eff > 0 else float("nan"),
    }

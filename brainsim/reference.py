"""A plain-NumPy implementation of the same pipeline (unrelated design), vectorised over people.

It is the slow, obvious reference the Numba kernels are tested against and the baseline
`benchmarks/bench_population.py` measures speed-ups against. Trait draws consume the
chunk's Generator in the kernels' order, so traits are bit-identical to the kernels';
item responses use `Generator.random` instead of the kernels' counter-based stream, so
observed scores agree in distribution, expected scores exactly.
"""

from __future__ import annotations

import numpy as np

from . import psychometrics as psy
from .engine import STREAM_CHUNKS, STREAM_RESPONSES, Setup, _rng, chunk_layout
from .params import PopulationParams
from .population import (
    LOG_NOISE_CAP,
    N_FIXED,
    Draws,
    _variant_cum_probs,
    dirichlet_concentration,
)
from .reaction_time import ez_moments
from .tasks import CapabilityTable, depth_factor


def draw_traits(rng: np.random.Generator, pop: PopulationParams, n_domains: int, n: int) -> Draws:
    """NumPy twin of `population.draw_traits` for the unrelated design."""
    latent = rng.standard_normal((n, pop.n_latent))
    rt_z = rng.standard_normal(n)
    rt_chi = rng.chisquare(pop.trials - 1.0, n)
    inherited = rng.poisson(pop.inherited_rate, n)
    burden = rng.gamma(inherited * pop.inherited_shape, pop.inherited_mean / pop.inherited_shape)
    de_novo = rng.poisson(pop.de_novo_rate, n)
    burden = burden + rng.gamma(de_novo * pop.de_novo_shape, pop.de_novo_mean / pop.de_novo_shape)
    alpha = dirichlet_concentration(pop.diet_cv, n_domains)
    if np.isfinite(alpha) and alpha >= 1.0:
        shares = rng.standard_gamma(alpha, (n, n_domains))
        shares /= shares.sum(axis=1, keepdims=True)
    elif np.isfinite(alpha):  # in logs: Gamma(alpha) underflows for small alpha
        logs = np.log(rng.standard_gamma(alpha + 1.0, (n, n_domains)))
        logs += np.log(rng.random((n, n_domains))) / alpha
        shares = np.exp(logs - logs.max(axis=1, keepdims=True))
        shares /= shares.sum(axis=1, keepdims=True)
    else:
        shares = np.full((n, n_domains), 1.0 / n_domains)
    variant = np.full(n, -1)
    variant_domain = np.full(n, -1)
    cum = _variant_cum_probs(pop)
    if cum.size:
        v = np.searchsorted(cum, rng.random(n), side="right")
        variant = np.where(v < cum.size, v, -1)
        if pop.arch_domain_specific:
            variant_domain = rng.integers(0, n_domains, n)
    zeros = np.zeros(n, np.int64)
    return Draws(latent, shares, burden, inherited, zeros, variant, variant_domain, rt_z, rt_chi,
                 np.arange(n), np.zeros(n, np.int8))


def phenotypes(d: Draws, pop: PopulationParams) -> dict[str, np.ndarray]:
    """NumPy twin of `population.phenotypes`."""
    z = d.latent
    s_v = pop.volume_sigma
    volume = np.exp(np.log(pop.volume_mean) - 0.5 * s_v**2 + s_v * z[:, 0])
    dens = np.exp(pop.density_sd * z[:, 1] - 0.5 * pop.density_sd**2)
    eff = np.exp(pop.efficiency_sd * z[:, 2] - 0.5 * pop.efficiency_sd**2)
    data = pop.data_mean * np.exp(pop.data_sd * z[:, 3] - 0.5 * pop.data_sd**2)
    noise = pop.noise_ref * np.exp(np.minimum(pop.noise_sd * z[:, 4] - 0.5 * pop.noise_sd**2 + d.burden,
                                              LOG_NOISE_CAP))
    m = np.exp(pop.arch_sd * z[:, 5]) if pop.arch_mode == "continuous" else np.ones(len(z))
    m = np.repeat(m[:, None], d.shares.shape[1], axis=1)
    has = d.variant >= 0
    shift = np.exp(pop.arch_shifts[d.variant[has]]) if has.any() else np.ones(0)
    dom = d.variant_domain[has]
    rows = np.flatnonzero(has)
    m[rows[dom >= 0], dom[dom >= 0]] *= shift[dom >= 0]
    m[rows[dom < 0]] *= shift[dom < 0, None]
    penalty = pop.hyper_curvature * ((pop.hyper_sd * z[:, N_FIXED:]) ** 2).sum(axis=1)
    return {
        "brain_volume": volume,
        "n_params": pop.params_ref * (volume / pop.volume_ref) ** pop.kappa * dens * eff,
        "data": data,
        "data_domain": data[:, None] * d.shares,
        "noise": noise,
        "exponent_m": m,
        "exponent_mean": m.mean(axis=1),
        "hyper_penalty": penalty,
    }


def capability(x, noise, table: CapabilityTable, r_med: float, depth):
    """NumPy twin of `tasks.capability` (cubic Hermite on the same table)."""
    t = np.maximum(x / r_med, 0.0) / table.step
    last = table.values.size - 1
    j = np.minimum(t.astype(np.int64), last - 1)
    s = t - j
    g = ((1 + 2 * s) * (1 - s) ** 2 * table.values[j] + s * (1 - s) ** 2 * table.step * table.slopes[j]
         + s * s * (3 - 2 * s) * table.values[j + 1] + s * s * (s - 1) * table.step * table.slopes[j + 1])
    g = np.where(t >= last, 0.0, g) * depth_factor(noise[:, None], depth[None, :])
    return g.mean(axis=1), g.prod(axis=1)


def simulate_chunk(setup: Setup, index: int, first_id: int, n: int, block: int = 4096) -> dict[str, np.ndarray]:
    """The engine's chunk step in NumPy; responses in blocks of `block` people."""
    model, bat, pop = setup.model, setup.battery, setup.model.population
    draws = draw_traits(_rng(setup.seed, STREAM_CHUNKS, index), pop, model.battery.n_domains, n)
    phen = phenotypes(draws, pop)
    x = model.law.reducible(phen["n_params"][:, None], phen["data_domain"], phen["exponent_m"])
    x = x + phen["hyper_penalty"][:, None]
    rng = _rng(setup.seed, STREAM_RESPONSES, index)
    f, k_dom, _ = bat.thresholds.shape
    raw = np.empty((f, n, k_dom), np.int32)
    true = np.empty((f, n, k_dom))
    for s in range(0, n, block):
        xs, ns = x[s : s + block], phen["noise"][s : s + block]
        p = np.exp(-ns[:, None, None, None] * bat.depth[None]) / (
            1.0 + np.exp((xs[:, None, :, None] - bat.thresholds[None]) / bat.width)
        )  # (people, F, K, J)
        true[:, s : s + block] = p.sum(axis=3).transpose(1, 0, 2)
        raw[:, s : s + block] = (rng.random(p.shape) < p).sum(axis=3).transpose(1, 0, 2)
    composite = raw.sum(axis=2)
    cap, _ = capability(x, phen["noise"], setup.universe, bat.r_med, model.battery.depth)
    _, frontier = capability(x, phen["noise"], setup.frontier, bat.r_med, model.battery.depth)
    snr = pop.noise_ref / phen["noise"] if pop.noise_ref > 0 else np.ones(n)
    _, mdt, vrt = ez_moments(pop.drift_ref * snr, pop.boundary)
    rt_mean = pop.non_decision + mdt + np.sqrt(vrt / pop.trials) * draws.rt_z
    rt_sd = np.sqrt(vrt * draws.rt_chi / (pop.trials - 1.0))
    return {
        "brain_volume": phen["brain_volume"],
        "n_params": phen["n_params"],
        "data": phen["data"],
        "mutation_burden": draws.burden,
        "noise": phen["noise"],
        "reducible_loss": x.mean(axis=1),
        "capability": cap,
        "true_score": true[0].sum(axis=1) / bat.thresholds[0].size,
        "iq": psy.to_iq(composite[0], *setup.norms[0]),
        "iq_retest": psy.to_iq(composite[1], *setup.norms[1]) if f > 1 else np.full(n, np.nan),
        "rt_mean": rt_mean,
        "rt_sd": rt_sd,
        "output": frontier,
    }


def run_chunks(setup: Setup) -> dict[str, np.ndarray]:
    """All chunks of `setup`'s population through the NumPy pipeline, concatenated."""
    parts = [simulate_chunk(setup, i, first, n) for i, first, n in chunk_layout(setup.model.population)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

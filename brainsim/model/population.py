"""Per-person traits: random draws (Numba kernels fed a numpy Generator) and phenotypes.

Draws come first and are all random; `phenotypes` turns them into brain volume, effective
parameters N, lifetime data D per domain, neural noise and architecture deterministically.

Each chunk gets its own `numpy.random.Generator` (seeded from a SeedSequence by the engine),
and the kernels draw in a fixed order, trait block by trait block, so a chunk's draws are
the same bits as the vectorised NumPy calls in the oracle `tests/naive.py`. Optional mechanisms
(diet, discrete architecture) draw last, so switching them off leaves every other draw
unchanged.

Latent traits are standard normals, one column per trait in `params.TRAITS` order followed
by the hyperparameter offsets. For twins each is sqrt(h2)*g + sqrt(c2)*c + sqrt(e2)*e, with
genetic parts g equal in MZ pairs and correlated 1/2 in DZ pairs, c shared by the family.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .params import TRAITS, PopulationParams

__all__ = ["dirichlet_concentration", "draw_traits", "Draws", "I_ARCH", "I_BRAIN", "I_DATA", "I_DENSITY",
           "I_EFFICIENCY", "I_NOISE", "INBRED_DIRECTION", "inbreeding_depression", "LOG_NOISE_CAP", "N_FIXED",
           "paternal_de_novo", "phenotypes", "WILD_TYPE"]

I_BRAIN, I_DENSITY, I_EFFICIENCY, I_DATA, I_NOISE, I_ARCH = range(len(TRAITS))
N_FIXED = len(TRAITS)
# The way directional dominance moves each latent trait of an inbred person: towards a worse
# learner (smaller brain, density, efficiency and data, more noise). Architecture and the
# hyperparameter offsets have no better direction, so they do not move.
INBRED_DIRECTION = np.array([-1.0, -1.0, -1.0, -1.0, 1.0, 0.0])
WILD_TYPE = -1
# log noise multiplier cap: nu <= 100 * e^690 ~ 1e301 stays finite; far beyond the point
# where every serial step fails (exp(-nu) = 0 from nu ~ 750), so results do not change
LOG_NOISE_CAP = 690.0


@dataclass
class Draws:
    """Random draws for one chunk of people (all arrays have length n on axis 0).

    Attributes
    ----------
    latent : (float64, (n, T))
        Standard normal latent traits.
    genetic : (float64, (n, T))
        Each latent trait's additive genetic part g (standard normal; latent = sqrt(h2) g +
        ...): what common variants carry. Twins design only (NaN for unrelated people, whose
        latent traits are drawn whole).
    shares : (float64, (n, K))
        Share of lifetime data per domain (sums to 1).
    burden : (float64, (n,))
        Mutation burden B = sum of effects on log noise.
    de_novo : (float64, (n,))
        Of it, the de novo hits' part.
    inherited : (int64, (n,))
        Sites carrying an inherited deleterious variant (a homozygous site counted once:
        expected lam (1 - F / 2) at inbreeding F).
    shared : (int64, (n,))
        Of those, the ones the co-twin also carries (0 if unrelated).
    variant : (int64, (n,))
        Discrete architecture variant index, -1 = wild type.
    variant_domain : (int64, (n,))
        Domain a domain-specific variant acts on.
    rt_z, rt_chi : (float64, (n,))
        Normal and chi-square(trials - 1) draws for RT sampling error.
    rt_person : (float64, (n, 2))
        Standard normals of each person's log boundary and log non-decision time (unique
        environment: unrelated to ability or family).
    family : (int64, (n,))
        Family id (person id if unrelated).
    zygosity : (int8, (n,))
        0 unrelated, 1 MZ, 2 DZ, 3 MZ reared apart, 4 adoptive siblings (unrelated, reared
        together).
    """

    latent: np.ndarray
    genetic: np.ndarray
    shares: np.ndarray
    burden: np.ndarray
    de_novo: np.ndarray
    inherited: np.ndarray
    shared: np.ndarray
    variant: np.ndarray
    variant_domain: np.ndarray
    rt_z: np.ndarray
    rt_chi: np.ndarray
    rt_person: np.ndarray
    family: np.ndarray
    zygosity: np.ndarray

    def __len__(self) -> int:
        return self.latent.shape[0]

    def head(self, k: int, *, burden: np.ndarray) -> Draws:
        """The first k people with mutation burden `burden` ((k,)) instead of their own."""
        return Draws(*(burden if f.name == "burden" else getattr(self, f.name)[:k] for f in dataclasses.fields(self)))


def dirichlet_concentration(diet_cv: float, n_domains: int) -> float:
    """Symmetric Dirichlet alpha whose shares have coefficient of variation `diet_cv`.

    CV^2 = (K - 1) / (K alpha + 1) for a symmetric Dirichlet over K domains; 0 -> even split.
    """
    if diet_cv <= 0.0 or diet_cv * diet_cv == 0.0 or n_domains == 1:  # a CV below 1e-162 squares to 0
        return np.inf
    return max(((n_domains - 1) / diet_cv**2 - 1.0) / n_domains, 1e-3)


@njit(cache=True, nogil=True)
def _gamma_sums(rng, counts, shape, scale, out):
    # Sum of k iid Gamma(shape, scale) is Gamma(k * shape, scale); k = 0 draws nothing.
    for i in range(counts.shape[0]):
        out[i] += rng.gamma(counts[i] * shape, scale)


@njit(cache=True, nogil=True)
def _draw_optional(rng, alpha, cum_probs, n_domains, domain_specific, shares, variant, variant_domain):
    n = shares.shape[0]
    if np.isfinite(alpha) and alpha >= 1.0:
        for i in range(n):
            for k in range(n_domains):
                shares[i, k] = rng.standard_gamma(alpha)
        for i in range(n):
            s = 0.0
            for k in range(n_domains):
                s += shares[i, k]
            for k in range(n_domains):
                shares[i, k] /= s
    elif np.isfinite(alpha):
        # alpha < 1: Gamma(alpha) draws underflow to 0 (a whole row can), so work in logs:
        # log G = log Gamma(alpha + 1) + log(U) / alpha (Marsaglia & Tsang 2000), then softmax.
        for i in range(n):
            for k in range(n_domains):
                shares[i, k] = np.log(rng.standard_gamma(alpha + 1.0))
        for i in range(n):
            for k in range(n_domains):
                shares[i, k] += np.log(rng.random()) / alpha
        for i in range(n):
            top = shares[i, 0]
            for k in range(1, n_domains):
                top = max(top, shares[i, k])
            s = 0.0
            for k in range(n_domains):
                shares[i, k] = np.exp(shares[i, k] - top)
                s += shares[i, k]
            for k in range(n_domains):
                shares[i, k] /= s
    else:
        shares[:, :] = 1.0 / n_domains
    variant[:] = WILD_TYPE
    variant_domain[:] = WILD_TYPE
    if cum_probs.shape[0] > 0:
        for i in range(n):
            u = rng.random()
            for v in range(cum_probs.shape[0]):
                if u < cum_probs[v]:
                    variant[i] = v
                    break
        if domain_specific:
            for i in range(n):
                variant_domain[i] = rng.integers(0, n_domains)


class _Mutations(NamedTuple):
    """Mutation load as the draw kernels read it: Poisson rates of variants per person, and
    the Gamma shape and scale of each variant's effect on log noise."""

    inherited_rate: float
    inherited_shape: float
    inherited_scale: float
    de_novo_rate: float
    de_novo_shape: float
    de_novo_scale: float
    dominance: float  # h: a carrier's effect is h times a homozygote's


def _mutations(pop: PopulationParams) -> _Mutations:
    return _Mutations(pop.inherited_rate, pop.inherited_shape, pop.inherited_mean / pop.inherited_shape,
                      pop.de_novo_rate, pop.de_novo_shape, pop.de_novo_mean / pop.de_novo_shape, pop.dominance)


@njit(cache=True, nogil=True)
def _draw_unrelated(rng, mut, inbreeding, trials, latent, rt_z, rt_chi, inherited, burden, de_novo_burden):
    # Inherited variants are rare: an outbred person carries Poisson(lam) of them, each in one
    # copy. With inbreeding F a site is heterozygous with probability 2q(1 - q)(1 - F) and
    # homozygous with q^2 + Fq(1 - q), so for rare variants the carried copies split into
    # Poisson(lam (1 - F)) heterozygous and Poisson(lam F / 2) homozygous sites; a homozygous
    # site has 1 / h times a carrier's effect. F = 0 draws exactly as an outbred population.
    n, t = latent.shape
    for i in range(n):
        for j in range(t):
            latent[i, j] = rng.standard_normal()
    for i in range(n):
        rt_z[i] = rng.standard_normal()
    for i in range(n):
        rt_chi[i] = rng.chisquare(trials - 1.0)
    for i in range(n):
        inherited[i] = rng.poisson(mut.inherited_rate * (1.0 - inbreeding))
    burden[:] = 0.0
    _gamma_sums(rng, inherited, mut.inherited_shape, mut.inherited_scale, burden)
    de_novo = np.empty(n, np.int64)
    for i in range(n):
        de_novo[i] = rng.poisson(mut.de_novo_rate)
    de_novo_burden[:] = 0.0
    _gamma_sums(rng, de_novo, mut.de_novo_shape, mut.de_novo_scale, de_novo_burden)
    for i in range(n):
        burden[i] += de_novo_burden[i]
    if inbreeding > 0.0:
        homozygous = np.empty(n, np.int64)
        for i in range(n):
            homozygous[i] = rng.poisson(0.5 * mut.inherited_rate * inbreeding)
        _gamma_sums(rng, homozygous, mut.inherited_shape, mut.inherited_scale / mut.dominance, burden)
        for i in range(n):
            inherited[i] += homozygous[i]


@njit(cache=True, nogil=True)
def _draw_twins(rng, kinds, h2, c2, mut, trials, latent, genetic, rt_z, rt_chi, inherited, shared, burden,
                de_novo_burden, zygosity):
    # Person 2p and 2p + 1 are the pair p: MZ, DZ, MZ reared apart (genes shared, family not)
    # or adoptive siblings (family shared, genes not). kinds = (mz_fraction, mza, adoptive).
    lam, a_inh, s_inh = mut.inherited_rate, mut.inherited_shape, mut.inherited_scale
    mu, a_dn, s_dn = mut.de_novo_rate, mut.de_novo_shape, mut.de_novo_scale
    mz_fraction, mza, adoptive = kinds
    rest = mza + adoptive
    n_pairs = latent.shape[0] // 2
    t = latent.shape[1]
    for p in range(n_pairs):
        u = rng.random()  # one number per pair: with no MZA or adoptive pairs, u < mz_fraction as before
        if u < mza:
            kind = 3
        elif u < rest:
            kind = 4
        else:
            kind = 1 if (u - rest) / (1.0 - rest) < mz_fraction else 2
        zygosity[2 * p] = kind
        zygosity[2 * p + 1] = kind
    for p in range(n_pairs):
        kind = zygosity[2 * p]
        for j in range(t):
            g1 = rng.standard_normal()
            c = rng.standard_normal()
            e1 = rng.standard_normal()
            e2 = rng.standard_normal()
            gx = rng.standard_normal()
            if kind == 2:
                g2, c2nd = 0.5 * g1 + np.sqrt(0.75) * gx, c
            elif kind == 3:
                g2, c2nd = g1, gx  # reared apart: the co-twin's family is its own
            elif kind == 4:
                g2, c2nd = gx, c  # adopted: unrelated genes, one family
            else:
                g2, c2nd = g1, c
            e = np.sqrt(max(1.0 - h2[j] - c2[j], 0.0))
            genetic[2 * p, j], genetic[2 * p + 1, j] = g1, g2
            latent[2 * p, j] = np.sqrt(h2[j]) * g1 + np.sqrt(c2[j]) * c + e * e1
            latent[2 * p + 1, j] = np.sqrt(h2[j]) * g2 + np.sqrt(c2[j]) * c2nd + e * e2
    for i in range(2 * n_pairs):
        rt_z[i] = rng.standard_normal()
    for i in range(2 * n_pairs):
        rt_chi[i] = rng.chisquare(trials - 1.0)
    burden[:] = 0.0
    for p in range(n_pairs):
        a, b = 2 * p, 2 * p + 1
        if zygosity[a] == 4:  # adoptive siblings: unrelated
            ka = rng.poisson(lam)
            kb = rng.poisson(lam)
            inherited[a], inherited[b] = ka, kb
            burden[a] = rng.gamma(ka * a_inh, s_inh)
            burden[b] = rng.gamma(kb * a_inh, s_inh)
        elif zygosity[a] == 1 or zygosity[a] == 3:
            k = rng.poisson(lam)
            inherited[a] = inherited[b] = shared[a] = shared[b] = k
            burden[a] = burden[b] = rng.gamma(k * a_inh, s_inh)
        else:
            # The parents carry Poisson(2 lam) variants; each child inherits each with
            # probability 1/2, so by Poisson thinning both / only-a / only-b are
            # independent Poisson(lam / 2) counts.
            both = rng.poisson(0.5 * lam)
            only_a = rng.poisson(0.5 * lam)
            only_b = rng.poisson(0.5 * lam)
            common = rng.gamma(both * a_inh, s_inh)
            inherited[a], inherited[b] = both + only_a, both + only_b
            shared[a] = shared[b] = both
            burden[a] = common + rng.gamma(only_a * a_inh, s_inh)
            burden[b] = common + rng.gamma(only_b * a_inh, s_inh)
    for p in range(n_pairs):
        a, b = 2 * p, 2 * p + 1
        if zygosity[a] == 1 or zygosity[a] == 3:  # de novo mutations arise in the zygote: shared by MZ twins
            d = rng.gamma(rng.poisson(mu) * a_dn, s_dn)
            de_novo_burden[a] = de_novo_burden[b] = d
        else:
            de_novo_burden[a] = rng.gamma(rng.poisson(mu) * a_dn, s_dn)
            de_novo_burden[b] = rng.gamma(rng.poisson(mu) * a_dn, s_dn)
        burden[a] += de_novo_burden[a]
        burden[b] += de_novo_burden[b]


@njit(cache=True, nogil=True)
def _share_twin_variants(rng, zygosity, variant, variant_domain):
    # MZ co-twins carry the same variant; a DZ co-twin inherits it with probability 1/2; an
    # adoptive sibling keeps its own.
    for p in range(zygosity.shape[0] // 2):
        a, b = 2 * p, 2 * p + 1
        if zygosity[a] == 4:
            continue
        if zygosity[a] == 1 or zygosity[a] == 3 or rng.random() < 0.5:
            variant[b] = variant[a]
            variant_domain[b] = variant_domain[a]


def _variant_cum_probs(pop: PopulationParams) -> np.ndarray:
    if pop.arch_mode != "discrete" or pop.arch_probs.size == 0:
        return np.empty(0)
    return np.cumsum(pop.arch_probs)


def draw_traits(
    rng: np.random.Generator, pop: PopulationParams, n_domains: int, n: int, first_id: int = 0, *,
    inbreeding: float = 0.0
) -> Draws:
    """Draw the random part of `n` people's traits (twins: n rounded up to whole pairs).

    `inbreeding` is every person's inbreeding coefficient F (unrelated design only): of the
    lam expected heterozygous sites it removes lam F and adds lam F / 2 homozygous ones (see
    `inbreeding_depression`), and moves brain, density, efficiency, data and noise
    pop.inbred_depression * F SDs towards a worse learner (`INBRED_DIRECTION`).
    """
    twins = pop.design == "twins"
    if twins and inbreeding:
        raise ValueError("inbred people are drawn unrelated: design='twins' takes inbreeding=0")
    if not 0.0 <= inbreeding <= 1.0:
        raise ValueError(f"inbreeding must be an inbreeding coefficient in [0, 1]. Got {inbreeding!r} instead.")
    if twins:
        n += n % 2
    t = pop.n_latent
    latent, genetic = np.empty((n, t)), np.full((n, t), np.nan)
    rt_z, rt_chi, burden, de_novo = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    inherited, shared = np.zeros(n, np.int64), np.zeros(n, np.int64)
    zygosity = np.zeros(n, np.int8)
    mut, trials = _mutations(pop), float(pop.trials)
    if twins:
        _draw_twins(rng, (pop.mz_fraction, pop.mza_fraction, pop.adoptive_fraction), pop.h2, pop.c2, mut, trials, latent, genetic, rt_z, rt_chi, inherited, shared, burden,
                    de_novo, zygosity)
        family = first_id // 2 + np.arange(n) // 2
    else:
        _draw_unrelated(rng, mut, float(inbreeding), trials, latent, rt_z, rt_chi, inherited, burden, de_novo)
        if inbreeding:
            latent[:, :N_FIXED] += INBRED_DIRECTION * (pop.inbred_depression * inbreeding)
        family = first_id + np.arange(n)
    shares = np.empty((n, n_domains))
    variant, variant_domain = np.empty(n, np.int64), np.empty(n, np.int64)
    _draw_optional(
        rng,
        dirichlet_concentration(pop.diet_cv, n_domains),
        _variant_cum_probs(pop),
        n_domains,
        pop.arch_domain_specific,
        shares,
        variant,
        variant_domain,
    )
    if twins:
        _share_twin_variants(rng, zygosity, variant, variant_domain)
    rt_person = rng.standard_normal((n, 2))
    return Draws(latent, genetic, shares, burden, de_novo, inherited, shared, variant, variant_domain, rt_z, rt_chi,
                 rt_person, family, zygosity)


def paternal_de_novo(rng: np.random.Generator, pop: PopulationParams, k: int) -> tuple[np.ndarray, ...]:
    """De novo hits of k children had their father been 25 and had he been 45 (`PATERNAL_AGES`):
    Poisson(young) hits, and the older father's child those plus Poisson(old - young) more
    (`PopulationParams.paternal_rates`), each hit's effect on log noise Gamma(de_novo_shape,
    de_novo_mean / de_novo_shape). The same child at both ages: its risks differ only by the
    extra hits. Returns (hits, extra hits, burden at 25, burden at 45), each (k,)."""
    young, old = pop.paternal_rates()
    scale = pop.de_novo_mean / pop.de_novo_shape
    hits, extra = rng.poisson(young, k), rng.poisson(old - young, k)
    at_young = rng.gamma(hits * pop.de_novo_shape, scale)
    return hits, extra, at_young, at_young + rng.gamma(extra * pop.de_novo_shape, scale)


def inbreeding_depression(pop: PopulationParams) -> float:
    """Expected rise of the rare inherited burden (log noise) per unit of inbreeding F:
    lam * mean effect * (1 / (2h) - 1), 0 when variants are additive (h = 1/2). (The common
    variants behind the latent traits move them pop.inbred_depression SDs per unit F.)"""
    return pop.inherited_rate * pop.inherited_mean * (0.5 / pop.dominance - 1.0)


class _Traits(NamedTuple):
    """Population constants as `_phenotype_kernel` reads them: the SDs of the log traits
    (sd_*), and the scales they multiply."""

    sd_volume: float
    sd_density: float
    sd_efficiency: float
    sd_data: float
    sd_noise: float
    sd_architecture: float
    sd_hyper: float
    volume_mean: float  # cm^3
    volume_ref: float  # cm^3
    kappa: float
    params_ref: float  # law parameters at volume_ref
    data_mean: float  # tokens
    noise_ref: float  # nats per step
    burden_mean: float  # expected inherited burden (log noise): noise_ref is the noise of a person carrying it
    hyper_curvature: float  # nats per squared offset
    hyper_dims: int
    arch_continuous: bool


def _traits(pop: PopulationParams) -> _Traits:
    return _Traits(pop.volume_sigma, pop.density_sd, pop.efficiency_sd, pop.data_sd, pop.noise_sd, pop.arch_sd,
                   pop.hyper_sd, pop.volume_mean, pop.volume_ref, pop.kappa, pop.params_ref, pop.data_mean,
                   pop.noise_ref, pop.inherited_rate * pop.inherited_mean, pop.hyper_curvature, int(pop.hyper_dims),
                   pop.arch_mode == "continuous")


@njit(cache=True, nogil=True, parallel=True)
def _phenotype_kernel(latent, shares, burden, variant, variant_domain, tr, shifts,
                      volume, n_params, data, data_d, noise, exponent_m, exponent_mean, penalty):
    n, k_dom = shares.shape
    log_vmean = np.log(tr.volume_mean) - 0.5 * tr.sd_volume ** 2
    for i in prange(n):
        v = np.exp(log_vmean + tr.sd_volume * latent[i, I_BRAIN])
        volume[i] = v
        dens = np.exp(tr.sd_density * latent[i, I_DENSITY] - 0.5 * tr.sd_density ** 2)
        eff = np.exp(tr.sd_efficiency * latent[i, I_EFFICIENCY] - 0.5 * tr.sd_efficiency ** 2)
        n_params[i] = tr.params_ref * (v / tr.volume_ref) ** tr.kappa * dens * eff
        d = tr.data_mean * np.exp(tr.sd_data * latent[i, I_DATA] - 0.5 * tr.sd_data ** 2)
        data[i] = d
        for k in range(k_dom):
            data_d[i, k] = d * shares[i, k]
        noise[i] = tr.noise_ref * np.exp(min(tr.sd_noise * latent[i, I_NOISE] - 0.5 * tr.sd_noise ** 2 + burden[i]
                                             - tr.burden_mean, LOG_NOISE_CAP))
        m = np.exp(tr.sd_architecture * latent[i, I_ARCH]) if tr.arch_continuous else 1.0
        for k in range(k_dom):
            exponent_m[i, k] = m
        mean_m = m
        if variant[i] >= 0:
            s = np.exp(shifts[variant[i]])
            if variant_domain[i] >= 0:
                exponent_m[i, variant_domain[i]] *= s
                mean_m = 0.0
                for k in range(k_dom):
                    mean_m += exponent_m[i, k]
                mean_m /= k_dom
            else:
                for k in range(k_dom):
                    exponent_m[i, k] *= s
                mean_m = exponent_m[i, 0]
        exponent_mean[i] = mean_m
        pen = 0.0
        for h in range(tr.hyper_dims):
            u = tr.sd_hyper * latent[i, N_FIXED + h]
            pen += u * u
        penalty[i] = tr.hyper_curvature * pen


def phenotypes(draws: Draws, pop: PopulationParams) -> dict[str, np.ndarray]:
    """Deterministic traits from draws.

    Returns arrays keyed by name: brain_volume (n,) cm^3; density, efficiency (n,)
    multipliers; n_params (n,) law parameters; data (n,) tokens; data_domain (n, K) tokens;
    noise (n,) nats per step; exponent_m (n, K) multiplier of the law's exponents and
    exponent_mean (n,) its mean over domains;
    hyper_penalty (n,) nats added to every domain's loss.
    """
    n, k_dom = draws.shares.shape
    shifts = pop.arch_shifts if pop.arch_shifts.size else np.zeros(1)
    out = {name: np.empty(n) for name in ("brain_volume", "n_params", "data", "noise", "exponent_mean", "hyper_penalty")}
    out["data_domain"] = np.empty((n, k_dom))
    out["exponent_m"] = np.empty((n, k_dom))
    _phenotype_kernel(
        draws.latent, draws.shares, draws.burden, draws.variant, draws.variant_domain, _traits(pop), shifts,
        out["brain_volume"], out["n_params"], out["data"], out["data_domain"],
        out["noise"], out["exponent_m"], out["exponent_mean"], out["hyper_penalty"],
    )
    return out

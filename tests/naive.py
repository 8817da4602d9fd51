"""A plain-NumPy implementation of the whole pipeline, written from the model's definitions.

The slow, obvious oracle the Numba kernels are tested against (stumpy's ``tests/naive.py``), and
the baseline ``benchmarks/bench_population.py`` measures speed-ups against. It imports no
kernel, helper, table or constant of brainsim's model code: only the validated parameters
(`brainsim.model.params`) and the scaling law's vectorised formula, which tests pin to published
values. What it repeats on purpose:

- the seed tree (the engine's documented streams) and the order of draws, so traits are the
  same bits as the kernels' for both designs (the twins' per-pair draws in a Python loop);
- the battery: the norm sample, anchoring, the difficulty plan (strata even in ability), item
  draws and, for ``selected`` items, the
  criterion (variance of each candidate's P(solve) across the norm sample);
- capability: the expected share of the universe solved, tabulated by its own Gauss-Legendre
  quadrature on a grid and interpolated by cubic Hermite polynomials; output is its product
  over domains (Shockley 1957).

Item responses use `Generator.random` instead of the kernels' counter-based stream, so the
norms and observed scores agree in distribution and the expected scores exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy import stats

# The engine's seed tree (brainsim.engine docstring): SeedSequence(seed, spawn_key=(stream, ...)).
NORM, BATTERY, CHUNKS, RESPONSES, PATERNAL = 0, 1, 2, 3, 7
FATHERS = (25.0, 45.0)  # the fathers' ages of Taylor et al. 2019's contrast
N_TRAITS = 6  # brain, density, efficiency, data, noise, architecture; hyperparameter offsets follow
LOG_NOISE_CAP = 690.0  # log noise multiplier cap (nu stays finite; exp(-nu) is 0 long before)
EZ_SCALE = 0.1  # diffusion coefficient s (Wagenmakers et al. 2007)
IQ_MEAN, IQ_SD = 100.0, 15.0


def rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


# --- traits -------------------------------------------------------------------------------

def dirichlet_alpha(cv: float, k: int) -> float:
    """Symmetric Dirichlet alpha with share CV `cv`: CV^2 = (k - 1) / (k alpha + 1)."""
    if cv <= 0 or k == 1:
        return np.inf
    return max(((k - 1) / cv**2 - 1) / k, 1e-3)


def _optional(g: np.random.Generator, pop, k: int, n: int):
    """Data shares (n, k), discrete variant and its domain (n,): the draws made last."""
    alpha = dirichlet_alpha(pop.diet_cv, k)
    if np.isfinite(alpha) and alpha >= 1.0:
        shares = g.standard_gamma(alpha, (n, k))
        shares /= shares.sum(axis=1, keepdims=True)
    elif np.isfinite(alpha):  # in logs: Gamma(alpha) underflows for small alpha
        logs = np.log(g.standard_gamma(alpha + 1.0, (n, k))) + np.log(g.random((n, k))) / alpha
        shares = np.exp(logs - logs.max(axis=1, keepdims=True))
        shares /= shares.sum(axis=1, keepdims=True)
    else:
        shares = np.full((n, k), 1.0 / k)
    variant, domain = np.full(n, -1), np.full(n, -1)
    if pop.arch_mode == "discrete" and pop.arch_probs.size:
        cum = np.cumsum(pop.arch_probs)
        v = np.searchsorted(cum, g.random(n), side="right")
        variant = np.where(v < cum.size, v, -1)
        if pop.arch_domain_specific:
            domain = g.integers(0, k, n)
    return shares, variant, domain


def draw_traits(g: np.random.Generator, pop, k: int, n: int, first_id: int = 0, inbreeding: float = 0.0) -> SimpleNamespace:
    """Random draws of n people (the fields of `brainsim.model.population.Draws`)."""
    if pop.design == "twins":
        return _draw_twins(g, pop, k, n + n % 2, first_id)
    t = N_TRAITS + pop.hyper_dims
    latent = g.standard_normal((n, t))
    rt_z = g.standard_normal(n)
    rt_chi = g.chisquare(pop.trials - 1.0, n)
    inherited = g.poisson(pop.inherited_rate * (1.0 - inbreeding), n)
    burden = g.gamma(inherited * pop.inherited_shape, pop.inherited_mean / pop.inherited_shape)
    de_novo = g.gamma(g.poisson(pop.de_novo_rate, n) * pop.de_novo_shape, pop.de_novo_mean / pop.de_novo_shape)
    burden = burden + de_novo
    if inbreeding > 0.0:  # heterozygous sites above, homozygous ones here (1 / h times the effect)
        homozygous = g.poisson(0.5 * pop.inherited_rate * inbreeding, n)
        burden = burden + g.gamma(homozygous * pop.inherited_shape,
                                  pop.inherited_mean / pop.inherited_shape / pop.dominance)
        inherited = inherited + homozygous
        direction = np.array([-1.0, -1.0, -1.0, -1.0, 1.0, 0.0])  # brain ... data smaller, noise larger
        latent[:, :N_TRAITS] = latent[:, :N_TRAITS] + direction * pop.inbred_depression * inbreeding
    shares, variant, domain = _optional(g, pop, k, n)
    return SimpleNamespace(latent=latent, genetic=np.full((n, t), np.nan), shares=shares, burden=burden,
                           de_novo=de_novo, inherited=inherited, shared=np.zeros(n, np.int64), variant=variant,
                           variant_domain=domain, rt_z=rt_z,
                           rt_chi=rt_chi, rt_person=g.standard_normal((n, 2)), family=first_id + np.arange(n),
                           zygosity=np.zeros(n, np.int8))


def _draw_twins(g: np.random.Generator, pop, k: int, n: int, first_id: int) -> SimpleNamespace:
    # Pair p holds persons 2p and 2p + 1. Each latent trait is sqrt(h2) g + sqrt(c2) c +
    # sqrt(e2) e: g equal in MZ pairs, correlated 1/2 in DZ pairs; c shared by the pair.
    # MZ reared apart (kind 3): g equal, c not shared; adoptive siblings (kind 4): c shared, g not.
    pairs, t = n // 2, N_TRAITS + pop.hyper_dims
    u = g.random(pairs)
    rest = pop.mza_fraction + pop.adoptive_fraction
    kind = np.where(u < pop.mza_fraction, 3, np.where(u < rest, 4, np.where(
        (u - rest) / (1.0 - rest) < pop.mz_fraction, 1, 2)))
    same_genes = (kind == 1) | (kind == 3)
    z = g.standard_normal((pairs, t, 5))  # per pair and trait: g1, c, e1, e2, extra
    g1, c, e1, e2, gx = np.moveaxis(z, 2, 0)
    g2 = np.where(same_genes[:, None], g1, np.where((kind == 4)[:, None], gx, 0.5 * g1 + np.sqrt(0.75) * gx))
    c2nd = np.where((kind == 3)[:, None], gx, c)
    e = np.sqrt(np.maximum(1.0 - pop.h2 - pop.c2, 0.0))
    latent = np.empty((n, t))
    latent[0::2] = np.sqrt(pop.h2) * g1 + np.sqrt(pop.c2) * c + e * e1
    latent[1::2] = np.sqrt(pop.h2) * g2 + np.sqrt(pop.c2) * c2nd + e * e2
    genetic = np.empty((n, t))
    genetic[0::2], genetic[1::2] = g1, g2
    rt_z = g.standard_normal(n)
    rt_chi = g.chisquare(pop.trials - 1.0, n)
    lam, a_inh, s_inh = pop.inherited_rate, pop.inherited_shape, pop.inherited_mean / pop.inherited_shape
    inherited, shared, burden = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n)
    for p in range(pairs):  # parents carry Poisson(2 lam) variants, each passed on with prob. 1/2
        a, b = 2 * p, 2 * p + 1
        if kind[p] == 4:  # adoptive siblings: unrelated
            inherited[a], inherited[b] = g.poisson(lam), g.poisson(lam)
            burden[a], burden[b] = g.gamma(inherited[a] * a_inh, s_inh), g.gamma(inherited[b] * a_inh, s_inh)
        elif same_genes[p]:
            count = g.poisson(lam)
            inherited[a] = inherited[b] = shared[a] = shared[b] = count
            burden[a] = burden[b] = g.gamma(count * a_inh, s_inh)
        else:  # thinning: in both, only in a, only in b are independent Poisson(lam / 2)
            both, only_a, only_b = g.poisson(0.5 * lam), g.poisson(0.5 * lam), g.poisson(0.5 * lam)
            common = g.gamma(both * a_inh, s_inh)
            inherited[a], inherited[b], shared[a], shared[b] = both + only_a, both + only_b, both, both
            burden[a] = common + g.gamma(only_a * a_inh, s_inh)
            burden[b] = common + g.gamma(only_b * a_inh, s_inh)
    a_dn, s_dn = pop.de_novo_shape, pop.de_novo_mean / pop.de_novo_shape
    de_novo = np.zeros(n)
    for p in range(pairs):  # de novo mutations arise in the zygote: MZ twins share them
        a, b = 2 * p, 2 * p + 1
        if same_genes[p]:
            de_novo[a] = de_novo[b] = g.gamma(g.poisson(pop.de_novo_rate) * a_dn, s_dn)
        else:
            de_novo[a] = g.gamma(g.poisson(pop.de_novo_rate) * a_dn, s_dn)
            de_novo[b] = g.gamma(g.poisson(pop.de_novo_rate) * a_dn, s_dn)
    burden += de_novo
    shares, variant, domain = _optional(g, pop, k, n)
    inherit = same_genes.copy()  # MZ co-twins carry the twin's variant; a DZ co-twin with prob. 1/2
    inherit[kind == 2] = g.random(int((kind == 2).sum())) < 0.5  # adoptive siblings: their own
    variant[1::2] = np.where(inherit, variant[0::2], variant[1::2])
    domain[1::2] = np.where(inherit, domain[0::2], domain[1::2])
    zygosity = np.repeat(kind, 2).astype(np.int8)
    return SimpleNamespace(latent=latent, genetic=genetic, shares=shares, burden=burden, de_novo=de_novo,
                           inherited=inherited,
                           shared=shared,
                           variant=variant, variant_domain=domain, rt_z=rt_z, rt_chi=rt_chi,
                           rt_person=g.standard_normal((n, 2)),
                           family=first_id // 2 + np.arange(n) // 2, zygosity=zygosity)


def phenotypes(d: SimpleNamespace, pop) -> dict[str, np.ndarray]:
    """Deterministic traits (the keys of `brainsim.model.population.phenotypes`)."""
    z, k = d.latent, d.shares.shape[1]
    lognormal = lambda sd, col: np.exp(sd * z[:, col] - 0.5 * sd**2)  # mean-1 multiplier
    s_v = np.sqrt(np.log1p(pop.volume_cv**2))
    volume = pop.volume_mean * lognormal(s_v, 0)
    data = pop.data_seconds * pop.data_rate * pop.data_unit * lognormal(pop.data_sd, 3)
    # noise_ref: the noise of a person carrying the expected inherited burden (rate x mean effect)
    noise = pop.noise_ref * np.exp(np.minimum(pop.noise_sd * z[:, 4] - 0.5 * pop.noise_sd**2 + d.burden
                                              - pop.inherited_rate * pop.inherited_mean, LOG_NOISE_CAP))
    m = np.exp(pop.arch_sd * z[:, 5]) if pop.arch_mode == "continuous" else np.ones(len(z))
    m = np.repeat(m[:, None], k, axis=1)
    for i in np.flatnonzero(d.variant >= 0):
        shift = np.exp(pop.arch_shifts[d.variant[i]])
        if d.variant_domain[i] >= 0:
            m[i, d.variant_domain[i]] *= shift
        else:
            m[i] *= shift
    params = pop.synapses_ref / pop.synapses_per_param
    return {
        "brain_volume": volume,
        "n_params": params * (volume / pop.volume_ref) ** pop.kappa * lognormal(pop.density_sd, 1)
        * lognormal(pop.efficiency_sd, 2),
        "data": data,
        "data_domain": data[:, None] * d.shares,
        "noise": noise,
        "exponent_m": m,
        "exponent_mean": m.mean(axis=1),
        "hyper_penalty": pop.hyper_curvature * ((pop.hyper_sd * z[:, N_TRAITS:]) ** 2).sum(axis=1),
    }


def losses(model, phen) -> np.ndarray:
    """Reducible loss per person and domain (n, K), nats/token, hyperparameter penalty included."""
    x = model.law.reducible(phen["n_params"][:, None], phen["data_domain"], phen["exponent_m"])
    return x + phen["hyper_penalty"][:, None]


# --- tasks --------------------------------------------------------------------------------

def quantile(u, bat) -> np.ndarray:
    """Inverse CDF of relative thresholds: log-uniform, or density ∝ r^-gamma on [lower, upper]."""
    if bat.density == "loglinear" or bat.gamma == 1.0:
        return bat.lower * (bat.upper / bat.lower) ** u
    e = 1.0 - bat.gamma
    return (bat.lower**e + u * (bat.upper**e - bat.lower**e)) ** (1.0 / e)


def density(r, bat) -> np.ndarray:
    g = 1.0 if bat.density == "loglinear" else bat.gamma
    norm = np.log(bat.upper / bat.lower) if g == 1.0 else (bat.upper ** (1 - g) - bat.lower ** (1 - g)) / (1 - g)
    return r**-g / norm


def p_solve(x, noise, thresholds, depth, width) -> np.ndarray:
    """P(solve) = logistic((t - x) / w) * exp(-nu k), broadcast."""
    with np.errstate(over="ignore"):
        return np.exp(-noise * depth) / (1.0 + np.exp((x - thresholds) / width))


def chance_no_step_fails(noise, mean_depth) -> np.ndarray:
    """E[exp(-nu k)] over k = 1 + Poisson(mean_depth - 1)."""
    return np.exp(-noise) * np.exp((mean_depth - 1.0) * (np.exp(-noise) - 1.0))


@dataclass(frozen=True)
class Setup:
    """The norm sample's battery and norms (the fields the engine's `Setup` has)."""

    model: object
    seed: int
    thresholds: np.ndarray  # (F, K, J) nats/token
    depth: np.ndarray  # (F, K, J)
    width: float
    r_med: float
    norms: tuple[tuple[float, float], ...]
    noise_median: float


def prepare(model, seed: int) -> Setup:
    """Norm sample, anchoring to its median reducible loss, item draws (and selection), norms."""
    bat, pop = model.battery, model.population
    norm_pop = dataclasses.replace(pop, design="unrelated")
    draws = draw_traits(rng(seed, NORM), norm_pop, bat.n_domains, bat.norm_n)
    phen = phenotypes(draws, norm_pop)
    x = losses(model, phen)
    r_med = float(np.median(x))
    ends = []  # per domain, log loss at ability +reach and -reach: robust z, or the sample's own tail if further
    for d in range(bat.n_domains):
        log_x = np.log(x[:, d])
        mid = np.median(log_x)
        sd = (np.percentile(log_x, 75) - np.percentile(log_x, 25)) / (2 * stats.norm.ppf(0.75))
        tail = stats.norm.cdf(-bat.reach)
        ends.append((min(mid - bat.reach * sd, np.quantile(log_x, tail)),
                     max(mid + bat.reach * sd, np.quantile(log_x, 1.0 - tail))))
    easiest = min(max(np.exp(easy) / r_med for _, easy in ends), 100.0)
    hardest = max(min(np.exp(hard) / r_med for hard, _ in ends), 0.01)
    # the universe holds tasks as hard as the plan's hardest and as easy as its easiest
    bat = dataclasses.replace(bat, lower=min(bat.lower, hardest), upper=max(bat.upper, easiest))
    model = dataclasses.replace(model, battery=bat)
    forms = 2 if bat.parallel_form else 1
    pool = bat.selection_pool if bat.items == "selected" else 1
    per = bat.items_per_domain * pool
    g = rng(seed, BATTERY)
    shape = (forms, bat.n_domains, per)
    u = g.random(shape)
    thresholds = np.empty(shape)
    for d in range(bat.n_domains):  # stratum s of J evenly spaced in log loss, hardest first: items s*pool ...
        low, high = ends[d]
        for s in range(bat.items_per_domain):
            log_t = [low + (high - low) * (s + i) / bat.items_per_domain for i in (0, 1)]
            hard, easy = (min(max(np.exp(v) / r_med, bat.lower), bat.upper) for v in log_t)
            part = dataclasses.replace(bat, lower=hard, upper=easy)  # the density within the stratum
            thresholds[:, d, s * pool:(s + 1) * pool] = quantile(u[:, d, s * pool:(s + 1) * pool], part) * r_med
    depth = 1 + g.poisson(np.broadcast_to((bat.depth - 1.0)[None, :, None], shape))
    width = bat.width * r_med
    if bat.items == "selected":  # per stratum, the candidate whose P(solve) varies most
        spread = np.stack([p_solve(x[:, None, :, None], phen["noise"][:, None, None, None], thresholds[f:f + 1],
                                   depth[f:f + 1], width).var(axis=0) for f in range(forms)])[:, 0]
        keep = np.empty((forms, bat.n_domains, bat.items_per_domain), np.int64)
        for f in range(forms):
            for d in range(bat.n_domains):
                for s in range(bat.items_per_domain):
                    keep[f, d, s] = s * pool + np.argmax(spread[f, d, s * pool:(s + 1) * pool])
        thresholds = np.take_along_axis(thresholds, keep, axis=2)
        depth = np.take_along_axis(depth, keep, axis=2)
    g = rng(seed, 4)
    p = p_solve(x[:, None, :, None], phen["noise"][:, None, None, None], thresholds[None], depth[None], width)
    composite = (g.random(p.shape) < p).sum(axis=(2, 3))  # (n, F)
    norms = tuple((float(c.mean()), float(c.std(ddof=1))) for c in composite.T)
    return Setup(model, seed, thresholds, depth.astype(np.int64), width, r_med, norms,
                 float(np.median(phen["noise"])))


def capability_table(bat, step: float):
    """G(u) = E over the universe's relative thresholds r of logistic((r - u) / width), and its
    derivative, on the grid u = 0, step, ... past the hardest task. Gauss-Legendre, 16 nodes on
    panels of width / 8."""
    top = bat.upper
    edges = np.linspace(bat.lower, top, int(np.ceil((top - bat.lower) / (bat.width / 8))) + 1)
    t, w = np.polynomial.legendre.leggauss(16)
    half, mid = np.diff(edges)[:, None] / 2, (edges[1:] + edges[:-1])[:, None] / 2
    r, wr = (mid + half * t).ravel(), (half * w).ravel() * density((mid + half * t).ravel(), bat)
    grid = np.arange(0.0, top + 40 * bat.width + step, step)
    values, slopes = np.empty(grid.size), np.empty(grid.size)
    for s in range(0, grid.size, 256):
        with np.errstate(over="ignore"):
            sig = 1.0 / (1.0 + np.exp((grid[s:s + 256, None] - r[None]) / bat.width))
        values[s:s + 256] = sig @ wr
        slopes[s:s + 256] = -(sig * (1 - sig)) @ wr / bat.width
    return grid, values, slopes


def capability(x, noise, r_med, bat, table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected share of the table's universe solved: mean and product over domains (n,), and
    each domain's (n, K)."""
    grid, values, slopes = table
    step = grid[1] - grid[0]
    u = np.maximum(x / r_med, 0.0) / step
    j = np.minimum(u.astype(np.int64), grid.size - 2)
    s = u - j
    g = ((1 + 2 * s) * (1 - s) ** 2 * values[j] + s * (1 - s) ** 2 * step * slopes[j]
         + s * s * (3 - 2 * s) * values[j + 1] + s * s * (s - 1) * step * slopes[j + 1])
    g = np.where(u >= grid.size - 1, 0.0, g) * chance_no_step_fails(noise[:, None], bat.depth[None, :])
    return g.mean(axis=1), g.prod(axis=1), g


def ez(drift, boundary):
    """Mean decision time (s) and its variance (s^2), Wagenmakers et al. 2007 (drift away from 0)."""
    y = -drift * boundary / EZ_SCALE**2
    ey = np.exp(y)
    mdt = boundary / (2 * drift) * (1 - ey) / (1 + ey)
    vrt = boundary * EZ_SCALE**2 / (2 * drift**3) * (2 * y * ey - np.exp(2 * y) + 1) / (ey + 1) ** 2
    return mdt, vrt


def diploid_burden(g: np.random.Generator, pop, n: int, inbreeding: float, sites: int = 20_000):
    """Inherited burden and carried sites of n people drawn site by site, genotype by genotype:
    `sites` loci whose rare deleterious allele has frequency q = lam / (2 sites); with
    probability F a person's two alleles at a locus are identical by descent (one draw, so a
    carrier is homozygous), else two independent draws. A site's effect is Gamma(shape, mean /
    shape) in a carrier of one copy and 1 / h times that in a homozygote. Returns (burden,
    carried sites), each (n,)."""
    q = pop.inherited_rate / (2.0 * sites)
    burden, carried = np.zeros(n), np.zeros(n, np.int64)
    for i in range(n):
        ibd = g.random(sites) < inbreeding
        first = g.random(sites) < q
        second = np.where(ibd, first, g.random(sites) < q)
        copies = first.astype(int) + second
        effects = g.gamma(pop.inherited_shape, pop.inherited_mean / pop.inherited_shape, sites)
        burden[i] = effects[copies == 1].sum() + effects[copies == 2].sum() / pop.dominance
        carried[i] = np.count_nonzero(copies)
    return burden, carried


# --- a chunk ------------------------------------------------------------------------------

def simulate_chunk(setup: Setup, index: int, first_id: int, n: int, block: int = 4096) -> dict[str, np.ndarray]:
    """Chunk `index` (people first_id .. first_id + n - 1) in NumPy; responses in blocks."""
    model, pop, bat = setup.model, setup.model.population, setup.model.battery
    draws = draw_traits(rng(setup.seed, CHUNKS, index), pop, bat.n_domains, n, first_id)
    phen = phenotypes(draws, pop)
    x = losses(model, phen)
    size = len(draws.latent)
    g = rng(setup.seed, RESPONSES, index)
    forms = setup.thresholds.shape[0]
    raw = np.empty((forms, size, bat.n_domains), np.int64)
    true = np.empty((forms, size, bat.n_domains))
    for s in range(0, size, block):
        p = p_solve(x[s:s + block, None, :, None], phen["noise"][s:s + block, None, None, None],
                    setup.thresholds[None], setup.depth[None], setup.width)  # (people, F, K, J)
        true[:, s:s + block] = p.sum(axis=3).transpose(1, 0, 2)
        raw[:, s:s + block] = (g.random(p.shape) < p).sum(axis=3).transpose(1, 0, 2)
    composite = raw.sum(axis=2)
    cap, output, per_domain = capability(x, phen["noise"], setup.r_med, bat, capability_table(bat, bat.width / 16))
    snr = setup.noise_median / phen["noise"] if setup.noise_median > 0 else np.ones(size)  # median person: 1
    learned = (setup.r_med / np.maximum(x.mean(axis=1), 1e-12 * setup.r_med)) ** pop.drift_loss_exponent
    boundary = pop.boundary * np.exp(pop.boundary_sd * draws.rt_person[:, 0] - 0.5 * pop.boundary_sd**2)
    ter = pop.non_decision * np.exp(pop.non_decision_sd * draws.rt_person[:, 1] - 0.5 * pop.non_decision_sd**2)
    mdt, vrt = ez(pop.drift_ref * snr * learned, boundary)
    iq = lambda f: IQ_MEAN + IQ_SD * (composite[f] - setup.norms[f][0]) / setup.norms[f][1]
    cols = {
        "family": draws.family, "zygosity": draws.zygosity,
        "brain_volume": phen["brain_volume"], "n_params": phen["n_params"], "data": phen["data"],
        "mutation_burden": draws.burden, "inherited_variants": draws.inherited, "shared_variants": draws.shared,
        "noise": phen["noise"], "step_error": 1.0 - np.exp(-phen["noise"]), "reducible_loss": x.mean(axis=1),
        "capability": cap, "true_score": true[0].sum(axis=1) / setup.thresholds[0].size,
        "iq": iq(0), "iq_retest": iq(1) if forms > 1 else np.full(size, np.nan),
        "rt_mean": ter + mdt + np.sqrt(vrt / pop.trials) * draws.rt_z,
        "rt_sd": np.sqrt(vrt * draws.rt_chi / (pop.trials - 1.0)), "output": output,
    }
    for d, name in enumerate(bat.domains):
        cols[f"score_{name}"] = raw[0, :, d]
        cols[f"capability_{name}"] = per_domain[:, d]
    for j in range(draws.genetic.shape[1] if pop.design == "twins" else 0):
        cols[f"genetic_{pop.latent_names[j]}"] = draws.genetic[:, j]
    if pop.paternal_fraction > 0:
        for age, iq_at in zip(FATHERS, fathers_ages(setup, draws, x, index, int(round(pop.paternal_fraction * n)))):
            cols[f"iq_father_{age:.0f}"] = np.r_[iq_at, np.full(size - iq_at.size, np.nan)]
    return {k: v[:n] for k, v in cols.items()}  # twins with odd n: drop the last co-twin


def fathers_ages(setup: Setup, draws, x, index: int, k: int) -> list[np.ndarray]:
    """Form A's IQ of the first k people had their father been 25 and 45: de novo hits
    Poisson(lam (1 + rise (age - mean age))), the older father's child the younger's plus the
    difference, one uniform per item shared by both ages."""
    pop = setup.model.population
    lam = [pop.de_novo_rate * (1.0 + pop.paternal_rise * (a - pop.paternal_mean_age)) for a in FATHERS]
    g = rng(setup.seed, PATERNAL, index)
    hits, extra = g.poisson(lam[0], k), g.poisson(lam[1] - lam[0], k)
    scale = pop.de_novo_mean / pop.de_novo_shape
    young = g.gamma(hits * pop.de_novo_shape, scale)
    old = young + g.gamma(extra * pop.de_novo_shape, scale)
    u = np.random.default_rng(index).random((k,) + setup.thresholds[0].shape)  # (people, K, J)
    out = []
    for burden in (young, old):
        person = SimpleNamespace(**{**vars(draws), "latent": draws.latent[:k], "shares": draws.shares[:k],
                                    "variant": draws.variant[:k], "variant_domain": draws.variant_domain[:k],
                                    "burden": draws.burden[:k] - draws.de_novo[:k] + burden})
        noise = phenotypes(person, pop)["noise"]
        p = p_solve(x[:k, :, None], noise[:, None, None], setup.thresholds[0][None], setup.depth[0][None], setup.width)
        composite = (u < p).sum(axis=(1, 2))
        out.append(IQ_MEAN + IQ_SD * (composite - setup.norms[0][0]) / setup.norms[0][1])
    return out


def run_chunks(setup: Setup) -> dict[str, np.ndarray]:
    """Every chunk of the population, concatenated (chunks as the engine lays them out)."""
    pop = setup.model.population
    size = pop.chunk_size + (pop.chunk_size % 2 if pop.design == "twins" else 0)
    parts = [simulate_chunk(setup, i, first, min(size, pop.n - first))
             for i, first in enumerate(range(0, pop.n, size))]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# Reference formulas the tests check streaming statistics and samplers against.

def threshold_cdf(rel, density: str, gamma: float, lower: float, upper: float) -> np.ndarray:
    """CDF of the universe's relative thresholds (uniform in log(t - E) or power law)."""
    rel = np.clip(np.asarray(rel, float), lower, upper)
    if density == "loglinear" or abs(gamma - 1.0) < 1e-12:
        return np.log(rel / lower) / np.log(upper / lower)
    e = 1.0 - gamma
    return (rel**e - lower**e) / (upper**e - lower**e)


def twin_correlation(values: np.ndarray, family: np.ndarray, zygosity: np.ndarray, which: int) -> float:
    """Double-entry Pearson correlation of `values` within complete pairs of one zygosity
    (1 = MZ, 2 = DZ). Rows must hold twins of a family next to each other."""
    values, family, zygosity = np.asarray(values, float), np.asarray(family), np.asarray(zygosity)
    first = np.flatnonzero((zygosity[:-1] == which) & (family[:-1] == family[1:]))
    if first.size < 2:
        return float("nan")
    a, b = values[first], values[first + 1]
    return _pearson(np.concatenate([a, b]), np.concatenate([b, a]))


def common_variants(iq: np.ndarray, volume: np.ndarray, genetic: np.ndarray) -> tuple[float, float]:
    """Genetic correlation of volume with IQ and IQ's SNP heritability, by regressing each trait
    on the genetic parts (n, T) with an intercept (least squares) and correlating the fitted
    values: the additive values a GWAS of those variants estimates."""
    design = np.column_stack([np.ones(iq.size), genetic])
    fit_iq = design @ np.linalg.lstsq(design, iq, rcond=None)[0]
    fit_volume = design @ np.linalg.lstsq(design, volume, rcond=None)[0]
    return _pearson(fit_iq, fit_volume), float(fit_iq.var() / iq.var())


def tail_ratio(values: np.ndarray, tail: float) -> float:
    """The k-th largest over the k-th smallest value, k = round(tail * n)."""
    k = max(1, int(round(tail * values.size)))
    ordered = np.sort(values)
    return float(ordered[-k] / ordered[k - 1])


def top_share(output: np.ndarray, fraction: float) -> float:
    """Share of total output produced by the top `fraction` of people."""
    output = np.sort(np.asarray(output, float))
    k = max(1, int(round(fraction * output.size)))
    total = output.sum()
    return float(output[-k:].sum() / total) if total > 0 else float("nan")


def _pearson(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    da, db = a - a.mean(), b - b.mean()
    return float(da @ db / np.sqrt((da @ da) * (db @ db)))

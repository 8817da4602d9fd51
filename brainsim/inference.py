"""ABC model selection: one sequential Monte Carlo ABC per hypothesis, a shared epsilon
schedule, and each hypothesis's evidence estimated by importance sampling.

Why not one sampler that jumps between models (Toni et al. 2009, J. R. Soc. Interface 6:187):
with ten hypotheses and tens of particles, a hypothesis is carried by a handful of particles,
and chance alone kills hypotheses within two or three generations; measured on the default
comparison, every seed ended on a different single hypothesis with probability ~1. Here each
hypothesis keeps its own population and its evidence is estimated on its own, as in Didelot
et al. 2011 (Bayesian Analysis 6:49); no hypothesis is ever dropped.

Generation t proposes `n_particles` parameter vectors per hypothesis m: from its prior in
generation 0, later from a Gaussian kernel around its current population (SD = sqrt of twice
its weighted variance, per parameter; Beaumont et al. 2009), truncated to the prior so that
no proposal is wasted. Every proposal of every generation is kept. Each is weighted by prior
over the mixture of all of that hypothesis's proposal densities so far, sum_t (n_t / N) q_t
(deterministic-mixture importance sampling, Owen & Zhou 2000; Cornuet et al. 2012's AMIS):
the prior samples of generation 0 bound every weight by N / n_0, so no single proposal can
dominate. Both densities are normalised in full, so hypotheses with more parameters are not
penalised. The ABC evidence

    Z_m(eps) = P(distance <= eps | m) = E[w 1(distance <= eps)]

is estimated at any eps by the mean over all of m's proposals, with a standard error
stratified by generation; P(m | data) = Z_m / sum_k Z_k (equal prior model probabilities),
its SE by the delta method (`probabilities_at`). A hypothesis's population at eps is its
proposals with distance <= eps and their weights; one with none keeps its previous population
as the source of its next proposals, so no hypothesis is ever dropped. epsilon_{t+1} is the
`quantile` of the distances accepted in generation t, pooled over the hypotheses, and never
below `min_epsilon`.

Stopping: the run has converged after a generation at `min_epsilon` (the scale of the
statistics' own noise: RMS z near 1 means every target within its tolerance), or after a
generation whose acceptance rate fell below `min_acceptance`. That rate is the posterior's:
each hypothesis's accepted share of its simulations, weighted by its probability (hypotheses
that cannot fit would otherwise drag it down). `generations` and `max_simulations` are
ceilings: a generation that could overrun the budget is not started, and a run they stop has
not converged and says so (`ABCResult.converged`, `stop`).

Reproducibility: proposal i of hypothesis m in generation t draws from SeedSequence(seed,
spawn_key=(t, m, i)); a generation's proposals are evaluated in batches by any `map`, so the
result is the same for any number of workers.

Distance: root mean square of z = (simulated - observed) / tolerance over the targets, with
a target a simulation cannot compute (NaN) counted as ``|z| = missing_z``, except one computed
among cases another target counts (the co-twins of severe cases): with no cases it counts 0,
since the share of cases already charges their absence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .summaries import missing_charges
from .targets import rms

__all__ = ["abc_smc", "ABCResult", "derived_seed", "distance", "HypothesisPriors", "posterior_particles", "posterior_point",
           "probabilities_at", "Sampler", "Simulator", "Stopping", "STOP_REASONS", "widened"]

Simulator = Callable[[int, dict, int], float]  # (model index, parameters, seed) -> distance


@dataclass(frozen=True)
class HypothesisPriors:
    """A hypothesis for inference: its name and uniform priors {key: (low, high)}."""

    name: str
    priors: dict[str, tuple[float, float]]


STOP_REASONS = {
    "epsilon": "epsilon reached abc.min_epsilon",
    "acceptance": "acceptance rate fell below abc.min_acceptance",
    "generations": "stopped by the abc.generations ceiling before converging",
    "simulations": "stopped by the abc.max_simulations budget before converging",
}


@dataclass
class ABCResult:
    """Posterior model probabilities (final generation) and particles of every generation.

    `stop` is a key of `STOP_REASONS`; `converged` is True for "epsilon" and "acceptance".
    `epsilon` and `acceptance` are the final generation's (acceptance = accepted / simulated).
    """

    hypotheses: list[str]
    probabilities: pd.DataFrame  # hypothesis, probability, se (final generation; sums to 1)
    particles: pd.DataFrame  # populations: generation, hypothesis, weight, distance, parameter columns
    history: pd.DataFrame  # generation, epsilon, hypothesis, probability, se, evidence, accepted,
    #                        simulations, acceptance (the generation's posterior-weighted rate)
    simulations: int
    stop: str = "generations"
    epsilon: float = float("nan")
    acceptance: float = float("nan")
    proposals: pd.DataFrame | None = None  # every proposal: generation, hypothesis, importance, distance

    @property
    def converged(self) -> bool:
        return self.stop in ("epsilon", "acceptance")


def distance(summary: dict, targets, missing_z: float | np.ndarray = 5.0) -> float:
    """RMS z of a summary against targets; an uncomputable statistic counts as ``|z| = missing_z``
    (0 for one computed among cases another target counts: `brainsim.summaries.missing_charges`;
    or give the per-target charges, (len(targets),))."""
    charges = (missing_charges([t.statistic for t in targets], missing_z) if np.ndim(missing_z) == 0
               else missing_z)
    z = []
    for t, charge in zip(targets, charges):
        v = summary.get(t.statistic, float("nan"))
        z.append(charge if not np.isfinite(v) else (v - t.value) / t.tolerance)
    return rms(np.asarray(z, float))


def _free(bounds: np.ndarray) -> np.ndarray:
    """Dimensions with a proper range; point priors (low == high) stay fixed."""
    return bounds[:, 1] > bounds[:, 0]


@dataclass(frozen=True)
class Sampler:
    """How ABC-SMC proposes: `particles` proposals per hypothesis and generation; the next
    epsilon is the `quantile` of the accepted distances; `batch` proposals go to `map_fn` at
    once (the result does not depend on it)."""

    particles: int = 100
    quantile: float = 0.5
    batch: int = 64


@dataclass(frozen=True)
class Stopping:
    """When ABC-SMC stops. Converged: epsilon reaches `min_epsilon`, or the posterior's
    acceptance rate falls below `min_acceptance`. Ceilings (a run they stop has not
    converged): `generations`, and `max_simulations` (None: none)."""

    generations: int = 3
    min_epsilon: float = 0.0
    min_acceptance: float = 0.0
    max_simulations: int | None = 100_000


def abc_smc(
    hypotheses: Sequence[HypothesisPriors],
    simulate: Simulator,
    *,
    sampler: Sampler = Sampler(),
    stopping: Stopping = Stopping(),
    seed: int = 0,
    map_fn: Callable = map,
    progress: Callable[[int], None] | None = None,
    state: dict | None = None,
    on_generation: Callable[[dict], None] | None = None,
) -> ABCResult:
    """ABC-SMC model selection (the module docstring gives the algorithm and when it stops).

    Parameters
    ----------
    hypotheses : sequence of HypothesisPriors
        The hypotheses: name and uniform prior bounds of each free parameter.
    simulate : callable
        ``simulate(hypothesis index, {parameter: value}, seed) -> distance`` (RMS z), e.g.
        `brainsim.problem.Problem.simulator`.
    sampler : Sampler
        Proposals per hypothesis and generation, the epsilon quantile, the batch size.
    stopping : Stopping
        Convergence rules and ceilings.
    seed : int
        Root of every draw, keyed by (generation, model, proposal).
    map_fn : callable
        ``map_fn(function, items)``, e.g. a backend's map; the result does not depend on it.
    progress : callable, optional
        Called with the number of simulations done after each batch.
    state, on_generation : optional
        ``on_generation(state)`` receives the sampler's whole state after each generation;
        passing it back as `state` continues with the same result as an uninterrupted run.

    Returns
    -------
    ABCResult
        Model probabilities with Monte-Carlo errors, particles, history, why it stopped.
    """
    n_particles, quantile, batch = sampler.particles, sampler.quantile, sampler.batch
    generations, min_epsilon = stopping.generations, stopping.min_epsilon
    min_acceptance, max_simulations = stopping.min_acceptance, stopping.max_simulations
    names = [h.name for h in hypotheses]
    keys = [list(h.priors) for h in hypotheses]
    bounds = [np.array([h.priors[k] for k in ks], float).reshape(len(ks), 2) for h, ks in zip(hypotheses, keys)]
    n_models = len(hypotheses)
    # per model: every proposal's parameters (N, d), distance and generation; the proposal
    # density of each generation (None: the prior; else population thetas, weights, kernel SDs)
    # log_q[t, j] = log density of proposal j under generation t's proposal density (cached)
    pool = [{"theta": np.zeros((0, b.shape[0])), "distance": np.zeros(0), "generation": np.zeros(0, int),
             "log_q": np.zeros((0, 0))} for b in bounds]
    densities: list[list] = [[] for _ in range(n_models)]
    pops: list = [None] * n_models  # per model: (thetas (n, d), weights) the next proposals start from
    rows, hist, sims, start, eps = [], [], 0, 0, np.inf
    if state is not None:
        start, pool, densities, pops = state["generation"], state["pool"], state["densities"], state["pops"]
        sims, eps, rows, hist = state["sims"], state["eps"], list(state["rows"]), list(state["hist"])

    stop = _stopped(hist, min_epsilon, min_acceptance)
    for gen in range(start, generations):
        if stop is not None:
            break
        if max_simulations is not None and sims + n_models * n_particles > max_simulations:
            stop = "simulations"
            break
        current = [None if gen == 0 else (*pops[m], _kernel_sd(pops[m], bounds[m])) for m in range(n_models)]
        todo = [(m, i, _propose(gen, m, i, seed, bounds[m], current[m])) for m in range(n_models)
                for i in range(n_particles)]
        dists = []
        for lo in range(0, len(todo), batch):
            part = todo[lo:lo + batch]
            dists += list(map_fn(lambda mit, g=gen: simulate(mit[0], dict(zip(keys[mit[0]], mit[2])),
                                                             _sim_seed(seed, g, mit[0], mit[1])), part))
            if progress is not None:
                progress(len(part))
        sims += len(todo)
        new_pool, new_densities = [], []
        for m in range(n_models):
            mine = [j for j, (mm, _, _) in enumerate(todo) if mm == m]
            theta = np.array([todo[j][2] for j in mine]).reshape(len(mine), bounds[m].shape[0])
            # the new proposals under every earlier density, and every proposal under the new one
            old = np.array([_log_density(theta, bounds[m], d) for d in densities[m]]).reshape(len(densities[m]), len(mine))
            both = np.vstack([pool[m]["theta"], theta])
            new_pool.append({"theta": both,
                             "distance": np.concatenate([pool[m]["distance"], np.asarray(dists, float)[mine]]),
                             "generation": np.concatenate([pool[m]["generation"], np.full(len(mine), gen)]),
                             "log_q": np.vstack([np.hstack([pool[m]["log_q"], old]),
                                                 _log_density(both, bounds[m], current[m])[None]])})
            new_densities.append(densities[m] + [current[m]])
        weights = [_mixture_importance(p["log_q"], p["generation"], bounds[m]) for m, p in enumerate(new_pool)]
        frame = _proposal_frame(names, new_pool, weights)
        probs, probs_se, z = _probabilities(names, frame, eps)
        if not np.isfinite(probs).all():  # nothing accepted at all: the previous generation stands
            stop = "acceptance"
            break
        pool, densities = new_pool, new_densities
        this = [(p["generation"] == gen) & (p["distance"] <= eps) for p in pool]
        rate = np.array([ok[p["generation"] == gen].mean() for ok, p in zip(this, pool)])
        acceptance = float(probs @ rate)
        for k in range(n_models):
            hist.append({"generation": gen, "epsilon": eps, "hypothesis": names[k], "probability": probs[k],
                         "se": probs_se[k], "evidence": z[k], "accepted": int(this[k].sum()),
                         "simulations": n_particles, "acceptance": acceptance})
        for m in range(n_models):
            inside = pool[m]["distance"] <= eps
            if not inside.any():
                continue
            for th, wi, d in zip(pool[m]["theta"][inside], weights[m][inside] / weights[m][inside].sum(),
                                 pool[m]["distance"][inside]):
                rows.append({"generation": gen, "hypothesis": names[m], "weight": wi * probs[m], "distance": d,
                             **{f"{names[m]}:{k}": v for k, v in zip(keys[m], th)}})
        stop = _stopped(hist, min_epsilon, min_acceptance)
        accepted = np.concatenate([p["distance"][ok] for p, ok in zip(pool, this)])
        if accepted.size == 0:  # this generation accepted nothing: the populations at epsilon set the next
            accepted = np.concatenate([p["distance"][p["distance"] <= eps] for p in pool])
        eps = max(float(np.quantile(accepted, quantile)), min_epsilon)
        for m in range(n_models):  # the next proposals start from the population at the next epsilon
            inside = pool[m]["distance"] <= eps
            if inside.any():
                pops[m] = (pool[m]["theta"][inside], weights[m][inside] / weights[m][inside].sum())
            elif pops[m] is None:
                inside = pool[m]["distance"] <= np.min(pool[m]["distance"])
                pops[m] = (pool[m]["theta"][inside], np.full(inside.sum(), 1.0 / inside.sum()))
        if on_generation is not None:
            on_generation({"generation": gen + 1, "pool": pool, "densities": densities, "pops": list(pops),
                           "sims": sims, "eps": eps, "rows": list(rows), "hist": list(hist)})

    frame = pd.DataFrame(hist)
    if hist:
        final = frame[frame.generation == frame.generation.max()][["hypothesis", "probability", "se"]]
        final = final.reset_index(drop=True)
    else:
        final = pd.DataFrame({"hypothesis": names, "probability": 1.0 / n_models, "se": np.nan})
    tail = hist[-1] if hist else {"epsilon": float("nan"), "acceptance": float("nan")}
    proposals = _proposal_frame(names, pool, [_mixture_importance(p["log_q"], p["generation"], b)
                                              for p, b in zip(pool, bounds)])
    return ABCResult(names, final, pd.DataFrame(rows), frame, sims, stop or "generations",
                     float(tail["epsilon"]), float(tail["acceptance"]), proposals)


def probabilities_at(result: ABCResult, epsilon: float) -> pd.DataFrame:
    """Model probabilities and their SEs at any `epsilon`, from every proposal of the run (an
    unbiased estimate of each evidence at any epsilon): hypothesis, probability, se."""
    p, se, _ = _probabilities(result.hypotheses, result.proposals, epsilon)
    return pd.DataFrame({"hypothesis": result.hypotheses, "probability": p, "se": se})


def _proposal_frame(names, pool, weights) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"generation": p["generation"], "hypothesis": name, "importance": w,
                                    "distance": p["distance"]}) for name, p, w in zip(names, pool, weights)],
                     ignore_index=True)


def _probabilities(names: Sequence[str], proposals: pd.DataFrame, epsilon: float):
    """P(m), its SE and the evidence Z_m at epsilon from weighted proposals; the evidence's
    variance is stratified by generation (each generation's proposals are i.i.d.)."""
    z, z_se = np.zeros(len(names)), np.zeros(len(names))
    for m, name in enumerate(names):
        mine = proposals[proposals.hypothesis == name]
        terms = np.where(mine["distance"].to_numpy() <= epsilon, mine["importance"].to_numpy(), 0.0)
        z[m] = terms.mean()
        var = sum(t.size * t.var(ddof=1) for _, t in pd.Series(terms).groupby(mine["generation"].to_numpy())
                  if t.size > 1)
        z_se[m] = np.sqrt(var) / terms.size
    p, se = _model_probabilities(z, z_se)
    return p, se, z


def _stopped(hist: list[dict], min_epsilon: float, min_acceptance: float) -> str | None:
    """Why the run has converged after its last generation in `hist` (None: not yet)."""
    if not hist:
        return None
    last = hist[-1]
    if last["epsilon"] <= min_epsilon:
        return "epsilon"
    if last["acceptance"] < min_acceptance:
        return "acceptance"
    return None


def _model_probabilities(z: np.ndarray, z_se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(m) = Z_m / sum Z and its delta-method SE from the evidences' independent SEs."""
    total = z.sum()
    if total <= 0:
        return np.full(z.size, np.nan), np.full(z.size, np.nan)
    p = z / total
    # dP_m/dZ_k = (delta_mk - P_m) / total
    grad = (np.eye(z.size) - p[:, None]) / total
    return p, np.sqrt((grad**2) @ (z_se**2))


def derived_seed(seed: int, *key: int) -> int:
    """A simulation's seed: the first 32-bit word of SeedSequence(seed, spawn_key=key)."""
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


def _sim_seed(seed: int, gen: int, model: int, proposal: int) -> int:
    return derived_seed(seed, gen, model, proposal, 1)


def _kernel_sd(pop, bounds: np.ndarray) -> np.ndarray:
    """Gaussian perturbation SDs: sqrt(2 x weighted variance) of a population (Beaumont et al.
    2009), never below 1e-6 of the prior's range; zero for point priors."""
    thetas, w = pop
    mean = w @ thetas
    var = w @ (thetas - mean) ** 2
    floor = 1e-6 * (bounds[:, 1] - bounds[:, 0]) + 1e-12
    return np.where(_free(bounds), np.sqrt(np.maximum(2.0 * var, floor**2)), 0.0)


def _propose(gen: int, model: int, i: int, seed: int, bounds: np.ndarray, density) -> np.ndarray:
    """Proposal i of a model: from its prior (density None), or a particle of the population
    drawn by weight and perturbed by a Gaussian truncated to the prior, one free parameter at a
    time."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(gen, model, i, 0)))
    if density is None:
        return bounds[:, 0] + rng.random(bounds.shape[0]) * (bounds[:, 1] - bounds[:, 0])
    thetas, w, sd = density
    theta = thetas[rng.choice(w.size, p=w)].copy()
    free = _free(bounds)
    if free.any():
        lo, hi, mu, s = bounds[free, 0], bounds[free, 1], theta[free], sd[free]
        # inverse CDF; every particle lies inside its prior, so a <= 0 <= b and no tail is extreme
        pa, pb = special.ndtr((lo - mu) / s), special.ndtr((hi - mu) / s)
        theta[free] = np.clip(mu + s * special.ndtri(pa + rng.random(s.size) * (pb - pa)), lo, hi)
    return theta


def _log_density(theta: np.ndarray, bounds: np.ndarray, density) -> np.ndarray:
    """Log proposal density at each row of theta (N, d), over the free parameters: the prior
    (density None) or the weighted mixture of truncated Gaussians."""
    free = _free(bounds)
    lo, hi = bounds[free, 0], bounds[free, 1]
    if density is None:
        return np.full(theta.shape[0], -np.log(hi - lo).sum())
    thetas, w, sd = density
    mu, s = thetas[:, free], sd[free]
    mass = special.ndtr((hi - mu) / s) - special.ndtr((lo - mu) / s)  # of each truncated kernel, (J, d)
    z = (theta[:, None, free] - mu[None]) / s  # (N, J, d)
    log_k = (-0.5 * z**2 - np.log(np.sqrt(2.0 * np.pi) * s * mass)[None]).sum(axis=2)
    return special.logsumexp(log_k, b=w[None, :], axis=1)


def _mixture_importance(log_q: np.ndarray, generation: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Prior over the deterministic mixture sum_t (n_t / N) q_t of every generation's proposal
    density, at each proposal (N,), from log_q (T, N) = log q_t at each proposal."""
    if not _free(bounds).any() or generation.size == 0:
        return np.ones(generation.size)
    counts = np.bincount(generation, minlength=log_q.shape[0])
    log_mix = special.logsumexp(log_q, b=(counts / counts.sum())[:, None], axis=0)
    return np.exp(-np.log(bounds[_free(bounds), 1] - bounds[_free(bounds), 0]).sum() - log_mix)


def widened(targets: Sequence, sd: np.ndarray) -> list:
    """Targets whose tolerance is sqrt(tolerance^2 + sd^2): the observed uncertainty and the
    simulation's own noise, so a statistic a small simulation cannot pin down is not overweighted."""
    import dataclasses

    return [dataclasses.replace(t, tolerance=float(np.hypot(t.tolerance, s)) if np.isfinite(s) else t.tolerance)
            for t, s in zip(targets, sd)]


def posterior_particles(results: Sequence[ABCResult], hypothesis: str) -> pd.DataFrame:
    """Particles of `hypothesis` pooled over results (repeats), each result's from the last
    generation that accepted any of its proposals (usually the final one).
    Column `final` says which; empty if no result ever accepted one."""
    frames = []
    for r in results:
        mine = r.particles[r.particles.hypothesis == hypothesis]
        if not mine.empty:
            last = mine.generation.max()
            frames.append(mine[mine.generation == last].assign(final=last == r.particles.generation.max()))
    return pd.concat(frames) if frames else pd.DataFrame()


def posterior_point(results: Sequence[ABCResult], hypothesis: str) -> dict:
    """Weighted posterior median of each parameter of `hypothesis` over `posterior_particles`;
    empty if no result ever kept the hypothesis."""
    last = posterior_particles(results, hypothesis)
    out = {}
    if last.empty:
        return out
    for col in [c for c in last.columns if c.startswith(hypothesis + ":")]:
        order = np.argsort(last[col].to_numpy())
        cw = np.cumsum(last["weight"].to_numpy()[order])
        out[col.split(":", 1)[1]] = float(last[col].to_numpy()[order][np.searchsorted(cw, 0.5 * cw[-1])])
    return out

"""ABC model selection: sequential Monte Carlo ABC over all hypotheses at once.

ABC-SMC for model selection after Toni et al. 2009 (J. R. Soc. Interface 6:187): generation 0
samples models and parameters from their priors; each later generation keeps a model with
probability `model_keep`, perturbs parameters with a Gaussian kernel (twice the weighted
variance of the previous generation's particles of that model), and accepts a particle when
its distance is at most epsilon_t, the `quantile` of the previous generation's distances.

Stopping: epsilon_t never goes below `min_epsilon` (the scale of the statistics' own noise:
RMS z near 1 means every target within its tolerance). The run has converged after the
generation that ran at `min_epsilon`, or after a generation whose acceptance rate (accepted
particles per simulation) fell below `min_acceptance`. `generations` and `max_simulations`
are ceilings: a run they stop first has not converged, and says so (`ABCResult.converged`,
`stop`). A generation that the budget cuts short, or whose acceptance has already fallen
below the floor (n_particles / min_acceptance simulations without filling it), is dropped
whole: the last complete generation is the answer.

Reproducibility: attempt i of generation t draws from SeedSequence(seed, spawn_key=(t, i)),
and particles are accepted in attempt order; a generation's attempts are evaluated in
batches (sequentially or by any `map`), so the result is the same for any number of workers.
A hypothesis that dies out keeps its row with probability 0.

Distance: root mean square of z = (simulated - observed) / tolerance over the targets, with
a target a simulation cannot compute (NaN) counted as |z| = `missing_z`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Simulator = Callable[[int, dict, int], float]  # (model index, parameters, seed) -> distance


@dataclass(frozen=True)
class ModelSpec:
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

    models: list[str]
    probabilities: pd.DataFrame  # hypothesis, probability (final generation; sums to 1)
    particles: pd.DataFrame  # generation, hypothesis, weight, distance, parameter columns
    history: pd.DataFrame  # generation, epsilon, hypothesis, probability, attempts, simulations, acceptance
    simulations: int
    stop: str = "generations"
    epsilon: float = float("nan")
    acceptance: float = float("nan")

    @property
    def converged(self) -> bool:
        return self.stop in ("epsilon", "acceptance")


def distance(summary: dict, targets, missing_z: float = 5.0) -> float:
    """RMS z of a summary against targets; an uncomputable statistic counts as |z| = missing_z."""
    z = []
    for t in targets:
        v = summary.get(t.statistic, float("nan"))
        z.append(missing_z if not np.isfinite(v) else (v - t.value) / t.tolerance)
    return float(np.sqrt(np.mean(np.square(z))))


def _free(bounds: np.ndarray) -> np.ndarray:
    """Dimensions with a proper range; point priors (low == high) stay fixed."""
    return bounds[:, 1] > bounds[:, 0]


def _in_prior(theta: np.ndarray, bounds: np.ndarray) -> bool:
    return bool(np.all(theta >= bounds[:, 0]) and np.all(theta <= bounds[:, 1]))


def abc_smc(
    models: Sequence[ModelSpec],
    simulate: Simulator,
    n_particles: int = 100,
    generations: int = 3,
    seed: int = 0,
    quantile: float = 0.5,
    model_keep: float = 0.7,
    batch: int = 64,
    min_epsilon: float = 0.0,
    min_acceptance: float = 0.0,
    max_simulations: int | None = 100_000,
    map_fn: Callable = map,
    progress: Callable[[int], None] | None = None,
    state: dict | None = None,
    on_generation: Callable[[dict], None] | None = None,
) -> ABCResult:
    """Run ABC-SMC model selection for at most `generations` generations; see the module
    docstring for the algorithm and when it stops.

    After each generation `on_generation(state)` receives the sampler's whole state; passing
    such a state back as `state` continues from the generation after it and gives the same
    result as an uninterrupted run (every draw is keyed by seed, generation and attempt)."""
    names = [m.name for m in models]
    keys = [list(m.priors) for m in models]
    bounds = [np.array([m.priors[k] for k in ks], float).reshape(len(ks), 2) for m, ks in zip(models, keys)]
    n_models = len(models)
    prev = None  # (model index array, theta list, weights, distances)
    probs = np.full(n_models, 1.0 / n_models)
    rows, hist, sims, eps, start = [], [], 0, np.inf, 0
    if state is not None:
        start, prev, probs, sims = state["generation"], state["prev"], state["probs"], state["sims"]
        rows, hist = list(state["rows"]), list(state["hist"])

    stop = _stopped(hist, min_epsilon, min_acceptance)
    for gen in range(start, generations):
        if stop is not None:
            break
        if prev is not None:
            eps = max(float(np.quantile(prev[3], quantile)), min_epsilon)
            kernels = _kernels(prev, n_models, bounds)
        accepted: list[tuple] = []
        attempt, gen_sims = 0, 0
        while len(accepted) < n_particles:
            if max_simulations is not None and sims + gen_sims >= max_simulations:
                stop = "simulations"
                break
            if min_acceptance > 0 and gen_sims >= n_particles / min_acceptance:
                stop = "acceptance"  # this generation's acceptance is already below the floor
                break
            proposals = [_propose(gen, i, seed, n_models, bounds, probs, prev, kernels if prev else None, model_keep)
                         for i in range(attempt, attempt + batch)]
            runnable = [(i, p) for i, p in zip(range(attempt, attempt + batch), proposals) if p is not None]
            dists = list(map_fn(lambda ip, g=gen: simulate(ip[1][0], dict(zip(keys[ip[1][0]], ip[1][1])),
                                                           _sim_seed(seed, g, ip[0])), runnable))
            gen_sims += len(runnable)
            if progress is not None:
                progress(len(runnable))
            for (_, (m, theta)), d in zip(runnable, dists, strict=True):
                if d <= eps and len(accepted) < n_particles:
                    accepted.append((m, theta, d))
            attempt += batch
        sims += gen_sims
        if stop is not None:  # cut short (budget or acceptance): the last whole generation stands
            if not hist:
                raise RuntimeError(f"ABC generation 0 accepted {len(accepted)} of {n_particles} particles in "
                                   f"{gen_sims} simulations; raise 'abc.max_simulations'.")
            break
        m_arr = np.array([a[0] for a in accepted])
        thetas = [a[1] for a in accepted]
        d_arr = np.array([a[2] for a in accepted])
        if prev is None:
            w = np.ones(n_particles)
        else:
            w = np.array([_weight(m, th, probs, prev, kernels, bounds, model_keep, n_models)
                          for m, th in zip(m_arr, thetas)])
        w /= w.sum()
        probs = np.array([w[m_arr == k].sum() for k in range(n_models)])
        prev = (m_arr, thetas, w, d_arr)
        for k in range(n_models):
            hist.append({"generation": gen, "epsilon": eps, "hypothesis": names[k], "probability": probs[k],
                         "attempts": attempt, "simulations": gen_sims, "acceptance": n_particles / gen_sims})
        for m, th, wi, d in zip(m_arr, thetas, w, d_arr):
            rows.append({"generation": gen, "hypothesis": names[m], "weight": wi, "distance": d,
                         **{f"{names[m]}:{k}": v for k, v in zip(keys[m], th)}})
        stop = _stopped(hist, min_epsilon, min_acceptance)
        if on_generation is not None:
            on_generation({"generation": gen + 1, "prev": prev, "probs": probs, "sims": sims, "rows": list(rows),
                           "hist": list(hist)})

    final = pd.DataFrame({"hypothesis": names, "probability": probs})
    last = hist[-1] if hist else {"epsilon": float("nan"), "acceptance": float("nan")}
    return ABCResult(names, final, pd.DataFrame(rows), pd.DataFrame(hist), sims, stop or "generations",
                     float(last["epsilon"]), float(last["acceptance"]))


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


def _sim_seed(seed: int, gen: int, attempt: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(gen, attempt, 1)).generate_state(1)[0])


def _kernels(prev, n_models, bounds):
    """Per-model Gaussian perturbation SDs: sqrt(2 x weighted variance) of its particles."""
    m_arr, thetas, w, _ = prev
    out = []
    for k in range(n_models):
        sel = np.flatnonzero(m_arr == k)
        dim = bounds[k].shape[0]
        if sel.size == 0 or dim == 0:
            out.append(np.zeros(dim))
            continue
        th = np.array([thetas[i] for i in sel]).reshape(sel.size, dim)
        wk = w[sel] / w[sel].sum()
        mean = wk @ th
        var = wk @ (th - mean) ** 2
        floor = 1e-6 * (bounds[k][:, 1] - bounds[k][:, 0]) + 1e-12
        out.append(np.where(_free(bounds[k]), np.sqrt(np.maximum(2.0 * var, floor**2)), 0.0))
    return out


def _propose(gen, attempt, seed, n_models, bounds, probs, prev, kernels, model_keep):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(gen, attempt, 0)))
    if prev is None:
        m = int(rng.integers(n_models))
        b = bounds[m]
        return m, b[:, 0] + rng.random(b.shape[0]) * (b[:, 1] - b[:, 0])
    m_star = int(rng.choice(n_models, p=probs))
    if n_models > 1 and rng.random() > model_keep:
        m = int(rng.choice([k for k in range(n_models) if k != m_star]))
    else:
        m = m_star
    m_arr, thetas, w, _ = prev
    sel = np.flatnonzero(m_arr == m)
    if sel.size == 0:  # the model died out: it stays dead
        return None
    j = sel[rng.choice(sel.size, p=w[sel] / w[sel].sum())]
    theta = np.asarray(thetas[j], float) + kernels[m] * rng.standard_normal(bounds[m].shape[0])
    return (m, theta) if _in_prior(theta, bounds[m]) else None


def _weight(m, theta, probs, prev, kernels, bounds, model_keep, n_models):
    m_arr, thetas, w, _ = prev
    other = (1.0 - model_keep) / (n_models - 1) if n_models > 1 else 0.0
    model_term = probs[m] * model_keep + (1.0 - probs[m]) * other
    sel = np.flatnonzero(m_arr == m)
    dim = bounds[m].shape[0]
    if dim == 0:
        return 1.0 / model_term
    th = np.array([thetas[i] for i in sel]).reshape(sel.size, dim)
    wk = w[sel] / w[sel].sum()
    free = _free(bounds[m])
    sd = kernels[m][free]
    # The kernel density is normalised in full, (2 pi)^(d/2) included: the constant cancels
    # within a model but not between models of different dimension d.
    norm = (2.0 * np.pi) ** (0.5 * sd.size) * np.prod(sd)
    dens = np.exp(-0.5 * (((theta[free] - th[:, free]) / sd) ** 2).sum(axis=1)) / norm
    prior = 1.0 / np.prod(bounds[m][free, 1] - bounds[m][free, 0])
    return prior / (model_term * (wk @ dens))


def _set(container: dict, key: str, value) -> None:
    node = container
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = int(round(value)) if isinstance(node[last], int) and not isinstance(node[last], bool) else value


def with_parameters(container: dict, theta: dict, log: frozenset[str] | set[str] = frozenset()) -> dict:
    """A copy of a resolved config with sampled parameters set (10 ** value for keys in `log`)."""
    import copy

    c = copy.deepcopy(container)
    for k, v in theta.items():
        _set(c, k, 10.0**v if k in log else v)
    return c


def config_simulator(containers: Sequence[dict], targets, n: int, norm_n: int, missing_z: float,
                     log: Sequence[frozenset[str]] | None = None) -> Simulator:
    """A simulator for `abc_smc`: set the parameters in hypothesis m's resolved config (keys in
    `log[m]` are sampled as log10 of the value), simulate `n` people and return the distance
    of their summary to `targets`."""
    from .engine import summarize
    from .params import model_from_config

    log = list(log) if log is not None else [frozenset()] * len(containers)

    def simulate(m: int, theta: dict, seed: int) -> float:
        c = with_parameters(containers[m], theta, log[m])
        c["population"]["n"], c["battery"]["norm_n"] = n, norm_n
        return distance(summarize(model_from_config(c), seed), targets, missing_z)

    return simulate


def posterior_particles(results: Sequence[ABCResult], hypothesis: str) -> pd.DataFrame:
    """Particles of `hypothesis` pooled over results (repeats), each result's from the last
    generation that kept it: the final one, or, where it died out, the generation before.
    Column `final` says which; empty if no result ever kept it."""
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
    for col in [c for c in last.columns if c.startswith(hypothesis + ":")]:
        order = np.argsort(last[col].to_numpy())
        cw = np.cumsum(last["weight"].to_numpy()[order])
        out[col.split(":", 1)[1]] = float(last[col].to_numpy()[order][np.searchsorted(cw, 0.5 * cw[-1])])
    return out

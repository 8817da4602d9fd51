"""The pipeline: seeds, the norm sample, the battery, and people simulated chunk by chunk.

Seeds: every stream derives from ``SeedSequence(seed, spawn_key=(stream, ...))``:
stream 0 = norm sample traits, 1 = battery items, 2 = population chunk c (key (2, c)),
3 = item-response key of the population, 4 = item-response key of the norm sample,
5 = inbred cohort chunk c (key (5, c)), 6 = item-response key of the inbred cohort,
7 = paternal-age de novo hits of chunk c (key (7, c)), 8 = their item-response key.
Given the seed and chunk size, results are bit-identical whatever the thread count.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import psychometrics as psy
from .model.params import ModelParams, PopulationParams
from .model.population import Draws, draw_traits, paternal_de_novo, phenotypes
from .model.reaction_time import sample_rt
from .model.scaling import person_losses
from .provenance import record
from .summaries import PATERNAL, Summary
from .summaries import frame_statistics
from .validation import ConfigError
from .model.tasks import (Battery, CapabilityTable, anchored_universe, build_battery, capability, capability_table,
                          item_plan, respond)

__all__ = ["chunk_layout", "chunk_summary", "CHUNKS_PER_TASK", "group_summary", "items_per_form",
           "drift", "LONG_RUN_S", "PAIR_KINDS", "losses", "Population", "prepare", "relative_snr", "resolve_seed", "run", "sample",
           "Setup", "simulate_chunk", "STREAM_BATTERY", "STREAM_CHUNKS", "stream_key", "STREAM_NORM",
           "STREAM_NORM_RESPONSES", "STREAM_RESPONSES", "population_statistics", "stream_rng"]

STREAM_NORM, STREAM_BATTERY, STREAM_CHUNKS, STREAM_RESPONSES, STREAM_NORM_RESPONSES, STREAM_INBRED, \
    STREAM_INBRED_RESPONSES, STREAM_PATERNAL, STREAM_PATERNAL_RESPONSES = range(9)
# Chunks per unit of backend work. It fixes the order in which summaries merge (and so their
# last bits), so it is a constant, not a setting; 4 x 65536 people keeps Dask's per-task cost
# small against the work.
CHUNKS_PER_TASK = 4


def resolve_seed(seed: int | None) -> int:
    """`None` -> fresh OS entropy (recorded with the result); ints must be >= 0."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    from .validation import check_int

    return check_int("seed", seed, 0)


def stream_rng(seed: int, *key: int) -> np.random.Generator:
    """The generator of one random stream: SeedSequence(seed, spawn_key=key)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def stream_key(seed: int, stream: int) -> int:
    """A 64-bit key of one stream, for kernels that derive per-person draws from it."""
    return int(np.random.SeedSequence(seed, spawn_key=(stream,)).generate_state(1, np.uint64)[0])


@dataclass(frozen=True)
class Setup:
    """Everything shared by all chunks: the anchored battery, its norms and capability tables."""

    model: ModelParams
    seed: int
    battery: Battery
    norms: tuple[tuple[float, float], ...]  # (mean, sd) of the composite per form
    universe: CapabilityTable
    noise_median: float  # the norm sample's median neural noise: drift = drift_ref there


def losses(model: ModelParams, phen: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Reducible loss per person and domain and its domain mean (nats/token), penalty included."""
    return person_losses(model.law, phen["n_params"], phen["data_domain"], phen["exponent_m"], phen["hyper_penalty"])


def prepare(model: ModelParams, seed: int) -> Setup:
    """Simulate the norm sample, anchor the universe to it, build and norm the battery.

    Parameters
    ----------
    model : ModelParams
    seed : int
        Root of the random streams (the norm sample's, the battery's).

    Returns
    -------
    Setup
        What every chunk shares: battery, norms (composite mean and SD per form), the
        capability table and the norm sample's median noise.
    """
    norm_pop = dataclasses.replace(model.population, design="unrelated")
    draws = draw_traits(stream_rng(seed, STREAM_NORM), norm_pop, model.battery.n_domains, model.battery.norm_n)
    phen = phenotypes(draws, norm_pop)
    x, _ = losses(model, phen)
    r_med = float(np.median(x))
    if not (np.isfinite(r_med) and r_med > 0.0):  # everything is relative to it
        raise ConfigError(f"The norm sample's median reducible loss must be a positive finite number. Got {r_med} "
                          "instead: the law's loss under- or overflows at these values (see population.architecture, "
                          "population.data.data_unit, population.brain.synapses_per_param).")
    # the universe reaches the plan's hardest and easiest items: the Setup's model carries it
    plan = item_plan(model.battery, x, r_med)
    model = dataclasses.replace(model, battery=anchored_universe(model.battery, plan))
    battery = build_battery(stream_rng(seed, STREAM_BATTERY), model.battery, r_med, x, phen["noise"], plan=plan)
    scores = respond(x, phen["noise"], battery, stream_key(seed, STREAM_NORM_RESPONSES), expected_forms=0)
    norms = tuple(psy.norm_constants(c) for c in scores["composite"])
    u = x / r_med  # tabulate capability over the norm sample's range (others are computed exactly)
    table = capability_table(model.battery, (0.9 * float(u.min()), 1.1 * float(u.max())))
    return Setup(model, seed, battery, norms, table, float(np.median(phen["noise"])))


def relative_snr(noise: np.ndarray, noise_median: float) -> np.ndarray:
    """Signal-to-noise ratio relative to the norm sample's median person (1 there; all ones
    when that person has no noise). Drift is drift_ref times it, so the typical person has
    typical diffusion parameters whatever the hypothesis does to noise."""
    return noise_median / noise if noise_median > 0 else np.ones(noise.shape)


def drift(pop: PopulationParams, noise: np.ndarray, reducible: np.ndarray, noise_median: float,
          r_med: float) -> np.ndarray:
    """Each person's drift rate (n,): drift_ref times the relative SNR times (r_med / reducible
    loss)^drift_loss_exponent. Evidence accumulates faster with less noise and, when the
    exponent is above 0, with more learned (the diffusion-model literature ties drift to
    ability in general, not to one mechanism). reducible: mean over domains, nats/token."""
    # a loss that underflows to 0 (extreme exponents) gets the drift of 1e-12 x the median's
    learned = ((r_med / np.maximum(reducible, 1e-12 * r_med)) ** pop.drift_loss_exponent
               if pop.drift_loss_exponent else 1.0)
    return pop.drift_ref * relative_snr(noise, noise_median) * learned


def _lognormal(median: float, sd: float, z: np.ndarray) -> np.ndarray:
    """median * exp(sd z - sd^2 / 2): a per-person multiplier of mean 1 on a typical value."""
    return median * np.exp(sd * z - 0.5 * sd * sd)


PAIR_KINDS = ("MZ", "DZ", "MZA", "adoptive")  # zygosity codes 1..4: twins, twins reared apart, adoptive siblings


def simulate_chunk(setup: Setup, index: int, first_id: int, n: int, *, inbred: bool = False,
                   capability_columns: bool = True) -> dict[str, np.ndarray]:
    """Simulate people first_id .. first_id + n - 1.

    Parameters
    ----------
    setup : Setup
    index : int
        The chunk's index: its traits are drawn from the chunk's own stream.
    first_id, n : int
        Id of the first person (the inbred cohort counts its own from 0), and how many.
    inbred : bool
        People of the inbred cohort (unrelated, inbreeding coefficient
        population.inbred_coefficient; their own streams and ids), not of the population.
    capability_columns : bool
        False leaves out capability, output and capability_<domain> (no random draws: the
        other columns keep their bits), which the inbred cohort's statistics do not use.

    Returns
    -------
    dict of str to ndarray
        Columns of length n (names and units: `Population`).
    """
    model, bat, pop = setup.model, setup.battery, setup.model.population
    if inbred:
        pop = dataclasses.replace(pop, design="unrelated")
    streams = (STREAM_INBRED, STREAM_INBRED_RESPONSES) if inbred else (STREAM_CHUNKS, STREAM_RESPONSES)
    draws = draw_traits(stream_rng(setup.seed, streams[0], index), pop, model.battery.n_domains, n, first_id,
                        inbreeding=pop.inbred_coefficient if inbred else 0.0)
    phen = phenotypes(draws, pop)
    x, x_mean = losses(model, phen)
    scores = respond(x, phen["noise"], bat, stream_key(setup.seed, streams[1]), first_id, expected_forms=1)
    raw, composite = scores["raw"], scores["composite"]
    if capability_columns:
        mean, product, per_domain = capability(x, phen["noise"], setup.universe, bat.r_med, model.battery.depth)
    rt_mean, rt_sd = sample_rt(drift(pop, phen["noise"], x_mean, setup.noise_median, bat.r_med),
                               _lognormal(pop.boundary, pop.boundary_sd, draws.rt_person[:, 0]),
                               _lognormal(pop.non_decision, pop.non_decision_sd, draws.rt_person[:, 1]),
                               pop.trials, draws.rt_z, draws.rt_chi)
    cols = {
        "person": first_id + np.arange(len(draws)),
        "family": draws.family,
        "zygosity": draws.zygosity,
        "brain_volume": phen["brain_volume"],
        "n_params": phen["n_params"],
        "data": phen["data"],
        "mutation_burden": draws.burden,
        "inherited_variants": draws.inherited,
        "shared_variants": draws.shared,
        "noise": phen["noise"],
        "step_error": -np.expm1(-phen["noise"]),
        "hyper_penalty": phen["hyper_penalty"],
        "exponent_m": phen["exponent_mean"],
        "reducible_loss": x_mean,
        "loss": x_mean + model.law.irreducible,
        **({"capability": mean} if capability_columns else {}),
        "true_score": scores["true_total"][0] / bat.thresholds[0].size,
        "iq": psy.to_iq(composite[0], *setup.norms[0]),
        "iq_retest": psy.to_iq(composite[1], *setup.norms[1]) if bat.n_forms > 1 else np.full(n, np.nan),
        "rt_mean": rt_mean,
        "rt_sd": rt_sd,
        **({"output": product} if capability_columns else {}),
    }
    if not inbred and pop.paternal_fraction > 0.0:
        k = pop.paternal_count(n)
        scored = _paternal_iq(setup, draws, x, index, first_id, k) if k else (np.empty(0), np.empty(0))
        for column, iq in zip(PATERNAL, scored):
            cols[column] = np.concatenate([iq, np.full(len(draws) - k, np.nan)])
    for d, name in enumerate(model.battery.domains):
        cols[f"score_{name}"] = raw[0, :, d]
        if capability_columns:
            cols[f"capability_{name}"] = per_domain[:, d]
    if pop.design == "twins":  # unrelated people's latent traits are drawn whole: no genetic parts
        for j, name in enumerate(pop.latent_names):
            cols[f"genetic_{name}"] = draws.genetic[:, j]
    if pop.design == "twins" and len(draws) > n:  # odd n: drop the last co-twin
        cols = {k: v[:n] for k, v in cols.items()}
    return cols


def _paternal_iq(setup: Setup, draws: Draws, x: np.ndarray, index: int, first_id: int,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """IQ (form A) of a chunk's first k people had their father been 25 and had he been 45:
    their own traits with their de novo hits redrawn at each age (`paternal_de_novo`), scored
    on the same items with the same uniforms at both ages, so a child's two IQs differ only
    through the older father's extra hits (and never rise with them: more noise solves no item
    more often). Each person's hits are drawn apart, MZ co-twins' too: the statistic counts
    people, not pairs. The reducible loss x ((n, K)) does not depend on noise."""
    pop, bat = setup.model.population, setup.battery
    *_, young, old = paternal_de_novo(stream_rng(setup.seed, STREAM_PATERNAL, index), pop, k)
    inherited = draws.burden[:k] - draws.de_novo[:k]
    form_a = Battery(bat.thresholds[:1], bat.depth[:1], bat.width, bat.r_med)
    key = stream_key(setup.seed, STREAM_PATERNAL_RESPONSES)
    out = []
    for burden in (young, old):
        noise = phenotypes(draws.head(k, burden=inherited + burden), pop)["noise"]
        composite = respond(x[:k], noise, form_a, key, first_id, expected_forms=0)["composite"][0]
        out.append(psy.to_iq(composite, *setup.norms[0]))
    return out[0], out[1]


def items_per_form(model: ModelParams) -> int:
    """Items on one form of the battery: the composite score's ceiling."""
    return model.battery.n_domains * model.battery.items_per_domain


def chunk_layout(pop: PopulationParams, *, inbred: bool = False) -> Iterator[tuple[int, int, int]]:
    """(chunk index, first person id, size) of every chunk of the population (twins' chunks
    hold whole pairs), or of its inbred cohort (ids from 0 in the cohort's own streams)."""
    n = pop.inbred_n if inbred else pop.n
    size = pop.chunk_size + (pop.chunk_size % 2 if pop.design == "twins" and not inbred else 0)
    for index, first in enumerate(range(0, n, size)):
        yield index, first, min(size, n - first)


def chunk_summary(setup: Setup, index: int, first: int, size: int, *, inbred: bool = False) -> Summary:
    """Sufficient statistics of one chunk (of the inbred cohort: its IQ and RT moments only)."""
    model = setup.model
    cols = simulate_chunk(setup, index, first, size, inbred=inbred, capability_columns=not inbred)
    if inbred:
        return Summary.of_inbred(cols, model.battery.domains, model.population.n, model.population.inbred_coefficient)
    return Summary.of_columns(cols, model.battery.domains, model.population.n, items=items_per_form(model),
                              tagging=model.population.snp_tagging)


def group_summary(setup: Setup, chunks: Sequence[tuple[int, int, int]], inbred: bool = False) -> Summary:
    """Statistics of consecutive chunks (index, first, size), merged in chunk order: the unit
    of work a backend distributes."""
    parts = (chunk_summary(setup, *chunk, inbred=inbred) for chunk in chunks)
    total = next(parts)
    for part in parts:
        total = total.merge(part)
    return total


def population_statistics(model: ModelParams, seed: int | None = 0, progress: Callable[[int], None] | None = None,
              setup: Setup | None = None, backend=None) -> dict[str, float]:
    """Statistics of the whole population in one streaming pass.

    Memory holds a few chunks and the running `Summary`, whatever the population size.
    Chunks are summarised in groups of `CHUNKS_PER_TASK` and merged in chunk order on every
    backend, so the result has the same bits on any backend and thread count.

    Parameters
    ----------
    model : ModelParams
    seed : int or None
        Root of every random stream (None: fresh entropy).
    progress : callable, optional
        Called with the number of people summarised after each group of chunks (the inbred
        cohort's included: population.n + population.inbred_n in all).
    setup : Setup, optional
        A `prepare` of the same model and seed, to reuse.
    backend : optional
        Where the chunks run (`brainsim.backends.open_backend`, e.g. a Dask cluster);
        default: this process.

    Returns
    -------
    dict of str to float
        Named statistics (`brainsim.summaries.STATISTICS`); NaN where undefined.
    """
    from .backends import LocalBackend

    setup = setup or prepare(model, resolve_seed(seed))
    backend = backend or LocalBackend()
    # the population's groups of chunks, then the inbred cohort's (in the same map: one pass)
    groups = [(tuple(layout[i : i + CHUNKS_PER_TASK]), inbred)
              for inbred in (False, True) if (layout := list(chunk_layout(model.population, inbred=inbred)))
              for i in range(0, len(layout), CHUNKS_PER_TASK)]
    total = Summary.empty(model.battery.domains, model.population.n)
    start = time.perf_counter()
    for i, ((group, inbred), part) in enumerate(zip(groups, backend.map_ordered(group_summary, groups, shared=(setup,)))):
        total = total.merge(part)
        if progress is not None:
            progress(sum(size for _, _, size in group))
        if i == 0 and len(groups) > 1:
            _announce(model.population.n + model.population.inbred_n, (time.perf_counter() - start) * len(groups))
    return total.statistics()


LONG_RUN_S = 60.0  # a population expected to take longer than this is announced in the log


def _announce(n: int, seconds: float) -> None:
    """Log how long a population will take, from its first group of chunks, when that is long
    (on Dask, with tasks in flight, an upper estimate)."""
    if seconds > LONG_RUN_S:
        import logging

        logging.getLogger("brainsim").info("%s people: about %s at the first chunks' pace", f"{n:,}",
                                           f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h")


def run(model: ModelParams, seed: int | None = 0, progress: Callable[[int], None] | None = None) -> Population:
    """Simulate the whole population in memory (all chunks).

    Parameters
    ----------
    model, seed, progress
        As in `population_statistics` (`progress` after each chunk).

    Returns
    -------
    Population
    """
    seed = resolve_seed(seed)
    setup = prepare(model, seed)
    pop = model.population
    frames = []
    for inbred, n in ((False, pop.n), (True, pop.inbred_n)):
        cols: dict[str, np.ndarray] = {}
        for index, first, size in chunk_layout(pop, inbred=inbred):
            part = simulate_chunk(setup, index, first, size, inbred=inbred)
            if not cols:  # columns are filled in place: memory stays at one copy plus a chunk
                cols = {k: np.empty(n, v.dtype) for k, v in part.items()}
            for k, v in part.items():
                cols[k][first : first + size] = v
            if progress is not None:
                progress(size)
        frames.append(_frame(cols, "unrelated" if inbred else pop.design) if cols else None)
    return Population(frame=frames[0], model=model, seed=seed, setup=setup, provenance=record(seed=seed),
                      inbred=frames[1])


def _frame(cols: dict[str, np.ndarray], design: str) -> pd.DataFrame:
    """A person-per-row frame from simulated columns; zygosity becomes "MZ"/"DZ" for twins."""
    frame = pd.DataFrame(cols, copy=False)
    if design == "twins":
        frame["zygosity"] = pd.Categorical.from_codes(frame["zygosity"].to_numpy() - 1, list(PAIR_KINDS))
        return frame
    return frame.drop(columns=["family", "zygosity", "shared_variants"])


def sample(setup: Setup, n: int) -> pd.DataFrame:
    """A sample of the population for figures, in constant memory.

    Parameters
    ----------
    setup : Setup
    n : int
        People wanted; min(n, chunk size, population size) are drawn from chunk 0's stream.

    Returns
    -------
    pandas.DataFrame
        The same population (parameters, battery and norms). Not always the run's first
        people: traits drawn per chunk (mutation load, RT sampling error and with them IQ)
        depend on the chunk's size.
    """
    pop = setup.model.population
    _, first, size = next(chunk_layout(pop))
    k = min(int(n), size)
    return _frame(simulate_chunk(setup, 0, first, k), pop.design)


@dataclass
class Population:
    """A simulated population.

    frame : one row per person. Columns and units: brain_volume (cm^3); n_params (law
    parameters = synapses / synapses_per_param); data (lifetime tokens); mutation_burden
    (sum of mutation effects on log noise); noise (nu, nats per serial step); step_error
    (1 - exp(-nu)); loss, reducible_loss (nats/token, mean over domains, penalty included);
    capability (share of the task universe solved, exact; capability_<domain> per domain); true_score (expected share of the
    battery solved); iq, iq_retest (normed forms A and B); iq_father_25, iq_father_45 (form
    A's IQ had the person's father been 25 or 45: the first population.paternal.fraction of
    each chunk, NaN for the rest); rt_mean, rt_sd (s); output
    (product over domains of the share of tasks solved: Shockley 1957's multiplicative
    model, one factor per domain); score_<domain> (items
    solved); for twins family, zygosity ("MZ"/"DZ"/...) and genetic_<trait> (each latent
    trait's additive genetic part: what common variants carry, standard normal).

    inbred : the inbred cohort (population.inbred: unrelated people of inbreeding coefficient
    model.population.inbred_coefficient, normed and tested like the population), the same
    columns as an unrelated frame; None when there is none.
    """

    frame: pd.DataFrame
    model: ModelParams
    seed: int
    setup: Setup
    config: dict | None = None  # the composed config, when built from one (brainsim.simulate)
    provenance: dict | None = None  # version, seed, config, overrides, environment (brainsim.provenance)
    inbred: pd.DataFrame | None = None

    def summary(self) -> dict[str, float]:
        """Named statistics of the population and its inbred cohort (see `brainsim.summaries`)."""
        return frame_statistics(self.frame, self.model.battery.domains, items=items_per_form(self.model),
                                inbred=self.inbred, inbreeding=self.model.population.inbred_coefficient,
                                tagging=self.model.population.snp_tagging)

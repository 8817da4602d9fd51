"""The comparison as a typed problem, built once: the hypotheses (each one's validated
parameters at its files' values and its priors), the statistics and the targets; and the
simulators the ABC, the reference table and the checks call with sampled values.

A simulation sets the sampled values on the hypothesis's typed parameters
(`brainsim.config.overrides.override`: checked against the schema, no config dict copied or
re-validated) and sets the population's and the norm sample's sizes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .config.overrides import checked_value, override, settable
from .engine import population_statistics
from .inference import HypothesisPriors, Simulator, derived_seed, distance
from .summaries import missing_charges
from .model.params import ModelParams
from .validation import ConfigError

__all__ = ["Problem", "simulation_noise", "StatisticsSimulator"]

StatisticsSimulator = Callable[[int, dict, int], np.ndarray]  # (hypothesis index, sampled values, seed) -> statistics


@dataclass(frozen=True)
class Problem:
    """Hypotheses, their priors and the targets of one comparison.

    Attributes
    ----------
    names : tuple of str
        Hypothesis names, in order (index m everywhere).
    models : tuple of ModelParams
        Each hypothesis's validated parameters at its files' values (None in a problem that
        is never simulated, e.g. a toy table's).
    hypotheses : tuple of HypothesisPriors
        Each hypothesis's uniform priors, in the space the samplers draw (log10 for `log`).
    log : tuple of frozenset
        Each hypothesis's keys sampled as log10 of the value.
    targets : tuple of Target
        The observed targets (value, tolerance, source).
    configs : tuple of dict
        Each hypothesis's resolved config, kept for fingerprints (never simulated).
    """

    names: tuple[str, ...]
    models: tuple[ModelParams | None, ...]
    hypotheses: tuple[HypothesisPriors, ...]
    log: tuple[frozenset[str], ...]
    targets: tuple
    configs: tuple[dict, ...] = ()

    def __post_init__(self) -> None:
        for name, model, spec, log in zip(self.names, self.models, self.hypotheses, self.log):
            for key, ends in spec.priors.items() if model is not None else ():
                if not settable(key, model):
                    raise ConfigError(f"hypothesis/{name}: the free parameter '{key}' cannot be sampled: a free "
                                      "parameter must be a scalar key of population, battery or scaling "
                                      "(e.g. population.noise.sd).")
                for end in ends:  # a prior reaching outside the key's range fails now, not mid-run
                    try:
                        checked_value(key, 10.0**end if key in log else end)
                    except ConfigError as err:
                        raise ConfigError(f"hypothesis/{name}: the prior of '{key}' reaches outside its range: "
                                          f"{err}") from None

    @property
    def statistics(self) -> list[str]:
        return [t.statistic for t in self.targets]

    @property
    def tolerance(self) -> np.ndarray:
        return np.array([t.tolerance for t in self.targets], float)

    @property
    def observed(self) -> np.ndarray:
        return np.array([t.value for t in self.targets], float)

    def charges(self, missing_z: float) -> np.ndarray:
        """(T,) what a simulation's NaN costs per statistic (`brainsim.summaries.missing_charges`)."""
        return missing_charges(self.statistics, missing_z)

    def with_targets(self, targets: Sequence) -> Problem:
        """The same hypotheses against other targets (e.g. widened tolerances, a table row)."""
        return dataclasses.replace(self, targets=tuple(targets))

    def only(self, names: Sequence[str]) -> Problem:
        """The same comparison restricted to `names` (in that order), e.g. the SMC's contenders."""
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise ConfigError(f"Unknown hypotheses {unknown}; allowed: {list(self.names)}.")
        keep = [self.names.index(n) for n in names]

        def pick(values: tuple) -> tuple:
            return tuple(values[i] for i in keep) if values else values

        return dataclasses.replace(self, names=tuple(names), models=pick(self.models),
                                   hypotheses=pick(self.hypotheses), log=pick(self.log), configs=pick(self.configs))

    def values(self, m: int, sampled: Mapping[str, float]) -> dict[str, float]:
        """Hypothesis m's sampled values in config units (10 ** value for its log10 keys)."""
        return {k: 10.0**v if k in self.log[m] else v for k, v in sampled.items()}

    def model(self, m: int, sampled: Mapping[str, float] | None = None, *, n: int | None = None,
              norm_n: int | None = None) -> ModelParams:
        """Hypothesis m's parameters with `sampled` values set (log10 keys as 10 ** value) and,
        when given, `n` people and a norm sample of `norm_n`."""
        values = self.values(m, sampled or {})
        if n is not None:
            values["population.n"] = n
        if norm_n is not None:
            values["battery.norm_n"] = norm_n
        return override(self.models[m], values)

    def statistics_simulator(self, n: int, norm_n: int) -> StatisticsSimulator:
        """``simulate(m, sampled, seed)``: hypothesis m at the sampled values, `n` people; the
        targets' statistics (float64, (T,); NaN where undefined)."""
        statistics = self.statistics

        def simulate(m: int, sampled: dict, seed: int) -> np.ndarray:
            summary = population_statistics(self.model(m, sampled, n=n, norm_n=norm_n), seed)
            return np.array([summary.get(s, np.nan) for s in statistics], float)

        return simulate

    def simulator(self, n: int, norm_n: int, missing_z: float) -> Simulator:
        """``simulate(m, sampled, seed)``: the distance (RMS z) of `statistics_simulator`'s
        statistics to the targets, for `brainsim.inference.abc_smc`."""
        stats, targets = self.statistics_simulator(n, norm_n), list(self.targets)
        names, charges = self.statistics, self.charges(missing_z)  # once, not per simulation

        def simulate(m: int, sampled: dict, seed: int) -> float:
            return distance(dict(zip(names, stats(m, sampled, seed))), targets, charges)

        return simulate


def simulation_noise(problem: Problem, n: int, norm_n: int, replicates: int, *, seed: int,
                     map_fn: Callable = map) -> np.ndarray:
    """Each statistic's own Monte-Carlo SD at `n` people (float64, (T,)): the SD over
    `replicates` seeds of every hypothesis at its files' values, the largest over hypotheses
    (NaN where no hypothesis computes it twice). Seeds from (seed, 9_973, m, r)."""
    simulate = problem.statistics_simulator(n, norm_n)
    jobs = [(m, derived_seed(seed, 9_973, m, r)) for m in range(len(problem.names)) for r in range(replicates)]
    sims = np.array(list(map_fn(lambda job: simulate(job[0], {}, job[1]), jobs))).reshape(
        len(problem.names), replicates, len(problem.statistics))
    sd = np.full(sims.shape[::2], np.nan)
    for m in range(sims.shape[0]):
        for t in range(sims.shape[2]):
            s = sims[m, :, t][np.isfinite(sims[m, :, t])]
            if s.size > 1:
                sd[m, t] = s.std(ddof=1)
    return np.array([np.nanmax(c) if np.isfinite(c).any() else np.nan for c in sd.T])

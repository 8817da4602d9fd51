"""The schema: every scalar config key with its type and allowed range, in one table.

The validators (`brainsim.config.settings`, `brainsim.config.builders`, `brainsim.backends`)
check each value with `check(key, value)`, which gives the one-line message naming the key,
its allowed range and the value; the property tests draw valid and invalid values from the
same table. Keys of list items are written with `[]` (e.g.
`population.architecture.variants[].prob`); `check` accepts them with an index. Checks that
relate keys (h2 + c2 <= 1, upper > lower, recovery.neighbours < recovery.per_hypothesis)
stay in the validators. Unknown keys are caught once, by `brainsim.validation.Strict`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..model.params import ARCH_MODES, DENSITIES, DESIGNS, ITEM_SOURCES, TRAITS
from ..model.scaling import FORMS
from ..validation import check_bool, check_choice, check_float, check_int

__all__ = ["BACKENDS", "SCHEMA", "Rule", "check", "rules"]

BACKENDS = ("local", "dask")  # where the work runs: brainsim.backends


@dataclass(frozen=True)
class Rule:
    """One key's constraint: kind int, float, bool or choice; a closed range [low, high]
    (None: unbounded; low_open: low itself excluded); the options of a choice; nullable:
    null (None) is allowed too."""

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    options: tuple[str, ...] = ()
    nullable: bool = False

    def check(self, key: str, value):
        """`value` converted to the key's type, or ConfigError naming `key` and the range."""
        if value is None and self.nullable:
            return None
        if self.kind == "int":
            return check_int(key, value, self.low, self.high)
        if self.kind == "float":
            return check_float(key, value, self.low, self.high, low_open=self.low_open)
        if self.kind == "bool":
            return check_bool(key, value)
        return check_choice(key, value, self.options)


def _int(low=None, high=None, nullable=False) -> Rule:
    return Rule("int", low, high, nullable=nullable)


def _float(low=None, high=None, low_open=False) -> Rule:
    return Rule("float", low, high, low_open)


POSITIVE, NONNEGATIVE, PROBABILITY, BOOL = _float(0.0, low_open=True), _float(0.0), _float(0.0, 1.0), Rule("bool")


def _choice(options) -> Rule:
    return Rule("choice", options=tuple(options))


SCHEMA: dict[str, Rule] = {
    # the run
    "seed": _int(0, nullable=True),
    "threads": _int(1, 1024, nullable=True),
    "max_people": _int(1),
    "save_population": BOOL,
    "save_max_rows": _int(1),
    "resume": BOOL,
    "report": BOOL,
    "abc.particles": _int(0, 100_000),
    "abc.generations": _int(1, 100),
    "abc.quantile": _float(0.0, 1.0, low_open=True),
    "abc.min_epsilon": NONNEGATIVE,
    "abc.min_acceptance": _float(0.0, 1.0, low_open=True),
    "abc.max_simulations": _int(1),
    "abc.repeats": _int(1, 1000),
    "abc.n": _int(2),
    "abc.norm_n": _int(2),
    "abc.missing_z": POSITIVE,
    "abc.noise_replicates": _int(0, 1000),
    "abc.top": _int(0, 1000),
    "recovery.per_hypothesis": _int(0, 1_000_000),
    "recovery.neighbours": _int(1),
    "recovery.local": _int(1),
    "recovery.resamples": _int(20, 100_000),
    "recovery.predictive": _int(0, 100_000),
    "recovery.top": _int(1),
    "recovery.smc_checks": _int(0, 1000),
    "model_choice.enabled": BOOL,
    "model_choice.trees": _int(40, 100_000),
    "model_choice.posterior_trees": _int(40, 100_000),
    "model_choice.lda": BOOL,
    "model_choice.floor": BOOL,
    "model_choice.gate_level": _float(0.0, 0.5, low_open=True),
    "model_choice.gate_neighbours": _int(1, 1000),
    "model_choice.halves": BOOL,
    "life_course.enabled": BOOL,
    "life_course.n": _int(2000, 10**8),  # brainsim.lifecourse.MIN_PEOPLE: fewer twins make h² noise
    "life_course.rise": _float(-1.0, 1.0),
    "life_course.tolerance": POSITIVE,
    "plots.enabled": BOOL,
    "plots.n": _int(10),
    "plots.dpi": _int(30, 1200),
    "backend.name": _choice(BACKENDS),
    "backend.n_workers": _int(1),
    "backend.threads_per_worker": _int(1),
    "backend.window": _int(1),
    # the law (each form reads its own constants)
    "scaling.form": _choice(FORMS),
    "scaling.E": NONNEGATIVE,
    **{f"scaling.{k}": POSITIVE for k in ("A", "B", "alpha", "beta", "Nc", "Dc", "alpha_n", "alpha_d")},
    # the population
    "population.n": _int(1),
    "population.chunk_size": _int(1),
    "population.design": _choice(DESIGNS),
    "population.mz_fraction": PROBABILITY,
    "population.mza_fraction": PROBABILITY,
    "population.adoptive_fraction": PROBABILITY,
    "population.inbred.fraction": _float(0.0, 10.0),  # up to 10 inbred people per person of the population
    "population.inbred.coefficient": PROBABILITY,
    "population.inbred.depression": _float(0.0, 20.0),  # SDs per unit F: at F = 1/16, 20 moves a trait 1.25 SD
    "population.snp_tagging": _float(0.0, 1.0, low_open=True),  # a share; 0 would make snp_h2 vanish
    "population.paternal.fraction": PROBABILITY,  # a share of each chunk's people
    "population.paternal.rise": _float(0.0, 0.045),  # per year: a rate still positive at 25 with mean_age <= 45
    "population.paternal.mean_age": _float(25.0, 45.0),
    "population.brain.volume_mean": POSITIVE,
    "population.brain.volume_cv": _float(0.0, 2.0),
    "population.brain.volume_ref": POSITIVE,
    "population.brain.kappa": _float(0.0, 5.0),
    "population.brain.synapses_ref": POSITIVE,
    "population.brain.synapses_per_param": POSITIVE,
    "population.brain.density_sd": _float(0.0, 3.0),
    "population.brain.efficiency_sd": _float(0.0, 3.0),
    "population.data.seconds": POSITIVE,
    "population.data.rate": POSITIVE,
    "population.data.data_unit": POSITIVE,
    "population.data.sd": _float(0.0, 3.0),
    "population.data.diet_cv": _float(0.0, 10.0),
    "population.hyperparameters.dims": _int(0, 64),
    "population.hyperparameters.sd": _float(0.0, 10.0),
    "population.hyperparameters.curvature": NONNEGATIVE,
    "population.mutation.inherited_rate": _float(0.0, 1e6),
    "population.mutation.inherited_shape": POSITIVE,
    # mean effect of one variant on log noise: 10 multiplies noise by e^10 (2e4) per variant
    "population.mutation.inherited_mean": _float(0.0, 10.0),
    "population.mutation.de_novo_rate": _float(0.0, 1e6),
    "population.mutation.de_novo_shape": POSITIVE,
    "population.mutation.de_novo_mean": _float(0.0, 10.0),
    # a heterozygote's share of a homozygote's effect: 0.01 makes a homozygous variant 100 times
    # its carriers' effect; 1 is full dominance
    "population.mutation.dominance": _float(0.01, 1.0),
    "population.noise.ref": _float(0.0, 100.0),
    "population.noise.sd": _float(0.0, 3.0),
    "population.architecture.mode": _choice(ARCH_MODES),
    "population.architecture.sd": _float(0.0, 2.0),
    "population.architecture.domain_specific": BOOL,
    "population.architecture.variants[].prob": PROBABILITY,
    # log shift of a variant's exponent multiplier: e^±1 spans exponents from 0.37 to 2.7 times
    # the law's (at e^5 the loss underflows to 0 for everyone: no norm, no score)
    "population.architecture.variants[].shift": _float(-1.0, 1.0),
    **{f"population.heritability.{t}.{share}": PROBABILITY for t in (*TRAITS, "hyperparameters") for share in ("h2", "c2")},
    "population.reaction_time.drift_ref": POSITIVE,
    "population.reaction_time.boundary": POSITIVE,
    "population.reaction_time.non_decision": NONNEGATIVE,
    # drift ∝ (median / own reducible loss)^b: 5 makes a 10% loss difference a 60% drift one
    "population.reaction_time.drift_loss_exponent": _float(0.0, 5.0),
    "population.reaction_time.boundary_sd": _float(0.0, 2.0),  # SD of log a: e^2 = 7-fold per SD
    "population.reaction_time.non_decision_sd": _float(0.0, 2.0),
    "population.reaction_time.trials": _int(2),
    # the battery
    "battery.depth[]": _float(1.0, 1000.0),
    "battery.items_per_domain": _int(1, 100_000),
    "battery.items": _choice(ITEM_SOURCES),
    "battery.selection_pool": _int(1, 1000),
    # ability SDs the items span either side of the mean: 0.5 puts every item near the mean, 8 is
    # beyond any test
    "battery.reach": _float(0.5, 8.0),
    "battery.norm_n": _int(2),
    "battery.parallel_form": BOOL,
    "battery.universe.density": _choice(DENSITIES),
    "battery.universe.gamma": _float(-20.0, 20.0),
    "battery.universe.lower": POSITIVE,
    "battery.universe.upper": POSITIVE,
    "battery.universe.width": POSITIVE,
}


def check(key: str, value):
    """Check `value` against the rule of `key` (list indices allowed: variants[2].prob)."""
    return SCHEMA[re.sub(r"\[\d+\]", "[]", key)].check(key, value)


def rules() -> Iterator[tuple[str, Rule]]:
    """Every (key, rule) of the schema, in table order."""
    yield from SCHEMA.items()

"""Values set on typed parameters by their config keys: how a sampled parameter vector
becomes a `ModelParams` without a config dict.

`settable(key)` says whether a dotted config key (`population.noise.sd`,
`population.heritability.data.h2`, `battery.universe.gamma`, `scaling.alpha`,
`population.architecture.variants[0].prob`) can be set this way; `override(model, values)`
returns a copy of `model` with each value checked against `brainsim.config.schema` (ints
rounded first, as a sampler's floats must be) and the relations between keys checked again.
The result equals `model_from_config` of the config with the same values set.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import numpy as np

from ..model.params import TRAITS, ModelParams
from ..validation import ConfigError
from .builders import (BATTERY_KEYS, POPULATION_KEYS, check_pair_kinds, check_shares, check_universe,
                     check_variant_probs)
from .schema import SCHEMA, check

__all__ = ["checked_value", "override", "settable"]

_POPULATION_FIELDS = {f"population.{key}": field for field, key in POPULATION_KEYS.items()}
_BATTERY_FIELDS = {f"battery.{key}": field for field, key in BATTERY_KEYS.items()}
_HERITABILITY = re.compile(r"population\.heritability\.(\w+)\.(h2|c2)")
_VARIANT = re.compile(r"population\.architecture\.variants\[(\d+)\]\.(prob|shift)")
_SCALING = re.compile(r"scaling\.(\w+)")


def settable(key: str, model: ModelParams) -> bool:
    """Whether `override` can set the dotted config `key` on `model`."""
    if key in _POPULATION_FIELDS or key in _BATTERY_FIELDS:
        return True
    if m := _HERITABILITY.fullmatch(key):
        return m.group(1) in TRAITS + ("hyperparameters",)
    if m := _VARIANT.fullmatch(key):
        return int(m.group(1)) < model.population.arch_probs.size
    if m := _SCALING.fullmatch(key):
        return m.group(1) in model.law.params
    return False


def checked_value(key: str, value):
    """`value` checked against the schema's rule for `key` (a float rounded for int keys)."""
    rule = SCHEMA.get(re.sub(r"\[\d+\]", "[]", key))
    if rule is not None and rule.kind == "int" and isinstance(value, (float, np.floating)):
        value = int(round(value))
    return check(key, value)


def override(model: ModelParams, values: Mapping[str, object]) -> ModelParams:
    """A copy of `model` with each dotted config key of `values` set (ConfigError naming the
    key for a key `settable` refuses, a value outside its range, or a broken relation between
    keys)."""
    pop, bat, law = {}, {}, {}
    shares, variants = {}, {}
    for key, raw in values.items():
        if key in _POPULATION_FIELDS:
            pop[_POPULATION_FIELDS[key]] = checked_value(key, raw)
        elif key in _BATTERY_FIELDS:
            bat[_BATTERY_FIELDS[key]] = checked_value(key, raw)
        elif not settable(key, model):
            raise ConfigError(f"The '{key}' parameter cannot be set on the model's parameters: use a scalar key of "
                              "population, battery or scaling (e.g. population.noise.sd).")
        elif m := _HERITABILITY.fullmatch(key):
            shares[(m.group(1), m.group(2))] = checked_value(key, raw)
        elif m := _VARIANT.fullmatch(key):
            variants[(int(m.group(1)), m.group(2))] = checked_value(key, raw)
        else:
            law[key.split(".", 1)[1]] = checked_value(key, raw)
    population = model.population
    if shares:
        pop |= _heritability(population, shares)
    if variants:
        pop |= _variants(population, variants)
    if pop:
        population = dataclasses.replace(population, **pop)
        check_pair_kinds(population.mza_fraction, population.adoptive_fraction)
    battery = dataclasses.replace(model.battery, **bat) if bat else model.battery
    check_universe(battery.lower, battery.upper)
    scaling = dataclasses.replace(model.law, params=model.law.params | law) if law else model.law
    return ModelParams(law=scaling, population=population, battery=battery)


def _heritability(pop, shares: Mapping[tuple[str, str], float]) -> dict[str, np.ndarray]:
    """New h2 and c2 arrays with the given (trait, "h2" | "c2") shares set; each touched trait's
    h2 + c2 <= 1 checked."""
    arrays = {"h2": pop.h2.copy(), "c2": pop.c2.copy()}
    for (trait, which), value in shares.items():
        arrays[which][_columns(trait, pop.hyper_dims)] = value
    for trait in {trait for trait, _ in shares}:
        first = _columns(trait, pop.hyper_dims).start
        if first < arrays["h2"].size:
            check_shares(trait, float(arrays["h2"][first]), float(arrays["c2"][first]))
    return arrays


def _columns(trait: str, hyper_dims: int) -> slice:
    """The latent columns of a trait: one per fixed trait, `hyper_dims` for the hyperparameters."""
    if trait == "hyperparameters":
        return slice(len(TRAITS), len(TRAITS) + hyper_dims)
    i = TRAITS.index(trait)
    return slice(i, i + 1)


def _variants(pop, values: Mapping[tuple[int, str], float]) -> dict[str, np.ndarray]:
    """New variant probability and shift arrays with the given (index, "prob" | "shift") set."""
    probs, shifts = pop.arch_probs.copy(), pop.arch_shifts.copy()
    for (i, which), value in values.items():
        (probs if which == "prob" else shifts)[i] = value
    check_variant_probs(probs)
    return {"arch_probs": probs, "arch_shifts": shifts}

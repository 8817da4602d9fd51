"""Model parameters from a config: each section validated into the dataclasses of
`brainsim.model.params` (any nested mapping: a Hydra node or a dict). Every check raises
`ConfigError` with a one-line message naming the dotted key and its allowed range."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..model.params import (
    TRAITS,
    BatteryParams,
    ModelParams,
    PopulationParams,
)
from ..model.scaling import _PARAMS, ScalingLaw
from .schema import check
from ..validation import (
    ConfigError,
    check_list,
)

__all__ = ["BATTERY_KEYS", "battery_from_config", "check_pair_kinds", "check_shares", "check_universe",
           "check_variant_probs", "law_from_config", "model_from_config", "POPULATION_KEYS", "population_from_config",
           "section"]


def law_from_config(cfg) -> ScalingLaw:
    """Build and validate a law from a mapping (Hydra node or dict: the `scaling` section)."""
    key = "scaling"
    form = check(f"{key}.form", cfg.get("form"))
    params = {}
    for name in _PARAMS[form]:
        params[name] = check(f"{key}.{name}", cfg.get(name))
    if form == "chinchilla":
        params["E"] = check(f"{key}.E", cfg.get("E"))
    source = cfg.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"The '{key}.source' parameter must be a non-empty citation string. Got {source!r} instead.")
    ranges = {}
    for rk in ("fitted_n", "fitted_d"):
        lo, hi = check_list(f"{key}.{rk}", cfg.get(rk, [0.0, float("inf")]), length=2)
        ranges[rk] = (float(lo), float(hi))
    return ScalingLaw(
        name=str(cfg.get("name", form)), form=form, params=params, source=source, notes=str(cfg.get("notes", "")), **ranges
    )


def section(cfg: Mapping, key: str, prefix: str) -> Mapping:
    """The config section `key` of `cfg` (ConfigError naming prefix + key when it is missing)."""
    node = cfg.get(key) if isinstance(cfg, Mapping) or hasattr(cfg, "get") else None
    if node is None or not hasattr(node, "get"):  # absent, or a scalar where a section belongs
        raise ConfigError(f"The '{prefix}{key}' section is missing from the configuration.")
    return node


def population_from_config(cfg: Mapping) -> PopulationParams:
    """Validate the `population` config section."""
    p = "population."
    hyp, arch, her = section(cfg, "hyperparameters", p), section(cfg, "architecture", p), section(cfg, "heritability", p)
    for name in ("brain", "data", "mutation", "noise", "reaction_time", "inbred", "paternal"):
        section(cfg, name, p)

    mode = check(p + "architecture.mode", arch.get("mode"))
    variants = check_list(p + "architecture.variants", arch.get("variants", []))
    probs, shifts = [], []
    for i, v in enumerate(variants):
        probs.append(check(f"{p}architecture.variants[{i}].prob", v.get("prob")))
        shifts.append(check(f"{p}architecture.variants[{i}].shift", v.get("shift")))
    check_variant_probs(probs)

    h2, c2 = [], []
    dims = check(p + "hyperparameters.dims", hyp.get("dims"))
    for name in TRAITS + ("hyperparameters",):
        node = section(her, name, p + "heritability.")
        h = check(f"{p}heritability.{name}.h2", node.get("h2"))
        c = check(f"{p}heritability.{name}.c2", node.get("c2"))
        check_shares(name, h, c)
        reps = dims if name == "hyperparameters" else 1
        h2 += [h] * reps
        c2 += [c] * reps

    scalars = {field: check(p + key, _read(cfg, key)) for field, key in POPULATION_KEYS.items()}
    check_pair_kinds(scalars["mza_fraction"], scalars["adoptive_fraction"])
    return PopulationParams(
        **scalars, hyper_dims=dims, arch_mode=mode, arch_probs=np.asarray(probs, float),
        arch_shifts=np.asarray(shifts, float), h2=np.asarray(h2, float), c2=np.asarray(c2, float),
    )


# PopulationParams field: its key under `population` (the scalars; variants, heritability and
# hyperparameters.dims are read apart), in the order they are checked
POPULATION_KEYS = {
    "n": "n", "chunk_size": "chunk_size", "design": "design", "mz_fraction": "mz_fraction",
    "mza_fraction": "mza_fraction", "adoptive_fraction": "adoptive_fraction",
    "inbred_fraction": "inbred.fraction", "inbred_coefficient": "inbred.coefficient",
    "inbred_depression": "inbred.depression", "snp_tagging": "snp_tagging",
    "paternal_fraction": "paternal.fraction", "paternal_rise": "paternal.rise", "paternal_mean_age": "paternal.mean_age",
    **{k: f"brain.{k}" for k in ("volume_mean", "volume_cv", "volume_ref", "kappa", "synapses_ref",
                                 "synapses_per_param", "density_sd", "efficiency_sd")},
    "data_seconds": "data.seconds", "data_rate": "data.rate", "data_unit": "data.data_unit", "data_sd": "data.sd",
    "diet_cv": "data.diet_cv", "hyper_sd": "hyperparameters.sd", "hyper_curvature": "hyperparameters.curvature",
    **{k: f"mutation.{k}" for k in ("inherited_rate", "inherited_shape", "inherited_mean", "de_novo_rate",
                                    "de_novo_shape", "de_novo_mean", "dominance")},
    "noise_ref": "noise.ref", "noise_sd": "noise.sd", "arch_sd": "architecture.sd",
    "arch_domain_specific": "architecture.domain_specific",
    **{k: f"reaction_time.{k}" for k in ("drift_ref", "drift_loss_exponent", "boundary", "boundary_sd",
                                         "non_decision", "non_decision_sd", "trials")},
}
# BatteryParams field: its key under `battery` (the scalars; domains and depth are read apart),
# in the order they are checked
BATTERY_KEYS = {
    "lower": "universe.lower", "upper": "universe.upper", "items_per_domain": "items_per_domain", "items": "items",
    "selection_pool": "selection_pool", "reach": "reach", "norm_n": "norm_n", "parallel_form": "parallel_form",
    "density": "universe.density", "gamma": "universe.gamma", "width": "universe.width",
}
_DEFAULTS = {"architecture.domain_specific": False, "parallel_form": True}  # keys a config may leave out


def check_shares(trait: str, h2: float, c2: float) -> None:
    """ConfigError unless a trait's variance shares h2 + c2 are <= 1."""
    if h2 + c2 > 1.0:
        raise ConfigError(f"The 'population.heritability.{trait}' shares h2 + c2 must be <= 1. Got {h2} + {c2} "
                          "instead.")


def check_pair_kinds(mza: float, adoptive: float) -> None:
    """ConfigError unless the shares of MZA and adoptive pairs leave room for MZ and DZ twins."""
    if mza + adoptive >= 1.0:
        raise ConfigError("The 'population.mza_fraction' and 'population.adoptive_fraction' shares must sum to < 1 (the "
                          f"rest are MZ and DZ twins). Got {mza} + {adoptive} instead.")


def check_variant_probs(probs) -> None:
    """ConfigError unless the architecture variants' probabilities sum to <= 1."""
    if sum(probs) > 1.0 + 1e-12:
        raise ConfigError(
            f"The 'population.architecture.variants' probabilities must sum to <= 1. Got {sum(probs)!r} instead."
        )


def check_universe(lower: float, upper: float) -> None:
    """ConfigError unless the universe's upper end lies above its lower end."""
    if upper <= lower:
        raise ConfigError(
            f"The 'battery.universe.upper' parameter must be > universe.lower ({lower}). Got {upper!r} instead."
        )


def _read(cfg: Mapping, key: str):
    """The value at a dotted key below `cfg` (its sections are known to exist)."""
    *path, last = key.split(".")
    for part in path:
        cfg = cfg.get(part)
    return cfg.get(last, _DEFAULTS.get(key))


def battery_from_config(cfg: Mapping) -> BatteryParams:
    """Validate the `battery` config section."""
    p = "battery."
    domains = tuple(str(d) for d in check_list(p + "domains", cfg.get("domains")))
    if not domains:
        raise ConfigError(f"The '{p}domains' parameter must be a non-empty list. Got [] instead.")
    depth = check_list(p + "depth", cfg.get("depth"), length=len(domains))
    depth = np.array([check(f"{p}depth[{i}]", d) for i, d in enumerate(depth)])
    section(cfg, "universe", p)
    scalars = {field: check(p + key, _read(cfg, key)) for field, key in BATTERY_KEYS.items()}
    check_universe(scalars["lower"], scalars["upper"])
    return BatteryParams(domains=domains, depth=depth, **scalars)


def model_from_config(cfg: Mapping) -> ModelParams:
    """Validate a whole composed config (sections `scaling`, `population`, `battery`)."""
    return ModelParams(
        law=law_from_config(section(cfg, "scaling", "")),
        population=population_from_config(section(cfg, "population", "")),
        battery=battery_from_config(section(cfg, "battery", "")),
    )

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
from .validation import (
    ConfigError,
    check_list,
)

__all__ = ["battery_from_config", "law_from_config", "model_from_config", "population_from_config",
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
    brain, data, hyp = section(cfg, "brain", p), section(cfg, "data", p), section(cfg, "hyperparameters", p)
    mut, noise, arch = section(cfg, "mutation", p), section(cfg, "noise", p), section(cfg, "architecture", p)
    her, rt = section(cfg, "heritability", p), section(cfg, "reaction_time", p)

    mode = check(p + "architecture.mode", arch.get("mode"))
    variants = check_list(p + "architecture.variants", arch.get("variants", []))
    probs, shifts = [], []
    for i, v in enumerate(variants):
        probs.append(check(f"{p}architecture.variants[{i}].prob", v.get("prob")))
        shifts.append(check(f"{p}architecture.variants[{i}].shift", v.get("shift")))
    if sum(probs) > 1.0 + 1e-12:
        raise ConfigError(
            f"The '{p}architecture.variants' probabilities must sum to <= 1. Got {sum(probs)!r} instead."
        )

    h2, c2 = [], []
    dims = check(p + "hyperparameters.dims", hyp.get("dims"))
    for name in TRAITS + ("hyperparameters",):
        node = section(her, name, p + "heritability.")
        h = check(f"{p}heritability.{name}.h2", node.get("h2"))
        c = check(f"{p}heritability.{name}.c2", node.get("c2"))
        if h + c > 1.0:
            raise ConfigError(
                f"The '{p}heritability.{name}' shares h2 + c2 must be <= 1. Got {h} + {c} instead."
            )
        reps = dims if name == "hyperparameters" else 1
        h2 += [h] * reps
        c2 += [c] * reps

    return PopulationParams(
        n=check(p + "n", cfg.get("n")),
        chunk_size=check(p + "chunk_size", cfg.get("chunk_size")),
        design=check(p + "design", cfg.get("design")),
        mz_fraction=check(p + "mz_fraction", cfg.get("mz_fraction")),
        volume_mean=check(p + "brain.volume_mean", brain.get("volume_mean")),
        volume_cv=check(p + "brain.volume_cv", brain.get("volume_cv")),
        volume_ref=check(p + "brain.volume_ref", brain.get("volume_ref")),
        kappa=check(p + "brain.kappa", brain.get("kappa")),
        synapses_ref=check(p + "brain.synapses_ref", brain.get("synapses_ref")),
        synapses_per_param=check(p + "brain.synapses_per_param", brain.get("synapses_per_param")),
        density_sd=check(p + "brain.density_sd", brain.get("density_sd")),
        efficiency_sd=check(p + "brain.efficiency_sd", brain.get("efficiency_sd")),
        data_seconds=check(p + "data.seconds", data.get("seconds")),
        data_rate=check(p + "data.rate", data.get("rate")),
        data_unit=check(p + "data.data_unit", data.get("data_unit")),
        data_sd=check(p + "data.sd", data.get("sd")),
        diet_cv=check(p + "data.diet_cv", data.get("diet_cv")),
        hyper_dims=dims,
        hyper_sd=check(p + "hyperparameters.sd", hyp.get("sd")),
        hyper_curvature=check(p + "hyperparameters.curvature", hyp.get("curvature")),
        inherited_rate=check(p + "mutation.inherited_rate", mut.get("inherited_rate")),
        inherited_shape=check(p + "mutation.inherited_shape", mut.get("inherited_shape")),
        inherited_mean=check(p + "mutation.inherited_mean", mut.get("inherited_mean")),
        de_novo_rate=check(p + "mutation.de_novo_rate", mut.get("de_novo_rate")),
        de_novo_shape=check(p + "mutation.de_novo_shape", mut.get("de_novo_shape")),
        de_novo_mean=check(p + "mutation.de_novo_mean", mut.get("de_novo_mean")),
        noise_ref=check(p + "noise.ref", noise.get("ref")),
        noise_sd=check(p + "noise.sd", noise.get("sd")),
        arch_mode=mode,
        arch_sd=check(p + "architecture.sd", arch.get("sd")),
        arch_domain_specific=check(p + "architecture.domain_specific", arch.get("domain_specific", False)),
        arch_probs=np.asarray(probs, float),
        arch_shifts=np.asarray(shifts, float),
        h2=np.asarray(h2, float),
        c2=np.asarray(c2, float),
        drift_ref=check(p + "reaction_time.drift_ref", rt.get("drift_ref")),
        boundary=check(p + "reaction_time.boundary", rt.get("boundary")),
        non_decision=check(p + "reaction_time.non_decision", rt.get("non_decision")),
        trials=check(p + "reaction_time.trials", rt.get("trials")),
    )


def battery_from_config(cfg: Mapping) -> BatteryParams:
    """Validate the `battery` config section."""
    p = "battery."
    domains = tuple(str(d) for d in check_list(p + "domains", cfg.get("domains")))
    if not domains:
        raise ConfigError(f"The '{p}domains' parameter must be a non-empty list. Got [] instead.")
    depth = check_list(p + "depth", cfg.get("depth"), length=len(domains))
    depth = np.array([check(f"{p}depth[{i}]", d) for i, d in enumerate(depth)])
    uni = section(cfg, "universe", p)
    lower = check(p + "universe.lower", uni.get("lower"))
    upper = check(p + "universe.upper", uni.get("upper"))
    if upper <= lower:
        raise ConfigError(
            f"The '{p}universe.upper' parameter must be > universe.lower ({lower}). Got {upper!r} instead."
        )
    return BatteryParams(
        domains=domains,
        depth=depth,
        items_per_domain=check(p + "items_per_domain", cfg.get("items_per_domain")),
        items=check(p + "items", cfg.get("items")),
        selection_pool=check(p + "selection_pool", cfg.get("selection_pool")),
        norm_n=check(p + "norm_n", cfg.get("norm_n")),
        parallel_form=check(p + "parallel_form", cfg.get("parallel_form", True)),
        density=check(p + "universe.density", uni.get("density")),
        gamma=check(p + "universe.gamma", uni.get("gamma")),
        lower=lower,
        upper=upper,
        width=check(p + "universe.width", uni.get("width")),
    )


def model_from_config(cfg: Mapping) -> ModelParams:
    """Validate a whole composed config (sections `scaling`, `population`, `battery`)."""
    return ModelParams(
        law=law_from_config(section(cfg, "scaling", "")),
        population=population_from_config(section(cfg, "population", "")),
        battery=battery_from_config(section(cfg, "battery", "")),
    )

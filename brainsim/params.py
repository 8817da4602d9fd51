"""Typed, validated model parameters built from a Hydra config (or any nested mapping).

Library functions take these plain dataclasses, so notebooks need no Hydra. Every check
raises `ConfigError` with a one-line message naming the dotted key and its allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .scaling import ScalingLaw, law_from_config
from .validation import (
    ConfigError,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_list,
    check_nonneg,
    check_positive,
    check_probability,
)

DESIGNS = ("unrelated", "twins")
ARCH_MODES = ("none", "continuous", "discrete")
DENSITIES = ("loglinear", "power")
ITEM_SOURCES = ("universe", "selected")
# Heritable latent traits, in the column order of the latent matrix z (hyperparameters last).
TRAITS = ("brain", "density", "efficiency", "data", "noise", "architecture")


@dataclass(frozen=True)
class PopulationParams:
    """Trait distributions; volumes in cm^3, data in tokens, noise in nats per step."""

    n: int
    chunk_size: int
    design: str
    mz_fraction: float
    volume_mean: float
    volume_cv: float
    volume_ref: float
    kappa: float
    synapses_ref: float
    synapses_per_param: float
    density_sd: float
    efficiency_sd: float
    data_seconds: float
    data_rate: float
    data_unit: float
    data_sd: float
    diet_cv: float
    hyper_dims: int
    hyper_sd: float
    hyper_curvature: float
    inherited_rate: float
    inherited_shape: float
    inherited_mean: float
    de_novo_rate: float
    de_novo_shape: float
    de_novo_mean: float
    noise_ref: float
    noise_sd: float
    arch_mode: str
    arch_sd: float
    arch_domain_specific: bool
    arch_probs: np.ndarray  # (n_variants,), sums to <= 1; the rest is the wild type
    arch_shifts: np.ndarray  # (n_variants,), log multiplier of the law's exponents
    h2: np.ndarray  # (n_latent,) additive genetic share of each latent trait
    c2: np.ndarray  # (n_latent,) shared-environment share
    drift_ref: float
    boundary: float
    non_decision: float
    trials: int

    @property
    def volume_sigma(self) -> float:
        """SD of log brain volume for the configured CV (lognormal)."""
        return float(np.sqrt(np.log1p(self.volume_cv**2)))

    @property
    def n_latent(self) -> int:
        return len(TRAITS) + self.hyper_dims

    @property
    def data_mean(self) -> float:
        """Mean lifetime data in the law's tokens."""
        return self.data_seconds * self.data_rate * self.data_unit

    @property
    def params_ref(self) -> float:
        """Law parameters of a person at volume_ref with unit density and efficiency."""
        return self.synapses_ref / self.synapses_per_param


@dataclass(frozen=True)
class BatteryParams:
    """Test battery and task universe; thresholds relative to the median reducible loss."""

    domains: tuple[str, ...]
    depth: np.ndarray  # (K,) mean serial depth per domain
    items_per_domain: int
    items: str
    selection_pool: int
    norm_n: int
    parallel_form: bool
    density: str
    gamma: float
    lower: float
    upper: float
    width: float

    @property
    def n_domains(self) -> int:
        return len(self.domains)


@dataclass(frozen=True)
class ModelParams:
    law: ScalingLaw
    population: PopulationParams
    battery: BatteryParams


def _sub(cfg: Mapping, key: str, prefix: str) -> Mapping:
    node = cfg.get(key) if isinstance(cfg, Mapping) or hasattr(cfg, "get") else None
    if node is None or not hasattr(node, "get"):  # absent, or a scalar where a section belongs
        raise ConfigError(f"The '{prefix}{key}' section is missing from the configuration.")
    return node


def population_from_config(cfg: Mapping, key: str = "population") -> PopulationParams:
    """Validate the `population` config section."""
    p = key + "."
    brain, data, hyp = _sub(cfg, "brain", p), _sub(cfg, "data", p), _sub(cfg, "hyperparameters", p)
    mut, noise, arch = _sub(cfg, "mutation", p), _sub(cfg, "noise", p), _sub(cfg, "architecture", p)
    her, rt = _sub(cfg, "heritability", p), _sub(cfg, "reaction_time", p)

    mode = check_choice(p + "architecture.mode", arch.get("mode"), ARCH_MODES)
    variants = check_list(p + "architecture.variants", arch.get("variants", []))
    probs, shifts = [], []
    for i, v in enumerate(variants):
        probs.append(check_probability(f"{p}architecture.variants[{i}].prob", v.get("prob")))
        shifts.append(check_float(f"{p}architecture.variants[{i}].shift", v.get("shift"), -5.0, 5.0))
    if sum(probs) > 1.0 + 1e-12:
        raise ConfigError(
            f"The '{p}architecture.variants' probabilities must sum to <= 1. Got {sum(probs)!r} instead."
        )

    h2, c2 = [], []
    dims = check_int(p + "hyperparameters.dims", hyp.get("dims"), 0, 64)
    for name in TRAITS + ("hyperparameters",):
        node = _sub(her, name, p + "heritability.")
        h = check_probability(f"{p}heritability.{name}.h2", node.get("h2"))
        c = check_probability(f"{p}heritability.{name}.c2", node.get("c2"))
        if h + c > 1.0:
            raise ConfigError(
                f"The '{p}heritability.{name}' shares h2 + c2 must be <= 1. Got {h} + {c} instead."
            )
        reps = dims if name == "hyperparameters" else 1
        h2 += [h] * reps
        c2 += [c] * reps

    return PopulationParams(
        n=check_int(p + "n", cfg.get("n"), 1),
        chunk_size=check_int(p + "chunk_size", cfg.get("chunk_size"), 1),
        design=check_choice(p + "design", cfg.get("design"), DESIGNS),
        mz_fraction=check_probability(p + "mz_fraction", cfg.get("mz_fraction")),
        volume_mean=check_positive(p + "brain.volume_mean", brain.get("volume_mean")),
        volume_cv=check_float(p + "brain.volume_cv", brain.get("volume_cv"), 0.0, 2.0),
        volume_ref=check_positive(p + "brain.volume_ref", brain.get("volume_ref")),
        kappa=check_float(p + "brain.kappa", brain.get("kappa"), 0.0, 5.0),
        synapses_ref=check_positive(p + "brain.synapses_ref", brain.get("synapses_ref")),
        synapses_per_param=check_positive(p + "brain.synapses_per_param", brain.get("synapses_per_param")),
        density_sd=check_float(p + "brain.density_sd", brain.get("density_sd"), 0.0, 3.0),
        efficiency_sd=check_float(p + "brain.efficiency_sd", brain.get("efficiency_sd"), 0.0, 3.0),
        data_seconds=check_positive(p + "data.seconds", data.get("seconds")),
        data_rate=check_positive(p + "data.rate", data.get("rate")),
        data_unit=check_positive(p + "data.data_unit", data.get("data_unit")),
        data_sd=check_float(p + "data.sd", data.get("sd"), 0.0, 3.0),
        diet_cv=check_float(p + "data.diet_cv", data.get("diet_cv"), 0.0, 10.0),
        hyper_dims=dims,
        hyper_sd=check_float(p + "hyperparameters.sd", hyp.get("sd"), 0.0, 10.0),
        hyper_curvature=check_nonneg(p + "hyperparameters.curvature", hyp.get("curvature")),
        inherited_rate=check_float(p + "mutation.inherited_rate", mut.get("inherited_rate"), 0.0, 1e6),
        inherited_shape=check_positive(p + "mutation.inherited_shape", mut.get("inherited_shape")),
        inherited_mean=check_nonneg(p + "mutation.inherited_mean", mut.get("inherited_mean")),
        de_novo_rate=check_float(p + "mutation.de_novo_rate", mut.get("de_novo_rate"), 0.0, 1e6),
        de_novo_shape=check_positive(p + "mutation.de_novo_shape", mut.get("de_novo_shape")),
        de_novo_mean=check_nonneg(p + "mutation.de_novo_mean", mut.get("de_novo_mean")),
        noise_ref=check_float(p + "noise.ref", noise.get("ref"), 0.0, 100.0),
        noise_sd=check_float(p + "noise.sd", noise.get("sd"), 0.0, 3.0),
        arch_mode=mode,
        arch_sd=check_float(p + "architecture.sd", arch.get("sd"), 0.0, 2.0),
        arch_domain_specific=check_bool(p + "architecture.domain_specific", arch.get("domain_specific", False)),
        arch_probs=np.asarray(probs, float),
        arch_shifts=np.asarray(shifts, float),
        h2=np.asarray(h2, float),
        c2=np.asarray(c2, float),
        drift_ref=check_positive(p + "reaction_time.drift_ref", rt.get("drift_ref")),
        boundary=check_positive(p + "reaction_time.boundary", rt.get("boundary")),
        non_decision=check_nonneg(p + "reaction_time.non_decision", rt.get("non_decision")),
        trials=check_int(p + "reaction_time.trials", rt.get("trials"), 2),
    )


def battery_from_config(cfg: Mapping, key: str = "battery") -> BatteryParams:
    """Validate the `battery` config section."""
    p = key + "."
    domains = tuple(str(d) for d in check_list(p + "domains", cfg.get("domains")))
    if not domains:
        raise ConfigError(f"The '{p}domains' parameter must be a non-empty list. Got [] instead.")
    depth = check_list(p + "depth", cfg.get("depth"), length=len(domains))
    depth = np.array([check_float(f"{p}depth[{i}]", d, 1.0, 1000.0) for i, d in enumerate(depth)])
    uni = _sub(cfg, "universe", p)
    lower = check_positive(p + "universe.lower", uni.get("lower"))
    upper = check_positive(p + "universe.upper", uni.get("upper"))
    if upper <= lower:
        raise ConfigError(
            f"The '{p}universe.upper' parameter must be > universe.lower ({lower}). Got {upper!r} instead."
        )
    return BatteryParams(
        domains=domains,
        depth=depth,
        items_per_domain=check_int(p + "items_per_domain", cfg.get("items_per_domain"), 1, 100000),
        items=check_choice(p + "items", cfg.get("items"), ITEM_SOURCES),
        selection_pool=check_int(p + "selection_pool", cfg.get("selection_pool"), 1, 1000),
        norm_n=check_int(p + "norm_n", cfg.get("norm_n"), 2),
        parallel_form=check_bool(p + "parallel_form", cfg.get("parallel_form", True)),
        density=check_choice(p + "universe.density", uni.get("density"), DENSITIES),
        gamma=check_float(p + "universe.gamma", uni.get("gamma"), -20.0, 20.0),
        lower=lower,
        upper=upper,
        width=check_positive(p + "universe.width", uni.get("width")),
    )


def model_from_config(cfg: Mapping) -> ModelParams:
    """Validate a whole composed config (sections `scaling`, `population`, `battery`)."""
    return ModelParams(
        law=law_from_config(_sub(cfg, "scaling", "")),
        population=population_from_config(_sub(cfg, "population", "")),
        battery=battery_from_config(_sub(cfg, "battery", "")),
    )

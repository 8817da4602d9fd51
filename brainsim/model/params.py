"""Typed model parameters: the plain dataclasses every model function takes (built and
validated from a config by `brainsim.config.builders`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scaling import ScalingLaw

__all__ = ["ARCH_MODES", "PATERNAL_AGES", "BatteryParams", "DENSITIES", "DESIGNS", "ITEM_SOURCES", "ModelParams",
           "PopulationParams", "TRAITS"]

DESIGNS = ("unrelated", "twins")
ARCH_MODES = ("none", "continuous", "discrete")
DENSITIES = ("loglinear", "power")
ITEM_SOURCES = ("universe", "selected")
# The fathers' ages (years) the paternal-age statistic compares: Taylor et al. 2019's contrast
PATERNAL_AGES = (25.0, 45.0)
# Heritable latent traits, in the column order of the latent matrix z (hyperparameters last).
TRAITS = ("brain", "density", "efficiency", "data", "noise", "architecture")


@dataclass(frozen=True)
class PopulationParams:
    """Trait distributions; volumes in cm^3, data in tokens, noise in nats per step."""

    n: int
    chunk_size: int
    design: str
    mz_fraction: float  # of the twin pairs (MZ or DZ)
    mza_fraction: float  # of all pairs: MZ twins reared apart
    adoptive_fraction: float  # of all pairs: adoptive siblings (unrelated, reared together)
    inbred_fraction: float  # size of the cohort of inbred people (unrelated), as a share of n; 0: none
    inbred_coefficient: float  # their inbreeding coefficient F (first cousins' children: 1/16)
    inbred_depression: float  # SDs per unit F that directional dominance moves brain, density, efficiency, data, noise
    snp_tagging: float  # share of the common-variant additive variance a genotyping array's GREML captures
    paternal_fraction: float  # share of each chunk's people also scored as if their father were 25 and 45; 0: none
    paternal_rise: float  # relative rise of the de novo rate per year of the father's age (per year, at the mean)
    paternal_mean_age: float  # years: the father's age at which a child carries de_novo_rate functional de novo hits
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
    dominance: float  # h: a heterozygous inherited variant's effect as a share of the homozygote's
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
    drift_loss_exponent: float  # b in drift ∝ (r_med / reducible loss)^b; 0: drift from noise alone
    boundary: float
    boundary_sd: float  # SD of each person's log boundary separation
    non_decision: float  # s
    non_decision_sd: float  # SD of each person's log non-decision time
    trials: int

    @property
    def volume_sigma(self) -> float:
        """SD of log brain volume for the configured CV (lognormal)."""
        return float(np.sqrt(np.log1p(self.volume_cv**2)))

    @property
    def inbred_n(self) -> int:
        """People in the inbred cohort (0 when there is none)."""
        return int(round(self.inbred_fraction * self.n)) if self.inbred_coefficient > 0.0 else 0

    def paternal_rates(self) -> tuple[float, float]:
        """Expected functional de novo hits of a child whose father is `PATERNAL_AGES` (25 and
        45) years old: de_novo_rate (1 + rise (age - mean_age)), linear in the father's age."""
        young, old = (self.de_novo_rate * (1.0 + self.paternal_rise * (a - self.paternal_mean_age))
                      for a in PATERNAL_AGES)
        return young, old

    def paternal_count(self, size: int) -> int:
        """People of a chunk of `size` scored at both fathers' ages: its first ones."""
        return int(round(self.paternal_fraction * size))

    @property
    def n_latent(self) -> int:
        return len(TRAITS) + self.hyper_dims

    @property
    def latent_names(self) -> tuple[str, ...]:
        """The latent traits in column order: TRAITS, then hyperparameters0, 1, ..."""
        return TRAITS + tuple(f"hyperparameters{i}" for i in range(self.hyper_dims))

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
    reach: float  # items span ability z in [-reach, reach] (the norm sample's robust SD of log loss)
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

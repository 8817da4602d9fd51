"""Twins over the life course: a person of a given age has the lifetime data of those years and
the brain of that age, and is normed within age (what the Wilson effect is measured on).

Only `population.data.seconds` and `population.brain.volume_mean` change with age; every trait's
spread, heritability and shared environment stay as configured. Each age gets its own norm
sample and battery (`brainsim.engine.prepare`), as twin studies standardise g within each age.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pandas as pd

from .engine import population_statistics
from .model.params import ModelParams
from .targets import PASS_Z
from .validation import ConfigError, check_float, check_int, check_positive

__all__ = ["ADULT_YEARS", "BRAIN_SHARE", "MIN_PEOPLE", "WILSON_AGES", "at_age", "twin_correlations", "wilson_check"]

ADULT_YEARS = 30.0  # population.data.seconds (1e9 s) is about 30 years of waking life (conf/population/)
# age (years): total brain volume as a share of the adult's. 9: Caviness et al. 1996, Cereb Cortex 6:726
# (children of mean age 9 have "95% the volume of the adult brain", abstract); 12: assumption; 17: adult
BRAIN_SHARE = {9.0: 0.95, 12.0: 0.98, 17.0: 1.0, 30.0: 1.0}
WILSON_AGES = (9.0, 17.0)  # Haworth et al. 2010's childhood and young adulthood
MIN_PEOPLE = 2000  # fewer twins leave Falconer h² mostly noise (SE ~0.1 at 2,000 people)


def at_age(model: ModelParams, age: float, *, brain_share: float = 1.0,
           adult_years: float = ADULT_YEARS) -> ModelParams:
    """`model` for people of `age` years: lifetime data scaled by age / `adult_years`, mean brain
    volume by `brain_share` (the configured model is the adult of `adult_years`)."""
    age = check_positive("age", age)
    brain_share = check_float("brain_share", brain_share, 0.0, 1.0, low_open=True)
    adult_years = check_positive("adult_years", adult_years)
    pop = model.population
    return dataclasses.replace(model, population=dataclasses.replace(
        pop, data_seconds=pop.data_seconds * age / adult_years, volume_mean=pop.volume_mean * brain_share))


def twin_correlations(model: ModelParams, *, ages: Mapping[float, float] | None = None, seed: int = 0,
                      adult_years: float = ADULT_YEARS) -> pd.DataFrame:
    """MZ and DZ twins' IQ correlations at each age, with Falconer's h² = 2 (rMZ - rDZ) and
    c² = 2 rDZ - rMZ.

    Parameters
    ----------
    model : ModelParams
        The adult model; `population.design` must be ``"twins"``.
    ages : mapping of float to float
        Age in years: brain volume as a share of the adult's (default `BRAIN_SHARE`: 9, 12, 17, 30).
    seed : int
        The same seed at every age: the same twins, drawn again with each age's data and brain.
    adult_years : float
        Years of data the configured model's adults have had (its `data_seconds`).

    Returns
    -------
    pandas.DataFrame
        One row per age: ``age``, ``brain_share``, ``r_mz``, ``r_dz``, ``h2``, ``c2`` (NaN where
        a correlation is undefined).
    """
    if model.population.design != "twins":
        raise ConfigError("The 'population.design' parameter must be 'twins' for twin correlations by age. "
                          f"Got {model.population.design!r} instead.")
    ages = BRAIN_SHARE if ages is None else ages
    if not ages:
        raise ConfigError(f"The 'ages' parameter must be a non-empty mapping of age to brain share. Got {ages!r} instead.")
    rows = []
    for age, share in ages.items():
        s = population_statistics(at_age(model, age, brain_share=share, adult_years=adult_years), seed)
        rows.append({"age": float(age), "brain_share": float(share), "r_mz": s["twin_r_mz"], "r_dz": s["twin_r_dz"],
                     "h2": s["h2_falconer"], "c2": 2.0 * s["twin_r_dz"] - s["twin_r_mz"]})
    return pd.DataFrame(rows)


def wilson_check(models: Mapping[str, ModelParams], *, at: str, n: int, seed: int, rise: float,
                 tolerance: float, source: str = "") -> pd.DataFrame:
    """Does twin h² rise from 9 to 17 as observed (the Wilson effect)? Checked beside the
    targets, never scored.

    Parameters
    ----------
    models : mapping of str to ModelParams
        Hypothesis name: its adult model. Each is run as twins of `n` people at both ages
        (`WILSON_AGES`, brains per `BRAIN_SHARE`, the same `seed`), without its inbred cohort or
        father's-age scoring, which the twin statistics do not use.
    at : str
        Where the models stand, e.g. ``"posterior"`` or ``"file"`` (copied into the rows).
    rise, tolerance : float
        The observed rise of Falconer h² from 9 to 17 (a share of variance) and its uncertainty.
    source : str
        The observed rise's citation (copied into the rows).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``hypothesis``, ``at``, ``h2_9``, ``h2_17``, ``rise``, ``observed``,
        ``tolerance``, ``z`` = (rise - observed) / tolerance, ``reproduced`` (|z| <= 2; False
        where h² is undefined, with z NaN) and ``source``.
    """
    n = check_int("life_course.n", n, MIN_PEOPLE)
    tolerance = check_positive("life_course.tolerance", tolerance)
    young, old = WILSON_AGES
    rows = []
    for name, model in models.items():
        twins = dataclasses.replace(model, population=dataclasses.replace(
            model.population, n=n, design="twins", inbred_fraction=0.0, paternal_fraction=0.0))
        h2 = twin_correlations(twins, ages={young: BRAIN_SHARE[young], old: BRAIN_SHARE[old]}, seed=seed)["h2"]
        simulated = h2.iloc[1] - h2.iloc[0]
        z = (simulated - rise) / tolerance
        rows.append({"hypothesis": name, "at": at, "h2_9": h2.iloc[0], "h2_17": h2.iloc[1],
                     "rise": simulated, "observed": rise, "tolerance": tolerance, "z": z,
                     "reproduced": bool(abs(z) <= PASS_Z), "source": source})
    return pd.DataFrame(rows)

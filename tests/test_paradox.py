"""The paradox numbers: exact quadrature against a simulated brain-only population."""

import dataclasses

import numpy as np
import pytest
from conftest import QUIET_BACKGROUND, model

from brainsim import engine
from brainsim.paradox import implied_exponents, iq_per_brain_sd
from brainsim.model.population import draw_traits, phenotypes
from brainsim.model.psychometrics import norm_constants, to_iq
from brainsim.model.tasks import Battery, respond, threshold_quantile

# only brain volume varies; depth 1 everywhere so every item's floor is exactly exp(-nu)
BRAIN_ONLY = [*QUIET_BACKGROUND, "population.design=unrelated", "population.data.sd=0", "battery.depth=[1,1,1,1,1,1]",
              "population.brain.volume_cv=0.6", "battery.universe.width=0.004", "population.data.data_unit=1",
              "battery.universe.lower=0.5", "battery.universe.upper=2.0"]


def test_iq_per_brain_sd_matches_simulated_regression():
    m = model(*BRAIN_ONLY)
    n, bat = 200_000, m.battery
    draws = draw_traits(np.random.default_rng(1), m.population, bat.n_domains, n)
    phen = phenotypes(draws, m.population)
    x, _ = engine.losses(m, phen)
    r_med = float(np.median(x))
    u = (np.arange(bat.items_per_domain) + 0.5) / bat.items_per_domain
    rel = threshold_quantile(u, bat.density, bat.gamma, bat.lower, bat.upper)
    thresholds = np.broadcast_to(rel * r_med, (1, bat.n_domains, bat.items_per_domain)).copy()
    battery = Battery(thresholds, np.ones(thresholds.shape, np.int64), bat.width * r_med, r_med)
    composite = respond(x, phen["noise"], battery, key=7)["composite"][0]
    iq = to_iq(composite, *norm_constants(composite))
    z = np.log(phen["brain_volume"])
    z = (z - z.mean()) / z.std()
    slope = np.polyfit(z, iq, 1)[0]
    expected = iq_per_brain_sd(m)
    assert expected > 3.0  # a configuration where the brain matters, so the check has teeth
    assert slope == pytest.approx(expected, abs=5 * 15 / np.sqrt(n) + 0.01 * expected)


def test_essay_gamma_is_one_over_the_local_chinchilla_exponent():
    m = model("scaling=chinchilla2022")
    pop, law = m.population, m.law.params
    n_med = pop.params_ref * np.exp(-0.5 * pop.volume_sigma**2) ** pop.kappa
    d = pop.data_mean / m.battery.n_domains
    a_term, b_term = law["A"] * n_med ** -law["alpha"], law["B"] * d ** -law["beta"]
    alpha_eff = law["alpha"] * a_term / (a_term + b_term)  # -dlog(L - E)/dlog N (Hoffmann et al. 2022 form)
    assert implied_exponents(m)["essay_gamma"] == pytest.approx(1 + 1 / alpha_eff, rel=1e-5)


def test_roots_reach_fifteen_root_reliability_points_and_are_the_smallest():
    m = model(*BRAIN_ONLY, "battery.universe.lower=0.9", "battery.universe.upper=1.5")
    out = implied_exponents(m, reliability=0.8)
    target = 13.416407864998739  # 15 * sqrt(0.8): all true-score variance from brain volume
    assert out["target_iq_per_brain_sd"] == pytest.approx(target, rel=1e-12)
    with_gamma = lambda g: dataclasses.replace(m, battery=dataclasses.replace(m.battery, density="power", gamma=g))
    with_cv = lambda c: dataclasses.replace(m, population=dataclasses.replace(m.population, volume_cv=c))
    assert 1.5 < out["h1_gamma"] < out["h1_best_gamma"]  # interior roots, found by Brent
    assert iq_per_brain_sd(with_gamma(out["h1_gamma"])) == pytest.approx(target, rel=1e-6)
    assert iq_per_brain_sd(with_gamma(0.98 * out["h1_gamma"])) < target  # the smallest root
    assert out["h1_max_iq_per_brain_sd"] == pytest.approx(iq_per_brain_sd(with_gamma(out["h1_best_gamma"])))
    assert out["h1_max_iq_per_brain_sd"] > target
    assert 0.6 < out["volume_cv_needed"] < 3.0
    assert iq_per_brain_sd(with_cv(out["volume_cv_needed"])) == pytest.approx(target, rel=1e-6)
    assert iq_per_brain_sd(with_cv(0.98 * out["volume_cv_needed"])) < target


def test_default_baseline_cannot_reach_fifteen_points():
    out = implied_exponents(model("hypothesis=baseline"))
    # 1 SD of brain volume moves loss by well under one item's logistic width: the paradox. No
    # task density reaches 15 sqrt(reliability) points at the default width (0.01).
    assert out["iq_per_brain_sd"] < 2.0 and np.isnan(out["h1_gamma"])
    assert out["h1_max_iq_per_brain_sd"] < 0.5 * out["target_iq_per_brain_sd"]

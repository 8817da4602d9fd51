import numpy as np
import pytest

from brainsim.reaction_time import ez_moments, sample_rt, simulate_trials


def test_ez_zero_drift_limits():
    # Brownian motion from the middle of [0, a]: E[T] = (a/2)^2 / s^2, Var[T] = 2 (a/2)^4 / (3 s^4)
    a, s = 0.12, 0.1
    pc, mdt, vrt = ez_moments(1e-7, a)
    assert pc == pytest.approx(0.5, abs=1e-6)
    assert mdt == pytest.approx((a / 2) ** 2 / s**2, rel=1e-6)
    assert vrt == pytest.approx(2 * (a / 2) ** 4 / (3 * s**4), rel=1e-4)


def test_ez_accuracy_is_logistic_in_drift_times_boundary():
    pc, _, _ = ez_moments(0.25, 0.12)
    assert pc == pytest.approx(1 / (1 + np.exp(-0.25 * 0.12 / 0.01)))


def test_ez_large_drift_stays_finite():
    pc, mdt, vrt = ez_moments(np.array([5.0, 50.0]), 0.5)
    assert np.all(np.isfinite(mdt)) and np.all(np.isfinite(vrt)) and np.all(pc <= 1)
    assert mdt[1] == pytest.approx(0.5 / (2 * 50.0))  # ballistic limit a / (2 v)


@pytest.mark.slow
def test_trial_simulator_matches_ez_moments():
    v, a = 0.2, 0.12
    pc, mdt, vrt = ez_moments(v, a)
    rt, correct = simulate_trials(np.random.default_rng(0), v, a, 6000, dt=1e-5)
    se = np.sqrt(vrt / rt.size)
    # Euler overshoot bias at dt = 1e-5 is ~0.3%: allow 4 standard errors plus 1%
    assert abs(rt.mean() - mdt) < 4 * se + 0.01 * mdt
    assert rt.var() == pytest.approx(vrt, rel=0.08)
    assert correct.mean() == pytest.approx(pc, abs=0.012)


def test_sampled_person_means_follow_ez():
    n, trials = 200_000, 40
    rng = np.random.default_rng(3)
    mean, sd = sample_rt(np.full(n, 0.25), 0.12, 0.3, trials, rng.standard_normal(n), rng.chisquare(trials - 1, n))
    _, mdt, vrt = ez_moments(0.25, 0.12)
    assert mean.mean() == pytest.approx(0.3 + mdt, rel=1e-3)
    assert mean.var() == pytest.approx(vrt / trials, rel=0.02)
    assert (sd**2).mean() == pytest.approx(vrt, rel=0.01)


def test_fused_sampler_matches_the_exact_moments_formula():
    rng = np.random.default_rng(8)
    v = np.concatenate([rng.uniform(0.01, 1.0, 500), [1e-6, -1e-6, 3.0]])  # incl. the Taylor branch
    z, chi = rng.standard_normal(v.size), rng.chisquare(39, v.size)
    mean, sd = sample_rt(v, 0.12, 0.3, 40, z, chi)
    _, mdt, vrt = ez_moments(v, 0.12)
    np.testing.assert_allclose(mean, 0.3 + mdt + np.sqrt(vrt / 40) * z, rtol=1e-12)
    np.testing.assert_allclose(sd, np.sqrt(vrt * chi / 39), rtol=1e-12)

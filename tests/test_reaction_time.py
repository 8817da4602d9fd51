import numpy as np
import pytest

from brainsim.model.reaction_time import ez_moments, sample_rt, simulate_trials


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


def test_ez_moments_reproduce_the_published_worked_example():
    # Wagenmakers, van der Maas & Grasman 2007 (Psychon Bull Rev 14:3), worked example: Pc = .802,
    # VRT = .112 s^2, MRT = .723 s give v = 0.0999, a = 0.1400, Ter = 0.3000 (s = 0.1). Full-precision
    # inverse as printed by HDDM's EZ docstring (hddm/utils.py), the paper's example.
    v, a, ter = 0.099938526231301769, 0.13997020267583737, 0.30002997230248141
    pc, mdt, vrt = ez_moments(v, a)
    assert pc == pytest.approx(0.802, rel=1e-12)
    assert vrt == pytest.approx(0.112, rel=1e-12)
    assert ter + mdt == pytest.approx(0.723, rel=1e-12)
    # and the kernel's fused formulas: z = 0 and chi = trials - 1 give the moments themselves
    mean, sd = sample_rt(np.array([v]), a, ter, 40, np.zeros(1), np.full(1, 39.0))
    assert mean[0] == pytest.approx(0.723, rel=1e-12) and sd[0] ** 2 == pytest.approx(0.112, rel=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_series_and_closed_form_meet_at_the_branch_point(sign):
    # |y| = v a / s^2 = 1e-3 switches from the closed form to its Taylor series. The closed form
    # keeps ~1e-9 of relative precision there (its numerator ~ -y^3/3 cancels), so the branches
    # must agree to 1e-8: a missing y^2 term (5.5e-7) shows; the y^3 term (2e-10) cannot.
    a = 0.12
    v = sign * 1e-3 * 0.01 / a * np.array([1 - 1e-9, 1 + 1e-9])  # just inside and just outside
    pc, mdt, vrt = ez_moments(v, a)
    assert vrt[0] == pytest.approx(vrt[1], rel=1e-8) and mdt[0] == pytest.approx(mdt[1], rel=1e-12)
    mean, sd = sample_rt(v, a, 0.3, 40, np.zeros(2), np.full(2, 39.0))
    np.testing.assert_allclose(sd**2, vrt, rtol=1e-12)
    assert sd[0] ** 2 == pytest.approx(sd[1] ** 2, rel=1e-8)


def test_rt_follows_noise_across_the_population():
    # Drift is normalised to the norm sample's median person, so RT stays in the diffusion
    # model's sensitive range (no saturation at a^2 / 4 s^2) whatever the noise level. (The
    # background's other RT variation is off: drift from the learned loss, boundary and Ter.)
    import brainsim
    from scipy import stats

    for ref in ("0.01", "0.3"):  # the median person's noise does not matter, only its spread
        frame = brainsim.simulate(["population.n=10000", "battery.norm_n=2000", "population.design=unrelated",
                                   "population.brain.volume_cv=0", "population.data.sd=0",
                                   "population.mutation.de_novo_rate=0", "population.reaction_time.boundary_sd=0",
                                   "population.reaction_time.non_decision_sd=0",
                                   "population.reaction_time.drift_loss_exponent=0",
                                   "population.noise.sd=0.5", f"population.noise.ref={ref}"], seed=1).frame
        assert stats.spearmanr(frame["noise"], frame["rt_mean"])[0] >= 0.8, ref
        # the median person gets the configured (typical) diffusion parameters: mean RT 0.65 s
        _, mdt, _ = ez_moments(0.21, 0.116)
        assert np.median(frame["rt_mean"]) == pytest.approx(0.42 + mdt, abs=0.01)

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import naive
from conftest import ALPHA, model
from scipy import integrate, stats

from brainsim.model.tasks import Battery, capability, capability_table, depth_factor, respond, threshold_density, threshold_quantile
from brainsim.validation import ConfigError

KERNEL_RTOL = 1e-10  # kernel vs obvious reference (factorised logistic, fused multiply-adds)


@pytest.mark.parametrize("density,gamma", [("loglinear", 0.0), ("power", 2.5), ("power", -1.0), ("power", 1.0)])
def test_threshold_sampling_is_exact_inverse_cdf(density, gamma):
    rng = np.random.default_rng(2)
    rel = threshold_quantile(rng.random(50_000), density, gamma, 0.5, 2.0)
    assert rel.min() >= 0.5 and rel.max() <= 2.0
    assert stats.kstest(rel, lambda r: naive.threshold_cdf(r, density, gamma, 0.5, 2.0)).pvalue > ALPHA
    total, _ = integrate.quad(lambda r: threshold_density(r, density, gamma, 0.5, 2.0), 0.5, 2.0)
    assert total == pytest.approx(1.0, abs=1e-10)


def test_power_with_gamma_one_is_loglinear():
    u = np.linspace(0, 1, 11)
    np.testing.assert_allclose(threshold_quantile(u, "power", 1.0, 0.3, 3.0),
                               threshold_quantile(u, "loglinear", 0.0, 0.3, 3.0))


def test_depth_factor_is_exact_expectation():
    nu, m = 0.07, 5.0
    k = np.arange(0, 200)
    direct = np.sum(stats.poisson(m - 1).pmf(k) * np.exp(-nu * (k + 1)))
    assert depth_factor(nu, m) == pytest.approx(direct, rel=1e-12)


def _battery(seed=0, forms=2, k=3, j=25):
    rng = np.random.default_rng(seed)
    return Battery(rng.uniform(0.05, 0.2, (forms, k, j)), rng.integers(1, 9, (forms, k, j)), 0.01, 0.1)


def test_expected_scores_match_reference():
    bat = _battery()
    rng = np.random.default_rng(1)
    x, noise = rng.uniform(0.02, 0.3, (500, 3)), rng.uniform(0, 0.1, 500)
    out = respond(x, noise, bat, key=7)
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], bat.thresholds[:, None],
                          bat.depth[:, None], bat.width)
    np.testing.assert_allclose(out["true"], p.sum(axis=3), rtol=KERNEL_RTOL)
    np.testing.assert_allclose(out["true_total"], p.sum(axis=(2, 3)), rtol=KERNEL_RTOL)
    np.testing.assert_array_equal(out["composite"], out["raw"].sum(axis=2))
    for e in (0, 1):  # fewer expected forms: the same observed scores, a prefix of the expected ones
        part = respond(x, noise, bat, key=7, expected_forms=e)
        np.testing.assert_array_equal(part["raw"], out["raw"])
        np.testing.assert_array_equal(part["true"], out["true"][:e])
        assert part["true_total"].shape == (e, 500)
    with pytest.raises(ConfigError, match="expected_forms"):
        respond(x, noise, bat, key=7, expected_forms=3)


def test_extreme_losses_take_the_exact_path():
    bat = _battery()
    # far beyond the safe range of the factorised logistic, next to ordinary people in one block
    x = np.array([[0.1, 0.12, 0.08], [1e-9, 50.0, 0.1], [0.15, 0.1, 0.2]])
    noise = np.array([0.01, 0.0, 0.02])
    out = respond(x, noise, bat, key=1)
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], bat.thresholds[:, None],
                          bat.depth[:, None], bat.width)
    np.testing.assert_allclose(out["true"], p.sum(axis=3), rtol=KERNEL_RTOL, atol=1e-300)


def test_a_narrow_item_width_takes_the_exact_path_without_bias():
    # width 1e-4: thresholds span ~1,500 widths, so no item is safe for the factorised form and
    # every person is scored on the exact path, exps only within 40 widths of their loss
    bat = Battery(_battery().thresholds, _battery().depth, 1e-4, 0.1)
    rng = np.random.default_rng(2)
    x, noise = rng.uniform(0.04, 0.21, (4000, 3)), rng.uniform(0, 0.1, 4000)
    out = respond(x, noise, bat, key=9)
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], bat.thresholds[:, None],
                          bat.depth[:, None], bat.width)
    np.testing.assert_allclose(out["true"], p.sum(axis=3), rtol=KERNEL_RTOL, atol=25 * 4.3e-18)
    hits, expected = out["raw"].sum(), p.sum()
    assert abs(hits - expected) < 4 * np.sqrt((p * (1 - p)).sum())  # Bernoulli with the exact P


def test_probabilities_near_zero_and_one_stay_exact():
    bat = _battery()
    x = np.array([[0.0, 0.0, 0.0], [1e6, 1e6, 1e6], [1e-300, 1e-300, 1e-300]])
    noise = np.array([0.0, 0.0, 1e300])  # no noise / every step fails
    out = respond(x, noise, bat, key=3)
    assert np.isfinite(out["true"]).all() and np.isfinite(out["composite"]).all()
    items = bat.thresholds.shape[2]
    assert out["true"][:, 1].max() == 0.0 and out["raw"][:, 1].max() == 0  # loss far above every item
    assert out["true"][:, 2].max() == 0.0  # every serial step fails
    assert (out["true"][:, 0] <= items).all() and (out["true"][:, 0] > 0.99 * items).all()  # x = 0: ~every item
    p = naive.p_solve(np.array([-1e308, 1e308]), 0.0, 1.0, 1, 1e-300)
    np.testing.assert_array_equal(p, [1.0, 0.0])


def test_item_responses_are_bernoulli():
    bat = Battery(np.full((1, 1, 1), 0.1), np.ones((1, 1, 1), np.int64), 0.01, 0.1)
    n = 200_000
    x = np.full((n, 1), 0.1 + 0.01 * np.log(3.0))  # P = 1/4 before noise
    noise = np.full(n, 0.05)
    out = respond(x, noise, bat, key=12345)
    p = 0.25 * np.exp(-0.05)
    assert stats.binomtest(int(out["raw"].sum()), n, p).pvalue > ALPHA


def test_responses_do_not_depend_on_chunking():
    bat = _battery()
    rng = np.random.default_rng(4)
    x, noise = rng.uniform(0.02, 0.3, (1000, 3)), rng.uniform(0, 0.1, 1000)
    whole = respond(x, noise, bat, key=99)
    # 301 and 37: a person's place in a block (vector body or remainder) must not matter
    for size in (300, 301, 37):
        parts = [respond(x[s:s + size], noise[s:s + size], bat, key=99, first_id=s) for s in range(0, 1000, size)]
        for key in ("raw", "true"):
            np.testing.assert_array_equal(whole[key], np.concatenate([p[key] for p in parts], axis=1))


_KERNELS_HASH = """
import hashlib, numpy as np
from brainsim.model.tasks import Battery, respond, item_variances, build_battery
from brainsim.engine import prepare
from conftest import model
rng = np.random.default_rng(5)
bat = Battery(rng.uniform(0.05, 0.2, (2, 3, 25)), rng.integers(1, 9, (2, 3, 25)), 0.01, 0.1)
x, noise = rng.uniform(0.02, 0.3, (2000, 3)), rng.uniform(0, 0.1, 2000)
h = hashlib.sha256()
for v in respond(x, noise, bat, key=8).values():
    h.update(v.tobytes())
h.update(item_variances(x, noise, bat.thresholds, bat.depth, bat.width).tobytes())
setup = prepare(model("hypothesis=h2_selection", "battery.norm_n=3000"), 4)  # selected items
h.update(setup.battery.thresholds.tobytes() + np.array(setup.norms).tobytes())
print(h.hexdigest())
"""


def test_item_kernels_and_selected_items_do_not_depend_on_thread_count():
    # a subprocess per thread count: NUMBA_NUM_THREADS works whatever the machine's core count
    out = set()
    for threads in ("1", "2", "3"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        res = subprocess.run([sys.executable, "-c", _KERNELS_HASH], env=env, capture_output=True, text=True,
                             check=True, cwd=Path(__file__).parent)  # tests/: the installed brainsim
        out.add(res.stdout.strip().splitlines()[-1])
    assert len(out) == 1


@pytest.mark.parametrize("u_range", [None, (0.45, 1.3)])  # whole universe; a narrow table, exact sums outside
@pytest.mark.parametrize("density,gamma,width", [("loglinear", 0, 0.05), ("power", 3.0, 0.05),
                                                 ("loglinear", 0, 0.002)])
def test_capability_table_matches_direct_quadrature(density, gamma, width, u_range):
    bat = model(f"battery.universe.density={density}", f"battery.universe.gamma={gamma}",
                f"battery.universe.width={width}", "battery.universe.lower=0.5", "battery.universe.upper=2.0").battery
    table = capability_table(bat, u_range)
    xs = np.array([0.0, 0.3, 0.49, 0.5, 0.77, 1.0, 1.234, 1.3, 1.9, 2.0, 2.05, 2.6, 50.0])
    r_med = 0.2

    @np.errstate(over="ignore")
    def direct(xr):
        f = lambda r: threshold_density(r, density, gamma, bat.lower, bat.upper) / (1 + np.exp((xr - r) / bat.width))
        return integrate.quad(f, bat.lower, bat.upper, epsabs=1e-13, epsrel=1e-12, limit=500,
                              points=[min(max(xr, bat.lower), bat.upper)])[0]

    noise = np.zeros(xs.size)
    got, _, one = capability((xs * r_med)[:, None], noise, table, r_med, np.ones(1))
    np.testing.assert_array_equal(one[:, 0], got)  # one domain: its own share is the mean
    np.testing.assert_allclose(got, [direct(v) for v in xs], atol=1e-9)


def test_selected_items_are_the_most_discriminating_of_their_stratum():
    from brainsim.model.tasks import build_battery, item_plan, item_strata, item_variances, sample_items

    x, r_med = _plan_people(n=3000)
    noise = np.random.default_rng(2).uniform(0.0, 0.05, len(x))
    bat = _plan_battery(items="selected", selection_pool=6)
    kept = build_battery(np.random.default_rng(9), bat, r_med, x, noise)
    strata = item_strata(bat, item_plan(bat, x, r_med))
    rel, depth = sample_items(np.random.default_rng(9), bat, 2, bat.items_per_domain * 6, strata=strata)
    spread = item_variances(x, noise, rel * r_med, depth, bat.width * r_med).reshape(2, 6, bat.items_per_domain, 6)
    best = np.take_along_axis(rel.reshape(spread.shape), spread.argmax(axis=3)[..., None], axis=3)[..., 0]
    np.testing.assert_array_equal(kept.thresholds, best * r_med)
    assert np.all(spread.max(axis=3) > np.median(spread, axis=3))  # a choice, not a tie


@pytest.mark.parametrize("overrides", [
    ("population.design=unrelated", "population.architecture.mode=continuous", "population.architecture.sd=0.05"),
    ("population.design=twins", "hypothesis=h2_selection", "population.mutation.inherited_rate=30"),
])
def test_engine_chunk_matches_the_numpy_oracle(overrides):
    # The oracle builds its own battery from its own norm sample: the same items (bit for bit
    # up to the libm's last digits); its norms come from other response draws, so IQ is
    # compared in distribution. Every column that is a function of the draws is equal.
    import naive

    from brainsim import engine

    m = model("battery.norm_n=3000", *overrides)
    setup, oracle = engine.prepare(m, 0), naive.prepare(m, 0)
    assert setup.battery.r_med == pytest.approx(oracle.r_med, rel=1e-13)
    np.testing.assert_allclose(setup.battery.thresholds, oracle.thresholds, rtol=1e-13)
    np.testing.assert_array_equal(setup.battery.depth, oracle.depth)
    for (mean, sd), (o_mean, o_sd) in zip(setup.norms, oracle.norms, strict=True):
        assert mean == pytest.approx(o_mean, abs=5 * sd / np.sqrt(3000)) and sd == pytest.approx(o_sd, rel=0.1)
    n = 12_001
    got, want = engine.simulate_chunk(setup, 0, 0, n), naive.simulate_chunk(oracle, 0, 0, n)
    assert got.keys() - {"person", "hyper_penalty", "exponent_m", "loss"} == want.keys()
    genetic = [k for k in got if k.startswith("genetic_")]
    assert len(genetic) == (m.population.n_latent if m.population.design == "twins" else 0)
    for key in ("family", "zygosity", "inherited_variants", "shared_variants", *genetic):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    for key in ("brain_volume", "n_params", "data", "mutation_burden", "noise", "step_error", "reducible_loss",
                "rt_mean", "rt_sd"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-300, err_msg=key)
    # the exact path drops items more than 40 widths below a person's loss (P < 4.3e-18 each)
    np.testing.assert_allclose(got["true_score"], want["true_score"], rtol=1e-9, atol=4.3e-18)
    for key in ("capability", "output", *[f"capability_{d}" for d in m.battery.domains]):  # two computations of
        # one integral, both exact to far below 1e-9
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-12, err_msg=key)
    # one twin per pair: independent samples for the KS test, on the composite score each IQ
    # came from (one integer grid: IQs normed by two norm samples sit on grids a few hundredths
    # apart, and KS reads that offset at a grid point holding 6% of people as a difference)
    for f, key in ((0, "iq"), (1, "iq_retest"), (0, "iq_father_25"), (0, "iq_father_45")):
        composite = [np.round((side[key][0::2] - 100) / 15 * norms[f][1] + norms[f][0])
                     for side, norms in ((got, setup.norms), (want, oracle.norms))]
        assert stats.ks_2samp(*(c[np.isfinite(c)] for c in composite)).pvalue > ALPHA, key
    # the fathers' ages: the first population.paternal.fraction scored, never higher at 45
    scored = np.isfinite(got["iq_father_25"])
    k = m.population.paternal_count(n)
    assert scored.sum() == k == np.isfinite(want["iq_father_25"]).sum() and scored[:k].all()
    assert (got["iq_father_45"][scored] <= got["iq_father_25"][scored]).all()


def test_item_variances_match_numpy():
    from brainsim.model.tasks import item_variances

    bat = _battery(forms=2, k=3, j=40)
    rng = np.random.default_rng(6)
    x, noise = rng.uniform(0.02, 0.3, (3001, 3)), rng.uniform(0, 0.1, 3001)  # n not a multiple of 8
    x[5, 1], x[6, 2] = 1e3, -1e3  # people far beyond the factorised form's safe range
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], bat.thresholds[:, None],
                          bat.depth[:, None], bat.width)  # (F, n, K, J)
    np.testing.assert_allclose(item_variances(x, noise, bat.thresholds, bat.depth, bat.width), p.var(axis=1),
                               rtol=1e-10)


@pytest.mark.parametrize("widest", [0.5, 20.0])
def test_item_variances_with_a_wide_universe(widest):
    # thresholds 1 to 1000 widths; people over 48 widths (one segment of a shared factor) or
    # 2,000 widths (several: one factor would overflow)
    from brainsim.model.tasks import item_variances

    rng = np.random.default_rng(7)
    thresholds = 0.01 * np.exp(rng.uniform(0.0, np.log(1000.0), (1, 2, 50)))
    depth = rng.integers(1, 5, (1, 2, 50))
    x, noise = rng.uniform(0.02, widest, (500, 2)), rng.uniform(0, 0.1, 500)
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], thresholds[:, None], depth[:, None], 0.01)
    np.testing.assert_allclose(item_variances(x, noise, thresholds, depth, 0.01), p.var(axis=1), rtol=1e-10, atol=1e-300)


def _norm_people(n, *overrides, seed=3):
    """Reducible losses (n, K) and noise (n,) of people drawn as the engine draws them, and the
    battery of the same model (its norm sample, anchoring and items)."""
    from brainsim import engine
    from brainsim.model.population import draw_traits, phenotypes

    m = model("population.design=unrelated", "battery.norm_n=3000", *overrides)
    setup = engine.prepare(m, seed)
    phen = phenotypes(draw_traits(np.random.default_rng(seed), m.population, m.battery.n_domains, n), m.population)
    x, _ = engine.losses(m, phen)
    return x, phen["noise"], setup.battery


def _fisher_bound(n):
    """|r| a true correlation of 0 exceeds with probability ALPHA (Fisher z, n pairs)."""
    return np.tanh(stats.norm.isf(ALPHA / 2) / np.sqrt(n - 3))


@pytest.mark.parametrize("overrides", [(), ("hypothesis=h3_mutation_load",)])
def test_parallel_forms_have_independent_item_errors_and_the_expected_retest(overrides):
    n = 20_000
    # soft items (5% of the median loss): sharp ones spanning everyone give a reliability near 1
    x, noise, bat = _norm_people(n, "battery.universe.width=0.05", *overrides)
    out = respond(x, noise, bat, key=21, expected_forms=2)
    p = naive.p_solve(x[None, :, :, None], noise[None, :, None, None], bat.thresholds[:, None],
                          bat.depth[:, None], bat.width)  # (F, n, K, J)
    true = p.sum(axis=(2, 3))  # (F, n) expected composites, from the definition
    np.testing.assert_allclose(out["true_total"], true, rtol=KERNEL_RTOL)
    error = out["composite"] - true  # item-sampling error of each form
    # 1) the two forms' errors are independent (the forms draw their own random numbers)
    assert abs(np.corrcoef(error[0], error[1])[0, 1]) < _fisher_bound(n)
    # 2) retest r = Cov(T_A, T_B) / sqrt(Var X_A Var X_B), Var X = Var T + E[sum p (1 - p)]
    var_obs = true.var(axis=1) + (p * (1 - p)).sum(axis=(2, 3)).mean(axis=1)
    expected = np.cov(true)[0, 1] * (n - 1) / n / np.sqrt(var_obs[0] * var_obs[1])
    assert 0.3 < expected < 0.99  # a reliability with room to move either way
    se = (1 - expected**2) / np.sqrt(n - 1)
    observed = np.corrcoef(out["composite"])[0, 1]
    assert observed == pytest.approx(expected, abs=stats.norm.isf(ALPHA / 2) * se)


def _plan_people(n=20_000, sd=0.2, seed=0, k=6):
    """Lognormal reducible losses (n, K) around e^-1 with log-SD `sd`, and their median."""
    x = np.exp(-1.0 + sd * np.random.default_rng(seed).standard_normal((n, k)))
    return x, float(np.median(x))


def _plan_battery(**changes):
    import dataclasses

    return dataclasses.replace(model().battery, **{"lower": 1e-3, "upper": 1e3, **changes})


def test_the_plan_spans_reach_sd_of_ability_in_even_steps():
    from brainsim.model.tasks import item_plan, item_strata

    x, r_med = _plan_people()
    bat = _plan_battery(reach=3.0, items_per_domain=12)
    strata = item_strata(bat, item_plan(bat, x, r_med))  # (K, 12, 2), hardest first
    assert strata.shape == (6, 12, 2)
    np.testing.assert_allclose(strata[:, 0, 0], np.exp(-3.0 * 0.2), rtol=0.05)  # +3 SD (or the sample's own tail)
    np.testing.assert_allclose(strata[:, -1, 1], np.exp(3.0 * 0.2), rtol=0.05)  # -3 SD
    np.testing.assert_array_equal(strata[:, 1:, 0], strata[:, :-1, 1])  # contiguous
    steps = np.diff(np.log(strata[..., 0]), axis=1)
    np.testing.assert_allclose(steps, np.broadcast_to(steps[:, :1], steps.shape), rtol=1e-9)  # even in log loss


def test_the_plan_reaches_a_heavy_tail_of_weak_people():
    from scipy.special import ndtr

    from brainsim.model.tasks import item_plan, item_strata

    x, r_med = _plan_people()
    x[::50] *= 5.0  # 2% far beyond -3 SD (a robust SD does not see them)
    bat = _plan_battery(reach=3.0)
    strata = item_strata(bat, item_plan(bat, x, r_med))
    beyond = (x / r_med > strata[:, -1, 1]).mean(axis=0)  # people beyond each domain's easiest item
    assert np.all(beyond <= ndtr(-3.0) + 1e-3)


def test_the_universe_holds_the_plans_hardest_and_easiest_items():
    from brainsim.model.tasks import anchored_universe, item_plan, item_strata

    x, r_med = _plan_people()
    wide = _plan_battery(reach=3.0)
    assert anchored_universe(wide, item_plan(wide, x, r_med)) == wide  # a universe wider than the plan is left alone
    small = _plan_battery(reach=3.0, lower=0.9, upper=1.1)
    narrow = anchored_universe(small, item_plan(small, x, r_med))
    plan = item_strata(wide, item_plan(wide, x, r_med))
    assert narrow.lower == pytest.approx(plan[:, 0, 0].min()) and narrow.upper == pytest.approx(plan[:, -1, 1].max())
    spread, r_spread = _plan_people(sd=3.0)  # people off any human scale: the ends stop at 0.01 and 100 medians
    capped = anchored_universe(small, item_plan(small, spread, r_spread))
    assert (capped.lower, capped.upper) == (0.01, 100.0)


@pytest.mark.parametrize("items,gamma", [("universe", 1.0), ("selected", 1.0), ("universe", 20.0), ("universe", -20.0)])
def test_items_lie_in_their_strata_from_hard_to_easy(items, gamma):
    # gamma = ±20: the universe's CDF rounds to 0 or 1 over most strata; each stratum samples its own
    from brainsim.model.tasks import build_battery, item_plan, item_strata

    x, r_med = _plan_people(n=3000)
    bat = _plan_battery(items=items, selection_pool=8, density="power", gamma=gamma)
    battery = build_battery(np.random.default_rng(4), bat, r_med, x, np.full(len(x), 0.01))
    strata = item_strata(bat, item_plan(bat, x, r_med))
    rel = battery.thresholds / r_med  # (F, K, J): item j of every form in stratum j
    assert np.all(rel >= strata[None, :, :, 0] * (1 - 1e-12)) and np.all(rel <= strata[None, :, :, 1] * (1 + 1e-12))

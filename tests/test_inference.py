from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import ALPHA
from scipy import stats

from brainsim.inference import (ABCResult, HypothesisPriors, Sampler, Stopping, abc_smc, distance, posterior_particles,
                                posterior_point, probabilities_at)
from brainsim.targets import Target


def _toy(m, theta, seed):
    # observed x = 0; model "near" simulates x ~ N(mu, 0.1) with mu in [-1, 1]; "far" has mu in [5, 10]
    x = theta["mu"] + 0.1 * np.random.default_rng(seed).standard_normal()
    return abs(x)


NEAR = HypothesisPriors("near", {"mu": (-1.0, 1.0)})
FAR = HypothesisPriors("far", {"mu": (5.0, 10.0)})


def test_model_that_cannot_fit_dies_but_keeps_its_row():
    res = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=60), stopping=Stopping(generations=3), seed=1)
    probs = res.probabilities.set_index("hypothesis")["probability"]
    assert list(probs.index) == ["near", "far"]
    assert probs["far"] == 0.0 and probs["near"] == pytest.approx(1.0)
    assert res.probabilities["probability"].sum() == pytest.approx(1.0)


def test_identical_models_share_probability_and_posterior_concentrates():
    twin = HypothesisPriors("near2", {"mu": (-1.0, 1.0)})
    res = abc_smc([NEAR, twin], _toy, sampler=Sampler(particles=200), stopping=Stopping(generations=3), seed=2)
    p = res.probabilities["probability"].to_numpy()
    assert p[0] == pytest.approx(0.5, abs=0.15)
    last = res.particles[res.particles.generation == 2]
    mu = last["near:mu"].dropna()
    # the posterior of mu tightens around 0 (prior SD is 0.58)
    assert abs(np.average(mu, weights=last.loc[mu.index, "weight"])) < 0.1
    assert mu.std() < 0.3


# Evidence weights. Per-seed model probabilities scatter with SD <= 0.022 (A against A plus
# ignored parameters) and 0.011 (the Bayes-factor case) at 300 particles, measured over 20
# seeds; the pooled tolerances below are >= 3 standard errors of the pooled mean (false alarm
# < 0.3% for any choice of seeds), while the bugs they guard against move the answer by >= 0.09.
POOL_SEEDS, POOL_PARTICLES = range(6), 300


def _pooled_probability(models, seeds=POOL_SEEDS):
    """Mean over seeds of the first model's final probability (4 generations, epsilon ~0.1)."""
    return np.mean([abc_smc(models, _toy, sampler=Sampler(particles=POOL_PARTICLES), stopping=Stopping(generations=4), seed=s)
                    .probabilities["probability"].iloc[0] for s in seeds])


@pytest.mark.parametrize("extra", [1, 2])
def test_parameters_the_simulator_ignores_do_not_change_model_probabilities(extra):
    # B is A plus `extra` parameters that do not enter the simulation: P(A) = P(B) = 1/2. Before
    # the kernel density was normalised by (2 pi)^(d/2), A got 0.72 (extra = 1) and 0.87 (2).
    ignored = {f"nu{i}": (-1.0 + i, 2.0 + 3 * i) for i in range(extra)}
    padded = HypothesisPriors("padded", {"mu": (-1.0, 1.0), **ignored})
    assert _pooled_probability([NEAR, padded]) == pytest.approx(0.5, abs=0.05)


def test_model_probabilities_give_the_exact_bayes_factor():
    # The same likelihood under mu ~ U(-1, 1) and mu ~ U(-3, 3); at the final epsilon (~0.2,
    # |x| <= epsilon needs |mu| < 0.6) the likelihood vanishes outside [-1, 1], so the
    # marginal likelihoods are in ratio 6 / 2: P(narrow) = 3/4 exactly.
    # Importance weights of 1 give 0.5 (each model's acceptance alone).
    wide = HypothesisPriors("wide", {"mu": (-3.0, 3.0)})
    assert _pooled_probability([NEAR, wide], seeds=range(4)) == pytest.approx(0.75, abs=0.03)


def test_reported_standard_error_matches_the_scatter_over_seeds():
    # The delta-method SE of one run against the SD of the probability over 16 seeds (measured
    # at 300 particles over 20 seeds: SD 0.011, mean SE 0.012). An SE that ignored the
    # importance weights' spread, or the other model's evidence, would be off by 2x or more.
    wide = HypothesisPriors("wide", {"mu": (-3.0, 3.0)})
    runs = [abc_smc([NEAR, wide], _toy, sampler=Sampler(particles=150), stopping=Stopping(generations=4), seed=s).probabilities for s in range(16)]
    p = np.array([r["probability"].iloc[0] for r in runs])
    se = np.array([r["se"].iloc[0] for r in runs])
    assert 0.6 < np.mean(se) / np.std(p, ddof=1) < 1.8
    assert all(r["se"].iloc[0] == pytest.approx(r["se"].iloc[1]) for r in runs)  # two models: one error


def test_posterior_point_is_the_weighted_median_of_the_last_generation():
    def result(rows):
        return ABCResult(["h", "g"], pd.DataFrame(), pd.DataFrame(rows), pd.DataFrame(), 0)

    last = [{"generation": 1, "hypothesis": "h", "weight": w, "distance": 0.0, "h:x": x, "h:y": -x}
            for x, w in [(10.0, 0.3), (40.0, 0.3)]]
    other = [{"generation": 1, "hypothesis": "h", "weight": w, "distance": 0.0, "h:x": x, "h:y": -x}
             for x, w in [(30.0, 0.25), (20.0, 0.15)]]
    first = [{"generation": 0, "hypothesis": "h", "weight": 1.0, "distance": 0.0, "h:x": 1e6, "h:y": 1e6}] * 5
    rival = [{"generation": 1, "hypothesis": "g", "weight": 5.0, "distance": 0.0, "g:x": -7.0}]
    # pooled last generation: x = 10, 20, 30, 40 with weights .3, .15, .25, .3 -> cumulative
    # .3, .45, .7, 1: the weighted median is 30 (unweighted 25, weighted quartiles 10 and 40)
    point = posterior_point([result(first + last + rival), result(other)], "h")
    assert point == {"x": 30.0, "y": -30.0}  # y = -40, -30, -20, -10: cumulative .3, .55
    assert posterior_point([result(first + last)], "g") == {}
    # a hypothesis with no accepted particle in the final generation: its last accepted ones, not final
    later = [{"generation": 2, "hypothesis": "g", "weight": 1.0, "distance": 0.0, "g:x": 3.0}]
    assert posterior_point([result(first + later)], "h") == {"x": 1e6, "y": 1e6}
    assert not posterior_particles([result(first + later)], "h")["final"].any()
    assert posterior_particles([result(first + last + rival)], "h")["final"].all()


def test_reproducible_whatever_the_workers_and_batch():
    a = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=40), stopping=Stopping(generations=2), seed=5)
    with ThreadPoolExecutor(4) as pool:
        b = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=40, batch=17), stopping=Stopping(generations=2), seed=5, map_fn=pool.map)
    pd.testing.assert_frame_equal(a.particles, b.particles)
    pd.testing.assert_frame_equal(a.probabilities, b.probabilities)


def test_proposals_follow_the_truncated_kernel_whose_density_weights_them():
    # Two particles near the prior's edges: proposals are a weighted mixture of Gaussians
    # truncated to [0, 1]; the density used in the importance weights integrates to 1 over the
    # prior and its CDF is the one the proposals follow (KS).
    from scipy import integrate

    from brainsim.inference import _log_density, _propose

    bounds = np.array([[0.0, 1.0], [2.0, 2.0]])  # one free parameter, one point prior
    density = (np.array([[0.05, 2.0], [0.9, 2.0]]), np.array([0.3, 0.7]), np.array([0.2, 0.0]))
    draws = np.array([_propose(1, 0, i, 11, bounds, density) for i in range(3000)])
    assert (draws[:, 1] == 2.0).all() and draws[:, 0].min() >= 0.0 and draws[:, 0].max() <= 1.0
    q = lambda x: np.exp(_log_density(np.array([[x, 2.0]]), bounds, density))[0]
    assert integrate.quad(q, 0.0, 1.0)[0] == pytest.approx(1.0, abs=1e-9)
    parts = [stats.truncnorm((0.0 - m) / 0.2, (1.0 - m) / 0.2, loc=m, scale=0.2) for m in (0.05, 0.9)]
    cdf = lambda x: 0.3 * parts[0].cdf(x) + 0.7 * parts[1].cdf(x)
    assert stats.kstest(draws[:, 0], cdf).pvalue > ALPHA


def test_probabilities_at_any_epsilon_come_from_the_final_proposals():
    res = abc_smc([NEAR, HypothesisPriors("wide", {"mu": (-3.0, 3.0)})], _toy, sampler=Sampler(particles=200),
                  stopping=Stopping(generations=4), seed=6)
    at_final = probabilities_at(res, res.epsilon)
    pd.testing.assert_frame_equal(at_final, res.probabilities)
    # at epsilon = inf every proposal counts and each evidence is E[prior / proposal] = 1:
    # P = 1/2; below the final epsilon the Bayes factor of 3 still holds
    assert probabilities_at(res, np.inf)["probability"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.08)
    assert probabilities_at(res, 0.05)["probability"].iloc[0] == pytest.approx(0.75, abs=0.1)


def test_point_prior_is_held_fixed():
    point = HypothesisPriors("point", {"mu": (0.05, 0.05)})
    res = abc_smc([point], _toy, sampler=Sampler(particles=20), stopping=Stopping(generations=2), seed=0)
    assert (res.particles["point:mu"] == 0.05).all()


def test_distance_counts_uncomputable_targets():
    targets = [Target("a", "a", 1.0, 0.5, "s"), Target("b", "b", 0.0, 1.0, "s")]
    assert distance({"a": 2.0, "b": 0.0}, targets) == pytest.approx(np.sqrt((4 + 0) / 2))
    assert distance({"a": 1.0, "b": float("nan")}, targets, missing_z=5) == pytest.approx(np.sqrt(25 / 2))


def _problem(overrides, targets, names=("h",)):
    """A comparison of `names`, each the composed config of `overrides`, against `targets`."""
    from omegaconf import OmegaConf

    from brainsim.api import compose
    from brainsim.config.settings import settings_from_config
    from brainsim.problem import Problem

    job = settings_from_config(OmegaConf.to_container(compose(overrides), resolve=True))
    return Problem(tuple(names), (job.model,) * len(names), tuple(HypothesisPriors(n, job.hypothesis.free) for n in names),
                   (job.hypothesis.log,) * len(names), tuple(targets))


def test_point_prior_through_the_model_reproduces_a_direct_run():
    import brainsim
    from brainsim.targets import load_targets

    targets = load_targets("human")
    sim = _problem(["hypothesis=h4_architecture"], targets).simulator(n=2000, norm_n=1000, missing_z=5.0)
    d = sim(0, {"population.architecture.sd": 0.05}, 9)
    direct = brainsim.simulate(["hypothesis=h4_architecture", "population.architecture.sd=0.05",
                                "population.n=2000", "battery.norm_n=1000"], seed=9).summary()
    assert d == distance(direct, targets)


# --- when the sampler stops -----------------------------------------------------------------

def test_stops_when_epsilon_reaches_its_floor():
    res = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=50), stopping=Stopping(generations=30, min_epsilon=0.2), seed=3)
    assert res.stop == "epsilon" and res.converged
    assert res.epsilon == 0.2 and res.history["epsilon"].min() == 0.2
    assert res.history["generation"].max() < 29  # well before the ceiling
    assert (res.particles.loc[res.particles.generation == res.particles.generation.max(), "distance"] <= 0.2).all()


def test_stops_when_acceptance_falls_below_its_floor():
    res = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=50), stopping=Stopping(generations=30, min_acceptance=0.3), seed=3)
    assert res.stop == "acceptance" and res.converged
    hist = res.history.drop_duplicates("generation")
    # every generation ran at or above the floor but the last, which is kept
    assert (hist["acceptance"].iloc[:-1] >= 0.3).all() and hist["acceptance"].iloc[-1] < 0.3
    assert res.acceptance == hist["acceptance"].iloc[-1]
    assert res.particles["generation"].max() == hist["generation"].iloc[-1]


def test_ceilings_stop_an_unconverged_run_and_say_so():
    res = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=30), stopping=Stopping(generations=2, min_epsilon=1e-6), seed=3)
    assert res.stop == "generations" and not res.converged and res.history["generation"].max() == 1
    budget = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=30), stopping=Stopping(generations=30, min_epsilon=1e-6, max_simulations=200), seed=3)
    assert budget.stop == "simulations" and not budget.converged
    assert budget.simulations <= 200  # a generation that could overrun the budget is not started
    done = budget.history["generation"].max()
    assert (budget.particles["generation"] <= done).all()
    assert budget.probabilities["probability"].sum() == pytest.approx(1.0)


def test_a_hypothesis_keeps_its_particles_however_weak_its_evidence():
    # One sampler that jumps between models loses a weak model to chance; here the weak model
    # (P ~ 0.1) keeps a population in every generation and its evidence is estimated each time.
    weak = HypothesisPriors("weak", {"mu": (-1.0, 17.0)})  # 1/9 of its prior mass is near 0
    res = abc_smc([NEAR, weak], _toy, sampler=Sampler(particles=100), stopping=Stopping(generations=4), seed=8)
    assert (res.history.loc[res.history.hypothesis == "weak", "probability"].iloc[1:] > 0).all()
    assert res.probabilities["probability"].iloc[1] == pytest.approx(0.1, abs=0.06)


def test_a_generation_that_accepts_nothing_leaves_the_earlier_populations_standing():
    # Generation 0 fits; every later simulation misses: later generations accept nothing, while
    # the evidences still rest on generation 0's proposals (this used to crash the epsilon update).
    calls = []

    def sim(m, theta, seed):
        calls.append(m)
        return 0.1 * theta["mu"] ** 2 if len(calls) <= 40 else 100.0

    res = abc_smc([NEAR, HypothesisPriors("near2", {"mu": (-1.0, 1.0)})], sim, sampler=Sampler(particles=20),
                  stopping=Stopping(generations=3), seed=0)
    assert res.stop == "generations" and (res.history["accepted"][res.history.generation > 0] == 0).all()
    assert res.probabilities["probability"].sum() == pytest.approx(1.0)
    calls.clear()
    floor = abc_smc([NEAR], sim, sampler=Sampler(particles=40), stopping=Stopping(generations=5, min_acceptance=0.1), seed=0)
    assert floor.stop == "acceptance" and floor.history["generation"].max() == 1


def test_resumed_run_stops_where_an_uninterrupted_one_does():
    states = []
    whole = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=40), stopping=Stopping(generations=20, min_epsilon=0.15), seed=4, on_generation=states.append)
    again = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=40), stopping=Stopping(generations=20, min_epsilon=0.15), seed=4, state=states[1])
    pd.testing.assert_frame_equal(whole.particles, again.particles)
    assert (again.stop, again.epsilon, again.simulations) == (whole.stop, whole.epsilon, whole.simulations)
    done = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=40), stopping=Stopping(generations=20, min_epsilon=0.15), seed=4, state=states[-1])
    assert done.simulations == whole.simulations and done.stop == "epsilon"  # nothing left to run


def test_a_hypothesis_that_cannot_fit_does_not_drag_the_acceptance_rate_down():
    # FAR never comes within epsilon after generation 0 (P = 0), so the posterior's acceptance
    # rate is NEAR's own share accepted, exactly; an unweighted mean over hypotheses would halve
    # it and stop the run a generation or more early, calling it converged.
    res = abc_smc([NEAR, FAR], _toy, sampler=Sampler(particles=50), stopping=Stopping(generations=30, min_acceptance=0.3), seed=3)
    hist = res.history.pivot(index="generation", columns="hypothesis", values=["probability", "accepted", "acceptance"])
    dead = hist[("probability", "far")] == 0.0
    assert dead.iloc[1:].all()
    near_rate = hist.loc[dead, ("accepted", "near")] / 50
    assert np.allclose(hist.loc[dead, ("acceptance", "near")], near_rate, rtol=0, atol=1e-12)
    # it stops at the first generation where NEAR's own rate falls below the floor
    first_low = int(near_rate[near_rate < 0.3].index[0])
    assert res.stop == "acceptance" and res.history["generation"].max() == first_low
    assert (near_rate.loc[:first_low - 1] >= 0.3).all()


def test_simulation_noise_is_a_correlation_sampling_sd_and_widens_tolerances():
    # r(brain, IQ) over n unrelated people scatters with SD (1 - r^2) / sqrt(n - 1) from seed to
    # seed; 20 replicates estimate it within ~16%
    from brainsim.inference import widened
    from brainsim.problem import simulation_noise

    targets = [Target("a", "r_brain_iq", 0.3, 0.04, "s"), Target("b", "twin_r_mz", 0.9, 0.05, "s")]
    sd = simulation_noise(_problem(["population.design=unrelated"], targets, ("a", "b")), 1000, 500, 20, seed=1)
    assert 0.6 < sd[0] / (1 / np.sqrt(999)) < 1.6 and np.isnan(sd[1])  # no twins: never computed
    wide = widened(targets, np.array([0.03, np.nan]))
    assert wide[0].tolerance == pytest.approx(0.05) and wide[1].tolerance == 0.05 and wide[0].value == 0.3


def test_a_thin_tail_is_charged_once_not_twice():
    """No severe cases: the share charges it; the co-twins of no cases are not charged again."""
    from brainsim.inference import distance
    from brainsim.recovery import nearest
    from brainsim.summaries import missing_charges
    from brainsim.targets import Target

    share = Target("share", "share_iq_below_50", 0.004, 0.002, "s", "text")
    cotwin = Target("cotwin", "cotwin_iq_of_iq_below_50", 100.0, 6.0, "s", "text")
    retest = Target("retest", "retest_r", 0.95, 0.03, "s", "text")
    none = {"share_iq_below_50": 0.0, "cotwin_iq_of_iq_below_50": float("nan"), "retest_r": 0.95}
    assert distance(none, [share, cotwin, retest], 5.0) == pytest.approx(np.sqrt((2.0**2 + 0 + 0) / 3))
    assert distance(none, [cotwin, retest], 5.0) == pytest.approx(np.sqrt(25 / 2))  # no share target: charged
    assert distance({"retest_r": float("nan")}, [retest], 5.0) == pytest.approx(5.0)
    assert missing_charges(["share_iq_below_50", "cotwin_iq_of_iq_below_50", "retest_r"], 5.0).tolist() == [5, 0, 5]
    stats = ["share_iq_below_50", "cotwin_iq_of_iq_below_50", "retest_r"]
    table = np.array([[0.0, np.nan, 0.95], [0.004, 100.0, 0.80]])
    _, d = nearest(np.array([[0.004, 100.0, 0.95]]), table, np.array([0.002, 6.0, 0.03]), 2,
                   missing_z=missing_charges(stats, 5.0))
    assert d[0].tolist() == pytest.approx([np.sqrt(4 / 3), np.sqrt(25 / 3)])


def test_distances_stay_finite_when_a_statistic_is_astronomically_far():
    # squares of z beyond 1e154 overflow; the RMS must not (a statistic 1e200 tolerances off is
    # far, not infinitely far), and ordinary values keep their bits
    from brainsim.targets import rms, scorecard, total_distance

    z = np.array([3e200, -4e200])
    assert rms(z) == pytest.approx(np.sqrt(12.5) * 1e200, rel=1e-12)
    small = np.array([0.3, -1.7, 2.2])
    assert rms(small) == float(np.sqrt(np.mean(np.square(small))))
    assert np.isnan(rms(np.array([np.nan, 1.0])))
    targets = [Target("a", "a", 0.0, 1.0, "s"), Target("b", "b", 0.0, 1.0, "s")]
    assert distance({"a": 3e200, "b": -4e200}, targets) == pytest.approx(np.sqrt(12.5) * 1e200, rel=1e-12)
    assert total_distance(scorecard("h", {"a": 3e200, "b": -4e200}, targets)) == pytest.approx(np.sqrt(12.5) * 1e200,
                                                                                                 rel=1e-12)

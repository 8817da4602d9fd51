from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from brainsim.inference import ABCResult, ModelSpec, abc_smc, distance, posterior_particles, posterior_point
from brainsim.targets import Target


def _toy(m, theta, seed):
    # observed x = 0; model "near" simulates x ~ N(mu, 0.1) with mu in [-1, 1]; "far" has mu in [5, 10]
    x = theta["mu"] + 0.1 * np.random.default_rng(seed).standard_normal()
    return abs(x)


NEAR = ModelSpec("near", {"mu": (-1.0, 1.0)})
FAR = ModelSpec("far", {"mu": (5.0, 10.0)})


def test_model_that_cannot_fit_dies_but_keeps_its_row():
    res = abc_smc([NEAR, FAR], _toy, n_particles=60, generations=3, seed=1)
    probs = res.probabilities.set_index("hypothesis")["probability"]
    assert list(probs.index) == ["near", "far"]
    assert probs["far"] == 0.0 and probs["near"] == pytest.approx(1.0)
    assert res.probabilities["probability"].sum() == pytest.approx(1.0)


def test_identical_models_share_probability_and_posterior_concentrates():
    twin = ModelSpec("near2", {"mu": (-1.0, 1.0)})
    res = abc_smc([NEAR, twin], _toy, n_particles=200, generations=3, seed=2)
    p = res.probabilities["probability"].to_numpy()
    assert p[0] == pytest.approx(0.5, abs=0.15)
    last = res.particles[res.particles.generation == 2]
    mu = last["near:mu"].dropna()
    # the posterior of mu tightens around 0 (prior SD is 0.58)
    assert abs(np.average(mu, weights=last.loc[mu.index, "weight"])) < 0.1
    assert mu.std() < 0.3


# Cross-model weights. Per-seed model probabilities scatter with SD <= 0.045 (A against A plus
# ignored parameters) and <= 0.025 (the Bayes-factor case) at 300 particles, measured over 20
# seeds; the pooled tolerances below are >= 3 standard errors of the pooled mean (false alarm
# < 0.3% for any choice of seeds), while the bugs they guard against move the answer by >= 0.09.
POOL_SEEDS, POOL_PARTICLES = range(6), 300


def _pooled_probability(models, seeds=POOL_SEEDS):
    """Mean over seeds of the first model's final probability (4 generations, epsilon ~0.1)."""
    return np.mean([abc_smc(models, _toy, n_particles=POOL_PARTICLES, generations=4, seed=s)
                    .probabilities["probability"].iloc[0] for s in seeds])


@pytest.mark.parametrize("extra", [1, 2])
def test_parameters_the_simulator_ignores_do_not_change_model_probabilities(extra):
    # B is A plus `extra` parameters that do not enter the simulation: P(A) = P(B) = 1/2. Before
    # the kernel density was normalised by (2 pi)^(d/2), A got 0.72 (extra = 1) and 0.87 (2).
    ignored = {f"nu{i}": (-1.0 + i, 2.0 + 3 * i) for i in range(extra)}
    padded = ModelSpec("padded", {"mu": (-1.0, 1.0), **ignored})
    assert _pooled_probability([NEAR, padded]) == pytest.approx(0.5, abs=0.05)


def test_model_probabilities_give_the_exact_bayes_factor():
    # The same likelihood under mu ~ U(-1, 1) and mu ~ U(-3, 3); at the final epsilon (~0.1,
    # |x| <= epsilon needs |mu| < 0.6) the likelihood vanishes outside [-1, 1], so the
    # marginal likelihoods are in ratio 6 / 2: P(narrow) = 3/4 exactly.
    # Dropping the model-kernel term gives 0.84, importance weights of 1 give 0.53.
    wide = ModelSpec("wide", {"mu": (-3.0, 3.0)})
    assert _pooled_probability([NEAR, wide], seeds=range(4)) == pytest.approx(0.75, abs=0.03)


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
    # a hypothesis that died out is taken at the last generation that kept it, marked not final
    later = [{"generation": 2, "hypothesis": "g", "weight": 1.0, "distance": 0.0, "g:x": 3.0}]
    assert posterior_point([result(first + later)], "h") == {"x": 1e6, "y": 1e6}
    assert not posterior_particles([result(first + later)], "h")["final"].any()
    assert posterior_particles([result(first + last + rival)], "h")["final"].all()


def test_reproducible_whatever_the_workers_and_batch():
    a = abc_smc([NEAR, FAR], _toy, n_particles=40, generations=2, seed=5)
    with ThreadPoolExecutor(4) as pool:
        b = abc_smc([NEAR, FAR], _toy, n_particles=40, generations=2, seed=5, map_fn=pool.map, batch=17)
    pd.testing.assert_frame_equal(a.particles, b.particles)
    pd.testing.assert_frame_equal(a.probabilities, b.probabilities)


def test_point_prior_is_held_fixed():
    point = ModelSpec("point", {"mu": (0.05, 0.05)})
    res = abc_smc([point], _toy, n_particles=20, generations=2, seed=0)
    assert (res.particles["point:mu"] == 0.05).all()


def test_distance_counts_uncomputable_targets():
    targets = [Target("a", "a", 1.0, 0.5, "s"), Target("b", "b", 0.0, 1.0, "s")]
    assert distance({"a": 2.0, "b": 0.0}, targets) == pytest.approx(np.sqrt((4 + 0) / 2))
    assert distance({"a": 1.0, "b": float("nan")}, targets, missing_z=5) == pytest.approx(np.sqrt(25 / 2))


def test_point_prior_through_the_model_reproduces_a_direct_run():
    from omegaconf import OmegaConf

    import brainsim
    from brainsim.api import compose
    from brainsim.inference import config_simulator
    from brainsim.targets import load_targets

    targets = load_targets("human")
    cont = OmegaConf.to_container(compose(["hypothesis=h4_architecture"]), resolve=True)
    sim = config_simulator([cont], targets, n=2000, norm_n=1000, missing_z=5.0)
    d = sim(0, {"population.architecture.sd": 0.05}, 9)
    direct = brainsim.simulate(["hypothesis=h4_architecture", "population.architecture.sd=0.05",
                                "population.n=2000", "battery.norm_n=1000"], seed=9).summary()
    assert d == distance(direct, targets)


# --- when the sampler stops -----------------------------------------------------------------

def test_stops_when_epsilon_reaches_its_floor():
    res = abc_smc([NEAR, FAR], _toy, n_particles=50, generations=30, seed=3, min_epsilon=0.2)
    assert res.stop == "epsilon" and res.converged
    assert res.epsilon == 0.2 and res.history["epsilon"].min() == 0.2
    assert res.history["generation"].max() < 29  # well before the ceiling
    assert (res.particles.loc[res.particles.generation == res.particles.generation.max(), "distance"] <= 0.2).all()


def test_stops_when_acceptance_falls_below_its_floor():
    res = abc_smc([NEAR, FAR], _toy, n_particles=50, generations=30, seed=3, min_acceptance=0.3)
    assert res.stop == "acceptance" and res.converged
    hist = res.history.drop_duplicates("generation")
    # every generation kept ran at or above the floor but the last, or the next one was cut short
    assert (hist["acceptance"].iloc[:-1] >= 0.3).all()
    assert res.simulations < 50 / 0.3 * len(hist) + 50 / 0.3  # no generation ran past particles / floor


def test_ceilings_stop_an_unconverged_run_and_say_so():
    res = abc_smc([NEAR, FAR], _toy, n_particles=30, generations=2, seed=3, min_epsilon=1e-6)
    assert res.stop == "generations" and not res.converged and res.history["generation"].max() == 1
    budget = abc_smc([NEAR, FAR], _toy, n_particles=30, generations=30, seed=3, min_epsilon=1e-6,
                     max_simulations=200)
    assert budget.stop == "simulations" and not budget.converged
    assert budget.simulations <= 200 + 64  # at most one batch past the budget, and that generation is dropped
    done = budget.history["generation"].max()
    assert (budget.particles["generation"] <= done).all()
    assert budget.probabilities["probability"].sum() == pytest.approx(1.0)


def test_resumed_run_stops_where_an_uninterrupted_one_does():
    states = []
    whole = abc_smc([NEAR, FAR], _toy, n_particles=40, generations=20, seed=4, min_epsilon=0.15,
                    on_generation=states.append)
    again = abc_smc([NEAR, FAR], _toy, n_particles=40, generations=20, seed=4, min_epsilon=0.15, state=states[1])
    pd.testing.assert_frame_equal(whole.particles, again.particles)
    assert (again.stop, again.epsilon, again.simulations) == (whole.stop, whole.epsilon, whole.simulations)
    done = abc_smc([NEAR, FAR], _toy, n_particles=40, generations=20, seed=4, min_epsilon=0.15, state=states[-1])
    assert done.simulations == whole.simulations and done.stop == "epsilon"  # nothing left to run

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from brainsim.inference import ModelSpec, abc_smc, distance
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

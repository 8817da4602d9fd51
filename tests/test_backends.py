"""Backends and launchers: the same bits on a Dask LocalCluster; Hydra multiruns in parallel."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import model

from brainsim import ConfigError, engine
from brainsim.backends import BackendParams, backend_from_config, open_backend
from brainsim.inference import HypothesisPriors, Sampler, Stopping, abc_smc


@pytest.fixture(scope="module")
def dask_backend():
    with open_backend(BackendParams(name="dask", n_workers=2, window=3)) as backend:
        yield backend


def test_dask_summary_is_bit_identical_to_local(dask_backend):
    m = model("population.n=20001", "population.chunk_size=3000", "battery.norm_n=2000",
              "hypothesis=h3_mutation_load")
    local = engine.population_statistics(m, seed=5)
    np.testing.assert_equal(engine.population_statistics(m, seed=5, backend=dask_backend), local)


def test_local_map_runs_simulations_side_by_side_with_the_same_bits():
    import threading

    import numba

    from brainsim.backends import LocalBackend, _concurrent_workers

    m = model("population.n=3000", "battery.norm_n=1000", "hypothesis=h3_mutation_load")
    serial = [engine.population_statistics(m, seed=s) for s in range(6)]  # also starts Numba's threading layer
    threads = set()

    def simulate(s):
        threads.add(threading.get_ident())
        return engine.population_statistics(m, seed=s)

    side_by_side = LocalBackend().map(simulate, range(6))
    for a, b in zip(side_by_side, serial):
        np.testing.assert_equal(a, b)
    expected = 2 if numba.threading_layer() in ("omp", "tbb") and numba.get_num_threads() >= 2 else 1
    assert _concurrent_workers() >= expected
    if expected > 1:  # the simulations ran in worker threads, more than one of them
        assert len(threads) > 1 and threading.get_ident() not in threads
    else:
        assert threads == {threading.get_ident()}


def test_dask_abc_is_bit_identical_to_local(dask_backend):
    def simulate(m, theta, seed):  # a cheap stand-in: a noisy distance to theta = 0.3
        rng = np.random.default_rng(seed)
        return abs(theta.get("x", 0.5) - 0.3) + 0.05 * rng.random() + 0.1 * m

    specs = [HypothesisPriors("a", {"x": (0.0, 1.0)}), HypothesisPriors("b", {"x": (0.0, 1.0)})]
    local = abc_smc(specs, simulate, sampler=Sampler(particles=20, batch=16), stopping=Stopping(generations=3), seed=4)
    remote = abc_smc(specs, simulate, sampler=Sampler(particles=20, batch=16), stopping=Stopping(generations=3), seed=4,
                     map_fn=dask_backend.map)
    assert local.probabilities.equals(remote.probabilities)
    assert local.particles.equals(remote.particles)


@pytest.mark.parametrize("cfg, key", [({"name": "spark"}, "backend.name"), ({"name": "dask", "n_workers": 0},
                                      "backend.n_workers"), ({"name": "dask", "adress": "x"}, "backend.adress")])
def test_bad_backend_names_the_key(cfg, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        backend_from_config(cfg)


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_multirun_with_parallel_launchers(tmp_path, launcher):
    sweep = tmp_path / launcher
    args = ["-m", f"hydra/launcher={launcher}", "hypothesis=baseline,h2_selection", "population.n=1000",
            "battery.norm_n=500", "abc.particles=0", "recovery.per_hypothesis=0", f"hydra.sweep.dir={sweep}"]
    done = subprocess.run([sys.executable, "-m", "brainsim.cli", *args], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = sorted(json.loads((sweep / str(job) / "summary.json").read_text())["ranking"][0]["hypothesis"]
                   for job in (0, 1))
    assert names == ["baseline", "h2_selection"]


def test_dask_reference_table_of_the_real_model_is_bit_identical_to_local(dask_backend):
    import pandas as pd
    from omegaconf import OmegaConf

    from brainsim.api import compose
    from brainsim.assessment import problem
    from brainsim.reference import reference_table
    from brainsim.config.settings import settings_from_config

    names = ["h3_mutation_load", "h4_architecture"]
    configs = {h: compose([f"hypothesis={h}"]) for h in names}
    prob = problem(configs, {h: settings_from_config(OmegaConf.to_container(c, resolve=True)) for h, c in configs.items()})
    stats = prob.statistics
    simulate = prob.statistics_simulator(600, 600)
    local = reference_table(prob.hypotheses, simulate, stats, 6, seed=2, batch=4)
    remote = reference_table(prob.hypotheses, simulate, stats, 6, seed=2, batch=3, map_fn=dask_backend.map)
    pd.testing.assert_frame_equal(local, remote, check_exact=True)
    assert local.filter(like="stat:").notna().to_numpy().mean() > 0.8  # statistics, not an empty frame


class _Pickles:
    """A callable that counts how often it is pickled in this process."""

    count = 0

    def __call__(self, x):
        return 2 * x

    def __reduce__(self):
        type(self).count += 1
        return (_Pickles, ())


def test_dask_map_sends_the_function_once_not_with_every_item(dask_backend):
    # a simulation function closes over the whole comparison: pickled per item, it halved
    # the Dask backend's simulations per second (measured: 32-37 against 63 on 2 workers)
    _Pickles.count = 0
    assert dask_backend.map(_Pickles(), range(40)) == [2 * x for x in range(40)]
    assert 1 <= _Pickles.count <= 2
    assert dask_backend.map(_Pickles(), []) == []

"""The typed comparison problem: sampled values set on typed parameters give exactly the model
that the config with those values gives, and bad values are refused in one line."""

import dataclasses
import re

import numpy as np
import pytest
from omegaconf import OmegaConf

from brainsim.api import compose, hypothesis_names
from brainsim.assessment import problem
from brainsim.config.overrides import override, settable
from brainsim.config.builders import model_from_config
from brainsim.config.settings import settings_from_config
from brainsim.inference import HypothesisPriors
from brainsim.problem import Problem
from brainsim.validation import ConfigError


def _same(a, b, where="model"):
    """Every field of two parameter dataclasses equal (arrays element by element)."""
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), where
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


def _set(container: dict, key: str, value) -> None:
    """The value at a dotted key of a plain config dict (list items as name[i])."""
    *path, last = key.split(".")
    for part in path:
        name, _, index = part.partition("[")
        container = container[name] if not index else container[name][int(index[:-1])]
    container[last] = value


@pytest.fixture(scope="module")
def comparison():
    names = hypothesis_names()
    configs = {h: compose([f"hypothesis={h}"]) for h in names}
    jobs = {h: settings_from_config(OmegaConf.to_container(c, resolve=True)) for h, c in configs.items()}
    return problem(configs, jobs)


def test_sampled_values_give_the_model_the_config_gives(comparison):
    rng = np.random.default_rng(0)
    for m, (spec, container) in enumerate(zip(comparison.hypotheses, comparison.configs)):
        for _ in range(3):
            sampled = {k: lo + rng.random() * (hi - lo) for k, (lo, hi) in spec.priors.items()}
            expected = OmegaConf.to_container(OmegaConf.create(container))
            for k, v in sampled.items():
                value = 10.0**v if k in comparison.log[m] else v
                _set(expected, k, int(round(value)) if k == "battery.selection_pool" else value)
            _set(expected, "population.n", 1234)
            _set(expected, "battery.norm_n", 567)
            _same(comparison.model(m, sampled, n=1234, norm_n=567), model_from_config(expected))


def test_every_kind_of_key_is_set_where_the_config_would_set_it(comparison):
    base = comparison.models[0]
    assert not settable("population.design.x", base) and not settable("hypothesis.claim", base)
    values = {"population.heritability.hyperparameters.h2": 0.3, "population.heritability.data.c2": 0.2,
              "scaling.alpha": 0.3, "battery.universe.gamma": 2.0, "population.noise.sd": 0.1}
    law = base.law.form
    if "alpha" not in base.law.params:
        values.pop("scaling.alpha")
    model = override(base, values)
    dims = base.population.hyper_dims
    assert (model.population.h2[-dims:] == 0.3).all() and model.population.c2[3] == 0.2  # data is TRAITS[3]
    assert model.battery.gamma == 2.0 and model.population.noise_sd == 0.1 and model.law.form == law
    assert base.population.c2[3] != 0.2 or base.population.h2[-1] != 0.3  # the base model is not changed
    if "scaling.alpha" in values:
        assert model.law.params["alpha"] == 0.3 and base.law.params["alpha"] != 0.3


@pytest.mark.parametrize("values, key", [
    ({"population.noise.sd": -0.1}, "population.noise.sd"),
    ({"battery.universe.lower": 5.0, "battery.universe.upper": 2.0}, "battery.universe.upper"),
    ({"population.heritability.data.h2": 0.9, "population.heritability.data.c2": 0.3}, "population.heritability.data"),
    ({"population.mza_fraction": 0.6, "population.adoptive_fraction": 0.5}, "population.mza_fraction"),
    ({"population.nois.sd": 0.1}, "population.nois.sd"),
    ({"battery.selection_pool": 0.2}, "battery.selection_pool"),  # rounds to 0, below its range
])
def test_a_bad_value_is_refused_in_one_line_naming_its_key(comparison, values, key):
    with pytest.raises(ConfigError, match=re.escape(key)) as err:
        override(comparison.models[0], values)
    assert "\n" not in str(err.value)


def test_an_int_key_takes_a_sampler_float_rounded(comparison):
    assert override(comparison.models[0], {"battery.selection_pool": 7.6}).battery.selection_pool == 8


@pytest.mark.parametrize("key, ends, message", [
    ("population.architecture.variants[7].prob", (0.0, 0.1), "the free parameter 'population.architecture.variants[7]"),
    ("population.design", (0.0, 1.0), "the prior of 'population.design' reaches outside its range"),
    ("population.noise.sd", (-1.0, 1.0), "the prior of 'population.noise.sd' reaches outside its range"),
    ("population.mz_fraction", (0.5, 1.5), "the prior of 'population.mz_fraction' reaches outside its range"),
])
def test_a_prior_that_cannot_be_sampled_is_refused_when_the_problem_is_built(comparison, key, ends, message):
    with pytest.raises(ConfigError, match=re.escape(f"hypothesis/mine: {message}")) as err:
        Problem(("mine",), comparison.models[:1], (HypothesisPriors("mine", {key: ends}),), (frozenset(),), comparison.targets)
    assert "\n" not in str(err.value)


def test_the_api_builds_a_problem_a_notebook_can_run_the_abc_on():
    from brainsim.api import problem as build
    from brainsim.inference import Sampler, Stopping, abc_smc

    prob = build(["baseline", "h3_mutation_load"], ["population.design=twins"])
    assert prob.names == ("baseline", "h3_mutation_load") and len(prob.targets) > 5
    assert "population.mutation.inherited_mean" in prob.hypotheses[1].priors
    result = abc_smc(prob.hypotheses, prob.simulator(n=600, norm_n=500, missing_z=5.0),
                     sampler=Sampler(particles=3), stopping=Stopping(generations=1))
    assert result.simulations == 6 and result.probabilities["probability"].sum() == pytest.approx(1.0)


def test_a_problem_restricted_to_some_hypotheses_simulates_them_as_the_whole_does(comparison):
    names = list(comparison.names)
    picked = [names[5], names[1]]
    sub = comparison.only(picked)
    assert sub.names == tuple(picked) and sub.targets == comparison.targets
    for i, name in enumerate(picked):
        m = names.index(name)
        assert sub.hypotheses[i] == comparison.hypotheses[m] and sub.log[i] == comparison.log[m]
        assert sub.configs[i] == comparison.configs[m]
        sampled = {k: lo for k, (lo, _) in sub.hypotheses[i].priors.items()}
        _same(sub.model(i, sampled, n=300, norm_n=200), comparison.model(m, sampled, n=300, norm_n=200))
    with pytest.raises(ConfigError, match="Unknown hypotheses \\['nope'\\]"):
        comparison.only(["nope"])

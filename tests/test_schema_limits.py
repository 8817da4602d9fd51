"""Every config range against limits written here, apart from the schema: a bound loosened or
dropped in `brainsim.config.schema` is caught, indexed keys (list items) included.

Each limit is (low, high, low_open) with the one-line physical reason for it. A value just
outside gets the one-line error naming the key; the limit itself is accepted; and at the
physical extremes a simulation gives numbers, never an inf.
"""

import math

import numpy as np
import pytest
from omegaconf import OmegaConf

from brainsim.api import compose
from brainsim.config.schema import SCHEMA
from brainsim.config.settings import settings_from_config
from brainsim.validation import ConfigError

INF = None  # no bound on that side

# key: (low, high, low_open, why)
LIMITS = {
    "population.n": (1, INF, False, "at least one person"),
    "population.chunk_size": (1, INF, False, "at least one person per chunk"),
    "population.mz_fraction": (0, 1, False, "a share of twin pairs"),
    "population.mza_fraction": (0, 1, False, "a share of pairs (with adoptive_fraction: < 1 together)"),
    "population.adoptive_fraction": (0, 1, False, "likewise"),
    "population.inbred.fraction": (0, 10, False, "a cohort beside the population; ten times it is only slower"),
    "population.inbred.coefficient": (0, 1, False, "an inbreeding coefficient is a probability"),
    "population.inbred.depression": (0, 20, False, "SDs per unit F; four times the largest measured (5.2)"),
    "population.snp_tagging": (0, 1, True, "a share of the common-variant variance; none would hide it all"),
    "population.paternal.fraction": (0, 1, False, "a share of each chunk's people"),
    "population.paternal.rise": (0, 0.045, False, "per year; 0.045 x 20 years keeps the rate at 25 positive"),
    "population.paternal.mean_age": (25, 45, False, "the fathers' mean age lies between the two ages compared"),
    "population.brain.volume_mean": (0, INF, True, "a volume is positive"),
    "population.brain.volume_cv": (0, 2, False, "brain-volume CV is ~0.1; 2 is twenty times any species' spread"),
    "population.brain.volume_ref": (0, INF, True, "a volume is positive"),
    "population.brain.kappa": (0, 5, False, "synapses grow with volume at most as a low power"),
    "population.brain.synapses_ref": (0, INF, True, "a count is positive"),
    "population.brain.synapses_per_param": (0, INF, True, "a unit conversion is positive"),
    "population.brain.density_sd": (0, 3, False, "SD of a log multiplier: e^3 = 20-fold per SD is beyond biology"),
    "population.brain.efficiency_sd": (0, 3, False, "likewise"),
    "population.data.seconds": (0, INF, True, "a lifetime is positive"),
    "population.data.rate": (0, INF, True, "a data rate is positive"),
    "population.data.data_unit": (0, INF, True, "a unit conversion is positive"),
    "population.data.sd": (0, 3, False, "SD of log data: 20-fold per SD is beyond any exposure"),
    "population.data.diet_cv": (0, 10, False, "a Dirichlet share's CV; 10 gives one domain everything"),
    "population.hyperparameters.dims": (0, 64, False, "a handful of learning hyperparameters"),
    "population.hyperparameters.sd": (0, 10, False, "offsets in units of the parabola's width"),
    "population.hyperparameters.curvature": (0, INF, False, "a penalty is not a reward"),
    "population.mutation.inherited_rate": (0, 1e6, False, "a genome has ~2e4 genes; 1e6 variants is every site"),
    "population.mutation.inherited_shape": (0, INF, True, "a Gamma shape is positive"),
    "population.mutation.inherited_mean": (0, 10, False, "e^10 more noise per variant: one variant is lethal"),
    "population.mutation.de_novo_rate": (0, 1e6, False, "~70 de novo mutations per birth; 1e6 bounds any rate"),
    "population.mutation.de_novo_shape": (0, INF, True, "a Gamma shape is positive"),
    "population.mutation.de_novo_mean": (0, 10, False, "likewise per de novo mutation"),
    "population.mutation.dominance": (0.01, 1, False, "h = 0.01: a homozygote has 100 times a carrier's effect"),
    "population.noise.ref": (0, 100, False, "nu = 100 nats: every serial step fails"),
    "population.noise.sd": (0, 3, False, "SD of log noise: 20-fold per SD"),
    "population.architecture.sd": (0, 2, False, "SD of the log exponent multiplier: e^2 = 7-fold exponents"),
    "population.architecture.variants[].prob": (0, 1, False, "a probability"),
    "population.architecture.variants[].shift": (-1, 1, False, "log shift of an exponent: 0.37 to 2.7 times the law's"),
    "population.reaction_time.drift_ref": (0, INF, True, "a drift toward the right answer"),
    "population.reaction_time.boundary": (0, INF, True, "a boundary separation is positive"),
    "population.reaction_time.non_decision": (0, INF, False, "a time is not negative"),
    "population.reaction_time.trials": (2, INF, False, "an SD needs two trials"),
    "population.reaction_time.drift_loss_exponent": (0, 5, False, "5: a 10% loss difference is a 60% drift one"),
    "population.reaction_time.boundary_sd": (0, 2, False, "SD of log boundary: 7-fold per SD is beyond caution"),
    "population.reaction_time.non_decision_sd": (0, 2, False, "likewise for non-decision time"),
    **{f"population.heritability.{t}.{s}": (0, 1, False, "a share of variance")
       for t in ("brain", "density", "efficiency", "data", "noise", "hyperparameters", "architecture")
       for s in ("h2", "c2")},
    "battery.depth[]": (1, 1000, False, "a task takes at least one serial step; 1000 is beyond any test item"),
    "battery.items_per_domain": (1, 100_000, False, "a subtest has items; 1e5 is beyond any test"),
    "battery.selection_pool": (1, 1000, False, "candidates per kept item"),
    "battery.reach": (0.5, 8, False, "ability SDs the items span either side of the mean"),
    "battery.norm_n": (2, INF, False, "a norm needs an SD"),
    "battery.universe.gamma": (-20, 20, False, "a density exponent; beyond 20 every task sits at one edge"),
    "battery.universe.lower": (0, INF, True, "a threshold above the irreducible loss"),
    "battery.universe.upper": (0, INF, True, "likewise"),
    "battery.universe.width": (0, INF, True, "a logistic width is positive"),
    "scaling.E": (0, INF, False, "an irreducible loss is not negative"),
    **{f"scaling.{k}": (0, INF, True, "a law's constants are positive") for k in ("A", "B", "alpha", "beta")},
    "abc.particles": (0, 100_000, False, "0 switches ABC off"),
    "abc.generations": (1, 100, False, "a ceiling"),
    "abc.quantile": (0, 1, True, "a quantile; 0 would stop epsilon at the best proposal"),
    "abc.min_epsilon": (0, INF, False, "a distance"),
    "abc.min_acceptance": (0, 1, True, "a rate"),
    "abc.n": (2, INF, False, "a correlation needs two people"),
    "abc.norm_n": (2, INF, False, "a norm needs an SD"),
    "abc.missing_z": (0, INF, True, "a penalty"),
    "abc.top": (0, 1000, False, "0 runs the SMC on every hypothesis"),
    "recovery.resamples": (20, 100_000, False, "a bootstrap SE needs a few tens of resamples"),
    "plots.dpi": (30, 1200, False, "a readable figure"),
}

_DEFAULT = OmegaConf.to_container(compose([]), resolve=True)
_LISTS = {"battery.depth[]": "battery.depth", "population.architecture.variants[].prob":
          "population.architecture.variants", "population.architecture.variants[].shift":
          "population.architecture.variants"}


def test_every_bounded_schema_key_has_an_independent_limit():
    bounded = {k for k, r in SCHEMA.items() if r.kind in ("int", "float") and k.split(".")[0] in
               ("population", "battery") and not k.startswith("population.brain.volume_ref")}
    assert bounded - set(LIMITS) == set()


def _with(key: str, value):
    """The default config with `key` set to `value` (the last item of a list key)."""
    import copy

    c = copy.deepcopy(_DEFAULT)
    path = _LISTS.get(key, key).split(".")
    node = c
    for part in path[:-1]:
        node = node[part]
    if key == "battery.depth[]":
        node[path[-1]][-1] = value
        shown = f"battery.depth[{len(node[path[-1]]) - 1}]"
    elif key in _LISTS:
        node[path[-1]] = [{"prob": 0.0, "shift": 0.0}]
        node[path[-1]][0][key.rsplit(".", 1)[1]] = value
        shown = key.replace("[]", "[0]")
    else:
        node[path[-1]] = value
        shown = key
    if key.startswith("scaling.") and key[8:] not in c["scaling"]:
        pytest.skip(f"{key} is not a constant of the default law")
    return c, shown


def _outside(low, high, low_open, integer):
    out = []
    if low is not None:
        out.append(low if low_open else (low - 1 if integer else low - 1e-9 * max(1.0, abs(low))))
    if high is not None:
        out.append(high + 1 if integer else high + 1e-9 * max(1.0, abs(high)))
    return out


@pytest.mark.parametrize("key", sorted(LIMITS))
def test_a_value_just_outside_its_limit_gets_the_one_line_error(key):
    low, high, low_open, _ = LIMITS[key]
    integer = SCHEMA[key].kind == "int"
    for value in _outside(low, high, low_open, integer):
        config, shown = _with(key, value)
        with pytest.raises(ConfigError) as err:
            settings_from_config(config)
        message = str(err.value)
        assert f"'{shown}'" in message and "\n" not in message and "Got" in message, (value, message)


@pytest.mark.parametrize("key", sorted(LIMITS))
def test_the_limit_itself_is_accepted(key):
    low, high, low_open, _ = LIMITS[key]
    for value in [v for v in (None if low_open else low, high) if v is not None]:
        config, _ = _with(key, value)
        if key in ("population.mza_fraction", "population.adoptive_fraction") and value == 1:
            other = "adoptive_fraction" if key.endswith("mza_fraction") else "mza_fraction"
            config["population"][other] = 0.0
            with pytest.raises(ConfigError, match="must sum to < 1"):  # the pairs need twins too
                settings_from_config(config)
            continue
        if key == "population.mz_fraction" or key.startswith("population.heritability"):
            for t in config["population"]["heritability"].values():  # h2 + c2 <= 1 is checked apart
                t["c2"] = 0.0 if key.endswith("h2") else t["c2"]
                t["h2"] = 0.0 if key.endswith("c2") else t["h2"]
        if key == "battery.norm_n" and value == 2:
            config["battery"]["items"] = "universe"
        settings_from_config(config)


@pytest.mark.parametrize("overrides", [
    ["population.mutation.inherited_rate=1000000", "population.mutation.inherited_mean=10"],
    ["population.mutation.inherited_rate=1000000", "population.mutation.inherited_mean=10",
     "population.mutation.dominance=0.01", "population.inbred.coefficient=1", "population.inbred.fraction=10"],
    ["population.mutation.de_novo_rate=1000000", "population.mutation.de_novo_mean=10", "population.paternal.rise=0.045",
     "population.paternal.mean_age=45", "population.paternal.fraction=1"],
    ["population.noise.ref=100", "population.noise.sd=3"],
    ["population.brain.volume_cv=2", "population.brain.kappa=5", "population.data.sd=3"],
    ["population.architecture.mode=discrete", "population.architecture.variants=[{prob:1.0,shift:1.0}]"],
    ["population.architecture.mode=discrete", "population.architecture.variants=[{prob:1.0,shift:-1.0}]"],
    ["battery.depth=[1000,1000,1000,1000,1000,1000]"],
], ids=["inherited at its limits", "fully inbred at the limits", "de novo at its limits", "noise at its limits", "size and data at their limits",
        "architecture +1", "architecture -1", "depth 1000"])
def test_a_simulation_at_the_limits_gives_numbers_never_inf(overrides):
    import brainsim

    pop = brainsim.simulate([*overrides, "population.n=300", "battery.norm_n=300"], seed=0)
    assert not pop.frame.select_dtypes("number").isin([np.inf, -np.inf]).any().any()
    assert not any(math.isinf(v) for v in pop.summary().values())


def test_a_loss_that_underflows_for_everyone_gets_the_one_line_error():
    import brainsim

    with pytest.raises(ConfigError, match=r"median reducible loss must be a positive finite number\. Got 0\.0"):
        brainsim.simulate(["population.brain.synapses_per_param=1e-300", "population.data.data_unit=1e300",
                           "population.n=100", "battery.norm_n=100"], seed=0)

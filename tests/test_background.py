"""A fair contest: what is established biology or unknown lives in the shared background that
every hypothesis inherits; a hypothesis holds only its own claim, and `full` contains them all."""

import pytest
from omegaconf import OmegaConf

import brainsim
from brainsim.api import compose, hypothesis_names
from brainsim.config.settings import settings_from_config
from brainsim.validation import ConfigError

SHIPPED = [h for h in hypothesis_names() if h != "full"]
# background mechanisms no hypothesis may change (those with a prior are checked through it)
FIXED_BACKGROUND = ["population.mutation.de_novo_rate", "population.mutation.de_novo_shape",
                    "population.reaction_time.drift_ref", "population.reaction_time.boundary",
                    "population.reaction_time.non_decision"]


def _settings(hypothesis: str):
    return settings_from_config(OmegaConf.to_container(compose([f"hypothesis={hypothesis}"]), resolve=True))


def _values(hyp, key: str) -> tuple[float, float]:
    """A prior's range in the config's own units (10 ** bounds for log10 priors)."""
    low, high = hyp.free[key]
    return (10.0**low, 10.0**high) if key in hyp.log else (low, high)


def test_under_baseline_reaction_time_tracks_iq():
    # drift depends on the learned loss as well as on noise, in every hypothesis's background
    pop = brainsim.simulate(["population.n=100000", "population.design=unrelated"], seed=2)
    assert pop.summary()["r_rt_iq"] < -0.1


def test_baseline_prior_predictive_reaches_high_mz_correlations():
    # a corner of baseline's own prior box: heritabilities and data spread at their highest,
    # items sharp; fixed heritabilities used to cap rMZ near 0.85 without a mutation burden
    corner = {"population.heritability.data.h2": 0.6, "population.heritability.data.c2": 0.4,
              "population.heritability.brain.h2": 0.95, "population.heritability.brain.c2": 0.05,
              "population.heritability.noise.h2": 0.8, "population.heritability.noise.c2": 0.2,
              "population.data.sd": 0.7, "battery.universe.width": 0.001}
    hyp = _settings("baseline").hypothesis
    for key, value in corner.items():
        low, high = _values(hyp, key)
        assert low <= value <= high, key
    pop = brainsim.simulate([f"{k}={v}" for k, v in corner.items()] + ["population.n=40000"], seed=1)
    assert pop.summary()["twin_r_mz"] >= 0.88


def test_full_contains_every_hypothesis_prior_box():
    full = _settings("full").hypothesis
    for name in SHIPPED:
        hyp = _settings(name).hypothesis
        for key in hyp.free:
            assert key in full.free, f"full lacks {name}'s {key}"
            (lo, hi), (flo, fhi) = _values(hyp, key), _values(full, key)
            assert flo <= lo * (1 + 1e-9) and hi <= fhi * (1 + 1e-9), f"full's {key} {flo, fhi} misses {name}'s {lo, hi}"


@pytest.mark.parametrize("name", [*SHIPPED, "full"])
def test_no_hypothesis_switches_a_background_mechanism_off(name):
    base, mine = _settings("baseline"), _settings(name)
    container = OmegaConf.to_container(compose([f"hypothesis={name}"]), resolve=True)
    default = OmegaConf.to_container(compose([]), resolve=True)
    for key in base.hypothesis.free:  # the background's priors
        low, high = _values(mine.hypothesis, key)
        assert high > low and high > 0, f"{name} collapses {key}"
        value = OmegaConf.select(OmegaConf.create(container), key)
        assert low * (1 - 1e-9) <= value <= high * (1 + 1e-9), f"{name}'s file value of {key} lies outside its prior"
    for key in FIXED_BACKGROUND:
        assert OmegaConf.select(OmegaConf.create(container), key) == OmegaConf.select(OmegaConf.create(default), key)
    assert mine.model.population.noise_sd > 0 and mine.model.population.de_novo_rate > 0


def test_each_hypothesis_frees_only_its_own_claim():
    own = {name: set(_settings(name).hypothesis.own) for name in SHIPPED}
    assert own["baseline"] == set()
    assert own["h3_mutation_load"] == {"population.mutation.inherited_mean"}  # inherited load, nothing else
    background = set(_settings("baseline").hypothesis.free)
    # a background key a hypothesis replaces must be its claim: H1 and H2 place the universe
    replaced = {name: keys & background for name, keys in own.items() if keys & background}
    assert replaced == {"h1_task_density": {"battery.universe.lower"}, "h1_h3_combined": {"battery.universe.lower"},
                        "h2_selection": {"battery.universe.lower", "battery.universe.upper"}}


def test_every_background_prior_says_why_and_where_from():
    cfg = compose([])
    for key in cfg.background.free:
        about = cfg.background.about[key]
        assert len(about.why) > 20 and len(about.source) > 9, key
    broken = OmegaConf.to_container(cfg, resolve=True)
    del broken["background"]["about"]["population.noise.sd"]["source"]
    with pytest.raises(ConfigError, match=r"'background\.about\.population\.noise\.sd\.source'"):
        settings_from_config(broken)


def test_batteries_stay_in_range_across_every_hypothesis_prior():
    # sub-models in range across the prior, not only at the files' values: in at least 95% of
    # prior draws of every hypothesis, at most 1% of people score 0 or every item
    from brainsim.assessment import problem
    from brainsim.backends import LocalBackend
    from brainsim.reference import reference_table
    from brainsim.targets import Target

    names = hypothesis_names()
    configs = {h: compose([f"hypothesis={h}"]) for h in names}
    stats = ["share_at_floor", "share_at_ceiling"]
    prob = problem(configs, {h: _settings(h) for h in names}, [Target(s, s, 0.0, 1.0, "-", "unconfirmed") for s in stats])
    simulate = prob.statistics_simulator(3000, 2000)
    table = reference_table(prob.hypotheses, simulate, stats, 20 * len(names), seed=3, map_fn=LocalBackend().map)
    out = (table["stat:share_at_floor"] > 0.01) | (table["stat:share_at_ceiling"] > 0.01)
    degenerate = out.groupby(table["hypothesis"]).mean()
    assert (degenerate <= 0.05).all(), degenerate[degenerate > 0.05].to_dict()

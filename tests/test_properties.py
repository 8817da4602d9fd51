"""Property-based tests: any valid configuration gives finite numbers or an explicit
"undefined", any invalid one the one-line error; plus the edge cases named in the issue."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

import brainsim
from brainsim.api import compose
from brainsim.inference import distance
from brainsim.paradox import implied_exponents
from brainsim.config.schema import SCHEMA
from brainsim.config.settings import settings_from_config
from brainsim.targets import load_targets, scorecard, total_distance
from brainsim.validation import ConfigError

TARGETS = load_targets()
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow])

SPEED = {"population.n": (1, 400), "battery.norm_n": (2, 300), "battery.items_per_domain": (1, 40),
         "population.data.data_unit": (1e-3, 1e6), "battery.universe.width": (1e-3, 2)}  # small or finite ranges


def _valid(key: str):
    """Values over a key's whole allowed range in the schema (SPEED caps a few for speed)."""
    rule = SCHEMA[key]
    low, high = SPEED.get(key, (rule.low, rule.high))
    if rule.kind == "int":
        return st.integers(low, high)
    if rule.kind == "choice":
        return st.sampled_from(rule.options)
    return st.floats(low, high, exclude_min=rule.low_open and low == rule.low)


# the keys a simulation is drawn over (population sizes kept small for speed)
VALID = {key: _valid(key) for key in (
    "population.n", "population.design", "population.mz_fraction", "population.brain.volume_cv",
    "population.brain.kappa", "population.brain.density_sd", "population.brain.efficiency_sd", "population.data.sd",
    "population.data.diet_cv", "population.data.data_unit", "population.hyperparameters.sd",
    "population.mutation.inherited_rate", "population.mutation.de_novo_rate", "population.mutation.de_novo_mean",
    "population.mutation.dominance", "population.inbred.fraction", "population.inbred.coefficient",
    "population.inbred.depression", "population.snp_tagging", "population.paternal.fraction",
    "population.paternal.rise", "population.paternal.mean_age",
    "population.noise.ref", "population.noise.sd", "population.architecture.sd", "battery.items_per_domain",
    "battery.norm_n", "battery.universe.gamma", "battery.universe.width")}
VALID["scaling"] = st.sampled_from(["kaplan2020", "chinchilla2022", "besiroglu2024"])

# a statistic may be NaN ("undefined", null in summary.json) only for these reasons
CORRELATIONS = {"r_brain_iq": ("brain_volume", "iq"), "r_brain_true_score": ("brain_volume", "true_score"),
                "r_brain_capability": ("brain_volume", "capability"), "r_capability_iq": ("capability", "iq"),
                "retest_r": ("iq", "iq_retest"), "r_rt_iq": ("rt_mean", "iq")}


def _constant(frame, col) -> bool:
    """Fewer than two values, or values so close (subnormal differences) that their variance
    underflows to 0: a correlation is undefined either way."""
    return len(frame) < 2 or frame[col].nunique() < 2 or not frame[col].var() > 0


def _twin_undefined(frame, zyg) -> bool:
    if "zygosity" not in frame:
        return True
    pairs = frame[frame.zygosity == zyg].groupby("family")["iq"].agg(["first", "last", "size"])
    pairs = pairs[pairs["size"] == 2]
    return len(pairs) < 2 or np.ptp(np.r_[pairs["first"], pairs["last"]]) == 0


def undefined_reason(stat: str, frame, stats: dict, inbred=None, inbreeding: float = 0.0) -> bool:
    """True when the population (and its inbred cohort, of inbreeding coefficient `inbreeding`)
    makes `stat` undefined (so NaN is the right answer)."""
    scores = [c for c in frame.columns if c.startswith("score_")]
    if stat in CORRELATIONS:
        return any(_constant(frame, c) for c in CORRELATIONS[stat])
    if stat == "iq_skewness":
        return len(frame) < 3 or _constant(frame, "iq")
    if stat in ("pc1_share", "mean_subtest_r"):
        return any(_constant(frame, c) for c in scores) or (stat == "mean_subtest_r" and len(scores) < 2)
    if stat == "objective_spread":
        return not ((frame.iq - 130).abs() <= 5).any() or not ((frame.iq - 70).abs() <= 5).any()
    if stat.startswith("output_top"):
        return frame.output.sum() <= 0
    kinds = {"twin_r_mz": "MZ", "twin_r_dz": "DZ", "twin_r_mza": "MZA", "adoptive_sibling_r": "adoptive"}
    if stat in kinds:
        return _twin_undefined(frame, kinds[stat])
    if stat == "h2_falconer":
        return not (math.isfinite(stats["twin_r_mz"]) and math.isfinite(stats["twin_r_dz"]))
    if stat.startswith("cotwin_iq_of_iq_below_50"):  # DZ pairs; "_mz": MZ pairs
        kind = "MZ" if stat.endswith("_mz") else "DZ"
        return not ((frame.iq < 50) & (frame.zygosity == kind)).any() if "zygosity" in frame else True
    if stat == "dz_shared_variant_fraction":
        return frame.loc[frame.zygosity == "DZ", "inherited_variants"].sum() == 0
    if stat in ("brain_volume_cv", "iq_sd", "capability_sd"):
        return len(frame) < 2
    if stat in ("rg_brain_iq", "snp_h2"):  # twins only; no additive variance without variance
        genes = [c for c in frame.columns if c.startswith("genetic_")]
        return (not genes or len(frame) <= len(genes) + 1 or _constant(frame, "iq")
                or (stat == "rg_brain_iq" and _constant(frame, "brain_volume")))
    if stat == "vocabulary_log_spread":  # a vocabulary domain whose 5th percentile knows some of it
        if "capability_vocabulary" not in frame:
            return True
        return np.sort(frame["capability_vocabulary"])[max(1, round(0.05 * len(frame))) - 1] <= 0
    if stat == "id_paternal_age_irr":  # no one scored at both fathers' ages has IQ < 70 with the younger
        return "iq_father_25" not in frame or not (frame["iq_father_25"] < 70).any()
    if stat in ("iq_inbreeding_slope", "rt_inbreeding_slope"):  # no cohort, or no population SD to scale by
        col = "iq" if stat.startswith("iq") else "rt_mean"
        if inbred is None or len(frame) < 2 or _constant(frame, col):
            return True
        with np.errstate(over="ignore", divide="ignore"):  # or an F so small that the slope overflows
            return not np.isfinite((inbred[col].mean() - frame[col].mean()) / frame[col].std() / inbreeding)
    return False


def _check_population(overrides: list[str]) -> None:
    pop = brainsim.simulate(overrides, seed=0)
    frame, stats = pop.frame, pop.summary()
    assert not frame.select_dtypes("number").isin([np.inf, -np.inf]).any().any()
    assert frame["iq"].notna().all() and frame["capability"].between(0, 1).all()
    for k, v in stats.items():
        assert not math.isinf(v), k
        if math.isnan(v):
            assert undefined_reason(k, frame, stats, pop.inbred, pop.model.population.inbred_coefficient), \
                f"{k} is NaN but defined ({overrides})"
    card = scorecard("h", stats, TARGETS)
    z = card["z"].dropna()
    assert np.isfinite(z).all()
    assert math.isfinite(distance(stats, TARGETS, 5.0))  # the ABC distance is always a number
    assert z.empty or math.isfinite(total_distance(card))


@PROPERTY
@given(st.fixed_dictionaries({}, optional=VALID))
def test_any_valid_config_gives_numbers_or_explicit_undefined(values):
    overrides = [f"{k}={v}" for k, v in values.items()]
    if values.get("battery.universe.gamma") is not None:
        overrides.append("battery.universe.density=power")
    overrides += [] if "population.n" in values else ["population.n=200"]
    overrides += [] if "battery.norm_n" in values else ["battery.norm_n=200"]
    _check_population(overrides)


def _invalid(rule):
    """Values outside a rule's range, of the wrong kind, or not among its options."""
    finite = {"allow_nan": False, "allow_infinity": False}
    if rule.kind == "bool":
        return st.sampled_from(["yes", "1.5"])
    if rule.kind == "choice":
        return st.just("nope")
    below = rule.low is not None and (st.integers(max_value=int(rule.low) - 1) if rule.kind == "int" else
                                      st.floats(max_value=rule.low, exclude_max=not rule.low_open, **finite))
    above = rule.high is not None and (st.integers(min_value=int(rule.high) + 1) if rule.kind == "int" else
                                       st.floats(min_value=rule.high, exclude_min=True, **finite))
    return st.one_of([s for s in (below, above) if s is not False])


# every key of the schema that the default config holds (list items and other forms' constants aside)
_DEFAULT = OmegaConf.to_container(compose([]), resolve=True)
INVALID = {key: _invalid(rule) for key, rule in SCHEMA.items()
           if "[" not in key and OmegaConf.select(OmegaConf.create(_DEFAULT), key) is not None
           and (rule.kind in ("bool", "choice") or rule.low is not None or rule.high is not None)}


def test_the_invalid_values_cover_the_schema():
    assert len(INVALID) >= 80 and {"abc.quantile", "population.n", "backend.name", "scaling.E"} <= set(INVALID)


@pytest.mark.parametrize("key", sorted(INVALID))
@settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.generate])
@given(data=st.data())
def test_any_invalid_value_gives_the_one_line_error(key, data):
    value = data.draw(INVALID[key])
    with pytest.raises(ConfigError) as err:
        settings_from_config(OmegaConf.to_container(compose([f"{key}={value}"]), resolve=True))
    message = str(err.value)
    assert f"'{key}'" in message and "\n" not in message and "Got" in message


ZERO_VARIANCE = ["population.brain.volume_cv=0", "population.data.sd=0", "population.noise.sd=0",
                 "population.hyperparameters.sd=0", "population.mutation.inherited_rate=0",
                 "population.mutation.de_novo_rate=0", "population.architecture.sd=0",
                 "population.brain.density_sd=0", "population.brain.efficiency_sd=0", "population.data.diet_cv=0"]


@pytest.mark.parametrize("overrides", [
    pytest.param(ZERO_VARIANCE + ["population.n=300"], id="zero variance of every trait"),
    pytest.param(["hypothesis=h3_mutation_load", "population.mutation.inherited_rate=1000000",
                  "population.mutation.de_novo_rate=1000000", "population.n=300"], id="huge mutation counts"),
    pytest.param(["battery.universe.density=power", "battery.universe.gamma=20", "population.n=300"],
                 id="gamma=20"),
    pytest.param(["battery.universe.density=power", "battery.universe.gamma=-20", "population.n=300"],
                 id="gamma=-20"),
    pytest.param(["population.architecture.mode=continuous", "population.architecture.sd=2", "population.n=300"],
                 id="extreme exponents"),
    pytest.param(["population.n=1"], id="n=1"),
    pytest.param(["population.n=1", "population.design=unrelated"], id="n=1 unrelated"),
    pytest.param(["battery.items_per_domain=1", "battery.domains=[verbal]", "battery.depth=[1.0]",
                  "population.n=300"], id="one item"),
    pytest.param(["population.n=301"], id="twins with n odd"),
    pytest.param(["population.noise.ref=100", "population.n=300"], id="every step fails"),
    pytest.param(["population.data.data_unit=1e6", "population.n=300"], id="loss at the irreducible floor"),
])
def test_edge_cases_give_numbers_or_explicit_undefined(overrides):
    _check_population(overrides)


@pytest.mark.parametrize("overrides", [ZERO_VARIANCE, ["battery.universe.density=power", "battery.universe.gamma=20"],
                                       ["population.noise.ref=100"]])
def test_paradox_numbers_are_finite_or_explicitly_unreachable(overrides):
    model = settings_from_config(OmegaConf.to_container(compose(overrides), resolve=True)).model
    out = implied_exponents(model)
    assert math.isfinite(out["iq_per_brain_sd"]) and math.isfinite(out["target_iq_per_brain_sd"])
    assert not any(math.isinf(v) for v in out.values())

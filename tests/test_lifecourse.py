"""Twins over the life course: what changes with age, and when twin h² rises with it."""

import dataclasses
from types import SimpleNamespace

import pytest

import brainsim
from brainsim import api, engine, lifecourse
from brainsim.comparison import _life_course
from brainsim.config.settings import validate
from brainsim.validation import ConfigError

# a brain term that takes over as data accumulate: an operating point deep in data (D/N ~ 2000),
# brain volume varied and heritable, neural noise not varied
SETTING = ["population.n=20000", "population.paternal.fraction=0", "population.inbred.fraction=0",
           "population.heritability.brain.h2=0.95", "population.brain.volume_cv=0.2", "population.noise.sd=0.0",
           "population.data.sd=0.1", "population.data.data_unit=3e4"]
AGES = {9.0: 0.95, 17.0: 1.0, 30.0: 1.0}


def test_at_age_scales_the_data_and_the_brain_only():
    model = api.model_params(["population.n=1000"])
    child = lifecourse.at_age(model, 9.0, brain_share=0.95)
    pop, kid = model.population, child.population
    assert kid.data_seconds == pytest.approx(pop.data_seconds * 9.0 / lifecourse.ADULT_YEARS, rel=1e-15)
    assert kid.volume_mean == pytest.approx(pop.volume_mean * 0.95, rel=1e-15)
    assert dataclasses.replace(kid, data_seconds=pop.data_seconds, volume_mean=pop.volume_mean) == pop
    assert dataclasses.replace(child, population=pop) == model
    assert lifecourse.at_age(model, lifecourse.ADULT_YEARS) == model


def test_the_adult_row_is_the_model_itself():
    model = api.model_params(["population.n=4000"])
    row = lifecourse.twin_correlations(model, ages={lifecourse.ADULT_YEARS: 1.0}, seed=3).iloc[0]
    s = engine.population_statistics(model, 3)
    assert (row["r_mz"], row["r_dz"], row["h2"]) == (s["twin_r_mz"], s["twin_r_dz"], s["h2_falconer"])
    assert row["c2"] == pytest.approx(2 * s["twin_r_dz"] - s["twin_r_mz"], abs=1e-15)


def test_twin_h2_rises_with_age_when_the_data_carry_the_environment():
    # the data's variance is all family and unique environment (h2 = 0): as data accumulate their
    # term of the loss shrinks (B / D^beta), the heritable brain's share grows, and so do h² and
    # rMZ, while c² falls. Measured at seeds 0 and 1: h² 0.53 -> 0.60 -> 0.66 at 9, 17 and 30
    rising = lifecourse.twin_correlations(api.model_params(SETTING + [
        "population.heritability.data.h2=0.0", "population.heritability.data.c2=0.6"]), ages=AGES, seed=0)
    h2, c2 = rising["h2"].to_numpy(), rising["c2"].to_numpy()
    assert h2[0] < h2[1] < h2[2] and h2[2] - h2[0] > 0.08
    assert c2[0] > c2[1] > c2[2]
    # data as heritable as the brain and unshared: the mix does not matter, h² stays (measured +-0.006)
    flat = lifecourse.twin_correlations(api.model_params(SETTING + [
        "population.heritability.data.h2=0.95", "population.heritability.data.c2=0.0"]), ages=AGES, seed=0)
    assert abs(flat["h2"].iloc[2] - flat["h2"].iloc[0]) < 0.03


def test_bad_input_is_named():
    model = api.model_params(["population.n=1000"])
    with pytest.raises(ConfigError, match="'age' parameter must be a finite float > 0"):
        lifecourse.at_age(model, 0.0)
    with pytest.raises(ConfigError, match=r"'brain_share' parameter must be a finite float in \(0"):
        lifecourse.at_age(model, 9.0, brain_share=1.5)
    with pytest.raises(ConfigError, match="'population.design' parameter must be 'twins'"):
        lifecourse.twin_correlations(api.model_params(["population.n=1000", "population.design=unrelated"]))
    with pytest.raises(ConfigError, match="'ages' parameter must be a non-empty mapping"):
        lifecourse.twin_correlations(model, ages={})


def test_the_wilson_check_measures_the_rise_and_its_z():
    rising = api.model_params(SETTING + ["population.heritability.data.h2=0.0", "population.heritability.data.c2=0.6",
                                         "population.inbred.fraction=0.2", "population.design=unrelated"])
    flat = api.model_params(SETTING + ["population.heritability.data.h2=0.95", "population.heritability.data.c2=0.0"])
    out = lifecourse.wilson_check({"rising": rising, "flat": flat}, at="file", n=20000, seed=0, rise=0.07,
                                  tolerance=0.02, source="x")
    assert list(out["hypothesis"]) == ["rising", "flat"] and (out["at"] == "file").all()
    # the same twins as twin_correlations on the twin design without the inbred cohort
    twins = dataclasses.replace(rising, population=dataclasses.replace(rising.population, design="twins",
                                                                       inbred_fraction=0.0))
    ref = lifecourse.twin_correlations(twins, ages={9.0: 0.95, 17.0: 1.0}, seed=0)["h2"]
    assert (out["h2_9"].iloc[0], out["h2_17"].iloc[0]) == (ref.iloc[0], ref.iloc[1])
    assert out["z"].to_numpy() == pytest.approx(((out["h2_17"] - out["h2_9"] - 0.07) / 0.02).to_numpy())
    assert list(out["reproduced"]) == [True, False]  # rises by 0.07 (measured), and by about 0
    with pytest.raises(ConfigError, match="'life_course.n' parameter must be an int >= 2000"):
        lifecourse.wilson_check({"flat": flat}, at="file", n=10, seed=0, rise=0.25, tolerance=0.06)


def test_a_comparison_checks_the_wilson_effect_where_its_hypotheses_stand():
    quick = ["population.n=2000", "recovery.per_hypothesis=0", "abc.particles=0", "plots.enabled=false",
             "life_course.n=2000"]
    res = brainsim.compare(quick, hypotheses=["baseline", "motivation"])  # no ABC: at the files' values
    assert list(res.life_course["hypothesis"]) == ["baseline", "motivation"] and (res.life_course["at"] == "file").all()
    assert res.summary()["life_course"] == res.life_course.to_dict(orient="records")
    assert sum("the Wilson effect" in line for line in res.verdict) == 1
    off = brainsim.compare(quick + ["life_course.enabled=false"], hypotheses=["baseline"])
    assert off.life_course is None and off.summary()["life_course"] is None
    assert not any("Wilson" in line for line in off.verdict)
    # with ABC: each contender at its posterior median, one without a posterior at its files' values
    settings = validate(api.compose(quick))
    jobs = {h: SimpleNamespace(model=api.model_params([f"hypothesis={h}", "population.n=2000"]))
            for h in ("baseline", "motivation", "full")}
    posterior = dataclasses.replace(jobs["motivation"].model, population=dataclasses.replace(
        jobs["motivation"].model.population, noise_sd=0.3))
    found = {"summary": {}, "setups": {"motivation": SimpleNamespace(model=posterior)}}
    out = _life_course(settings, jobs, found, ["motivation", "baseline"], 0, lambda text: None)
    assert list(out["hypothesis"]) == ["motivation", "baseline"] and list(out["at"]) == ["posterior", "file"]
    alone = lifecourse.wilson_check({"motivation": posterior}, at="posterior", n=2000, seed=0, rise=0.25,
                                    tolerance=0.06)
    assert out["h2_9"].iloc[0] == alone["h2_9"].iloc[0]

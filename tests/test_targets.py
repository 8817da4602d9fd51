import math

import numpy as np
import pytest
import yaml
from omegaconf import OmegaConf

from brainsim import ConfigError
from brainsim.api import compose
from brainsim.config.loaders import config_names
from brainsim.targets import (
    hypothesis_from_config,
    load_targets,
    scorecard,
    to_markdown,
    total_distance,
)

HYPOTHESES = config_names("hypothesis")


def test_human_targets_have_sources_and_exclude_norming_and_inputs():
    targets = load_targets("human")
    names = {t.name for t in targets}
    assert {"r_brain_iq", "twin_r_mz", "twin_r_dz", "retest_r", "share_iq_below_50"} <= names
    assert not names & {"iq_mean", "iq_sd"}  # fixed by norming, not evidence
    assert "brain_volume_cv" not in names  # an input, not evidence
    assert all(t.source and t.tolerance > 0 and t.confidence in ("text", "derived", "secondary", "unconfirmed")
               for t in targets)


def test_targets_are_measured_as_their_sources_measured_them():
    by = {t.name: t for t in load_targets("human")}
    # severe ID is scored on DZ co-twins: MZ twins share de novo mutations (reported apart)
    assert by["cotwin_iq_of_iq_below_50"].statistic == "cotwin_iq_of_iq_below_50"
    # adult twins: rMZ = h2 + c2 and rDZ = h2 / 2 + c2 with Bouchard 2013's h2 .80, c2 .10
    assert by["twin_r_mz"].value == pytest.approx(0.8 + 0.1) and by["twin_r_dz"].value == pytest.approx(0.4 + 0.1)
    # ... values computed from a source's numbers are labelled derived, not text; genes apart
    # from family: MZ twins reared apart give h2, adoptive siblings c2
    for name in ("twin_r_mz", "twin_r_dz", "twin_r_mza", "adoptive_sibling_r"):
        assert by[name].confidence == "derived", name
    assert by["twin_r_mza"].value == pytest.approx(0.70) and by["adoptive_sibling_r"].value == pytest.approx(0.10)
    # reliability of the composite (a parallel form), not a subtest's retest
    assert by["retest_r"].value >= 0.9
    # a 2-choice task: between Der & Deary 2017's simple (-.27) and 4-choice (-.44) at age 30
    assert by["r_rt_iq"].value - by["r_rt_iq"].tolerance == pytest.approx(-0.44)
    assert by["r_rt_iq"].value + by["r_rt_iq"].tolerance == pytest.approx(-0.27)
    # one statistic for the factor structure (PC1 share and mean r would contradict each other)
    assert sum(t.statistic in ("pc1_share", "mean_subtest_r") for t in by.values()) == 1
    # output among producers (O'Boyle & Aguinis count output within occupations)
    assert by["output_top1_share_producers"].statistic == "output_top1_share_producers"


def test_every_target_statistic_is_computed_by_a_twin_run():
    import brainsim

    s = brainsim.simulate(["population.n=4000", "population.design=twins", "battery.norm_n=2000"]).summary()
    for t in load_targets("human"):
        assert t.statistic in s, t.statistic
    from brainsim.summaries import STATISTICS

    assert tuple(s) == STATISTICS  # the list target files are checked against is complete


@pytest.mark.parametrize("name", HYPOTHESES)
def test_hypotheses_compose_with_claim_and_valid_priors(name):
    cfg = OmegaConf.to_container(compose([f"hypothesis={name}"]))
    h = hypothesis_from_config(cfg)
    assert h.name == name and h.claim and h.free
    for key, (low, high) in h.free.items():
        assert low <= high
        assert OmegaConf.select(OmegaConf.create(cfg), key) is not None


def test_expected_hypotheses_are_shipped():
    assert set(HYPOTHESES) >= {"baseline", "h1_task_density", "h2_selection", "h3_mutation_load",
                               "h4_architecture", "hyperparameters", "motivation", "synaptic_efficiency",
                               "h1_h3_combined"}


def test_scorecard_z_and_pass():
    targets = load_targets("human")
    summary = {t.statistic: t.value + 1.5 * t.tolerance for t in targets}
    summary["r_brain_iq"] = 0.26 - 3 * 0.05
    card = scorecard("x", summary, targets)
    row = card.set_index("target").loc["r_brain_iq"]
    assert row.z == pytest.approx(-3.0) and not row.passed
    assert card.set_index("target").loc["retest_r"].passed
    assert total_distance(card) == pytest.approx(math.sqrt(((len(card) - 1) * 1.5**2 + 9) / len(card)))
    assert "| x | r_brain_iq |" in to_markdown(card)


def _write(tmp_path, entry):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"r_brain_iq": entry}))
    return str(path)


C = {"confidence": "text"}


@pytest.mark.parametrize("entry,match", [
    ({"statistic": "r_brain_iq", "value": 0.24, "tolerance": 0.05, **C}, r"t.yaml: 'r_brain_iq.source'"),
    ({"statistic": "r_brain_iq", "value": 0.24, "tolerance": 0.0, "source": "x", **C},
     r"t.yaml: 'r_brain_iq.tolerance' must be .* > 0"),
    ({"statistic": "r_brain_iq", "value": 0.24, "tolerance": -0.1, "source": "x", **C}, r"'r_brain_iq.tolerance'"),
    ({"statistic": "r_brain_iq", "value": "high", "tolerance": 0.1, "source": "x", **C}, r"'r_brain_iq.value'"),
    ({"statistic": "r_brain_iq", "tolerance": 0.1, "source": "x", **C}, r"'r_brain_iq.value' must be a finite number"),
    ({"statistic": "r_brain_IQ", "value": 0.2, "tolerance": 0.1, "source": "x", **C},
     r"'r_brain_iq.statistic' must be one of n, "),
    ({"statistic": "r_brain_iq", "value": 0.2, "tolerance": 0.1, "source": "x", "tolerence": 1, **C},
     r"'r_brain_iq.tolerence' is not a target field"),
    ({"statistic": "r_brain_iq", "value": 0.2, "tolerance": 0.1, "source": "x"},
     r"t.yaml: 'r_brain_iq.confidence' must be one of text, derived, secondary, unconfirmed. Got None"),
    ({"statistic": "r_brain_iq", "value": 0.2, "tolerance": 0.1, "source": "x", "confidence": "sure"},
     r"'r_brain_iq.confidence' must be one of text, derived, secondary, unconfirmed. Got 'sure'"),
])
def test_bad_target_files(tmp_path, entry, match):
    with pytest.raises(ConfigError, match=match):
        load_targets(_write(tmp_path, entry))


def test_unknown_target_set_and_hypothesis():
    with pytest.raises(ConfigError, match="'targets' parameter must be one of human"):
        load_targets("martians")
    with pytest.raises(ConfigError, match="hypothesis/h9"):
        compose(["hypothesis=h9"])


def test_prior_low_above_high_names_file_and_key():
    cfg = OmegaConf.to_container(compose(["hypothesis=motivation",
                                          "hypothesis.free={population.data.diet_cv: [0.6, 0.1]}"]))
    with pytest.raises(ConfigError, match=r"hypothesis/motivation.yaml: 'hypothesis.free.population.data.diet_cv' "
                                          r"prior range must have low <= high"):
        hypothesis_from_config(cfg)
    cfg = OmegaConf.to_container(compose([]))
    cfg["hypothesis"]["free"] = {"population.data.nope": [0, 1]}
    with pytest.raises(ConfigError, match="must name an existing config key"):
        hypothesis_from_config(cfg)


def test_switching_a_mechanism_off_gives_the_baseline():
    import brainsim

    common = ["population.n=3000", "battery.norm_n=2000"]
    base = brainsim.simulate(common + ["hypothesis=baseline"], seed=7).summary()
    off = brainsim.simulate(common + ["hypothesis=h4_architecture", "population.architecture.sd=0"], seed=7).summary()
    hyp = brainsim.simulate(common + ["hypothesis=hyperparameters", "population.hyperparameters.sd=0"], seed=7).summary()
    for s in (off, hyp):
        assert {k: v for k, v in s.items() if not np.isnan(v)} == {k: v for k, v in base.items() if not np.isnan(v)}


def test_a_users_targets_file_runs_through_the_cli_and_bad_ones_write_nothing(tmp_path):
    import subprocess
    import sys

    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"retest": {"statistic": "retest_r", "value": 0.5, "tolerance": 0.1,
                                               "source": "made up for a test", "confidence": "unconfirmed"}}))
    run = [sys.executable, "-m", "brainsim.cli", "hypothesis=baseline", "population.n=1000", "battery.norm_n=500",
           "abc.particles=0", "recovery.per_hypothesis=0", "plots.enabled=false"]
    res = subprocess.run(run + [f"targets={mine}", "hydra.run.dir=ok"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    card = (tmp_path / "ok" / "scorecard.csv").read_text()
    assert "retest" in card and "made up for a test" in card and "r_brain_iq" not in card
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"retest": {"statistic": "retest_r", "value": 0.5, "tolerance": 0.1,
                                              "source": "x"}}))
    res = subprocess.run(run + [f"targets={bad}", "hydra.run.dir=bad"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 2 and not (tmp_path / "bad").exists()
    assert res.stderr.strip().splitlines()[-1] == (
        "brainsim: error: bad.yaml: 'retest.confidence' must be one of text, derived, secondary, unconfirmed. Got None instead.")


def test_background_priors_are_shared_and_a_hypothesis_own_prior_wins():
    from brainsim.config.settings import settings_from_config

    background = OmegaConf.to_container(OmegaConf.load(
        __import__("brainsim").config.loaders.CONF_DIR / "background" / "default.yaml"))["free"]
    seen = {}
    for name in HYPOTHESES:
        h = settings_from_config(OmegaConf.to_container(compose([f"hypothesis={name}"]), resolve=True)).hypothesis
        seen[name] = h
        for key, prior in background.items():
            assert key in h.free, (name, key)  # every hypothesis inherits every background unknown
            if key not in h.own:
                expected = tuple(prior["log10"]) if isinstance(prior, dict) else tuple(prior)
                assert h.free[key] == expected and (key in h.log) == isinstance(prior, dict)
    assert seen["baseline"].own == frozenset()  # pure scaling: nothing of its own
    assert seen["h2_selection"].free["battery.universe.upper"] == (0.3, 1.7)  # its own prior wins
    assert seen["h2_selection"].value("battery.universe.upper", 1.0) == pytest.approx(10.0)
    assert seen["h1_task_density"].free["battery.universe.width"][0] == -3.0  # sharp items reachable: 1e-3


def test_bad_background_prior_names_file_and_key():
    cfg = OmegaConf.to_container(compose(["background.free={population.data.sd: [0.6, 0.1]}"]))
    with pytest.raises(ConfigError, match=r"conf/background: 'background.free.population.data.sd' prior range must "
                                          r"have low <= high. Got \[0.6, 0.1\] instead."):
        hypothesis_from_config(cfg)
    cfg["background"]["free"] = {"population.data.sd": {"log10": [1, "nope"]}}
    with pytest.raises(ConfigError, match=r"'background.free.population.data.sd' must be a prior range"):
        hypothesis_from_config(cfg)


def test_a_target_file_can_change_one_field_of_another_set(tmp_path):
    human = {t.name: t for t in load_targets("human")}
    (tmp_path / "mine.yaml").write_text("_extends: human\ntwin_r_mz:\n  value: 0.8\n  confidence: unconfirmed\n")
    mine = {t.name: t for t in load_targets(str(tmp_path / "mine.yaml"))}
    assert set(mine) == set(human)
    assert mine["twin_r_mz"].value == 0.8 and mine["twin_r_mz"].confidence == "unconfirmed"
    assert mine["twin_r_mz"].tolerance == human["twin_r_mz"].tolerance  # the fields it did not change
    assert mine["twin_r_mz"].source == human["twin_r_mz"].source and mine["r_rt_iq"] == human["r_rt_iq"]
    (tmp_path / "loop.yaml").write_text(f"_extends: {tmp_path / 'loop.yaml'}\nx: {{value: 1}}\n")
    with pytest.raises(ConfigError, match="extends itself"):
        load_targets(str(tmp_path / "loop.yaml"))
    (tmp_path / "bad.yaml").write_text("_extends: 3\n")
    with pytest.raises(ConfigError, match="'_extends' must name a target set"):
        load_targets(str(tmp_path / "bad.yaml"))


def test_the_lower_h2_set_differs_from_human_in_the_twin_correlations_only():
    human = {t.name: t for t in load_targets("human")}
    pooled = {t.name: t for t in load_targets("human_lower_h2")}
    changed = {n for n in human if human[n] != pooled[n]}
    assert changed == {"twin_r_mz", "twin_r_dz"}

import math

import numpy as np
import pytest
import yaml
from omegaconf import OmegaConf

from brainsim import ConfigError
from brainsim.api import compose
from brainsim.scaling import config_names
from brainsim.targets import (
    hypothesis_from_config,
    load_targets,
    scorecard,
    to_markdown,
    total_distance,
)

HYPOTHESES = config_names("hypothesis")


def test_human_targets_have_sources_and_exclude_norming():
    targets = load_targets("human")
    names = {t.name for t in targets}
    assert {"r_brain_iq", "twin_r_mz", "twin_r_dz", "retest_r", "share_iq_below_50"} <= names
    assert not names & {"iq_mean", "iq_sd"}  # fixed by norming, not evidence
    assert all(t.source and t.tolerance > 0 for t in targets)


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
    summary["r_brain_iq"] = 0.24 - 3 * 0.05
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


@pytest.mark.parametrize("entry,match", [
    ({"statistic": "r_brain_iq", "value": 0.24, "tolerance": 0.05}, r"t.yaml: 'r_brain_iq.source'"),
    ({"statistic": "r_brain_iq", "value": 0.24, "tolerance": 0.0, "source": "x"}, r"t.yaml: 'r_brain_iq.tolerance' must be .* > 0"),
    ({"statistic": "r_brain_iq", "value": "high", "tolerance": 0.1, "source": "x"}, r"'r_brain_iq.value'"),
    ({"statistic": "r_brain_IQ", "value": 0.2, "tolerance": 0.1, "source": "x"}, r"'r_brain_iq.statistic' must be one of n, "),
    ({"statistic": "r_brain_iq", "value": 0.2, "tolerance": 0.1, "source": "x", "tolerence": 1},
     r"'r_brain_iq.tolerence' is not a target field"),
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
    cfg = OmegaConf.to_container(compose(["hypothesis=baseline", "hypothesis.free={population.data.sd: [0.6, 0.1]}"]))
    with pytest.raises(ConfigError, match=r"conf/hypothesis/baseline.yaml: 'hypothesis.free.population.data.sd' prior range must have low <= high"):
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

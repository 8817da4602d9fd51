"""The model-choice stage on a toy reference table: what it answers, writes and declines."""

import numpy as np
import pandas as pd
import pytest

from brainsim.config.settings import ModelChoiceSettings
from brainsim.modelchoice import choose, grouped_questions, most_voted, vote_margin

NAMES = ["a", "b", "c"]
MU = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])


def _table(per: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = np.arange(per * 3)
    labels = rows % 3
    stats = np.c_[MU[labels] + rng.standard_normal((rows.size, 2)), rng.standard_normal(rows.size)]
    return pd.DataFrame({"row": rows, "hypothesis": np.asarray(NAMES)[labels],
                         **{f"stat:s{i}": stats[:, i] for i in range(3)}})


def _settings(**kw) -> ModelChoiceSettings:
    base = dict(enabled=True, trees=100, posterior_trees=100, lda=True, floor=True, gate_level=0.05,
                gate_neighbours=5, halves=True, groups={"q": {"ab": ("a", "b"), "c": ("c",), "absent": ("zz",)}})
    return ModelChoiceSettings(**(base | kw))


@pytest.fixture(scope="module")
def answered():
    table = _table(300)
    return choose(_settings(), table, NAMES, ["s0", "s1", "s2"], np.array([2.0, 0.0, 0.0]), np.ones(3), seed=0,
                  missing_z=5.0, resamples=50, rejection={"a": 0.1, "b": 0.8, "c": 0.1}, workers=2)


def test_choice_at_a_point_deep_in_one_hypothesis(answered):
    summary, _ = answered
    assert summary["chosen"] == "b" and summary["probability"] > 0.6
    assert summary["gate"]["status"] == "inside" and summary["rows"] == 900
    assert [h["chosen"] for h in summary["halves"]] == ["b", "b"]
    assert summary["floor"]["best_error"] <= summary["prior_error"]
    assert summary["excess"] == pytest.approx(summary["prior_error"] - summary["floor"]["best_error"])
    assert set(summary["learners"]) == {"forest_votes", "rejection", "boosting"}
    q = summary["groups"]["q"]
    assert q["chosen"] == "ab" and q["groups"] == {"ab": ["a", "b"], "c": ["c"]} and len(q["halves"]) == 2
    assert q["absent"] == ["zz"]  # named in the config, not in this run: said, not silently dropped


def test_frames_are_what_the_run_writes(answered):
    _, frames = answered
    per = frames["model_choice"]
    assert list(per["hypothesis"]) == NAMES and per["votes"].sum() == pytest.approx(1.0)
    assert per.loc[per["chosen"], "hypothesis"].tolist() == ["b"]
    assert {"rejection_probability", "boosting_probability", "typicality_p", "oob_class_error"} <= set(per)
    assert frames["model_choice_confusion"][NAMES].to_numpy().sum() == 900
    assert set(frames["model_choice_groups"]["group"]) == {"ab", "c"}
    assert len(frames["fit_gate"]) == 3 * 3  # hypotheses x statistics


def test_a_point_beyond_every_simulation_is_outside():
    table = _table(100)
    summary, _ = choose(_settings(floor=False, halves=False, groups={}), table, NAMES, ["s0", "s1", "s2"],
                        np.array([30.0, 0.0, 0.0]), np.ones(3), seed=0, missing_z=5.0, resamples=50, workers=2)
    assert summary["gate"]["status"] == "outside" and summary["gate"]["unreached"] == ["s0"]
    assert "floor" not in summary and "halves" not in summary and summary["groups"] == {}


def test_grouped_questions_keep_the_run_s_hypotheses_only():
    assert grouped_questions({"q": {"x": ("a", "zz"), "y": ("b",)}}, NAMES) == {"q": {"x": ["a"], "y": ["b"]}}
    assert grouped_questions({"q": {"x": ("a",), "y": ("zz",)}}, NAMES) == {}  # one group left: no question


@pytest.mark.parametrize("p", [(0.25, 0.24, 0.21, 0.30), (0.7, 0.2, 0.1, 0.0)])
def test_vote_margin_se_is_the_sd_of_multinomial_tree_votes(p):
    # given the table each tree's hard vote is an independent draw: the lead of the two most
    # voted hypotheses over 500 trees, redrawn 20,000 times, has the SD the formula gives
    trees, names = 500, ["a", "b", "c", "d"]
    got = vote_margin(dict(zip(names, p)), trees)
    top, runner = np.argsort(p)[::-1][:2]
    assert got["runner_up"] == names[runner] and got["vote_margin"] == pytest.approx(p[top] - p[runner])
    counts = np.random.default_rng(3).multinomial(trees, p, size=20_000)
    lead = (counts[:, top] - counts[:, runner]) / trees
    assert got["vote_margin_se"] == pytest.approx(lead.std(ddof=1), rel=0.03)
    assert lead.mean() == pytest.approx(got["vote_margin"], abs=4 * got["vote_margin_se"] / np.sqrt(20_000))


def test_the_smc_runs_on_the_most_voted_hypotheses_in_the_run_s_order():
    names = ["a", "b", "c", "d"]
    choice = {"votes": {"a": 0.1, "b": 0.4, "c": 0.1, "d": 0.4}}
    assert most_voted(choice, names, 2) == ["b", "d"]
    assert most_voted(choice, names, 3) == ["a", "b", "d"]  # a tie goes to the earlier name
    assert most_voted(choice, names, 1) == ["b"]
    for everyone in (most_voted(choice, names, 0), most_voted(choice, names, 4), most_voted(None, names, 2)):
        assert everyone == names

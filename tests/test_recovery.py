"""Recovery statistics on toy models with known answers, and the reference table's contract."""

import numpy as np
import pandas as pd
import pytest
from conftest import ALPHA

from brainsim.inference import ModelSpec
from brainsim.recovery import (calibration, confusion, ece, nearest, neighbour_probabilities, parameter_recovery,
                               predictive_check, prior_predictive_position, rate, row_errors, target_influence)
from brainsim.reference import load_table, reference_table, save_table
from brainsim.config.validation import ConfigError

TOL = np.array([0.1])


def _noisy(sd):
    def simulate(m, theta, seed):  # one statistic: theta + Gaussian noise
        return np.array([theta["mu"] + sd * np.random.default_rng(seed).standard_normal()])
    return simulate


def _loo(specs, simulate, size, k, seed=0):
    table = reference_table(specs, simulate, ["x"], size, seed=seed)
    labels = pd.Categorical(table.hypothesis, categories=[s.name for s in specs]).codes.astype(np.int64)
    idx, _ = nearest(table[["stat:x"]].to_numpy(), table[["stat:x"]].to_numpy(), TOL, k, missing_z=5.0,
                     exclude_self=True)
    return table, labels, neighbour_probabilities(labels, idx, len(specs))


def test_disjoint_priors_are_recovered():
    specs = [ModelSpec("low", {"mu": (0.0, 1.0)}), ModelSpec("high", {"mu": (2.0, 3.0)})]
    _, labels, probs = _loo(specs, _noisy(0.1), 1000, 10)
    conf = confusion(labels, probs, ["low", "high"]).set_index(["true", "chosen"])
    assert conf.loc[("low", "low"), "p_chosen_given_true"] >= 0.95
    assert conf.loc[("high", "high"), "p_chosen_given_true"] >= 0.95
    error, se = rate(row_errors(labels, probs))
    assert error < 0.05 and 0 <= se < 0.01


def test_identical_hypotheses_split_evenly_and_are_calibrated():
    specs = [ModelSpec("a", {"mu": (0.0, 1.0)}), ModelSpec("b", {"mu": (0.0, 1.0)})]
    _, labels, probs = _loo(specs, _noisy(0.1), 2000, 20, seed=3)
    error, se = rate(row_errors(labels, probs))
    assert abs(error - 0.5) < 4 * se  # a row counted as its own neighbour would push this to ~0.4
    assert probs.mean(axis=0) == pytest.approx([0.5, 0.5], abs=0.02)
    table, scores = calibration(probs, labels, ["a", "b"], resamples=200, seed=1, k=20)
    assert scores["ece_p_value"] > ALPHA  # inside the consistency-resampling null
    assert scores["ece"] > 0 and scores["ece_null_mean"] > 0  # ECE is biased above zero at finite size
    assert scores["brier"] == pytest.approx(0.5 + 2 * probs[:, 0].var(), abs=0.03)
    assert set(table.columns) >= {"mean_probability", "observed", "ci_low", "ci_high"}


def test_ece_detects_overconfidence():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 4000)
    sure = np.where(rng.random(4000) < 0.5, 0.9, 0.1)  # claims 0.9 on a coin flip
    probs = np.column_stack([sure, 1 - sure])
    _, scores = calibration(probs, labels, ["a", "b"], resamples=100, seed=0)
    assert scores["ece"] == pytest.approx(0.4, abs=0.03)
    assert scores["ece_p_value"] < 0.02
    assert ece(np.full((10, 2), 0.5), np.array([0, 1] * 5)) == pytest.approx(0.0)


def test_parameter_coverage_is_nominal_on_a_gaussian_toy():
    # mu flat over [-5, 5], x ~ N(mu, 1): the posterior is N(x, 1), nearly untruncated; every
    # central interval covers at its nominal rate averaged over the prior predictive
    specs = [ModelSpec("g", {"mu": (-5.0, 5.0)})]
    table = reference_table(specs, _noisy(1.0), ["x"], 4000, seed=5)
    cov, ranks = parameter_recovery(table, ["x"], np.array([1.0]), 40, missing_z=5.0)
    for r in cov.itertuples():
        assert abs(r.coverage - r.level) < 4 * r.se + 0.01, r
        assert r.sbc_p > ALPHA
    assert ranks["rank"].between(0, 40).all() and len(ranks) == 4000


def test_parameter_coverage_sees_a_posterior_wider_than_the_data_allow():
    # half the table as neighbours: the "posterior" is nearly the prior, and intervals over-cover
    specs = [ModelSpec("g", {"mu": (-5.0, 5.0)})]
    table = reference_table(specs, _noisy(1.0), ["x"], 2000, seed=5)
    cov, _ = parameter_recovery(table, ["x"], np.array([1.0]), 1000, missing_z=5.0)
    assert (cov.coverage > cov.level + 8 * cov.se).all()
    assert (cov.sbc_p < ALPHA).all()


def test_missing_statistics_count_missing_z_and_undefined_queries_skip_them():
    ref = np.array([[0.0, 0.0], [0.0, np.nan], [3.0, 0.0]])
    idx, d = nearest(np.array([[0.0, 0.0]]), ref, np.ones(2), 3, missing_z=5.0)
    assert list(idx[0]) == [0, 2, 1]
    assert d[0] == pytest.approx([0.0, np.sqrt(4.5), np.sqrt(12.5)])
    idx, d = nearest(np.array([[0.0, np.nan]]), ref, np.ones(2), 3, missing_z=5.0)
    assert d[0] == pytest.approx([0.0, 0.0, 3.0])  # the undefined target is left out


def test_confusion_splits_ties_and_inverts():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.2, 0.8]])
    c = confusion(labels, probs, ["a", "b"]).set_index(["true", "chosen"])
    assert c.loc[("a", "a"), "count"] == 1.5 and c.loc[("a", "b"), "count"] == 0.5
    assert c.loc[("a", "a"), "p_chosen_given_true"] == 0.75
    assert c.loc[("b", "b"), "p_true_given_chosen"] == pytest.approx(2 / 2.5)


def test_target_influence_finds_the_target_that_decides():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 500)
    stats = np.column_stack([labels * 3.0 + 0.1 * rng.standard_normal(1000), rng.standard_normal(1000)])
    out = target_influence(stats, labels, np.array([3.0, 0.0]), np.ones(2), ["a", "b"], 50, missing_z=5.0,
                           target_names=["decisive", "noise"])
    p = out.set_index(["left_out", "hypothesis"])["probability"]
    assert p[("none", "b")] == 1.0 and p[("noise", "b")] == 1.0
    assert p[("decisive", "b")] == pytest.approx(0.5, abs=0.2)
    share = out.dropna().groupby("left_out")["share_of_distance"].first()
    assert share.sum() == pytest.approx(1.0)


def test_absolute_fit_statistics():
    table = pd.DataFrame({"hypothesis": ["a"] * 4, "stat:x": [0.0, 1.0, 2.0, np.nan]})
    pos = prior_predictive_position(table, {"x": 1.0}).iloc[0]
    assert pos["quantile"] == pytest.approx(0.5) and pos["computed"] == 0.75 and not pos["outside"]
    assert prior_predictive_position(table, {"x": 9.0}).iloc[0]["outside"]
    sims = np.column_stack([np.arange(99.0), np.full(99, np.nan)])
    check = predictive_check(sims, np.array([200.0, 0.0]))
    assert check["p"][0] == pytest.approx(2 / 100) and np.isnan(check["p"][1])
    assert check["z"][0] == pytest.approx((200 - 49) / np.arange(99.0).std(ddof=1))
    assert check["p_normal"][0] < 1e-6 and np.isnan(check["p_normal"][1])
    rng = np.random.default_rng(0)  # replicates and data from one normal: p_normal is uniform
    p = [predictive_check(rng.standard_normal((40, 1)), rng.standard_normal(1))["p_normal"][0] for _ in range(400)]
    assert abs(np.mean(np.array(p) < 0.1) - 0.1) < 0.05


def test_table_rows_do_not_depend_on_size_batch_or_resume(tmp_path):
    specs = [ModelSpec("a", {"mu": (0.0, 1.0)}), ModelSpec("b", {"mu": (0.0, 1.0), "nu": (1.0, 1.0)})]
    whole = reference_table(specs, _noisy(0.1), ["x"], 30, seed=9, batch=7)
    part = reference_table(specs, _noisy(0.1), ["x"], 12, seed=9, batch=64)
    resumed = reference_table(specs, _noisy(0.1), ["x"], 30, seed=9, existing=part)
    pd.testing.assert_frame_equal(whole, resumed)
    assert (whole.hypothesis.iloc[:4] == ["a", "b", "a", "b"]).all()
    assert whole["param:nu"].isna().sum() == 15 and (whole["param:nu"].dropna() == 1.0).all()
    path = save_table(tmp_path / "t.parquet", whole, "abc")
    pd.testing.assert_frame_equal(load_table(path, "abc", ["a", "b"], ["x"]), whole)


def test_stale_foreign_or_broken_tables_are_refused(tmp_path):
    specs = [ModelSpec("a", {"mu": (0.0, 1.0)})]
    table = reference_table(specs, _noisy(0.1), ["x"], 5, seed=0)
    path = save_table(tmp_path / "t.parquet", table, "abc")
    with pytest.raises(ConfigError, match="another config"):
        load_table(path, "other", ["a"], ["x"])
    with pytest.raises(ConfigError, match="unknown hypotheses"):
        load_table(path, "abc", ["b"], ["x"])
    with pytest.raises(ConfigError, match="lacks the statistics"):
        load_table(path, "abc", ["a"], ["y"])
    table.to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(ConfigError, match="no brainsim fingerprint"):
        load_table(tmp_path / "plain.parquet", "abc", ["a"], ["x"])
    (tmp_path / "junk.parquet").write_text("junk")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_table(tmp_path / "junk.parquet", "abc", ["a"], ["x"])
    with pytest.raises(ConfigError, match="recovery.neighbours"):
        nearest(np.zeros((1, 1)), np.zeros((5, 1)), TOL, 5, missing_z=5.0, exclude_self=True)


def test_recover_summarises_a_toy_comparison_near_its_observed_data():
    from types import SimpleNamespace

    from brainsim.assessment import Problem, recover
    from brainsim.targets import Target

    # "wide" covers [0, 2], "narrow" only [0, 1]: data near 1.8 can only come from "wide"
    specs = [ModelSpec("wide", {"mu": (0.0, 2.0)}), ModelSpec("narrow", {"mu": (0.0, 1.0)})]
    table = reference_table(specs, _noisy(0.02), ["x"], 2000, seed=4)
    prob = Problem(["wide", "narrow"], [{}, {}], specs, [frozenset()] * 2,
                   [Target("x", "x", 1.8, 0.1, "toy", "unconfirmed")])
    settings = SimpleNamespace(neighbours=20, local=100, resamples=50)
    summary, frames = recover(settings, SimpleNamespace(missing_z=5.0), prob, table, 0)
    assert summary["chosen_at_observed"] == "wide" and summary["rejection_probabilities"]["wide"] == 1.0
    assert summary["local_error"] < 0.03 < 0.15 < summary["prior_error"]  # near 1.8 nothing is ambiguous
    assert summary["observed_epsilon_quantile"] < 0.99
    assert ["wide", "narrow"] == summary["confused"][0][:2]  # wide rows below 1 look narrow
    assert set(frames) >= {"confusion", "calibration", "coverage", "sbc", "influence", "probabilities"}
    assert summary["recovery_mean"] == pytest.approx(1 - summary["prior_error"])

"""Recovery statistics on toy models with known answers, and the reference table's contract."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ALPHA

from brainsim.inference import HypothesisPriors
from brainsim.recovery import (calibration, confusion, ece, nearest, neighbour_probabilities, parameter_recovery,
                               predictive_check, prior_predictive_position, rate, row_errors, target_influence)
from brainsim.reference import load_table, reference_table, save_table
from brainsim.validation import ConfigError

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
    specs = [HypothesisPriors("low", {"mu": (0.0, 1.0)}), HypothesisPriors("high", {"mu": (2.0, 3.0)})]
    _, labels, probs = _loo(specs, _noisy(0.1), 1000, 10)
    conf = confusion(labels, probs, ["low", "high"]).set_index(["true", "chosen"])
    assert conf.loc[("low", "low"), "p_chosen_given_true"] >= 0.95
    assert conf.loc[("high", "high"), "p_chosen_given_true"] >= 0.95
    error, se = rate(row_errors(labels, probs))
    assert error < 0.05 and 0 <= se < 0.01


def test_identical_hypotheses_split_evenly_and_are_calibrated():
    specs = [HypothesisPriors("a", {"mu": (0.0, 1.0)}), HypothesisPriors("b", {"mu": (0.0, 1.0)})]
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
    specs = [HypothesisPriors("g", {"mu": (-5.0, 5.0)})]
    table = reference_table(specs, _noisy(1.0), ["x"], 4000, seed=5)
    cov, ranks = parameter_recovery(table, ["x"], np.array([1.0]), 40, missing_z=5.0)
    for r in cov.itertuples():
        assert abs(r.coverage - r.level) < 4 * r.se + 0.01, r
        assert r.sbc_p > ALPHA
    assert ranks["rank"].between(0, 40).all() and len(ranks) == 4000


def test_parameter_coverage_sees_a_posterior_wider_than_the_data_allow():
    # half the table as neighbours: the "posterior" is nearly the prior, and intervals over-cover
    specs = [HypothesisPriors("g", {"mu": (-5.0, 5.0)})]
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


def test_absurd_rows_rank_last_with_finite_distances():
    ref = np.array([[1e300, 0.0], [2.0, 0.0], [-1e200, 1e200], [1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        idx, d = nearest(np.array([[0.0, 0.0]]), ref, np.full(2, 1e-10), 4, missing_z=5.0)
    assert list(idx[0][:2]) == [3, 1] and set(idx[0][2:]) == {0, 2}
    assert np.isfinite(d).all() and d[0][2] == pytest.approx(1e150 / np.sqrt(2)) and d[0][3] == pytest.approx(1e150)


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
    specs = [HypothesisPriors("a", {"mu": (0.0, 1.0)}), HypothesisPriors("b", {"mu": (0.0, 1.0), "nu": (1.0, 1.0)})]
    whole = reference_table(specs, _noisy(0.1), ["x"], 30, seed=9, batch=7)
    part = reference_table(specs, _noisy(0.1), ["x"], 12, seed=9, batch=64)
    resumed = reference_table(specs, _noisy(0.1), ["x"], 30, seed=9, existing=part)
    pd.testing.assert_frame_equal(whole, resumed)
    assert (whole.hypothesis.iloc[:4] == ["a", "b", "a", "b"]).all()
    assert whole["param:nu"].isna().sum() == 15 and (whole["param:nu"].dropna() == 1.0).all()
    path = save_table(tmp_path / "t.parquet", whole, "abc")
    pd.testing.assert_frame_equal(load_table(path, "abc", ["a", "b"], ["x"]), whole)


def test_stale_foreign_or_broken_tables_are_refused(tmp_path):
    specs = [HypothesisPriors("a", {"mu": (0.0, 1.0)})]
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

    from brainsim.assessment import recover
    from brainsim.problem import Problem
    from brainsim.targets import Target

    # "wide" covers [0, 2], "narrow" only [0, 1]: data near 1.8 can only come from "wide"
    specs = [HypothesisPriors("wide", {"mu": (0.0, 2.0)}), HypothesisPriors("narrow", {"mu": (0.0, 1.0)})]
    table = reference_table(specs, _noisy(0.02), ["x"], 2000, seed=4)
    prob = Problem(("wide", "narrow"), (None, None), tuple(specs), (frozenset(),) * 2,
                   (Target("x", "x", 1.8, 0.1, "toy", "unconfirmed"),))
    settings = SimpleNamespace(neighbours=20, local=100, resamples=50)
    summary, frames = recover(settings, SimpleNamespace(missing_z=5.0), prob, table, 0)
    assert summary["chosen_at_observed"] == "wide" and summary["rejection_probabilities"]["wide"] == 1.0
    assert summary["local_error"] < 0.03 < 0.15 < summary["prior_error"]  # near 1.8 nothing is ambiguous
    assert summary["observed_epsilon_quantile"] < 0.99
    assert ["wide", "narrow"] == summary["confused"][0][:2]  # wide rows below 1 look narrow
    assert set(frames) >= {"confusion", "calibration", "coverage", "sbc", "influence", "probabilities"}
    assert summary["recovery_mean"] == pytest.approx(1 - summary["prior_error"])


# --- values known in closed form (each fails by many standard errors under a wrong method) ---

def _shifted(d):
    def simulate(m, theta, seed):  # hypothesis m: x ~ N(m d, 1), no free parameter
        return np.array([m * d + np.random.default_rng(seed).standard_normal()])
    return simulate


def test_prior_error_and_confusion_reach_the_bayes_error_of_two_gaussians():
    # x ~ N(0, 1) under a, N(1, 1) under b, equal prior: the Bayes rule errs with chance
    # Phi(-1/2) = 0.3085 either way; k-NN rejection on 8,000 rows is within 0.01 of it (measured
    # 0.31). A row counted as its own neighbour gives ~0.25, the choice of the least probable ~0.69.
    from scipy.stats import norm

    specs = [HypothesisPriors("a", {"mu": (0.0, 0.0)}), HypothesisPriors("b", {"mu": (0.0, 0.0)})]
    table = reference_table(specs, _shifted(1.0), ["x"], 8000, seed=2)
    labels = pd.Categorical(table.hypothesis, categories=["a", "b"]).codes.astype(np.int64)
    idx, _ = nearest(table[["stat:x"]].to_numpy(), table[["stat:x"]].to_numpy(), np.ones(1), 100, missing_z=5.0,
                     exclude_self=True)
    probs = neighbour_probabilities(labels, idx, 2)
    bayes = norm.cdf(-0.5)
    error, se = rate(row_errors(labels, probs))
    assert se == pytest.approx(np.sqrt(bayes * (1 - bayes) / 8000), rel=0.05)
    assert abs(error - bayes) < 3 * se + 0.01
    conf = confusion(labels, probs, ["a", "b"]).set_index(["true", "chosen"])
    for true, chosen in [("a", "b"), ("b", "a")]:
        r = conf.loc[(true, chosen)]
        assert abs(r.p_chosen_given_true - bayes) < 3 * r.se + 0.015
        assert r.se == pytest.approx(np.sqrt(bayes * (1 - bayes) / 4000), rel=0.05)
    # the neighbours' share estimates the exact posterior P(a | x) = 1 / (1 + exp(x - 1/2))
    exact = 1.0 / (1.0 + np.exp(table["stat:x"].to_numpy() - 0.5))
    assert np.abs(probs[:, 0] - exact).mean() < 0.05


def test_the_calibration_null_is_the_ece_a_calibrated_predictor_gets_by_chance():
    # Every row claims P(a) = 0.9. Labels redrawn from that claim put all rows in one bin, where
    # the class-wise gap is |0.9 n - Binomial(n, 0.9)| / n: mean 0.3 sqrt(2 / (pi n)) exactly
    # (normal limit), 0.0038 at n = 4,000. Labels redrawn uniformly would give 0.4.
    n = 4000
    probs = np.tile([0.9, 0.1], (n, 1))
    rng = np.random.default_rng(7)
    labels = (rng.random(n) > 0.9).astype(np.int64)  # calibrated labels
    _, scores = calibration(probs, labels, ["a", "b"], resamples=400, seed=3)
    expected = 0.3 * np.sqrt(2 / (np.pi * n))
    assert scores["ece_null_mean"] == pytest.approx(expected, rel=0.12)  # MC error of 400 resamples: 3%
    assert scores["ece"] == pytest.approx(abs((labels == 0).mean() - 0.9), abs=1e-12)
    assert scores["ece_p_value"] > ALPHA
    # the Brier score of a constant 0.9 claim on calibrated labels: 2 x 0.9 x 0.1 = 0.18
    assert scores["brier"] == pytest.approx(0.18, abs=4 * scores["brier_se"])


@pytest.mark.parametrize("k", [2, 4])
def test_sbc_ranks_are_uniform_on_every_value_with_few_neighbours(k):
    # With few neighbours a rank takes k + 1 values, each with chance 1 / (k + 1) when the
    # posterior is calibrated; the KS test sees uniform ranks only with a random offset within
    # each value (a fixed offset of 1/2 sits 0.5 / (k + 1) >= 0.1 from uniform: p ~ 1e-30 here).
    specs = [HypothesisPriors("g", {"mu": (-5.0, 5.0)})]
    table = reference_table(specs, _noisy(1.0), ["x"], 4000, seed=6)
    cov, ranks = parameter_recovery(table, ["x"], np.array([1.0]), k, missing_z=5.0)
    counts = np.bincount(ranks["rank"], minlength=k + 1)
    assert counts.size == k + 1
    from scipy.stats import chisquare
    assert chisquare(counts).pvalue > ALPHA
    assert (cov.sbc_p > ALPHA).all()


def test_target_influence_shares_come_from_the_k_rows_nearest_the_observed_targets():
    # 20 rows at z = (1, 2) from the observed point and 200 far rows at z = (20, 0): the 20
    # nearest rows give shares 1/5 and 4/5; the whole table would give 0.99 and 0.01.
    near = np.tile([1.0, 2.0], (20, 1))
    far = np.tile([20.0, 0.0], (200, 1))
    stats = np.vstack([near, far])
    labels = np.r_[np.zeros(20, np.int64), np.ones(200, np.int64)]
    out = target_influence(stats, labels, np.zeros(2), np.ones(2), ["a", "b"], 20, missing_z=5.0,
                           target_names=["x", "y"])
    share = out.dropna().groupby("left_out")["share_of_distance"].first()
    assert share["x"] == pytest.approx(0.2, abs=1e-12) and share["y"] == pytest.approx(0.8, abs=1e-12)
    p = out.set_index(["left_out", "hypothesis"])["probability"]
    assert p[("none", "a")] == 1.0


def test_central_intervals_from_few_draws_cover_at_their_nominal_level():
    # With k = 9 draws the p (k + 1) rule puts the 80% interval exactly at the 1st and 9th draws:
    # an exchangeable truth falls inside with chance 8/10. The default (linear) quantile rule
    # interpolates inward and covers ~64%.
    specs = [HypothesisPriors("g", {"mu": (-5.0, 5.0)})]
    table = reference_table(specs, _noisy(1.0), ["x"], 4000, seed=8)
    cov, _ = parameter_recovery(table, ["x"], np.array([1.0]), 9, missing_z=5.0, levels=(0.8,))
    r = cov.iloc[0]
    assert abs(r.coverage - 0.8) < 4 * r.se


def test_reachability_flags_targets_one_hypothesis_alone_reaches_and_how_far_mechanisms_move_them():
    from brainsim.recovery import reachability
    from brainsim.targets import Target

    table = pd.DataFrame({"hypothesis": ["baseline"] * 3 + ["h"] * 3,
                          "stat:x": [0.0, 1.0, 2.0, 5.0, 6.0, 7.0], "stat:y": [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]})
    targets = [Target("x", "x", 6.5, 0.5, "s"), Target("y", "y", 9.0, 1.0, "s")]
    position = prior_predictive_position(table, {"x": 6.5, "y": 9.0})
    card = pd.DataFrame({"hypothesis": ["baseline", "baseline", "h", "h"], "target": ["x", "y", "x", "y"],
                         "simulated": [1.0, 1.0, 6.0, 1.5]})
    reach = reachability(position, card, targets).set_index(["target", "hypothesis"])
    assert not reach.loc[("x", "baseline"), "reaches"] and reach.loc[("x", "h"), "reaches"]
    assert reach.loc[("x", "h"), "reached_by"] == 1 and reach.loc[("y", "h"), "reached_by"] == 0
    assert reach.loc[("x", "h"), "shift_z"] == pytest.approx(10.0)  # (6 - 1) / 0.5
    assert reach.loc[("y", "h"), "shift_z"] == pytest.approx(0.5) and reach.loc[("x", "baseline"), "shift_z"] == 0.0
    assert reach.loc[("x", "h"), "quantile"] == pytest.approx(2 / 3)

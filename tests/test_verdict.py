"""The verdict is written from the numbers: each sentence follows from its tables."""

import numpy as np
import pandas as pd
import pytest

from brainsim.verdict import not_final, unreached, verdict, wilson_line


def _card(rows):
    return pd.DataFrame([{"hypothesis": h, "target": t, "z": z, "passed": abs(z) <= 2} for h, t, z in rows])


FILE = _card([("a", "x", 0.5), ("a", "y", 3.0), ("b", "x", 4.0), ("b", "y", 5.0)])
DEC = pd.DataFrame([{"hypothesis": "a", "at": "posterior", "cause": c, "share": s}
                    for c, s in [("brain size", 0.1), ("data", 0.6), ("item sampling", 0.2), ("interaction remainder", 0.1)]])


def test_verdict_names_winner_error_fit_unreached_targets_and_causes():
    models = pd.DataFrame({"hypothesis": ["a", "b"], "probability": [0.8, 0.2], "se": [0.03, 0.03],
                           "sd": [0.05, 0.05]})
    runs = [{"seed": 0, "converged": True, "epsilon": 1.0}, {"seed": 1, "converged": True, "epsilon": 1.2}]
    post = _card([("a", "x", 0.5), ("a", "y", 1.0), ("b", "x", 4.0), ("b", "y", 2.5)])
    lines = verdict(models, runs, FILE, post, DEC)
    assert lines[0] == ("The data favour a: posterior probability 0.80 ± 0.03 (mean over 2 ABC seeds ± its "
                        "Monte-Carlo standard error; SD over seeds 0.05).")
    assert "converged on every seed" in lines[1] and "1.20" in lines[1]
    assert "passes 2 of 2 targets" in lines[2]
    assert not any("No hypothesis fits" in line for line in lines)  # a's RMS z is 0.79
    assert lines[-2] == "Targets no hypothesis reaches at their posteriors: none."
    assert lines[-1] == "What explains IQ variance under a (at its posterior values): data 60%, item sampling 20%, brain size 10%."


def test_verdict_says_when_nothing_fits_seeds_disagree_or_abc_did_not_converge():
    models = pd.DataFrame({"hypothesis": ["a", "b"], "probability": [0.5, 0.5], "se": [0.1, 0.1], "sd": [0.7, 0.7]})
    runs = [{"seed": 0, "converged": False, "epsilon": 3.0}, {"seed": 1, "converged": True, "epsilon": 1.0}]
    lines = verdict(models, runs, FILE, None, None)
    text = " ".join(lines)
    assert "seeds disagree" in text and "did not converge for seed(s) 0" in text
    assert "No hypothesis fits: the best RMS z is 2.15" in text  # a at its file's values: sqrt((0.25 + 9) / 2)
    assert "at their files' values: y." in text
    assert unreached(FILE) == ["y"]
    assert verdict(None, None, FILE, None, None)[0].startswith("Without model choice, a is closest")


def test_verdict_says_when_one_seed_has_a_large_monte_carlo_error():
    models = pd.DataFrame({"hypothesis": ["a", "b"], "probability": [0.6, 0.4], "se": [0.2, 0.2], "sd": [None, None]})
    lines = verdict(models, [{"seed": 0, "converged": True, "epsilon": 1.5}], FILE, None, None)
    assert lines[0] == ("The data favour a: posterior probability 0.60 ± 0.20 (mean over 1 ABC seeds ± its "
                        "Monte-Carlo standard error).")
    assert lines[1].startswith("Its Monte-Carlo error is large (0.20 > 0.15)")
    assert lines[2].startswith("One ABC seed: its standard error cannot see")


def test_not_final_lists_hypotheses_taken_from_an_earlier_generation():
    card = _card([("a", "x", 0.5), ("a", "y", 1.0), ("b", "x", 4.0), ("b", "y", 2.5)])
    assert not_final(card) == []  # a card without the column
    assert not_final(card.assign(final=card["hypothesis"] == "a")) == ["b"]


def _rec(**kw):
    rec = {"table_rows": 40, "neighbours": 5, "recovery": {"a": [0.8, 0.05], "b": [0.6, 0.06]},
           "recovery_mean": 0.7, "recovery_mean_se": 0.04, "local_error": 0.3, "local_error_se": 0.1,
           "prior_error": 0.3, "prior_error_se": 0.05, "chosen_at_observed": "a",
           "rejection_probabilities": {"a": 0.8, "b": 0.2}, "confused": [["b", "a", 0.4]],
           "calibration": {"ece": 0.05, "ece_se": 0.01, "ece_null_mean": 0.02, "ece_null_q95": 0.03,
                           "ece_p_value": 0.01},
           "observed_epsilon": 3.0, "observed_epsilon_quantile": 0.99,
           "fit": {"a": {"fits": False, "failed": ["x", "y (not computed)"]}}}
    return rec | kw


def test_recovery_lines_quote_recovery_confusion_calibration_and_fit():
    from brainsim.verdict import recovery_lines

    text = " ".join(recovery_lines(_rec(), "a"))
    assert "when a is true it is picked in 0.80 ± 0.05" in text and "P(the choice is wrong) = 0.30 ± 0.10" in text
    assert "b as a (0.40)" in text and "NOT calibrated" in text and "the excess is 0.030" in text
    assert "edge of every prior predictive" in text and "a misses x, y (not computed)" in text
    assert "favours" not in text  # the rejection agrees with the ABC
    assert "favours b" in " ".join(recovery_lines(_rec(chosen_at_observed="b"), "a"))
    single = " ".join(recovery_lines(_rec(recovery={"a": [1.0, 0.0]}, observed_epsilon_quantile=0.5,
                                          fit={"a": {"fits": True, "failed": []}}), "a"))
    assert "Recovery" not in single and "calibrated" not in single  # one hypothesis: nothing to confuse
    assert "a reproduce(s) every target" in single


NAMES = ["a", "b", "c"]


@pytest.mark.parametrize("position", range(3))
@pytest.mark.parametrize("converged", [True, False])
def test_the_verdict_names_the_most_probable_hypothesis_wherever_its_row_is(position, converged):
    winner = NAMES[position]
    probs = [0.7 if h == winner else 0.15 for h in NAMES]
    models = pd.DataFrame({"hypothesis": NAMES, "probability": probs, "se": [0.01, 0.02, 0.03],
                           "sd": [0.05] * 3})
    runs = [{"seed": 0, "converged": converged, "epsilon": 1.1}, {"seed": 1, "converged": True, "epsilon": 0.9}]
    post = _card([(h, t, 0.1 if h == winner else 3.0) for h in NAMES for t in ("x", "y")])
    dec = pd.DataFrame([{"hypothesis": h, "at": "posterior", "cause": "data", "share": 0.9 if h == winner else 0.1}
                        for h in NAMES])
    lines = verdict(models, runs, FILE, post, dec)
    se = [0.01, 0.02, 0.03][position]
    assert lines[0].startswith(f"The data favour {winner}: posterior probability 0.70 ± {se:.2f} ")
    assert "passes 2 of 2 targets (RMS z 0.10)" in " ".join(lines)
    assert lines[-1] == f"What explains IQ variance under {winner} (at its posterior values): data 90%."
    text = " ".join(lines)
    if converged:
        assert "ABC converged on every seed (final epsilon ≤ 1.10 RMS z)." in lines
        assert "did not converge" not in text
    else:
        assert "Caution: ABC did not converge for seed(s) 0 (stopped by a ceiling)" in text
        assert "converged on every seed" not in text


@pytest.mark.parametrize("position", range(3))
def test_without_abc_the_verdict_names_the_closest_hypothesis_wherever_its_row_is(position):
    winner = NAMES[position]
    card = _card([(h, t, 0.5 if h == winner else 2.5) for h in NAMES for t in ("x", "y")])
    assert verdict(None, None, card, None, None)[0] == (f"Without model choice, {winner} is closest at its file's values "
                                                        "(RMS z 0.50).")


@pytest.mark.parametrize("position", range(3))
def test_recovery_lines_quote_the_chosen_hypothesis_wherever_its_row_is(position):
    from brainsim.verdict import recovery_lines

    chosen = NAMES[position]
    rec = _rec(recovery={h: ([0.9, 0.01] if h == chosen else [0.4, 0.05]) for h in NAMES}, chosen_at_observed=chosen,
               rejection_probabilities={h: (0.8 if h == chosen else 0.1) for h in NAMES})
    assert f"when {chosen} is true it is picked in 0.90 ± 0.01" in recovery_lines(rec, chosen)[0]


def test_the_console_lists_models_most_probable_first():
    from brainsim.console import abc_text

    models = pd.DataFrame({"hypothesis": NAMES, "probability": [0.2, 0.7, 0.1], "se": [0.0] * 3, "sd": [0.0] * 3})
    abc = {"epsilon": 1.0, "simulations": 10, "runs": []}
    order = [line.split()[0] for line in abc_text(abc, models).splitlines()[2:]]
    assert order == ["b", "a", "c"]


def test_the_console_names_the_hypotheses_the_smc_ran_on():
    from brainsim.console import abc_text

    models = pd.DataFrame({"hypothesis": ["c", "a"], "probability": [0.4, 0.6], "se": [0.0] * 2, "sd": [0.0] * 2})
    abc = {"epsilon": 1.0, "simulations": 10, "runs": [], "hypotheses": ["a", "c"]}
    lines = abc_text(abc, models).splitlines()
    assert lines[1].startswith("ABC posterior model probabilities") and lines[2] == "  on a, c"
    assert [line.split()[0] for line in lines[3:]] == ["a", "c"]
    one = models[models["hypothesis"] == "a"]  # FILE scores a and b: the SMC ran on a only
    text = " ".join(verdict(one, [], FILE, None, None, choice=_choice()))
    assert "The ABC-SMC ran on the forest's 1 most-voted hypothesis (a; abc.top)" in text
    assert "most-voted" not in " ".join(verdict(models, [], FILE, None, None, choice=_choice()))  # every one


def _history(accepted_final):
    """Two seeds, two generations; hypothesis b is no contender (probability 0.02)."""
    rows = []
    for seed in (0, 1):
        for gen, acc in ((0, {"a": 40, "b": 30}), (1, accepted_final)):
            for h, p in (("a", 0.98 - 0.02 * seed), ("b", 0.02)):
                rows.append({"seed": seed, "generation": gen, "epsilon": 2.0 - gen + 0.1 * seed, "hypothesis": h,
                             "probability": p, "se": 0.01, "accepted": acc[h]})
    return pd.DataFrame(rows)


def test_smc_probabilities_are_quoted_only_where_every_contender_has_enough_accepted():
    from brainsim.tables import quotable_smc

    q = quotable_smc(_history({"a": 10, "b": 0}))
    assert q["generation"] == 0 and q["accepted"] == {"a": 80, "b": 60}  # pooled over the two seeds
    assert q["epsilon"] == pytest.approx(2.1)  # the loosest seed's
    p, se = q["probabilities"]["a"]
    assert p == pytest.approx(0.97) and se == pytest.approx(np.std([0.98, 0.96], ddof=1) / np.sqrt(2))
    assert quotable_smc(_history({"a": 10, "b": 0}), min_accepted=81)["generation"] is None
    none = quotable_smc(_history({"a": 10, "b": 0}), min_accepted=100)
    assert none["generation"] is None and none["accepted"] == {"a": 20, "b": 0}


def test_the_console_shows_smc_probabilities_only_where_the_verdict_may_quote_them():
    from brainsim.console import abc_text

    models = pd.DataFrame({"hypothesis": ["a", "b"], "probability": [1.0, 0.0], "se": [0.0, 0.0], "sd": [None] * 2})
    abc = {"epsilon": 1.0, "simulations": 10, "runs": []}
    hidden = abc_text(abc, models, _history({"a": 10, "b": 0}).query("seed == 0")).splitlines()
    assert "Its model probabilities are not shown: no generation has 50 accepted" in hidden[1]
    assert [line.split() for line in hidden[2:]] == [["a", "10"], ["b", "0"]] and "1.000" not in " ".join(hidden)
    shown = abc_text(abc, models, _history({"a": 60, "b": 0})).splitlines()  # 120 pooled in the final generation
    assert "generation 2, the last where every contender has ≥ 50 accepted" in shown[1]
    assert shown[2].split() == ["a", "0.970", "±", "0.010", "accepted", "120"]


def test_verdict_without_a_quotable_smc_names_no_smc_winner():
    models = pd.DataFrame({"hypothesis": ["a", "b"], "probability": [0.0, 1.0], "se": [0.0, 0.0], "sd": [None] * 2})
    lines = verdict(models, [{"seed": 0, "converged": True, "epsilon": 1.0}], FILE, None, None,
                    history=_history({"a": 10, "b": 0}).assign(probability=lambda f: 1 - f["probability"]).query(
                        "seed == 0"))
    assert lines[0].startswith("The ABC-SMC's model probabilities are not quoted")
    assert "probability 1.00" not in " ".join(lines) and lines[2].startswith("Without model choice, a is closest")


def _choice(status="inside", **kw):
    gate = {"status": status, "unreached": ["y"] if status == "outside" else [], "edge": [], "level": 0.05,
            "best_p_value": 0.01 if status != "inside" else 0.4, "best_hypothesis": "b", "p_values": {}}
    return {"chosen": "a", "probability": 0.62, "votes": {"a": 0.41, "b": 0.59},
            "prior_error": 0.3, "prior_error_se": 0.02, "rows": 1000, "trees": 500,
            "reliability": {"ece": 0.02, "ece_se": 0.01, "ece_null_mean": 0.03, "ece_p_value": 0.6},
            "mean_probability": 0.7, "share_right": 0.7, "gate": gate,
            "floor": {"best_error": 0.27, "boosting_error_se": 0.01, "bayes_lower": 0.2}, "excess": 0.03,
            "learners": {"forest_votes": {"a": 0.41}, "rejection": {"a": 0.2}},
            "groups": {"q": {"chosen": "g1", "groups": {"g1": ["a"], "g2": ["b"]}, "probability": 0.8,
                             "prior_error": 0.1, "prior_error_se": 0.01}},
            "confused": [["b", "a", 0.25]]} | kw


def test_forest_headline_states_choice_error_floor_and_groups_inside_the_gate():
    lines = verdict(None, None, FILE, None, DEC, choice=_choice())
    assert lines[0] == ("The data favour a: posterior probability 0.62 by ABC random forest (41% of 500 trees vote "
                        "for it); prior error rate 0.30 ± 0.02 (out-of-bag, 1000 prior-predictive simulations).")
    assert "excess error is 0.03" in lines[1] and "calibrated out of bag" in lines[2]
    assert any(line.startswith("Grouped question q: g1 (a), posterior probability 0.80") for line in lines)
    absent = _choice()
    absent["groups"]["q"]["absent"] = ["typo"]
    assert any(line.endswith("Not in this run, so left out: typo.") for line in verdict(None, None, FILE, None, None,
                                                                                      choice=absent))
    assert any(line.startswith("Fit gate: inside. The observed targets are typical of b's simulations (joint "
                               "typicality p = 0.40)") for line in lines)
    assert any("b as a (0.25)" in line for line in lines) and not any("Caution" in line for line in lines)
    assert lines[-1].startswith("What explains IQ variance under a")


def test_forest_headline_warns_at_the_edge_and_quotes_no_probability_outside():
    edge = " ".join(verdict(None, None, FILE, None, None, choice=_choice("edge")))
    assert "Caution: the observed targets lie at the edge" in edge and "rejection 0.20" in edge
    outside = verdict(None, None, FILE, None, DEC, choice=_choice("outside"))
    assert outside[0].startswith("No hypothesis can be chosen") and "beyond every hypothesis's simulated range: y" \
        in outside[0]
    assert "0.62" not in " ".join(outside) and "Grouped" not in " ".join(outside)
    assert "nearest in the joint distance is b" in outside[0]


def test_forest_headline_names_the_runner_up_and_a_tie_within_the_forests_own_error():
    tie = _choice(votes={"a": 0.246, "b": 0.238}, runner_up="b", vote_margin=0.008, vote_margin_se=0.031)
    lines = verdict(None, None, FILE, None, None, choice=tie)
    assert lines[1] == ("The votes do not separate a from b (24.6% against 23.8%: a lead of 0.008, within twice its "
                        "Monte-Carlo SE 0.031): which of the two is named depends on the forest's random seed. More "
                        "trees (model_choice.trees) shrink that error; a larger table may favour either.")
    groups = tie["groups"]["q"] | {"vote_margin": 0.02, "vote_margin_se": 0.045}
    tied_groups = " ".join(verdict(None, None, FILE, None, None, choice=tie | {"groups": {"q": groups}}))
    assert ("prior error rate 0.10 ± 0.01. Its votes do not separate the groups: a lead of 0.020, within twice its "
            "Monte-Carlo SE 0.045.") in tied_groups
    assert "do not separate the groups" not in " ".join(lines)  # no margin given: no claim
    clear = _choice(votes={"a": 0.59, "b": 0.41}, runner_up="b", vote_margin=0.18, vote_margin_se=0.04)
    assert verdict(None, None, FILE, None, None, choice=clear)[1] == (
        "Runner-up: b (41% of the votes); the lead, 0.18 ± 0.04, is beyond the forest's Monte-Carlo error.")


def test_forest_headline_says_whether_two_halves_of_the_table_agree():
    same = [{"chosen": "a", "probability": 0.6}, {"chosen": "a", "probability": 0.55}]
    text = " ".join(verdict(None, None, FILE, None, None, choice=_choice(halves=same)))
    assert "Each half of the table alone chooses a (0.60) and a (0.55): the same answer, so it is not noise at this table size; a larger table can still move it" in text
    split = [{"chosen": "a", "probability": 0.6}, {"chosen": "b", "probability": 0.5}]
    assert "the halves disagree" in " ".join(verdict(None, None, FILE, None, None, choice=_choice(halves=split)))
    both_other = [{"chosen": "b", "probability": 0.6}, {"chosen": "b", "probability": 0.5}]
    text = " ".join(verdict(None, None, FILE, None, None, choice=_choice(halves=both_other)))
    assert ("Each half of the table alone chooses b (0.60) and b (0.50), not a as the whole table does: so the choice "
            "is not stable") in text and "the same answer" not in text and "disagree" not in text


def test_the_wilson_line_quotes_each_rise_and_who_reproduces_it():
    checks = pd.DataFrame({"hypothesis": ["a", "b"], "at": "posterior", "h2_9": [0.4, 0.3], "h2_17": [0.4, 0.5],
                           "rise": [0.0, 0.2], "observed": 0.25, "tolerance": 0.06, "z": [-25 / 6, -5 / 6],
                           "reproduced": [False, True], "source": "Haworth et al. 2010, Mol Psychiatry 15:1112 (text)"})
    line = wilson_line(checks)
    assert line == ("Beside the targets (not scored), the Wilson effect: twin h² of IQ rises from 9 to 17 by 0.25 ± "
                    "0.06 (Haworth et al. 2010, Mol Psychiatry 15:1112); at their posterior medians: a +0.00, b +0.20. "
                    "Reproduced by b.")
    assert wilson_line(checks.assign(at="file", reproduced=False)).endswith(
        "at their files' values: a +0.00, b +0.20. No checked hypothesis reproduces it.")
    lines = verdict(None, None, FILE, None, None, life_course=checks)
    assert lines[lines.index(next(x for x in lines if x.startswith("Targets no"))) + 1] == line


def test_the_wilson_line_says_where_each_was_checked_and_what_is_undefined():
    checks = pd.DataFrame({"hypothesis": ["a", "b"], "at": ["posterior", "file"], "h2_9": [0.4, np.nan],
                           "h2_17": [0.396, np.nan], "rise": [-0.004, np.nan], "observed": 0.25, "tolerance": 0.06,
                           "z": [-4.23, np.nan], "reproduced": [False, False], "source": ""})
    assert wilson_line(checks).endswith("as checked: a +0.00 (at its posterior median), b undefined (at its files' "
                                        "values). No checked hypothesis reproduces it.")
    assert wilson_line(checks.iloc[1:]).endswith("at their files' values: b undefined. Undefined for every checked "
                                                 "hypothesis (a twin correlation could not be computed).")

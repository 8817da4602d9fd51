"""The run's answer in a few sentences, written from its numbers (stdout and report.html)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .decomposition import CAUSES, ITEM_SAMPLING, REMAINDER
from .gate import EDGE, INSIDE, OUTSIDE
from .tables import quotable_smc
from .targets import PASS_Z, total_distance

__all__ = ["choice_lines", "FITS_RMS_Z", "MAX_SEED_SD", "not_final", "recovery_lines", "smc_lines", "unreached",
           "verdict", "wilson_line"]

FITS_RMS_Z = 2.0  # a hypothesis "fits" when its RMS z over the targets is at most this
MAX_SEED_SD = 0.15  # above this MC error (or SD over seeds) of the winner's probability: no confident winner


def unreached(card: pd.DataFrame) -> list[str]:
    """Targets that no hypothesis in `card` passes (|z| <= 2)."""
    passed = card.assign(ok=card["z"].abs() <= PASS_Z).groupby("target", sort=False)["ok"].any()
    return [t for t, ok in passed.items() if not ok]


def not_final(posterior_card: pd.DataFrame) -> list[str]:
    """Hypotheses whose posterior comes from an earlier generation than the final one (none of
    their proposals was accepted in it)."""
    if "final" not in posterior_card:
        return []
    return list(posterior_card.loc[~posterior_card["final"].astype(bool), "hypothesis"].unique())


def verdict(models: pd.DataFrame | None, runs: list[dict] | None, file_card: pd.DataFrame,
            posterior_card: pd.DataFrame | None, decomposition: pd.DataFrame | None, *,
            recovery: dict | None = None, choice: dict | None = None, history: pd.DataFrame | None = None,
            life_course: pd.DataFrame | None = None) -> list[str]:
    """Sentences: the favoured hypothesis (ABC random forest, behind the fit gate) with its
    probability, prior error and floor; the ABC-SMC's probabilities where they are quotable;
    its fit at its posterior, the targets no hypothesis reaches, and what explains its variance.

    models : hypothesis, probability, se (MC error of the mean), sd (over seeds) or None without ABC
    (posterior_models.csv)
    runs : per-seed convergence records (`summary.json` abc.runs)
    file_card, posterior_card : scorecards at the files' values and at the posterior medians
    decomposition : hypothesis, at, cause, share (see `brainsim.decomposition`)
    recovery : summary.json's `recovery` (see `brainsim.assessment.recover`), or None
    choice : summary.json's `model_choice` (see `brainsim.modelchoice.choose`), or None
    history : the ABC-SMC's abc_history.csv (per seed); without it the SMC's final
        probabilities are quoted as they are
    life_course : the Wilson effect beside the targets (`brainsim.lifecourse.wilson_check`), or None
    """
    lines, name = [], None
    if choice is not None:
        lines, name = choice_lines(choice)
    card = file_card
    if models is not None and len(models):
        smc, smc_name = smc_lines(models, runs, history)
        ran = list(models["hypothesis"])
        if choice is not None and len(ran) < file_card["hypothesis"].nunique():
            which = f"{len(ran)} most-voted hypothes{'i' if len(ran) == 1 else 'e'}s ({', '.join(ran)}; abc.top)"
            smc.insert(0, f"The ABC-SMC ran on the forest's {which} for their parameter posteriors and fit checks; "
                          "its model probabilities compare these only.")
        lines += smc
        name = name or smc_name
        if posterior_card is not None and len(posterior_card):
            card = posterior_card
            mine = posterior_card[posterior_card["hypothesis"] == name]
            if len(mine):
                lines.append(f"At its posterior median {name} passes {int(mine['passed'].sum())} of {len(mine)} "
                             f"targets (RMS z {total_distance(mine):.2f}).")
    if name is None:
        ranked = file_card.groupby("hypothesis", sort=False).apply(total_distance, include_groups=False)
        name = str(ranked.idxmin())
        lines.append(f"Without model choice, {name} is closest at its file's values (RMS z {ranked.min():.2f}).")
    if recovery is not None:
        lines += recovery_lines(recovery, name, rejection=choice is None)
    best_fit = card.groupby("hypothesis", sort=False).apply(total_distance, include_groups=False).min()
    if best_fit > FITS_RMS_Z:
        lines.append(f"No hypothesis fits: the best RMS z is {best_fit:.2f} (> {FITS_RMS_Z:g}). Model "
                     "probabilities sum to 1 regardless; they rank the least wrong, not a right one.")
    missed = unreached(card)
    where = "at their posteriors" if card is not file_card else "at their files' values"
    lines.append("Targets no hypothesis reaches " + where + ": " + (", ".join(missed) if missed else "none") + ".")
    if life_course is not None and len(life_course):
        lines.append(wilson_line(life_course))
    if decomposition is not None and len(decomposition):
        mine = decomposition[decomposition["hypothesis"] == name]
        at = "posterior" if (mine["at"] == "posterior").any() else "file"
        shares = mine[mine["at"] == at].set_index("cause")["share"]
        order = [c for c in [*CAUSES, ITEM_SAMPLING, REMAINDER] if c in shares.index]
        top = sorted(order, key=lambda c: -abs(shares[c]))[:3]
        lines.append(f"What explains IQ variance under {name} (at its {at} values): "
                     + ", ".join(f"{c} {shares[c]:.0%}" for c in top) + ".")
    return lines


def wilson_line(checks: pd.DataFrame) -> str:
    """The Wilson effect beside the targets: each checked hypothesis's rise of twin h² from 9
    to 17 (at its posterior median or files' values) against the observed one, and who
    reproduces it (|z| <= 2)."""
    first = checks.iloc[0]
    places = {"posterior": "posterior median", "file": "files' values"}
    mixed = checks["at"].nunique() > 1
    items = []
    for r in checks.itertuples():
        value = f"{round(r.rise, 2) + 0.0:+.2f}" if np.isfinite(r.rise) else "undefined"
        items.append(f"{r.hypothesis} {value}" + (f" (at its {places.get(r.at, r.at)})" if mixed else ""))
    at = "as checked" if mixed else ("at their posterior medians" if first["at"] == "posterior"
                                     else "at their files' values")
    good = list(checks.loc[checks["reproduced"].astype(bool), "hypothesis"])
    if good:
        end = f"Reproduced by {', '.join(good)}."
    elif checks["rise"].isna().all():
        end = "Undefined for every checked hypothesis (a twin correlation could not be computed)."
    else:
        end = "No checked hypothesis reproduces it."
    cite = str(first.get("source", "")).split(" (")[0]
    return (f"Beside the targets (not scored), the Wilson effect: twin h² of IQ rises from 9 to 17 by "
            f"{first['observed']:.2f} ± {first['tolerance']:.2f}{f' ({cite})' if cite else ''}; {at}: "
            f"{', '.join(items)}. {end}")


def choice_lines(choice: dict) -> tuple[list[str], str]:
    """The ABC random forest's answer behind the fit gate, and the hypothesis the rest of the
    verdict describes (at "outside": the one whose simulations come nearest)."""
    gate, rows = choice["gate"], choice["rows"]
    err = (f"prior error rate {choice['prior_error']:.2f} ± {choice['prior_error_se']:.2f} (out-of-bag, "
           f"{rows} prior-predictive simulations)")
    if gate["status"] == OUTSIDE:
        name = gate["best_hypothesis"] or choice["chosen"]
        why = ("beyond every hypothesis's simulated range: " + ", ".join(gate["unreached"]) if gate["unreached"]
               else "jointly farther from every simulation than any simulation is from its neighbours")
        return [f"No hypothesis can be chosen: the observed targets lie outside what every hypothesis simulates "
                f"({why}). "
                f"No single-hypothesis probability is quoted; the nearest in the joint distance is {name} "
                f"(typicality p = {gate['best_p_value']:.3f}); the table's {err}."], name
    name, p, v = choice["chosen"], choice["probability"], choice["votes"][choice["chosen"]]
    lines = [f"The data favour {name}: posterior probability {p:.2f} by ABC random forest ({v:.0%} of "
             f"{choice['trees']} trees vote for it); {err}."]
    if "runner_up" in choice:
        lines.append(_runner_up(choice, name))
    if "floor" in choice:
        f = choice["floor"]
        lines.append(f"The statistics' floor (best held-out learner) is {f['best_error']:.2f} ± "
                     f"{f['boosting_error_se']:.2f}, so the forest's excess error is {choice['excess']:.2f}; the "
                     f"asymptotic Cover–Hart bound on the Bayes error is {f['bayes_lower']:.2f}.")
    cal = choice["reliability"]
    calibrated = cal["ece_p_value"] > 0.05
    lines.append(f"Its posterior probabilities are {'' if calibrated else 'NOT '}calibrated out of bag: mean "
                 f"{choice['mean_probability']:.2f} against {choice['share_right']:.2f} of choices right; ECE "
                 f"{cal['ece']:.3f} ± {cal['ece_se']:.3f} (a calibrated predictor of this size: "
                 f"{cal['ece_null_mean']:.3f}).")
    if gate["status"] == INSIDE:
        lines.append(f"Fit gate: inside. The observed targets are typical of {gate['best_hypothesis']}'s simulations "
                     f"(joint typicality p = {gate['best_p_value']:.2f}) and every statistic lies within the "
                     f"hypotheses' prior predictives.")
    if gate["status"] == EDGE:
        where = ("statistics in the outer tails of every hypothesis: " + ", ".join(gate["edge"]) if gate["edge"]
                 else f"no hypothesis's simulations make them typical (best joint p = {gate['best_p_value']:.3f}, "
                      f"{gate['best_hypothesis']})")
        learners = choice.get("learners", {})
        said = ", ".join(f"{k.replace('_', ' ')} {v.get(name, 0.0):.2f}" for k, v in learners.items())
        lines.append(f"Caution: the observed targets lie at the edge of the prior predictives ({where}); there, "
                     f"learners of equal quality disagree. Support for {name}: {said}.")
    if choice.get("halves"):
        lines.append(_halves(choice["halves"], name))
    for q, g in choice.get("groups", {}).items():
        lines.append(f"Grouped question {q}: {g['chosen']} ({', '.join(g['groups'][g['chosen']])}), posterior "
                     f"probability {g['probability']:.2f}; prior error rate {g['prior_error']:.2f} ± "
                     f"{g['prior_error_se']:.2f}."
                     + (f" Its votes do not separate the groups: a lead of {g['vote_margin']:.3f}, within twice its "
                        f"Monte-Carlo SE {g['vote_margin_se']:.3f}." if _tied(g) else "")
                     + (" " + _halves(g["halves"], g["chosen"]) if g.get("halves") else "")
                     + (f" Not in this run, so left out: {', '.join(g['absent'])}." if g.get("absent") else ""))
    if choice.get("confused"):
        pairs = ", ".join(f"{t} as {c} ({q:.2f})" for t, c, q in choice["confused"][:6])
        lines.append(f"The targets do not tell these apart (true taken as another in ≥ 20% of cases, out of bag): "
                     f"{pairs}.")
    return lines, name


def _tied(choice: dict) -> bool:
    """Whether the leader's lead in the trees' votes is within twice the forest's own
    Monte-Carlo SE (`brainsim.modelchoice.vote_margin`): a tie its seed decides."""
    return "vote_margin" in choice and choice["vote_margin"] < 2.0 * choice["vote_margin_se"]


def _runner_up(choice: dict, name: str) -> str:
    """The runner-up in the trees' votes, and whether the lead is beyond the forest's own
    Monte-Carlo error (twice its SE)."""
    other, lead, se = choice["runner_up"], choice["vote_margin"], choice["vote_margin_se"]
    v, w = choice["votes"][name], choice["votes"][other]
    if _tied(choice):
        return (f"The votes do not separate {name} from {other} ({v:.1%} against {w:.1%}: a lead of {lead:.3f}, "
                f"within twice its Monte-Carlo SE {se:.3f}): which of the two is named depends on the forest's "
                f"random seed. More trees (model_choice.trees) shrink that error; a larger table may favour either.")
    return (f"Runner-up: {other} ({w:.0%} of the votes); the lead, {lead:.2f} ± {se:.2f}, is beyond the forest's "
            f"Monte-Carlo error.")


def _halves(halves: list[dict], chosen: str) -> str:
    """Whether two disjoint halves of the table give the same answer as the whole."""
    said = " and ".join(f"{h['chosen']} ({h['probability']:.2f})" for h in halves)
    picks = {h["chosen"] for h in halves}
    if picks == {chosen}:
        return (f"Each half of the table alone chooses {said}: the same answer, so it is not noise at this table "
                "size; a larger table can still move it (recovery.per_hypothesis; experiments/table_size.py "
                "measures how far).")
    unstable = ("so the choice is not stable at this table size (a larger table, recovery.per_hypothesis, may "
                "settle it, or the targets may not tell).")
    if len(picks) == 1:
        return f"Each half of the table alone chooses {said}, not {chosen} as the whole table does: {unstable}"
    return f"Each half of the table alone chooses {said}: the halves disagree, {unstable}"


def smc_lines(models: pd.DataFrame, runs: list[dict] | None, history: pd.DataFrame | None
              ) -> tuple[list[str], str | None]:
    """The ABC-SMC's model probabilities, quoted only at an epsilon where every contender has
    enough accepted proposals (with `history`), and its convergence; the hypothesis it
    favours, or None where it is not quoted."""
    lines = []
    best = models.sort_values("probability", ascending=False).iloc[0]
    name = str(best.hypothesis)
    if history is not None and len(history):
        q = quotable_smc(history)
        if q["generation"] is None:
            got = ", ".join(f"{h} {n}" for h, n in sorted(q["accepted"].items(), key=lambda kv: -kv[1])[:3])
            lines.append(f"The ABC-SMC's model probabilities are not quoted: no generation has {q['min_accepted']} "
                         f"accepted proposals for every contender (pooled over {q['seeds']} seed(s); final "
                         f"generation: {got}). It gives the parameter posteriors below.")
            name = None
        else:
            top = sorted(q["probabilities"].items(), key=lambda kv: -kv[1][0])
            name = top[0][0]
            lines.append(f"ABC-SMC at epsilon {q['epsilon']:.2f} (every contender ≥ {q['min_accepted']} accepted, "
                         f"{q['seeds']} seed(s)): " + ", ".join(f"{h} {p:.2f} ± {s:.2f}" for h, (p, s) in top[:3])
                         + ".")
    else:
        se = best.get("se", float("nan"))
        err = f" ± {se:.2f}" if pd.notna(se) else ""
        spread = f"; SD over seeds {best.sd:.2f}" if pd.notna(best.sd) else ""
        lines.append(f"The data favour {name}: posterior probability {best.probability:.2f}{err} "
                     f"(mean over {len(runs or [])} ABC seeds ± its Monte-Carlo standard error{spread}).")
        if pd.notna(best.sd) and best.sd > MAX_SEED_SD:
            lines.append(f"The seeds disagree (SD {best.sd:.2f} > {MAX_SEED_SD:g}): at this budget no hypothesis "
                         "is favoured with confidence.")
        elif pd.notna(se) and se > MAX_SEED_SD:
            lines.append(f"Its Monte-Carlo error is large ({se:.2f} > {MAX_SEED_SD:g}): at this budget no hypothesis "
                         "is favoured with confidence.")
        if runs is not None and len(runs) == 1:
            lines.append("One ABC seed: its standard error cannot see parameter regions the sampler never found, "
                         "and seeds have been seen to disagree far beyond it; check with abc.repeats=3 "
                         "(or +experiment=which_hypothesis).")
    if runs and not all(r["converged"] for r in runs):
        bad = [str(r["seed"]) for r in runs if not r["converged"]]
        lines.append(f"Caution: ABC did not converge for seed(s) {', '.join(bad)} (stopped by a ceiling); "
                     "these probabilities may still reflect the prior.")
    elif runs:
        eps = max(r["epsilon"] for r in runs)
        lines.append(f"ABC converged on every seed (final epsilon ≤ {eps:.2f} RMS z).")
    return lines, name


def recovery_lines(rec: dict, chosen: str, *, rejection: bool = True) -> list[str]:
    """How far the choice can be trusted: recovery at this budget by leave-one-out rejection
    and its calibration (with `rejection`: when it made the choice), reachability, absolute fit."""
    lines = _recovery_of_choice(rec, chosen) if rejection and len(rec["recovery"]) > 1 else []
    q = rec.get("observed_epsilon_quantile")
    if rejection and q is not None and q > 0.95:
        lines.append(f"The observed targets lie at the edge of every prior predictive: their {rec['neighbours']}-th "
                     f"nearest simulation is at RMS z {rec['observed_epsilon']:.2f}, farther than for {q:.0%} of the "
                     f"simulations themselves.")
    reach = rec.get("reachability") or {}
    if reach.get("unreached"):
        lines.append("No hypothesis's prior predictive reaches " + ", ".join(reach["unreached"]) + ".")
    if reach.get("reached_by_one"):
        lines.append("Reached by one hypothesis only (evidence, or how the model is built: see the reachability "
                     "table): " + ", ".join(f"{t} ({h})" for t, h in reach["reached_by_one"].items()) + ".")
    fits = rec.get("fit") or {}
    if fits:
        good = [h for h, f in fits.items() if f["fits"]]
        bad = "; ".join(f"{h} misses {', '.join(f['failed'])}" for h, f in fits.items() if not f["fits"])
        if not good:
            lines.append(f"No checked hypothesis reproduces every target (posterior predictive, family-wise 5%): "
                         f"{bad}.")
        else:
            lines.append(f"Posterior predictive (family-wise 5%): {', '.join(good)} reproduce(s) every target"
                         + (f"; {bad}" if bad else "") + ".")
    return lines


def _recovery_of_choice(rec: dict, chosen: str) -> list[str]:
    p, se = rec["recovery"].get(chosen, [float("nan"), float("nan")])
    cal = rec["calibration"]
    lines = [f"Recovery at this budget ({rec['table_rows']} prior-predictive simulations, leave-one-out rejection "
             f"with {rec['neighbours']} neighbours): when {chosen} is true it is picked in {p:.2f} ± {se:.2f} of "
             f"cases, any hypothesis in {rec['recovery_mean']:.2f} ± {rec['recovery_mean_se']:.2f} on average; "
             f"near the observed targets P(the choice is wrong) = {rec['local_error']:.2f} ± "
             f"{rec['local_error_se']:.2f} (prior error rate {rec['prior_error']:.2f} ± {rec['prior_error_se']:.2f})."]
    at_obs = rec.get("chosen_at_observed")
    if at_obs and at_obs != chosen:
        lines.append(f"Rejection on the reference table at the observed targets favours {at_obs} "
                     f"({rec['rejection_probabilities'][at_obs]:.2f}), not {chosen} "
                     f"({rec['rejection_probabilities'].get(chosen, 0.0):.2f}): the table is coarser than the ABC, "
                     f"so treat the choice as unsettled.")
    if rec["confused"]:
        pairs = ", ".join(f"{t} as {c} ({q:.2f})" for t, c, q in rec["confused"][:6])
        lines.append(f"The targets do not tell these apart (true taken as another in ≥ 20% of cases): {pairs}.")
    calibrated = cal["ece_p_value"] > 0.05
    lines.append(f"Model probabilities are {'' if calibrated else 'NOT '}calibrated: ECE {cal['ece']:.3f} ± "
                 f"{cal['ece_se']:.3f} against {cal['ece_null_mean']:.3f} (95% below {cal['ece_null_q95']:.3f}) for "
                 f"a calibrated predictor of this size"
                 + ("." if calibrated else f"; the excess is {cal['ece'] - cal['ece_null_mean']:.3f}."))
    return lines

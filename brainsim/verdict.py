"""The run's answer in a few sentences, written from its numbers (stdout and report.html)."""

from __future__ import annotations

import pandas as pd

from .decomposition import CAUSES, ITEM_SAMPLING, REMAINDER
from .targets import PASS_Z, total_distance

__all__ = ["FITS_RMS_Z", "MAX_SEED_SD", "not_final", "recovery_lines", "unreached", "verdict"]

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
            recovery: dict | None = None) -> list[str]:
    """Sentences: the favoured hypothesis with its probability and MC error, convergence, its
    fit at its posterior, the targets no hypothesis reaches, and what explains its variance.

    models : hypothesis, probability, se (MC error of the mean), sd (over seeds) or None without ABC
    (posterior_models.csv)
    runs : per-seed convergence records (`summary.json` abc.runs)
    file_card, posterior_card : scorecards at the files' values and at the posterior medians
    decomposition : hypothesis, at, cause, share (see `brainsim.decomposition`)
    recovery : summary.json's `recovery` (see `brainsim.assessment.recover`), or None
    """
    lines = []
    card = file_card
    if models is not None and len(models):
        best = models.sort_values("probability", ascending=False).iloc[0]
        name = str(best.hypothesis)
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
        if posterior_card is not None and len(posterior_card):
            card = posterior_card
            mine = posterior_card[posterior_card["hypothesis"] == name]
            if len(mine):
                lines.append(f"At its posterior median it passes {int(mine['passed'].sum())} of {len(mine)} "
                             f"targets (RMS z {total_distance(mine):.2f}).")
    else:
        ranked = file_card.groupby("hypothesis", sort=False).apply(total_distance, include_groups=False)
        name = str(ranked.idxmin())
        lines.append(f"Without ABC, {name} is closest at its file's values (RMS z {ranked.min():.2f}).")
    if recovery is not None:
        lines += recovery_lines(recovery, name)
    best_fit = card.groupby("hypothesis", sort=False).apply(total_distance, include_groups=False).min()
    if best_fit > FITS_RMS_Z:
        lines.append(f"No hypothesis fits: the best RMS z is {best_fit:.2f} (> {FITS_RMS_Z:g}). Model "
                     "probabilities sum to 1 regardless; they rank the least wrong, not a right one.")
    missed = unreached(card)
    where = "at their posteriors" if card is not file_card else "at their files' values"
    lines.append("Targets no hypothesis reaches " + where + ": " + (", ".join(missed) if missed else "none") + ".")
    if decomposition is not None and len(decomposition):
        mine = decomposition[decomposition["hypothesis"] == name]
        at = "posterior" if (mine["at"] == "posterior").any() else "file"
        shares = mine[mine["at"] == at].set_index("cause")["share"]
        order = [c for c in [*CAUSES, ITEM_SAMPLING, REMAINDER] if c in shares.index]
        top = sorted(order, key=lambda c: -abs(shares[c]))[:3]
        lines.append(f"What explains IQ variance under {name} (at its {at} values): "
                     + ", ".join(f"{c} {shares[c]:.0%}" for c in top) + ".")
    return lines


def recovery_lines(rec: dict, chosen: str) -> list[str]:
    """How far the choice can be trusted: recovery at this budget, calibration, absolute fit."""
    lines = _recovery_of_choice(rec, chosen) if len(rec["recovery"]) > 1 else []  # one: nothing to confuse
    q = rec.get("observed_epsilon_quantile")
    if q is not None and q > 0.95:
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

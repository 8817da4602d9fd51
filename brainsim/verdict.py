"""The run's answer in a few sentences, written from its numbers (stdout and report.html)."""

from __future__ import annotations

import pandas as pd

from .decomposition import CAUSES, ITEM_SAMPLING, REMAINDER
from .targets import PASS_Z, total_distance

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
            posterior_card: pd.DataFrame | None, decomposition: pd.DataFrame | None) -> list[str]:
    """Sentences: the favoured hypothesis with its probability and MC error, convergence, its
    fit at its posterior, the targets no hypothesis reaches, and what explains its variance.

    models : hypothesis, probability, se (MC error of the mean), sd (over seeds) or None without ABC
    (posterior_models.csv)
    runs : per-seed convergence records (`summary.json` abc.runs)
    file_card, posterior_card : scorecards at the files' values and at the posterior medians
    decomposition : hypothesis, at, cause, share (see `brainsim.decomposition`)
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

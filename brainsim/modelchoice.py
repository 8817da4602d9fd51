"""The model-choice stage of a run: ABC random forests on the reference table (`brainsim.forest`),
the fit gate (`brainsim.gate`), the statistics' own error floor, and the grouped questions
declared in config; what summary.json keeps and the frames written as CSV.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .forest import fit_forest, floor, group_labels
from .gate import fit_gate, joint_typicality
from .assessment import CONFUSED
from .recovery import calibration, prior_predictive_position, statistics_matrix
from .summaries import missing_charges

__all__ = ["choose", "grouped_questions", "most_voted", "vote_margin"]


def grouped_questions(groups: Mapping[str, Mapping[str, tuple]], names: list[str]) -> dict[str, dict]:
    """Each declared question restricted to the run's hypotheses; questions left with fewer
    than two non-empty groups are dropped (a run of one family cannot answer them)."""
    out = {}
    for q, parts in groups.items():
        kept = {g: [h for h in members if h in names] for g, members in parts.items()}
        kept = {g: v for g, v in kept.items() if v}
        if len(kept) >= 2:
            out[q] = kept
    return out


def most_voted(choice: Mapping | None, names: list[str], top: int) -> list[str]:
    """The `top` hypotheses with most forest votes at the observed point, in `names`' order
    (ties: the earlier name); every name when `top` is 0, covers them all, or there is no
    model choice (`choice` None)."""
    if choice is None or top == 0 or top >= len(names):
        return list(names)
    votes = choice["votes"]
    ranked = sorted(range(len(names)), key=lambda i: (-votes.get(names[i], 0.0), i))
    keep = set(ranked[:top])
    return [n for i, n in enumerate(names) if i in keep]


def vote_margin(votes: Mapping[str, float], trees: int) -> dict:
    """The leader's lead over the runner-up in the trees' votes (shares of `trees`) and its
    Monte-Carlo SE: given the table, each tree's hard vote is an independent draw, so the
    counts are multinomial and Var(v1 - v2) = (v1 + v2 - (v1 - v2)^2) / trees. It is the
    forest's own randomness (more trees shrink it), not the table's sampling error."""
    (_, first), (runner_up, second) = sorted(votes.items(), key=lambda kv: -kv[1])[:2]
    lead = first - second
    return {"runner_up": runner_up, "vote_margin": lead,
            "vote_margin_se": float(np.sqrt(max(first + second - lead * lead, 0.0) / trees))}


def _forest_answer(stats, labels, names, observed, settings, seed, workers) -> tuple[dict, object, pd.DataFrame]:
    forest = fit_forest(stats, labels, names, trees=settings.trees, regression_trees=settings.posterior_trees,
                        lda=settings.lda, seed=seed, workers=workers)
    at = forest.predict(observed[None]).iloc[0]
    err, se = forest.prior_error
    answer = {"chosen": str(at["chosen"]), "probability": float(at["probability"]),
              "votes": {n: float(at[f"votes:{n}"]) for n in names}, "prior_error": err, "prior_error_se": se,
              "rows": int(labels.size)}
    answer |= vote_margin(answer["votes"], settings.trees)
    return answer, forest, forest.confusion()


def choose(settings, table: pd.DataFrame, names: list[str], statistics: list[str], observed: np.ndarray,
           tolerance: np.ndarray, *, seed: int, missing_z: float, resamples: int,
           rejection: Mapping[str, float] | None = None, workers: int = -1) -> tuple[dict, dict[str, pd.DataFrame]]:
    """ABC-RF model choice on `table` at the `observed` statistics, gated by the fit gate.

    Returns the summary (chosen, its posterior probability, votes, OOB prior error ± SE, the
    floor and the excess over it, the gate, the grouped questions, the reliability of the
    posterior probability; with `settings.halves` the same answers from each of two disjoint
    halves of the table, the check that the table is large enough) and frames:
    ``model_choice`` (per hypothesis, at the observed point: votes, the learners'
    probabilities, OOB class error, joint typicality),
    ``model_choice_confusion``, ``model_choice_trees``, ``model_choice_reliability``,
    ``model_choice_groups`` and ``fit_gate`` (per hypothesis and statistic).
    """
    stats = statistics_matrix(table, statistics)
    labels = pd.Categorical(table["hypothesis"], categories=names).codes.astype(np.int64)
    answer, forest, conf = _forest_answer(stats, labels, names, observed, settings, seed, workers)
    share = conf[list(names)].to_numpy(float) / np.maximum(conf[list(names)].to_numpy().sum(axis=1, keepdims=True), 1)
    answer["confused"] = [[names[i], names[j], float(share[i, j])] for i in range(len(names))
                          for j in range(len(names)) if i != j and share[i, j] >= CONFUSED]
    right = forest.oob_choice == labels
    p = forest.oob_probability
    reliability, scores = calibration(np.c_[p, 1.0 - p], (~right).astype(np.int64), ["right", "wrong"],
                                      resamples=resamples, seed=seed)
    answer["reliability"] = scores
    answer["mean_probability"], answer["share_right"] = float(p.mean()), float(right.mean())
    answer["trees"], answer["posterior_trees"] = settings.trees, settings.posterior_trees
    learners = {"forest_votes": answer["votes"]}
    if rejection:
        learners["rejection"] = {h: float(v) for h, v in rejection.items()}
    if settings.floor:
        best = floor(stats, labels, seed=seed, query=observed[None])
        learners["boosting"] = dict(zip(names, map(float, best.pop("query_probabilities")[0])))
        best["best_error"] = min(best["boosting_error"], answer["prior_error"])
        answer["floor"] = best
        answer["excess"] = answer["prior_error"] - best["best_error"]
    answer["learners"] = learners
    position = prior_predictive_position(table, dict(zip(statistics, observed)))
    joint = joint_typicality(stats, labels, names, observed, tolerance, k=settings.gate_neighbours,
                             missing_z=missing_charges(statistics, missing_z))
    answer["gate"] = fit_gate(position, joint, level=settings.gate_level)
    half = (table["row"].to_numpy() // len(names)) % 2  # two disjoint halves, each balanced
    if settings.halves:
        answer["halves"] = [_forest_answer(stats[half == h], labels[half == h], names, observed, settings, seed + 2 + h,
                                           workers)[0] for h in (0, 1)]
    groups, group_rows = {}, []
    for q, parts in grouped_questions(settings.groups, names).items():
        glabels, gnames, keep = group_labels(labels, names, parts)
        got, _, _ = _forest_answer(stats[keep], glabels, gnames, observed, settings, seed + 1, workers)
        got["groups"] = parts
        got["absent"] = sorted({h for members in settings.groups[q].values() for h in members} - set(names))
        if settings.halves:
            got["halves"] = []
            for h in (0, 1):
                mine = keep & (half == h)
                g_h, _, _ = group_labels(labels[mine], names, parts)
                got["halves"].append(_forest_answer(stats[mine], g_h, gnames, observed, settings, seed + 4 + h,
                                                    workers)[0])
        groups[q] = got
        group_rows += [{"question": q, "group": g, "hypotheses": " ".join(parts[g]), "votes": got["votes"][g],
                        "chosen": g == got["chosen"], "probability": got["probability"] if g == got["chosen"] else
                        np.nan, "prior_error": got["prior_error"], "prior_error_se": got["prior_error_se"]}
                       for g in gnames]
    answer["groups"] = groups
    per = pd.DataFrame({"hypothesis": names, "votes": [answer["votes"][h] for h in names],
                        "chosen": [h == answer["chosen"] for h in names],
                        "oob_class_error": conf["error"].to_numpy()})
    for learner in ("rejection", "boosting"):
        if learner in learners:
            per[f"{learner}_probability"] = [learners[learner].get(h, np.nan) for h in names]
    per = per.merge(joint.rename(columns={"distance": "typicality_distance", "p_value": "typicality_p"}),
                    on="hypothesis", how="left")
    frames = {"model_choice": per, "model_choice_confusion": conf.reset_index(),
              "model_choice_trees": forest.curve, "model_choice_reliability": reliability,
              "model_choice_groups": pd.DataFrame(group_rows), "fit_gate": position}
    return answer, frames

"""Plain-text renderings of a comparison for the terminal (what `brainsim` prints)."""

from __future__ import annotations

import pandas as pd

from .decomposition import wide as decomposition_wide
from .tables import quotable_smc
from .verdict import not_final

__all__ = ["abc_text", "ranking_text", "recovery_text", "text", "z_table"]


def ranking_text(ranked: pd.DataFrame) -> str:
    lines = ["ranking (total distance = RMS z over targets; lower is better):"]
    for i, r in enumerate(ranked.itertuples(), 1):
        lines.append(f"{i:>3}. {r.hypothesis:<22} distance {r.distance:6.2f}   passed {r.passed}/{r.targets}"
                     + (f"   ({r.targets - r.computed} not computable)" if r.computed < r.targets else ""))
    return "\n".join(lines)


def z_table(card: pd.DataFrame) -> str:
    """A scorecard's z as targets x hypotheses."""
    return card.pivot_table(index="target", columns="hypothesis", values="z", sort=False).round(2).to_string()


def abc_text(abc: dict, models: pd.DataFrame, history: pd.DataFrame | None = None) -> str:
    """The ABC's model probabilities over seeds and each seed's convergence. With its
    `history`, the probabilities only where the verdict may quote them (`quotable_smc`):
    otherwise the final generation's accepted proposals, which decided them."""
    q = quotable_smc(history) if history is not None and len(history) else None
    if q is not None and q["generation"] is None:
        lines = [f"\nABC-SMC ({abc['simulations']} simulations): parameter posteriors only. Its model probabilities "
                 f"are not shown: no generation has {q['min_accepted']} accepted proposals for every contender "
                 f"(pooled over {q['seeds']} seed(s)). Accepted in the final generation:"]
        for h, k in sorted(q["accepted"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {h:<22} {k:6d}")
    elif q is not None:
        lines = [f"\nABC-SMC model probabilities at epsilon {q['epsilon']:.3g}, generation {q['generation'] + 1}, the "
                 f"last where every contender has ≥ {q['min_accepted']} accepted proposals (pooled over {q['seeds']} "
                 f"seed(s) ± SE; {abc['simulations']} simulations):"]
        for h, (p, se) in sorted(q["probabilities"].items(), key=lambda kv: -kv[1][0]):
            lines.append(f"  {h:<22} {p:6.3f} ± {se:.3f}   accepted {q['accepted'][h]}")
    else:
        lines = [f"\nABC posterior model probabilities at epsilon {abc['epsilon']:.3g} (mean over {len(abc['runs'])} "
                 f"seeds ± its MC standard error; SD over seeds; {abc['simulations']} simulations):"]
        for r in models.sort_values("probability", ascending=False).itertuples():
            lines.append(f"  {r.hypothesis:<22} {r.probability:6.3f} ± {r.se:.3f}   SD {r.sd:.3f}")
    if abc.get("hypotheses") is not None:  # the model choice's most voted (abc.top), or every hypothesis
        lines[0] += "\n  on " + ", ".join(abc["hypotheses"])
    for run in abc["runs"]:
        flag = "converged" if run["converged"] else "DID NOT CONVERGE"
        lines.append(f"  seed {run['seed']}: {flag} ({run['reason']}) after {run['generations']} generations: "
                     f"epsilon {run['epsilon']:.3g}, acceptance {run['acceptance']:.3f}, {run['simulations']} "
                     f"simulations")
    return "\n".join(lines)


def recovery_text(summary: dict) -> str:
    """Model recovery and calibration at this run's budget."""
    cal = summary["calibration"]
    lines = [f"\nmodel recovery (leave-one-out rejection on {summary['table_rows']} prior-predictive simulations, "
             f"{summary['neighbours']} neighbours, median epsilon {summary['rejection_epsilon']:.2f}):"]
    for name, (p, se) in summary["recovery"].items():
        lines.append(f"  P(choose {name:<22} | it is true) = {p:.2f} ± {se:.2f}")
    lines.append(
        f"  the observed targets' {summary['neighbours']}-th nearest simulation: RMS z "
        f"{summary['observed_epsilon']:.2f} (farther than for {summary['observed_epsilon_quantile']:.0%} of the "
        f"simulations); rejection there: " + ", ".join(
            f"{h} {p:.2f}" for h, p in sorted(summary["rejection_probabilities"].items(), key=lambda kv: -kv[1])[:3]))
    lines.append(f"  prior error rate {summary['prior_error']:.3f} ± {summary['prior_error_se']:.3f}; near the "
                 f"observed targets ({summary['local_rows']} rows) {summary['local_error']:.3f} ± "
                 f"{summary['local_error_se']:.3f}")
    lines.append(f"  calibration: ECE {cal['ece']:.3f} ± {cal['ece_se']:.3f} (calibrated at this size: mean "
                 f"{cal['ece_null_mean']:.3f}, 95% below {cal['ece_null_q95']:.3f}; p = {cal['ece_p_value']:.3f}), "
                 f"Brier {cal['brier']:.3f} ± {cal['brier_se']:.3f}, log score {cal['log_score']:.3f} ± "
                 f"{cal['log_score_se']:.3f}")
    return "\n".join(lines)


def text(result) -> str:
    """Everything `brainsim` prints about a `brainsim.comparison.Comparison`, verdict first
    after the ABC and recovery blocks."""
    parts = []
    if result.abc:
        parts.append(abc_text(result.abc, result.posterior_models, result.abc_history))
    if result.recovery:
        parts.append(recovery_text(result.recovery))
    parts.append("\nVERDICT\n" + "\n".join(f"  {line}" for line in result.verdict) + "\n")
    parts.append(ranking_text(result.ranking))
    parts.append("\nz = (simulated - observed) / tolerance; |z| <= 2 passes\n" + z_table(result.scorecard))
    if result.posterior_scorecard is not None:
        parts.append("\nz at each hypothesis's posterior median (scorecard_posterior.csv)\n"
                     + z_table(result.posterior_scorecard))
        dead = not_final(result.posterior_scorecard)
        if dead:
            parts.append(f"  no proposal accepted in the final generation, so taken at the last generation that "
                         f"accepted one: {', '.join(dead)}")
    parts.append("\nshare of IQ variance per cause (decomposition.csv; causes switched off one at a time)\n"
                 + decomposition_wide(result.decomposition).round(3).to_string())
    life = result.life_course
    if life is not None and len(life):
        parts.append("\nthe Wilson effect beside the targets, not scored (life_course.csv): twin h² by age\n"
                     + life.set_index("hypothesis")[["at", "h2_9", "h2_17", "rise", "observed", "z"]]
                     .round(3).to_string())
    parts.append("\nsub-models in range (input check and battery range; flagged: outside it)\n"
                 + result.diagnostics.to_string())
    parts.append("\nthe paradox, per hypothesis: latent capability vs observed IQ (see README)")
    parts.append(result.paradox_table.to_string())
    parts += [f"  {name}: {result.claims[name]}" for name in result.ranking["hypothesis"]]
    return "\n".join(parts)

"""The tables of a comparison, built from its results: the ranking, the paradox table, the
battery-range diagnostics, and the ABC's model probabilities and convergence over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .targets import total_distance

__all__ = ["MAX_FLOOR_SHARE", "MIN_DISTINCT_IQ", "PARADOX", "SMC_CONTENDER", "SMC_MIN_ACCEPTED", "convergence",
           "diagnostics", "model_table", "quotable_smc",
           "paradox_table", "ranking", "reliability_target"]

MAX_FLOOR_SHARE, MIN_DISTINCT_IQ = 0.01, 50  # a battery in its working range (see README)

PARADOX = {
    "r_brain_capability": "r(brain, capability)",
    "r_brain_iq": "r(brain, IQ)",
    "retest_r": "retest r",
    "objective_spread": "capability IQ130/IQ70",
    "iq_per_brain_sd": "IQ pts per brain SD",
    "h1_gamma": "H1 gamma needed",
    "h1_max_iq_per_brain_sd": "best any gamma",
    "volume_cv_needed": "brain CV needed",
    "essay_gamma": "gamma for tasks ∝ N",
}


def ranking(card: pd.DataFrame) -> pd.DataFrame:
    """Hypotheses ordered by total distance (RMS z over computed targets), best first."""
    rows = [{"hypothesis": h, "distance": total_distance(g), "passed": int(g["passed"].sum()),
             "computed": int(g["z"].notna().sum()), "targets": len(g)}
            for h, g in card.groupby("hypothesis", sort=False)]
    return pd.DataFrame(rows).sort_values(["distance", "hypothesis"], ignore_index=True)


def paradox_table(summaries: dict[str, dict], paradox: dict[str, dict]) -> pd.DataFrame:
    """How much of the law's signal survives into IQ, how large objective differences are,
    and what brain volume alone would need (see `brainsim.paradox`); one row per hypothesis."""
    rows = {h: {label: {**s, **paradox[h]}.get(k, np.nan) for k, label in PARADOX.items()} for h, s in summaries.items()}
    return pd.DataFrame(rows).T.round(3)


def diagnostics(stats: dict, model) -> dict:
    """Input check and battery range of one hypothesis's population (and what is off)."""
    out = {"brain_volume_cv": stats.get("brain_volume_cv"), "brain_volume_cv_input": model.population.volume_cv,
           **{k: stats.get(k) for k in ("share_at_floor", "share_at_ceiling", "distinct_iq_values")}}
    flags = []
    for key in ("share_at_floor", "share_at_ceiling"):
        if out[key] is not None and out[key] > MAX_FLOOR_SHARE:
            flags.append(f"{key} > {MAX_FLOOR_SHARE:g}")
    if out["distinct_iq_values"] is not None and out["distinct_iq_values"] < MIN_DISTINCT_IQ:
        flags.append(f"distinct IQ values < {MIN_DISTINCT_IQ}")
    out["flags"] = "; ".join(flags)
    return out


def reliability_target(targets) -> float:
    """The observed test-retest reliability, if a target gives it (else Wechsler 2008's 0.90)."""
    return next((t.value for t in targets if t.statistic == "retest_r"), 0.90)


def model_table(results: Sequence, seed: int) -> tuple[pd.DataFrame, float]:
    """Model probabilities of every seed at one epsilon, the loosest of the seeds' final ones
    (each seed's final proposals estimate the evidences at any epsilon), and their mean, its
    MC error from each run's own SE, and the SD over seeds (the check that those SEs are honest)."""
    from .inference import probabilities_at

    common = max(r.epsilon for r in results)
    at = [probabilities_at(r, common).set_index("hypothesis") for r in results]
    table = pd.concat([a["probability"].rename(f"seed_{seed + i}") for i, a in enumerate(at)], axis=1)
    se = np.sqrt(np.mean([a["se"].to_numpy() ** 2 for a in at], axis=0) / len(at))
    models = pd.DataFrame({"hypothesis": table.index, "probability": table.mean(axis=1).to_numpy(), "se": se,
                           "sd": table.std(axis=1, ddof=1).to_numpy() if len(at) > 1 else np.nan})
    return pd.concat([models, table.reset_index(drop=True)], axis=1), common


def convergence(results: Sequence, seed: int) -> list[dict]:
    """Per seed: whether ABC converged, why it stopped, final epsilon and acceptance rate."""
    from .inference import STOP_REASONS

    return [{"seed": seed + i, "converged": r.converged, "stop": r.stop, "reason": STOP_REASONS[r.stop],
             "generations": int(r.history["generation"].max()) + 1, "epsilon": r.epsilon,
             "acceptance": r.acceptance, "simulations": int(r.simulations)} for i, r in enumerate(results)]


SMC_MIN_ACCEPTED = 50  # accepted proposals per contender, pooled over seeds, before an SMC probability is quoted
SMC_CONTENDER = 0.05  # a hypothesis above this probability is a contender


def smc_curve(history: pd.DataFrame, *, min_accepted: int = SMC_MIN_ACCEPTED,
              contender: float = SMC_CONTENDER) -> pd.DataFrame:
    """The ABC-SMC's epsilon curve: per generation and hypothesis, the model probability
    pooled over seeds (epsilon: the loosest seed's), its between-seed SE (the runs' own SE for
    one seed), the accepted proposals summed over seeds, and whether the generation is
    quotable: every contender (mean probability above `contender`) has at least
    `min_accepted` accepted proposals."""
    seeds = history["seed"].nunique() if "seed" in history else 1
    pooled = history.groupby(["generation", "hypothesis"], sort=True).agg(
        epsilon=("epsilon", "max"), probability=("probability", "mean"), accepted=("accepted", "sum"),
        sd=("probability", "std"), se_run=("se", "mean")).reset_index()
    pooled["se"] = pooled["sd"] / np.sqrt(seeds) if seeds > 1 else pooled["se_run"]
    short = (pooled["probability"] > contender) & (pooled["accepted"] < min_accepted)
    pooled["quotable"] = ~short.groupby(pooled["generation"]).transform("any")
    pooled["seeds"] = int(seeds)
    return pooled.drop(columns=["sd", "se_run"])


def quotable_smc(history: pd.DataFrame, *, min_accepted: int = SMC_MIN_ACCEPTED,
                 contender: float = SMC_CONTENDER) -> dict:
    """The ABC-SMC's model probabilities on its epsilon curve (`smc_curve`) at the last
    quotable generation, with their SE. `generation` is None when no generation qualifies;
    `accepted` then gives the final generation's pooled counts."""
    pooled = smc_curve(history, min_accepted=min_accepted, contender=contender)
    seeds = int(pooled["seeds"].iloc[0])
    ok = sorted(set(pooled.loc[pooled["quotable"], "generation"]))
    last = pooled[pooled["generation"] == pooled["generation"].max()]
    if not ok:
        return {"generation": None, "min_accepted": min_accepted, "seeds": int(seeds),
                "accepted": dict(zip(last["hypothesis"], last["accepted"].astype(int).tolist()))}
    at = pooled[pooled["generation"] == max(ok)]
    return {"generation": int(max(ok)), "epsilon": float(at["epsilon"].max()), "min_accepted": min_accepted,
            "seeds": int(seeds), "probabilities": {h: [float(p), float(s)] for h, p, s in
                                                   zip(at["hypothesis"], at["probability"], at["se"])},
            "accepted": dict(zip(at["hypothesis"], at["accepted"].astype(int).tolist()))}

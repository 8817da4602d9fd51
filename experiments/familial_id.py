"""Does intellectual disability run in families as it does in Sweden? Relative risks of ID in
MZ and DZ co-twins of ID cases, and in DZ co-twins by the case's severity.

Lichtenstein et al. 2022 (J Child Psychol Psychiatry 63:1092, abstract, text; 4,165,785 people
born 1973-2013, 37,787 with ID): relatives' relative risk of ID, MZ twins 256.7 (161.3-408.5),
DZ twins 7.04 (4.67-10.61), full siblings 8.38 (7.97-8.83); siblings by the case's severity,
mild 9.15 (8.55-9.78), moderate 8.13 (7.28-9.08), severe 6.80 (5.74-8.07), profound 5.88
(4.52-7.65). A single Gaussian liability predicts the opposite trend (the more severe the case,
the higher the relatives' liability); de novo hits, which relatives do not share, predict it.

Simulated as measured, as far as the model allows:
- ID is the registry's prevalence, 37,787 / 4,165,785 = 0.91% (derived): the lowest 0.91% of
  the population's IQ, ties at the cut broken at random (IQ takes some 150 distinct values). How
  the registers define ID is not in the abstract (unconfirmed).
- The relative risk is P(co-twin has ID | case has ID) / P(co-twin has ID | twin has none),
  over both orders of each pair (a Cox model's risk ratio, for an outcome present by adulthood).
- Severity by the case's IQ in ICD-10's bands: mild 50-69 (here 50 up to the ID cut), moderate
  35-49. Severe (20-34) and profound (< 20) lie below the battery's floor (IQ about 40), so only
  the step from mild to moderate can be compared: 8.13 / 9.15 = 0.89 observed (95% CI about
  0.78-1.01, from the two CIs taken as independent: SE of its log 0.066).
- DZ twins stand in for siblings (the same genes shared; the model gives them the twins' shared
  environment, c², which siblings share less of).
Each population is `--replicates` independent seeds of `--n` people (half MZ, half DZ pairs);
the Monte-Carlo SE of each log risk ratio is the jackknife's over the replicates.

    python experiments/familial_id.py [--n 1000000] [--replicates 8] [--draws 0] [--hypotheses ...]

The numbers in experiments/README.md: the defaults, then `--n 500000 --replicates 8 --draws 20`.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from brainsim import api
from brainsim.model import psychometrics as psy
from brainsim.model.params import ModelParams

PREVALENCE = 37_787 / 4_165_785  # Lichtenstein et al. 2022: people with ID over the cohort
MODERATE_IQ = 50.0  # ICD-10: mild ID is IQ 50-69, moderate 35-49
OBSERVED_LOG_SE = 0.066  # of ln(8.13 / 9.15): sqrt of the two CIs' (ln(hi / lo) / 3.92)^2
OBSERVED = {"rr_mz": 256.7, "rr_dz": 7.04, "rr_sib": 8.38, "rr_mild_sib": 9.15, "rr_moderate_sib": 8.13,
            "moderate_over_mild": 8.13 / 9.15}
SETTING = ["population.paternal.fraction=0", "population.inbred.fraction=0", "population.mza_fraction=0",
           "population.adoptive_fraction=0", "population.mz_fraction=0.5"]


def diagnosed(iq: np.ndarray, prevalence: float, rng: np.random.Generator) -> np.ndarray:
    """The lowest `prevalence` of people by IQ (bool, (n,)), ties broken at random."""
    out = np.zeros(iq.size, bool)
    out[np.lexsort((rng.random(iq.size), iq))[: int(round(prevalence * iq.size))]] = True
    return out


def pair_counts(iq: np.ndarray, has_id: np.ndarray, family: np.ndarray, mz: np.ndarray) -> np.ndarray:
    """Counts behind the risk ratios of one population, over both orders of each pair.

    Returns ndarray(int64, shape=(4, 2, 2)), one row per comparison: MZ cases with ID, DZ cases
    with ID, DZ mild cases (IQ >= 50), DZ moderate cases. [row, 0] counts the cases and those
    whose co-twin has ID; [row, 1] the same for twins without ID of the same zygosity.
    """
    first = psy.pair_starts(family)
    case_iq = np.concatenate([iq[first], iq[first + 1]])
    case = np.concatenate([has_id[first], has_id[first + 1]])
    affected = np.concatenate([has_id[first + 1], has_id[first]])
    zyg_mz = np.concatenate([mz[first], mz[first]])
    out = np.zeros((4, 2, 2), np.int64)
    for row, (pick_z, band) in enumerate([(zyg_mz, case), (~zyg_mz, case), (~zyg_mz, case & (case_iq >= MODERATE_IQ)),
                                          (~zyg_mz, case & (case_iq < MODERATE_IQ))]):
        exposed = pick_z & band
        unexposed = pick_z & ~case
        out[row] = [[exposed.sum(), (exposed & affected).sum()], [unexposed.sum(), (unexposed & affected).sum()]]
    return out


def log_risk_ratios(counts: np.ndarray) -> np.ndarray:
    """ln RR of each row of summed `pair_counts`: ln((a / n1) / (c / n0)); -inf or nan where empty."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exposed = counts[:, 0, 1] / counts[:, 0, 0]
        unexposed = counts[:, 1, 1] / counts[:, 1, 0]
        return np.log(exposed / unexposed)


def risks(model: ModelParams, replicates: int, seed: int) -> dict[str, float]:
    """Risk ratios and their jackknife SEs (on the log scale) over `replicates` populations."""
    per, r_mz = [], []
    for r in range(replicates):
        frame = api.simulate(model, seed=seed * 1000 + r).frame
        iq = frame["iq"].to_numpy()
        has_id = diagnosed(iq, PREVALENCE, np.random.default_rng([seed, r]))
        mz = (frame["zygosity"] == "MZ").to_numpy()
        per.append(pair_counts(iq, has_id, frame["family"].to_numpy(), mz))
        first = psy.pair_starts(frame["family"].to_numpy())
        pick = first[mz[first]]
        r_mz.append(np.corrcoef(iq[pick], iq[pick + 1])[0, 1])
    per = np.array(per)
    total = log_risk_ratios(per.sum(0))
    leave_out = np.array([log_risk_ratios(per.sum(0) - p) for p in per])
    leave_out = np.column_stack([leave_out, leave_out[:, 3] - leave_out[:, 2]])
    with np.errstate(invalid="ignore"):  # a replicate without events: no SE
        se = np.sqrt((replicates - 1) / replicates * ((leave_out - leave_out.mean(0)) ** 2).sum(0))
    names = ["rr_mz", "rr_dz", "rr_mild", "rr_moderate", "moderate_over_mild"]
    out = {k: float(np.exp(v)) for k, v in zip(names, np.r_[total, total[3] - total[2]])}
    out |= {f"se_log_{k}": float(s) for k, s in zip(names, se)}
    out["moderate_cases"] = int(per.sum(0)[3, 0, 0])
    out["twin_r_mz"] = float(np.mean(r_mz))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="people per replicate")
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hypotheses", nargs="*", default=None, help="default: every shipped hypothesis")
    parser.add_argument("--extra", nargs="*", default=[], help="overrides for every population")
    parser.add_argument("--draws", type=int, default=0, help="prior draws per hypothesis (shared background's too)")
    args = parser.parse_args()
    names = args.hypotheses or api.hypothesis_names()
    setting = SETTING + args.extra + [f"population.n={args.n}"]
    rows = [{"hypothesis": h, **risks(api.model_params([f"hypothesis={h}"] + setting), args.replicates, args.seed)}
            for h in names]
    table = pd.DataFrame(rows).set_index("hypothesis")
    table["z_observed"] = ((np.log(table["moderate_over_mild"]) - np.log(OBSERVED["moderate_over_mild"]))
                           / np.sqrt(table["se_log_moderate_over_mild"] ** 2 + OBSERVED_LOG_SE**2))
    with pd.option_context("display.width", 220, "display.max_columns", 20):
        print(f"ID: the lowest {PREVALENCE:.2%} of IQ; {args.replicates} x {args.n:,} people; observed {OBSERVED}")
        print("at the files' values:")
        print(table.round(3).to_string())
    if not args.draws:
        return
    prob = api.problem(names, overrides=setting)
    rng = np.random.default_rng(args.seed)
    rows = []
    for m, h in enumerate(prob.names):
        lo, hi = np.array(list(prob.hypotheses[m].priors.values())).T
        for _ in range(args.draws):
            sampled = dict(zip(prob.hypotheses[m].priors, lo + rng.random(lo.size) * (hi - lo)))
            model = prob.model(m, sampled, n=args.n)
            rows.append({"hypothesis": h, "de_novo_mean": model.population.de_novo_mean,
                         **risks(model, args.replicates, args.seed)})
    draws = pd.DataFrame(rows)
    draws.to_csv(f"familial_id_draws_seed{args.seed}.csv", index=False)
    print(f"\nat {args.draws} prior draws per hypothesis (seed {args.seed}; familial_id_draws_seed{args.seed}.csv):")
    log_ratio, se = np.log(draws["moderate_over_mild"]), draws["se_log_moderate_over_mild"]
    draws["falls"] = log_ratio / se < -2.0  # below 1 by more than 2 of its Monte-Carlo SEs
    draws["rises"] = log_ratio / se > 2.0
    draws["as_observed"] = (np.abs(log_ratio - np.log(OBSERVED["moderate_over_mild"]))
                            <= 2.0 * np.sqrt(se**2 + OBSERVED_LOG_SE**2))
    draws["dz_in_ci"] = draws["rr_dz"].between(4.67, 10.61)
    draws["strong"] = draws["de_novo_mean"] > 0.1
    both = draws["as_observed"] & draws["dz_in_ci"]
    print(f"{both.sum()} of {len(draws)} draws have the DZ risk in its CI and the ratio within 2 SE of the observed:",
          draws.loc[both, "hypothesis"].value_counts().to_dict())
    print(f"RR MZ: median {draws['rr_mz'].median():.1f}, max {draws['rr_mz'].max():.1f}; "
          f"SE of the log ratio: median {se.median():.3f}")
    print("\nshare of draws whose ratio falls below 1 or rises above 1 (by > 2 SE), or lies within 2 SE of the"
          " observed, by strong de novo hits (de_novo_mean > 0.1) and by hypothesis:")
    for by in ("strong", "hypothesis"):
        print(draws.groupby(by).agg(draws=("falls", "size"), falls=("falls", "mean"), rises=("rises", "mean"),
                                    as_observed=("as_observed", "mean"),
                                    ratio_median=("moderate_over_mild", "median")).round(2).to_string())
    print("\nSpearman correlations over all draws:")
    print(draws[["de_novo_mean", "twin_r_mz", "rr_mz", "rr_dz", "moderate_over_mild"]].corr("spearman")
          .round(2).to_string())

if __name__ == "__main__":
    main()

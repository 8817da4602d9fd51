"""Model choice on a large brainsim reference table: ABC random forests against leave-one-out
rejection, and the grouped decision on disjoint quarters of the table.

Runs the default comparison with --per-hypothesis rows per hypothesis (default 1,000: a
10,000-row table, kept in --table-dir and reused by fingerprint), no ABC-SMC and no
posterior-predictive check, and prints, from one process:

- the out-of-bag prior error of ABC-RF and the leave-one-out rejection error (k = 20, the
  production distance) on the same table, with binomial SEs, and their difference;
- the statistics' floor (boosted trees cross-validated; 1-NN bound) and the forest's excess;
- the fit gate at the observed targets and the forest's answer;
- the grouped questions answered on 4 disjoint, balanced quarters of the table: do they agree?
- the reference table's throughput (simulations/s), when it had to be simulated.

The last line is: rf_error=<e> rejection_error=<r> gain=<r-e> quarters_agree=<k>/4 table_sims_per_s=<s>

    python benchmarks/bench_model_choice.py [--per-hypothesis 1000] [--table-dir /tmp/brainsim-table]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from brainsim.comparison import compare
from brainsim.modelchoice import grouped_questions
from brainsim.forest import fit_forest, group_labels
from brainsim.recovery import statistics_matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-hypothesis", type=int, default=1000)
    parser.add_argument("--table-dir", default="/tmp/brainsim-table")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    Path(args.table_dir).mkdir(parents=True, exist_ok=True)
    table_file = Path(args.table_dir) / "reference_table.parquet"
    had = len(pd.read_parquet(table_file)) if table_file.exists() else 0
    overrides = [f"seed={args.seed}", f"recovery.per_hypothesis={args.per_hypothesis}", "abc.particles=0",
                 "recovery.predictive=0", "plots.enabled=false", "population.n=20000"]
    start = time.perf_counter()
    result = compare(overrides, table_dir=args.table_dir,
                     on_stage=lambda s: print(f"[{time.perf_counter() - start:7.1f} s] {s}", flush=True))
    wall = time.perf_counter() - start
    choice, rec = result.model_choice, result.recovery
    print(f"\nABC-RF out-of-bag prior error {choice['prior_error']:.3f} ± {choice['prior_error_se']:.3f}; "
          f"leave-one-out rejection (k = {rec['neighbours']}) {rec['prior_error']:.3f} ± {rec['prior_error_se']:.3f}; "
          f"gain {rec['prior_error'] - choice['prior_error']:.3f}")
    if "floor" in choice:
        f = choice["floor"]
        print(f"floor: boosted trees {f['boosting_error']:.3f} ± {f['boosting_error_se']:.3f}, "
              f"1-NN {f['nn_error']:.3f}, "
              f"Cover–Hart {f['bayes_lower']:.3f}; excess {choice['excess']:.3f}")
    print(f"gate: {choice['gate']['status']} (best joint p {choice['gate']['best_p_value']:.3f}, "
          f"{choice['gate']['best_hypothesis']}); forest: {choice['chosen']} {choice['probability']:.2f}")
    for q, g in choice["groups"].items():
        print(f"grouped {q}: {g['chosen']} {g['probability']:.2f} (prior error {g['prior_error']:.3f})")

    table = pd.read_parquet(table_file)
    names = list(dict.fromkeys(table["hypothesis"]))  # row i is hypothesis i mod M
    statistics = [c.removeprefix("stat:") for c in table.columns if c.startswith("stat:")]
    values = {t.statistic: t.value for t in result.settings.targets}
    observed = np.array([values[s] for s in statistics])
    stats = statistics_matrix(table, statistics)
    labels = pd.Categorical(table["hypothesis"], categories=names).codes.astype(np.int64)
    quarter = (table["row"].to_numpy() // len(names)) % 4
    questions = grouped_questions(result.settings.model_choice.groups, names)
    agree = []
    for q, parts in questions.items():
        picks = []
        for part in range(4):
            rows = quarter == part
            glabels, gnames, keep = group_labels(labels[rows], names, parts)
            forest = fit_forest(stats[rows][keep], glabels, gnames, seed=args.seed + part, workers=-1)
            got = forest.predict(observed[None]).iloc[0]
            picks.append(str(got["chosen"]))
            print(f"quarter {part} ({int(rows.sum())} rows) {q}: {got['chosen']} {got['probability']:.2f} "
                  f"(prior error {forest.prior_error[0]:.3f})")
        agree.append(sum(p == max(set(picks), key=picks.count) for p in picks))
    simulated = len(table) - had
    rate = f"{simulated / wall:.1f}" if simulated else "n/a"
    print(f"\nrf_error={choice['prior_error']:.4f} rejection_error={rec['prior_error']:.4f} "
          f"gain={rec['prior_error'] - choice['prior_error']:.4f} quarters_agree={min(agree) if agree else 0}/4 "
          f"table_sims_per_s={rate} wall_s={wall:.0f}")


if __name__ == "__main__":
    main()

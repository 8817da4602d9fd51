"""Does the model choice settle as the reference table grows? ABC random forests on disjoint
blocks of one large table.

One table of prior-predictive simulations (every shipped hypothesis, --per-hypothesis rows
each, abc.n people, every target statistic) is simulated once, or read from --table. It is cut
into disjoint blocks of 1,000, 2,000, 3,000, 5,000 and 10,000 rows (each balanced: the same
rows per hypothesis), and a forest with the default run's settings (trees, LDA axes, the
chosen hypothesis's posterior probability) answers at the observed targets on every block.
Printed per block size: how many blocks choose each hypothesis, the mean and SD over blocks
of the out-of-bag prior error, of the chosen hypothesis's posterior probability and of the
votes of the hypotheses that lead anywhere. Agreement between blocks of one size says the
answer is not noise at that size; a trend across sizes says a larger table may answer
otherwise.

    python experiments/table_size.py [--per-hypothesis 1000] [--seed 0] [--table PATH] [--out CSV]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from brainsim import api
from brainsim.config.settings import validate
from brainsim.forest import fit_forest
from brainsim.recovery import statistics_matrix

from saved_table import table_of  # experiments/saved_table.py: run as a script from anywhere

SIZES = (1000, 2000, 3000, 5000, 10000)  # rows per block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-hypothesis", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table", default="", help="a table saved by this script or bench_model_choice, to reuse")
    parser.add_argument("--out", default="", help="write the per-block answers here (CSV)")
    args = parser.parse_args()
    prob = api.problem()
    run = validate(api.compose())
    names = list(prob.names)
    table = table_of(prob, run, per_hypothesis=args.per_hypothesis, seed=args.seed, path=args.table)
    statistics = [c.removeprefix("stat:") for c in table.columns if c.startswith("stat:")]
    observed = dict(zip(prob.statistics, prob.observed))
    missing = sorted(set(statistics) - set(observed))
    if missing:
        raise SystemExit(f"the table has statistics that are no target now ({', '.join(missing)}): a stale table")
    x = statistics_matrix(table, statistics)
    at = np.array([observed[s] for s in statistics])[None]
    labels = pd.Categorical(table["hypothesis"], categories=names).codes.astype(np.int64)
    per = table["row"].to_numpy() // len(names)  # row i is hypothesis i mod M: per-hypothesis index
    settings = run.model_choice
    rows = []
    for size in (s for s in SIZES if s <= len(table)):
        for block in range(len(table) // size):
            keep = per // (size // len(names)) == block
            forest = fit_forest(x[keep], labels[keep], names, trees=settings.trees,
                                regression_trees=settings.posterior_trees, lda=settings.lda, seed=args.seed,
                                workers=-1)
            got = forest.predict(at).iloc[0]
            rows.append({"rows": size, "block": block, "chosen": str(got["chosen"]),
                         "probability": float(got["probability"]), "prior_error": forest.prior_error[0],
                         **{h: float(got[f"votes:{h}"]) for h in names}})
            print(f"{size} rows, block {block}: {rows[-1]['chosen']} {rows[-1]['probability']:.2f}", flush=True)
    found = pd.DataFrame(rows)
    if args.out:
        found.to_csv(args.out, index=False)
    leaders = list(dict.fromkeys(found["chosen"]))
    leaders += [h for h in found[names].mean().sort_values(ascending=False).index if h not in leaders][:3 - len(leaders)]
    pd.set_option("display.width", 200)
    print("\nblocks choosing each hypothesis:")
    print(found.groupby(["rows", "chosen"]).size().unstack(fill_value=0).to_string())
    print("\nmean (SD over blocks) of the prior error, the chosen's posterior probability and the leaders' votes:")
    summary = found.groupby("rows")[["prior_error", "probability", *leaders]].agg(["mean", "std"]).round(3)
    print(summary.to_string())


if __name__ == "__main__":
    main()

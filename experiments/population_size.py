"""Is the model choice's prior error a floor of the statistics' sampling noise, or of the
hypotheses themselves? The same prior draws simulated at several population sizes.

One reference table per --sizes value (people per simulation; the norm sample stays at
abc.norm_n): every shipped hypothesis, --per-hypothesis rows each, and the same rows in every
table (row i draws the same parameters and seeds whatever the size, `brainsim.reference`), so
only the population's sampling noise differs between them. On each, a forest with the
default run's settings gives the out-of-bag prior error (± its binomial SE), the pairs
confused in at least 20% of cases, and the error of the default grouped question. An error
that falls with the size is sampling noise (more people per simulation would help); one that
stays is the statistics' own limit: hypotheses whose priors reach each other's (a mechanism's
magnitude near 0 is baseline) cannot be told apart by any sample size.

    python experiments/population_size.py [--sizes 6000 48000] [--per-hypothesis 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from brainsim import api
from brainsim.backends import LocalBackend
from brainsim.config.settings import validate
from brainsim.forest import fit_forest, group_labels
from brainsim.modelchoice import grouped_questions
from brainsim.recovery import statistics_matrix
from brainsim.reference import reference_table

CONFUSED = 0.20  # a pair is "confused" when the true hypothesis is taken as the other this often


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[6000, 48000])
    parser.add_argument("--per-hypothesis", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    prob = api.problem()
    run = validate(api.compose())
    names = list(prob.names)
    settings = run.model_choice
    questions = grouped_questions(settings.groups, names)
    rows = []
    for n in args.sizes:
        start = time.perf_counter()
        table = reference_table(prob.hypotheses, prob.statistics_simulator(n, run.abc.norm_n), prob.statistics,
                                args.per_hypothesis * len(names), seed=args.seed, map_fn=LocalBackend().map)
        took = time.perf_counter() - start
        x = statistics_matrix(table, prob.statistics)
        labels = pd.Categorical(table["hypothesis"], categories=names).codes.astype(np.int64)
        forest = fit_forest(x, labels, names, trees=settings.trees, regression_trees=settings.posterior_trees,
                            lda=settings.lda, seed=args.seed)
        error, se = forest.prior_error
        conf = forest.confusion()
        share = conf[names].to_numpy(float) / np.maximum(conf[names].to_numpy().sum(axis=1, keepdims=True), 1)
        pairs = sorted(((share[i, j], names[i], names[j]) for i in range(len(names)) for j in range(len(names))
                        if i != j and share[i, j] >= CONFUSED), reverse=True)
        row = {"people": n, "rows": len(table), "seconds": round(took), "prior_error": error, "prior_error_se": se,
               "confused": "; ".join(f"{a} as {b} {q:.2f}" for q, a, b in pairs)}
        for q, parts in questions.items():
            glabels, gnames, keep = group_labels(labels, names, parts)
            group = fit_forest(x[keep], glabels, gnames, trees=settings.trees,
                               regression_trees=settings.posterior_trees, lda=settings.lda, seed=args.seed + 1)
            row[f"{q}_error"], row[f"{q}_error_se"] = group.prior_error
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False), flush=True)
    print("\nall sizes:")
    with pd.option_context("display.max_colwidth", 200, "display.width", 250):
        print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()

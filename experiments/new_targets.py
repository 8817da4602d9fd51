"""Do the new targets tell the hypotheses apart? ABC random forests on one reference table with
and without them.

One table of prior-predictive simulations (every shipped hypothesis, --per-hypothesis rows
each, abc.n people, every target statistic) is simulated once. The production model choice
(`brainsim.modelchoice.choose`, with the default run's settings) then answers on the old
targets, on the old targets plus each new one, and on all of them, and prints for each: the
out-of-bag prior error ± SE, the statistics' floor (best held-out learner) and the forest's
excess over it, the confusion within the pairs the old targets could not tell apart, the
chosen hypothesis at the observed targets with its posterior probability, the fit gate, and
whether the table's two halves agree. Then, per new target, how many hypotheses' prior
predictives reach the observed value.

    python experiments/new_targets.py [--per-hypothesis 1000] [--seed 0] [--table PATH] [--newest]

--newest answers only with every target and with all but the newest (a tenth of the time).
"""

from __future__ import annotations

import argparse

import pandas as pd

from brainsim import api
from brainsim.config.settings import validate
from brainsim.modelchoice import choose
from brainsim.recovery import prior_predictive_position

from saved_table import table_of  # experiments/saved_table.py: run as a script from anywhere

NEW = ("rg_brain_iq", "vocabulary_log_spread", "iq_inbreeding_slope", "rt_inbreeding_slope", "snp_h2",
       "id_paternal_age_irr")  # issue 23's targets, the newest last
PAIRS = (("baseline", "synaptic_efficiency"), ("h1_task_density", "h2_selection"),
         ("h1_h3_combined", "h3_mutation_load"))  # confused in >= 20% of cases on the old targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-hypothesis", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table", default="", help="a table this script saved, to reuse")
    parser.add_argument("--newest", action="store_true", help="only all targets against all but the newest")
    args = parser.parse_args()
    prob = api.problem()
    run = validate(api.compose())
    names = list(prob.names)
    table = table_of(prob, run, per_hypothesis=args.per_hypothesis, seed=args.seed, path=args.table)
    sets = {} if args.newest else {"old": [s for s in prob.statistics if s not in NEW]}
    sets |= {} if args.newest else {f"old + {s}": sets["old"] + [s] for s in NEW}
    sets[f"all but {NEW[-1]}"] = [s for s in prob.statistics if s != NEW[-1]]  # before the newest target
    sets["all"] = list(prob.statistics)
    rows = []
    for label, stats in sets.items():
        pick = [prob.statistics.index(s) for s in stats]
        answer, frames = choose(run.model_choice, table, names, stats, prob.observed[pick], prob.tolerance[pick],
                                seed=args.seed, missing_z=run.abc.missing_z, resamples=run.recovery.resamples)
        conf = frames["model_choice_confusion"].set_index("true")[names]
        share = conf.div(conf.sum(axis=1), axis=0)
        rows.append({"targets": label, "n": len(stats), "prior_error": answer["prior_error"],
                     "se": answer["prior_error_se"], "floor": answer["floor"]["best_error"],
                     "excess": answer["excess"],
                     **{f"{a}<->{b}": share.loc[a, b] + share.loc[b, a] for a, b in PAIRS},
                     "chosen": answer["chosen"], "probability": answer["probability"],
                     "gate": answer["gate"]["status"],
                     "halves": " / ".join(f"{h['chosen']} {h['probability']:.2f}" for h in answer.get("halves", []))})
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print("\nABC-RF model choice on one table, by target set (pair columns: P(a taken as b) + P(b taken as a)):")
        print(pd.DataFrame(rows).round(3).to_string(index=False))
    position = prior_predictive_position(table, dict(zip(prob.statistics, prob.observed)))
    reach = position[position["statistic"].isin(NEW)].assign(reaches=lambda f: ~f["outside"].astype(bool))
    print("\nhypotheses whose prior predictive reaches each new target (quantile of the observed value):")
    for stat, g in reach.groupby("statistic"):
        print(f"  {stat}: {int(g.reaches.sum())} of {len(g)}; "
              + ", ".join(f"{h} {q:.2f}" for h, q in zip(g.hypothesis, g["quantile"])))


if __name__ == "__main__":
    main()

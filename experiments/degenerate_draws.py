"""How often each hypothesis's prior gives a battery that floors or ceils: sub-models must stay
in their sensitive range across the prior, not only at the files' values.

For every shipped hypothesis, `--draws` parameter vectors from its prior (the shared background's
included, as the reference table draws them), each simulated at abc.n people; a draw is
degenerate when more than 1% of people score 0 (floor) or every item (ceiling).

    python experiments/degenerate_draws.py [--draws 40] [--n 6000] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from brainsim import api
from brainsim.assessment import problem
from brainsim.backends import LocalBackend
from brainsim.reference import reference_table
from brainsim.targets import Target

STATS = ["share_at_floor", "share_at_ceiling"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = api.hypothesis_names()
    configs = {h: api.compose([f"hypothesis={h}"]) for h in names}
    from brainsim.config.settings import settings_from_config
    jobs = {h: settings_from_config(OmegaConf.to_container(c, resolve=True)) for h, c in configs.items()}
    prob = problem(configs, jobs, [Target(s, s, 0.0, 1.0, "-", "unconfirmed") for s in STATS])
    simulate = prob.statistics_simulator(args.n, 3000)
    table = reference_table(prob.hypotheses, simulate, STATS, args.draws * len(names), seed=args.seed,
                            map_fn=LocalBackend().map)
    table["degenerate"] = (table["stat:share_at_floor"] > 0.01) | (table["stat:share_at_ceiling"] > 0.01)
    out = table.groupby("hypothesis", sort=False).agg(
        draws=("degenerate", "size"), degenerate=("degenerate", "mean"),
        floor_median=("stat:share_at_floor", "median"), ceiling_median=("stat:share_at_ceiling", "median"))
    out["se"] = np.sqrt(out.degenerate * (1 - out.degenerate) / out.draws)
    with pd.option_context("display.width", 160):
        print(out.round(3).to_string())


if __name__ == "__main__":
    main()

"""Does a scaling-law brain predict the Wilson effect? Twin h² at the data of ages 9, 12, 17
and adulthood.

Every shipped hypothesis at its files' values is simulated again with the lifetime data of a
younger person (`data.seconds` scaled by age / 30: the adult's ~30 years) and, below 17, a
smaller brain (95% of the adult's volume at 9, Caviness et al. 1996, text; 98% at 12 and 100%
from 17, an assumption): `brainsim.lifecourse`. Each age gets its own norm sample and battery,
so IQ is normed within age, as Haworth et al. 2010 standardised g within each study. Printed
per hypothesis and age: rMZ, rDZ, Falconer h² = 2 (rMZ - rDZ) and c² = 2 rDZ - rMZ, against
Haworth et al.'s h² of 0.41, 0.55 and 0.66 at 9, 12 and 17 (abstract, text) and Bouchard
2013's adult 0.80 (abstract).
With --draws K, the rise of h² from 9 to 17 at K draws from each hypothesis's prior too (the
shared background's included): does any draw reach the observed rise of 0.25?

    python experiments/life_course.py [--n 20000] [--seed 0] [--draws 0] [--hypotheses baseline ...]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from brainsim import api, lifecourse
from brainsim.config.settings import validate

OBSERVED_H2 = {9: 0.41, 12: 0.55, 17: 0.66, 30: 0.80}  # Haworth et al. 2010; Bouchard 2013 (adult)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="people (twins) per age")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=0, help="prior draws per hypothesis")
    parser.add_argument("--hypotheses", nargs="*", default=None, help="default: every shipped hypothesis")
    args = parser.parse_args()
    names = args.hypotheses or api.hypothesis_names()
    frames = []
    for h in names:
        model = validate(api.compose([f"hypothesis={h}", f"population.n={args.n}", "population.design=twins",
                                      "population.paternal.fraction=0", "population.inbred.fraction=0"])).model
        frames.append(lifecourse.twin_correlations(model, seed=args.seed).assign(hypothesis=h))
    table = pd.concat(frames, ignore_index=True)
    table["observed_h2"] = table["age"].map(OBSERVED_H2)
    table = table[["hypothesis", "age", "r_mz", "r_dz", "h2", "c2", "observed_h2"]]
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print("at the files' values:")
        print(table.round(3).to_string(index=False))
    rise = table.pivot(index="hypothesis", columns="age", values="h2")
    rise.columns = rise.columns.astype(int)
    print("\nh² at 17 minus h² at 9 (observed: 0.25):")
    print((rise[17] - rise[9]).round(3).to_string())
    if args.draws:
        print(f"\nthe same at {args.draws} prior draws per hypothesis (seed {args.seed}):")
        prob = api.problem()
        rng = np.random.default_rng(args.seed)
        for h in names:
            m = prob.names.index(h)
            lo, hi = np.array(list(prob.hypotheses[m].priors.values())).T
            rises = []
            for _ in range(args.draws):
                sampled = dict(zip(prob.hypotheses[m].priors, lo + rng.random(lo.size) * (hi - lo)))
                model = prob.model(m, sampled, n=args.n)
                h2 = lifecourse.twin_correlations(model, ages={9: lifecourse.BRAIN_SHARE[9], 17: 1.0},
                                                  seed=args.seed)["h2"]
                rises.append(h2.iloc[1] - h2.iloc[0])
            q = np.nanquantile(rises, [0.0, 0.5, 1.0])
            print(f"  {h}: rise min {q[0]:+.3f}, median {q[1]:+.3f}, max {q[2]:+.3f}")


if __name__ == "__main__":
    main()

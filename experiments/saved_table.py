"""The experiments' shared reference table: read from a file this or another experiment saved,
else simulated (every shipped hypothesis, `per_hypothesis` rows each, abc.n people, every
target statistic) and, with a path, saved there for the next run."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from brainsim.backends import LocalBackend
from brainsim.reference import reference_table


def table_of(prob, run, *, per_hypothesis: int, seed: int, path: str = "") -> pd.DataFrame:
    """`prob`: `brainsim.api.problem()`; `run`: the validated default run (its abc.n, abc.norm_n)."""
    if path and Path(path).exists():
        return pd.read_parquet(path)
    start = time.perf_counter()
    table = reference_table(prob.hypotheses, prob.statistics_simulator(run.abc.n, run.abc.norm_n), prob.statistics,
                            per_hypothesis * len(prob.names), seed=seed, map_fn=LocalBackend().map)
    print(f"table: {len(table)} rows in {time.perf_counter() - start:.0f} s")
    if path:
        table.to_parquet(path)
    return table

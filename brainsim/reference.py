"""The reference table: simulations from every hypothesis's prior predictive, the raw material
of model recovery, calibration and parameter coverage (`brainsim.recovery`).

Row i belongs to hypothesis i mod M: a balanced draw of the uniform prior over hypotheses, so
every hypothesis gets the same number of rows and every row of the confusion matrix the same
Monte-Carlo error. Its parameters come from that hypothesis's priors (the shared background's
included, in the space the ABC samples: log10 for log priors), drawn from
SeedSequence(seed, spawn_key=(STREAM, i, 0)); its simulation seed from (STREAM, i, 1). A row
is therefore the same whatever the table's size, the number of workers, or how often it was
resumed: a larger table extends a smaller one.

A table is a DataFrame: `row`, `hypothesis`, `seed`, one `param:<key>` column per parameter
(NaN where the row's hypothesis does not free it) and one `stat:<statistic>` column per
target statistic (NaN where the simulation cannot compute it). On disk it is Parquet with
its fingerprint (what the simulations depend on: each hypothesis's model config, the
statistics, people per simulation, the seed and brainsim's version) in the file's metadata;
`load_table` refuses a table whose fingerprint differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .engine import stream_rng
from .inference import HypothesisPriors, derived_seed
from .io import atomic_write
from .validation import ConfigError

__all__ = ["draw_row", "load_table", "META_KEY", "MODEL_KEYS", "reference_table", "save_table", "STREAM",
           "table_fingerprint"]

STREAM = 7_919  # spawn-key prefix of the table's draws (apart from the ABC's generation keys)
MODEL_KEYS = ("scaling", "population", "battery", "background", "hypothesis")  # what a simulation reads
META_KEY = b"brainsim.reference"

StatisticsSimulator = Callable[[int, dict, int], np.ndarray]  # (model, parameters, seed) -> statistics


def table_fingerprint(containers: Sequence[dict], statistics: Sequence[str], *, n: int, norm_n: int, seed: int,
                      version: str) -> str:
    """SHA-256 of everything a table's rows depend on (not its size: rows never change)."""
    models = [{k: c.get(k) for k in MODEL_KEYS} for c in containers]
    for m in models:  # the population size is set by n; the ABC's budget does not matter
        m["population"] = {k: v for k, v in (m["population"] or {}).items() if k != "n"}
        m["battery"] = {k: v for k, v in (m["battery"] or {}).items() if k != "norm_n"}
    key = {"models": models, "statistics": list(statistics), "n": n, "norm_n": norm_n, "seed": seed,
           "version": version}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def draw_row(i: int, spec: HypothesisPriors, seed: int) -> tuple[dict, int]:
    """Row i's parameters {key: sampled value} from `spec`'s priors, and its simulation seed."""
    bounds = np.array(list(spec.priors.values()), float).reshape(len(spec.priors), 2)
    theta = bounds[:, 0] + stream_rng(seed, STREAM, i, 0).random(bounds.shape[0]) * (bounds[:, 1] - bounds[:, 0])
    return dict(zip(spec.priors, theta.tolist())), derived_seed(seed, STREAM, i, 1)


def reference_table(specs: Sequence[HypothesisPriors], simulate: StatisticsSimulator, statistics: Sequence[str],
                    size: int, *, seed: int, map_fn: Callable = map, batch: int = 64,
                    existing: pd.DataFrame | None = None, progress: Callable[[int], None] | None = None,
                    on_batch: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """A table of `size` rows (see the module docstring). Rows of `existing` (a table of the
    same fingerprint) are kept, only the missing ones simulated; `on_batch(table)` gets the
    table after every `batch` rows (to save it), `progress(k)` the rows done."""
    if size < len(specs):
        raise ConfigError(f"The reference table must hold at least one row per hypothesis ({len(specs)}). "
                          f"Got {size} instead.")
    names = [s.name for s in specs]
    params = sorted({k for s in specs for k in s.priors})
    frame = existing.iloc[:size].copy() if existing is not None else pd.DataFrame()
    start = len(frame)
    if progress is not None and start:
        progress(start)
    for lo in range(start, size, batch):
        todo = []
        for i in range(lo, min(size, lo + batch)):
            m = i % len(specs)
            theta, sim_seed = draw_row(i, specs[m], seed)
            todo.append((i, m, theta, sim_seed))
        values = list(map_fn(lambda job: np.asarray(simulate(job[1], job[2], job[3]), float), todo))
        rows = [{"row": i, "hypothesis": names[m], "seed": s,
                 **{f"param:{k}": theta.get(k, np.nan) for k in params},
                 **{f"stat:{st}": v for st, v in zip(statistics, val)}}
                for (i, m, theta, s), val in zip(todo, values)]
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True) if len(frame) else pd.DataFrame(rows)
        if progress is not None:
            progress(len(todo))
        if on_batch is not None:
            on_batch(frame)
    return frame


def save_table(path: str | Path, table: pd.DataFrame, fingerprint: str) -> Path:
    """Write a table as Parquet atomically, its fingerprint in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), META_KEY: fingerprint.encode()})
    return atomic_write(Path(path), lambda tmp: pq.write_table(arrow, tmp))


def load_table(path: str | Path, fingerprint: str, names: Sequence[str], statistics: Sequence[str]) -> pd.DataFrame:
    """A saved table, checked: same fingerprint, known hypotheses, every statistic present.
    Raises ConfigError (one line) otherwise."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # not Parquet, unreadable
        raise ConfigError(f"The reference table {path} cannot be read as Parquet ({type(exc).__name__}).") from None
    found = meta.get(META_KEY, b"").decode()
    if found != fingerprint:
        what = "has no brainsim fingerprint" if not found else "was simulated for another config, seed or version"
        raise ConfigError(f"The reference table {path} {what}; it is refused, never reused. Delete it or point "
                          f"recovery.table elsewhere to simulate a new one.")
    table = pd.read_parquet(path)
    unknown = sorted(set(table["hypothesis"]) - set(names))
    if unknown:
        raise ConfigError(f"The reference table {path} holds unknown hypotheses {unknown}; allowed: {list(names)}.")
    missing = [s for s in statistics if f"stat:{s}" not in table.columns]
    if missing:
        raise ConfigError(f"The reference table {path} lacks the statistics {missing}.")
    if not np.array_equal(table["row"].to_numpy(), np.arange(len(table))):
        raise ConfigError(f"The reference table {path} has rows missing or out of order; it is refused.")
    return table

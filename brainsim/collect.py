"""`brainsim-collect DIR`: gather a Hydra multirun directory into one table and comparison plots.

A run is complete when its `summary.json` exists (the CLI writes it last, atomically). The
jobs a sweep should have are expanded from `DIR/multirun.yaml` the way Hydra's basic sweeper
does, so runs that failed, are still running or never started are all reported by name.
Writes `DIR/sweep.parquet` (one row per run, hypothesis and statistic; the overrides as
columns) and `DIR/sweep_distance.png`, `DIR/sweep_statistics.png`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from omegaconf import OmegaConf

from .io import write_parquet
from .plots import DIVERGING, PALETTE, save

__all__ = ["cli", "collect", "distance_heatmap", "expand_sweep", "expected_jobs", "HEADLINE", "main",
           "statistics_plot", "Sweep"]

_RESERVED = ("job", "hypothesis", "section", "statistic", "value")
HEADLINE = ("distance", "r_brain_iq", "twin_r_mz", "twin_r_dz", "retest_r", "iq_per_brain_sd")


@dataclass
class Sweep:
    """What a multirun directory holds: the table of complete runs and the jobs without one."""

    table: pd.DataFrame  # job, <override keys...>, hypothesis, section, statistic, value
    complete: list[int] = field(default_factory=list)
    incomplete: dict[int, list[str]] = field(default_factory=dict)  # job -> overrides (failed or running)
    not_started: dict[int, list[str]] = field(default_factory=dict)


def expected_jobs(directory: Path) -> list[list[str]] | None:
    """The override list of every job of the sweep, in job order, from multirun.yaml (None if absent)."""
    path = directory / "multirun.yaml"
    if not path.exists():
        return None
    cfg = OmegaConf.load(path)
    return expand_sweep(OmegaConf.select(cfg, "hydra.sweeper.params") or {},
                        list(OmegaConf.select(cfg, "hydra.overrides.task") or []))


def expand_sweep(params: Mapping, overrides: Sequence[str]) -> list[list[str]]:
    """The override list of every job, in job order, as Hydra's basic sweeper builds them from
    the sweeper's `params` (e.g. set by an experiment) and the command-line overrides."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    arguments = [f"{k}={v}" for k, v in params.items()] + list(overrides)
    parsed = OverridesParser.create().parse_overrides(arguments)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def _job_dirs(directory: Path) -> dict[int, Path]:
    return {int(p.name): p for p in directory.iterdir() if p.is_dir() and p.name.isdigit()}


def _job_overrides(job_dir: Path) -> list[str] | None:
    path = job_dir / ".hydra" / "overrides.yaml"
    return [str(o) for o in OmegaConf.load(path)] if path.exists() else None


def _parse(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def _rows(summary: dict) -> list[dict]:
    """Long rows (hypothesis, section, statistic, value) of one run's summary.json."""
    rows = []
    for section in ("statistics", "paradox"):
        for hypothesis, stats in (summary.get(section) or {}).items():
            rows += [{"hypothesis": hypothesis, "section": section, "statistic": k, "value": _num(v)}
                     for k, v in stats.items()]
    for r in summary.get("ranking") or []:
        rows += [{"hypothesis": r["hypothesis"], "section": "ranking", "statistic": k, "value": _num(r[k])}
                 for k in ("distance", "passed", "computed")]
    for r in (summary.get("abc") or {}).get("probabilities", []):
        rows.append({"hypothesis": r["hypothesis"], "section": "abc", "statistic": "abc_probability",
                     "value": _num(r["probability"])})
    return rows


def _num(v) -> float:
    return float(v) if isinstance(v, (int, float)) else float("nan")  # null (undefined) -> NaN


def collect(directory: str | Path) -> Sweep:
    """Read every job of a multirun directory (see the module docstring)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"brainsim-collect: {directory} is not a directory")
    dirs = _job_dirs(directory)
    expected = expected_jobs(directory)
    jobs = dict(enumerate(expected)) if expected is not None else {}
    for num, d in dirs.items():
        found = _job_overrides(d)
        if found is not None:
            jobs[num] = found
    sweep = Sweep(pd.DataFrame())
    frames = []
    for num in sorted(jobs):
        overrides = jobs[num]
        path = dirs[num] / "summary.json" if num in dirs else None
        if path is None:
            sweep.not_started[num] = overrides
            continue
        try:
            summary = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            sweep.incomplete[num] = overrides
            continue
        rows = pd.DataFrame(_rows(summary))
        for key, value in map(_parse, reversed(overrides)):
            if key not in _RESERVED:  # hypothesis=X runs only X: the hypothesis column says it
                rows.insert(0, key, value)
        rows.insert(0, "job", num)
        frames.append(rows)
        sweep.complete.append(num)
    if frames:
        table = pd.concat(frames, ignore_index=True)
        keys = [c for c in table.columns if c not in _RESERVED]
        table[keys] = table[keys].astype("string")
        sweep.table = table[["job", *keys, "hypothesis", "section", "statistic", "value"]]
    return sweep


def _labels(table: pd.DataFrame) -> pd.Series:
    """A short label per job: the overrides that vary across the sweep ("job N" if none)."""
    keys = [c for c in table.columns if c not in _RESERVED]
    varying = [k for k in keys if table[k].nunique(dropna=False) > 1]
    per_job = table.drop_duplicates("job").set_index("job")
    if not varying:
        return pd.Series({j: f"job {j}" for j in per_job.index})
    return per_job[varying].apply(lambda r: " ".join(f"{k.split('.')[-1]}={v}" for k, v in r.items()), axis=1)


def distance_heatmap(table: pd.DataFrame) -> Figure:
    """Total distance of every hypothesis in every run (rows: runs, columns: hypotheses)."""
    labels = _labels(table)
    d = table[table.statistic == "distance"].assign(run=lambda f: f.job.map(labels))
    grid = d.pivot_table(index="run", columns="hypothesis", values="value", sort=False)
    fig = Figure(figsize=(1.0 * grid.shape[1] + 4, 0.45 * grid.shape[0] + 2.5), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(grid, ax=ax, cmap=DIVERGING, center=float(np.nanmedian(grid.to_numpy())), annot=True, fmt=".2f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "total distance (RMS z, lower is better)"})
    ax.set_xlabel("hypothesis")
    ax.set_ylabel("run")
    ax.tick_params(axis="x", labelrotation=45)
    return fig


def statistics_plot(table: pd.DataFrame, statistics: Sequence[str] = HEADLINE) -> Figure:
    """Headline statistics per run (x) and hypothesis (colour), one panel per statistic."""
    labels = _labels(table)
    data = table[table.statistic.isin(statistics)].assign(run=lambda f: f.job.map(labels))
    present = [s for s in statistics if s in set(data.statistic)]
    cols = min(3, max(1, len(present)))
    rows = max(1, math.ceil(len(present) / cols))
    fig = Figure(figsize=(4.5 * cols, 3.6 * rows + 1), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    hypotheses = list(dict.fromkeys(data.hypothesis))
    palette = dict(zip(hypotheses, sns.color_palette(PALETTE, len(hypotheses))))
    for ax, stat in zip(axes, present):
        sns.pointplot(data[data.statistic == stat], x="run", y="value", hue="hypothesis", palette=palette,
                      ax=ax, dodge=0.3 if len(hypotheses) > 1 else False, linestyle="none", markersize=4, legend=ax is axes[0])
        ax.set_title(stat, fontsize=10)
        ax.set_xlabel("run")
        ax.set_ylabel(stat)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    for ax in axes[len(present):]:
        fig.delaxes(ax)
    if present and axes[0].get_legend() is not None:
        axes[0].legend(fontsize=6, ncol=2)
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="brainsim-collect", description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="a Hydra multirun directory, e.g. multirun/2026-11-24/10-00-00")
    args = parser.parse_args(argv)
    try:
        sweep = collect(args.directory)
    except FileNotFoundError as exc:
        print(f"brainsim-collect: error: {exc}", file=sys.stderr)
        return 2
    directory = Path(args.directory)
    total = len(sweep.complete) + len(sweep.incomplete) + len(sweep.not_started)
    print(f"collected {len(sweep.complete)} of {total} runs from {directory}")
    for title, jobs in (("failed or still running (no summary.json)", sweep.incomplete),
                        ("not started (no job directory)", sweep.not_started)):
        for num, overrides in jobs.items():
            print(f"  job {num} {title}: {' '.join(overrides)}")
    if sweep.table.empty:
        print("brainsim-collect: error: no complete run to collect", file=sys.stderr)
        return 1
    write_parquet(directory / "sweep.parquet", sweep.table)
    save(distance_heatmap(sweep.table), directory / "sweep_distance.png")
    save(statistics_plot(sweep.table), directory / "sweep_statistics.png")
    print(f"wrote {directory}/sweep.parquet ({len(sweep.table)} rows), sweep_distance.png, sweep_statistics.png")
    return 0


def cli() -> None:
    sys.exit(main())

"""Atomic output files: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["atomic_write", "write_csv", "write_json", "write_parquet", "write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write) -> Path:
    """Call write(temporary path) in `path`'s folder, then rename it to `path`: a reader never
    sees half a file, and an exception (or an interruption) leaves nothing behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _finite(obj):
    """`obj` with every NaN or infinite float replaced by None (JSON null: undefined)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    return obj


def write_json(path, data) -> Path:
    """Write `data` as indented, strict JSON atomically: an undefined statistic (NaN) is null."""

    def write(tmp):
        with open(tmp, "w") as fh:
            json.dump(_finite(data), fh, indent=2, sort_keys=False, allow_nan=False)
            fh.write("\n")

    return atomic_write(path, write)


def write_parquet(path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet atomically."""
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as CSV atomically."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_text(path, text: str) -> Path:
    """Write text atomically."""

    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write(text)

    return atomic_write(path, write)

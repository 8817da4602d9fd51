"""Provenance: what a result depends on besides the code's inputs, recorded with every
`Population` and `Comparison` (and `summary.json`): brainsim's version, the seed, the config
and overrides, and the environment the bits depend on. A leaf module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .version import __version__

__all__ = ["environment", "record"]


def environment() -> dict:
    """Versions and CPU the bits depend on (LLVM may fuse multiply-adds where the CPU has FMA)."""
    import platform
    from importlib.metadata import version

    import numpy as np
    import pandas as pd

    cpu, flags = "", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not cpu:
                cpu = value.strip()
            elif key.strip() == "flags":
                flags = " ".join(f for f in value.split() if f.startswith(("avx", "fma", "sse")))
                break
    except OSError:
        pass
    cpu = cpu or platform.processor()
    # versions from the installed metadata: importing scikit-learn for its version would cost
    # every `Population` a second's import
    return {"python": platform.python_version(), "numpy": np.__version__, "numba": version("numba"),
            "llvmlite": version("llvmlite"), "scipy": version("scipy"), "pandas": pd.__version__,
            "scikit-learn": version("scikit-learn"),
            "machine": platform.machine(), "cpu": cpu, "cpu_flags": flags}


def record(*, seed: int, config: dict | None = None, overrides: Sequence[str] = (), command: str | None = None
           ) -> dict:
    """The provenance of one result: brainsim_version, seed, overrides, config (resolved, or
    None), environment, and the command that reproduces it when there is one."""
    out = {"brainsim_version": __version__, "seed": seed, "overrides": list(overrides), "config": config,
           "environment": environment()}
    if command is not None:
        out["command"] = command
    return out

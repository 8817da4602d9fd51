"""Stored hashes of a run's data outputs: the check that a refactor changes no bit.

`hashes(run_dir)` hashes every data output of a run: CSV and Markdown files as bytes, Parquet
files as their frames (CSV text at full precision, so Arrow's writer version does not
matter) and summary.json without what names the machine or the folder (provenance, the
reference table's path). `environment()` is what the bits depend on besides the code: the
numerical libraries and the CPU's vector instructions (LLVM may fuse multiply-adds).

    python tests/golden.py RUN_DIR            # compare RUN_DIR with tests/golden_hashes.json
    python tests/golden.py RUN_DIR --update   # store RUN_DIR's hashes (after a deliberate change)

The run is the test suite's `default_run` (tests/conftest.py); `GOLDEN_ARGS` repeats its arguments.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

STORE = Path(__file__).with_name("golden_hashes.json")
GOLDEN_ARGS = ["population.n=2000", "battery.norm_n=2000", "abc.particles=4", "abc.generations=2", "abc.repeats=2",
               "abc.n=1000", "abc.norm_n=1000", "plots.n=2000", "recovery.per_hypothesis=6",
               "recovery.neighbours=3", "recovery.predictive=4", "recovery.resamples=20"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashes(run: Path) -> dict[str, str]:
    """{file name: SHA-256} of the data outputs in `run`."""
    import pandas as pd

    out = {}
    for path in sorted(Path(run).iterdir()):
        if path.suffix in (".csv", ".md"):
            out[path.name] = _sha(path.read_bytes())
        elif path.suffix == ".parquet":
            out[path.name] = _sha(pd.read_parquet(path).to_csv(float_format="%.17g").encode())
    summary = json.loads((Path(run) / "summary.json").read_text())
    summary.pop("provenance")
    if summary.get("recovery"):
        summary["recovery"].pop("table", None)
    out["summary.json"] = _sha(json.dumps(summary, sort_keys=True).encode())
    return out


def environment() -> dict[str, str]:
    """Versions and CPU features the bits depend on (summary.json's, without the CPU's name)."""
    from brainsim.comparison import environment as run_environment

    return {k: v for k, v in run_environment().items() if k != "cpu"}


def compare(run: Path) -> list[str]:
    """Files whose hashes differ from the stored ones (missing or extra files included)."""
    stored = json.loads(STORE.read_text())["hashes"]
    now = hashes(run)
    return sorted(k for k in set(stored) | set(now) if stored.get(k) != now.get(k))


if __name__ == "__main__":
    run = Path(sys.argv[1])
    if "--update" in sys.argv:
        STORE.write_text(json.dumps({"environment": environment(), "args": GOLDEN_ARGS, "hashes": hashes(run)},
                                    indent=1, sort_keys=True) + "\n")
        print(f"stored {len(hashes(run))} hashes in {STORE}")
    else:
        diff = compare(run)
        print("identical" if not diff else "differ: " + ", ".join(diff))
        sys.exit(1 if diff else 0)

"""Stored hashes of a run's data outputs: the check that a refactor changes no bit.

`hashes(run_dir)` hashes every data output of a run: CSV and Markdown files as bytes, Parquet
files as their frames (CSV text at full precision, so Arrow's writer version does not
matter) and summary.json without what names the machine or the folder (provenance, the
reference table's path). `environment()` is what the bits depend on besides the code: the
numerical libraries and the CPU's vector instructions (LLVM may fuse multiply-adds).

The hashes hold only in that environment; `stable_hashes(run_dir)` (the reference table's
rows, seeds and prior draws) hold on any CPU. `values(run_dir)` are the numbers a user quotes
(the chosen hypothesis, its probability, every scorecard value, the variance shares, the
recovery's error rates, the random forest's choice, probability, prior error and gate),
compared on any machine with the tolerances of `TOLERANCE`: wide enough for another CPU's
rounding (a fused multiply-add moves a statistic by ~1e-12, and flips an item response of
2,000 people only rarely), far narrower than any planted bug moved them.

    python tests/golden.py RUN_DIR            # compare RUN_DIR with tests/golden_hashes.json
    python tests/golden.py RUN_DIR --update   # store RUN_DIR's hashes and values (after a deliberate change)

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


# what no floating-point kernel touches: the reference table's rows, seeds and prior draws
# (NumPy's generator and one multiply-add in NumPy, never fused), the same bits on any CPU
STABLE_COLUMNS = ("row", "hypothesis", "seed", "param:")


def stable_hashes(run: Path) -> dict[str, str]:
    """{what: SHA-256} of the outputs that do not depend on the CPU (`STABLE_COLUMNS` of the
    reference table), checked on every machine."""
    import pandas as pd

    table = pd.read_parquet(Path(run) / "reference_table.parquet")
    kept = table[[c for c in table.columns if c.startswith(STABLE_COLUMNS)]]
    return {"reference_table.parquet[rows, seeds, parameters]": _sha(kept.to_csv(float_format="%.17g").encode())}


# allowed differences: scorecard values in units of each target's tolerance (z), probabilities
# and error rates absolute
TOLERANCE = {"z": 0.02, "probability": 0.05, "rate": 0.05, "share": 0.01}


def values(run: Path) -> dict:
    """The quoted numbers of a run: chosen hypothesis and its probability, scorecard values (at
    the files' values and at the posterior) per hypothesis and target, variance shares per
    hypothesis and cause, recovery error rates."""
    import pandas as pd

    run = Path(run)
    models = pd.read_csv(run / "posterior_models.csv").sort_values("probability", ascending=False)
    summary = json.loads((run / "summary.json").read_text())
    out = {"chosen": str(models["hypothesis"].iloc[0]), "probability": float(models["probability"].iloc[0])}
    for name in ("scorecard", "scorecard_posterior"):
        card = pd.read_csv(run / f"{name}.csv")
        out[name] = {f"{r.hypothesis}|{r.target}": [None if pd.isna(r.simulated) else float(r.simulated),
                                                    float(r.tolerance)] for r in card.itertuples()}
    dec = pd.read_csv(run / "decomposition.csv")
    out["decomposition"] = {f"{r.hypothesis}|{r.at}|{r.cause}": float(r.share) for r in dec.itertuples()}
    rec = summary["recovery"]
    out["recovery"] = {k: float(rec[k]) for k in ("prior_error", "local_error")}
    forest = summary["model_choice"]
    out["forest"] = {"chosen": forest["chosen"], "probability": float(forest["probability"]),
                     "prior_error": float(forest["prior_error"]), "gate": forest["gate"]["status"]}
    return out


def value_differences(run: Path) -> list[str]:
    """What differs from the stored values beyond `TOLERANCE`, one line each."""
    stored, now = json.loads(STORE.read_text())["values"], values(run)
    bad = []
    if now["chosen"] != stored["chosen"]:
        bad.append(f"chosen {now['chosen']} (stored {stored['chosen']})")
    if abs(now["probability"] - stored["probability"]) > TOLERANCE["probability"]:
        bad.append(f"probability {now['probability']:.3f} (stored {stored['probability']:.3f})")
    for name in ("scorecard", "scorecard_posterior"):
        for key in sorted(set(stored[name]) | set(now[name])):
            old, new = stored[name].get(key), now[name].get(key)
            if old is None or new is None or (old[0] is None) != (new[0] is None):
                if old != new:
                    bad.append(f"{name} {key}: {new} (stored {old})")
            elif old[0] is not None and abs(new[0] - old[0]) > TOLERANCE["z"] * old[1]:
                bad.append(f"{name} {key}: {new[0]:.6g} (stored {old[0]:.6g}, tolerance {old[1]:g})")
    for key in sorted(set(stored["decomposition"]) | set(now["decomposition"])):
        old, new = stored["decomposition"].get(key), now["decomposition"].get(key)
        if old is None or new is None or not abs(new - old) <= TOLERANCE["share"]:
            if not (old is not None and new is not None and old != old and new != new):  # NaN both: same
                bad.append(f"decomposition {key}: {new} (stored {old})")
    for key, old in stored["recovery"].items():
        if abs(now["recovery"][key] - old) > TOLERANCE["rate"]:
            bad.append(f"recovery {key} {now['recovery'][key]:.3f} (stored {old:.3f})")
    old, new = stored["forest"], now["forest"]
    for key in ("chosen", "gate"):
        if new[key] != old[key]:
            bad.append(f"forest {key} {new[key]} (stored {old[key]})")
    for key, tol in (("probability", TOLERANCE["probability"]), ("prior_error", TOLERANCE["rate"])):
        if abs(new[key] - old[key]) > tol:
            bad.append(f"forest {key} {new[key]:.3f} (stored {old[key]:.3f})")
    return bad


def environment() -> dict[str, str]:
    """Versions and CPU features the bits depend on (summary.json's, without the CPU's name)."""
    from brainsim.provenance import environment as run_environment

    return {k: v for k, v in run_environment().items() if k != "cpu"}


def compare(run: Path) -> list[str]:
    """Files whose hashes differ from the stored ones (missing or extra files included)."""
    stored = json.loads(STORE.read_text())["hashes"]
    now = hashes(run)
    return sorted(k for k in set(stored) | set(now) if stored.get(k) != now.get(k))


if __name__ == "__main__":
    run = Path(sys.argv[1])
    if "--update" in sys.argv:
        STORE.write_text(json.dumps({"environment": environment(), "args": GOLDEN_ARGS, "hashes": hashes(run),
                                     "stable": stable_hashes(run), "values": values(run)}, indent=1,
                                    sort_keys=True) + "\n")
        print(f"stored {len(hashes(run))} hashes and the quoted values in {STORE}")
    else:
        diff, moved = compare(run), value_differences(run)
        print("identical" if not diff else "differ: " + ", ".join(diff))
        print("values within tolerance" if not moved else "values moved:\n  " + "\n  ".join(moved))
        sys.exit(1 if diff or moved else 0)

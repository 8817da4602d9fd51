"""Checkpoints of a run, so an interrupted run continues where it stopped (`resume=true`).

A run directory's `.checkpoints/` holds one pickle per finished unit of work (a hypothesis
scored, an ABC generation of one seed) and `fingerprint.json`, the hash of the resolved
config they belong to. Resuming with another config is refused instead of mixing results.
Every file is written atomically, so a kill leaves the last complete checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

from .io import atomic_write, write_json
from .config.validation import ConfigError

__all__ = ["Checkpoints", "fingerprint", "RUN_ONLY_KEYS"]

# keys that may differ between a run and its resumption without changing any result
RUN_ONLY_KEYS = ("resume", "threads", "backend")


def fingerprint(config: dict) -> str:
    """SHA-256 of the resolved config without the keys in RUN_ONLY_KEYS."""
    kept = {k: v for k, v in config.items() if k not in RUN_ONLY_KEYS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


class Checkpoints:
    """The checkpoint folder of one run directory."""

    def __init__(self, run_dir: str | Path, config: dict):
        self.folder = Path(run_dir) / ".checkpoints"
        self.fingerprint = fingerprint(config)

    def open(self, resume: bool) -> Checkpoints:
        """Start afresh (resume=False: old checkpoints are discarded) or check they match."""
        stamp = self.folder / "fingerprint.json"
        if resume and stamp.exists():
            found = json.loads(stamp.read_text())["fingerprint"]
            if found != self.fingerprint:
                raise ConfigError(f"The checkpoints in {self.folder} were made with another config; "
                                  "resume=true needs the same overrides (only resume, threads and backend may change).")
        else:
            self.clear()
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json(stamp, {"fingerprint": self.fingerprint})
        return self

    def load(self, name: str) -> Any | None:
        path = self.folder / f"{name}.pkl"
        if not path.exists():
            return None
        with open(path, "rb") as fh:
            return pickle.load(fh)

    def save(self, name: str, obj: Any) -> None:
        def write(tmp):
            with open(tmp, "wb") as fh:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)

        atomic_write(self.folder / f"{name}.pkl", write)

    def clear(self) -> None:
        """Remove the checkpoints (after the run's outputs are complete)."""
        if self.folder.exists():
            for p in self.folder.iterdir():
                p.unlink()
            self.folder.rmdir()

"""Checkpoints of a run, so an interrupted run continues where it stopped (`resume=true`).

A run directory's `.checkpoints/` holds one NPZ file per finished unit of work (a hypothesis
scored, an ABC generation of one seed) and `fingerprint.json`, the hash of the resolved
config they belong to. Resuming with another config is refused instead of mixing results.
Every file is written atomically, so a kill leaves the last complete checkpoint.

Nothing is ever unpickled: a run directory may come from someone else, and loading a pickle
runs whatever code it names. A checkpoint is NumPy arrays (loaded with
``allow_pickle=False``) plus one JSON document for the rest (dicts with string keys, lists,
tuples, numbers, strings, None), carrying the config's fingerprint, brainsim's version and
the SHA-256 of its own content: a checkpoint of another run, another version, or one
altered after it was written is refused in one line (ConfigError). Floats round-trip
exactly (JSON writes the shortest repr that reads back to the same double), so a resumed
run has the same bits as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .version import __version__
from .io import atomic_write, write_json
from .validation import ConfigError

__all__ = ["Checkpoints", "decode", "encode", "fingerprint", "RUN_ONLY_KEYS"]

# keys that may differ between a run and its resumption without changing any result
RUN_ONLY_KEYS = ("resume", "threads", "backend")
_DOC = "__document__"  # the NPZ entry holding the JSON document (uint8 bytes)


def fingerprint(config: dict) -> str:
    """SHA-256 of the resolved config without the keys in RUN_ONLY_KEYS."""
    kept = {k: v for k, v in config.items() if k not in RUN_ONLY_KEYS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """`obj` as JSON-able data, its NumPy arrays moved into `arrays` (referenced by name).
    Raises TypeError for anything else (a class instance, an object array, a non-string key)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("a checkpoint cannot hold an object array")
        name = f"a{len(arrays)}"
        arrays[name] = obj
        return {"__array__": name}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [encode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("a checkpoint's dict keys must be strings")
        if any(k.startswith("__") and k.endswith("__") for k in obj):
            raise TypeError("a checkpoint's dict keys may not look like its own tags (__name__)")
        return {k: encode(v, arrays) for k, v in obj.items()}
    raise TypeError(f"a checkpoint cannot hold a {type(obj).__name__}")


def decode(data: Any, arrays) -> Any:
    """The inverse of `encode`."""
    if isinstance(data, list):
        return [decode(v, arrays) for v in data]
    if isinstance(data, dict):
        if set(data) == {"__array__"}:
            return arrays[data["__array__"]]
        if set(data) == {"__tuple__"}:
            return tuple(decode(v, arrays) for v in data["__tuple__"])
        return {k: decode(v, arrays) for k, v in data.items()}
    return data


def _digest(doc: bytes, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(doc)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


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
        """The unit of work saved under `name`, or None if there is none. A checkpoint of
        another config or version, or one altered since it was written, is a ConfigError."""
        path = self.folder / f"{name}.npz"
        if not path.exists():
            return None
        bad = f"The checkpoint {path} "
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            head = json.loads(arrays.pop(_DOC).tobytes().decode())
            doc = json.dumps(head["content"], allow_nan=True).encode()
        except Exception as exc:  # not an NPZ of ours: truncated, foreign, object arrays
            raise ConfigError(bad + f"cannot be read ({type(exc).__name__}); delete .checkpoints/ to start "
                              "afresh.") from None
        if head.get("fingerprint") != self.fingerprint or head.get("version") != __version__:
            raise ConfigError(bad + "belongs to another config or brainsim version; it is refused. Delete "
                              ".checkpoints/ to start afresh.")
        if head.get("sha256") != _digest(doc, arrays):
            raise ConfigError(bad + "was altered after it was written; it is refused. Delete .checkpoints/ to "
                              "start afresh.")
        return decode(head["content"], arrays)

    def save(self, name: str, obj: Any) -> None:
        """Save a unit of work (see the module docstring for what it may hold)."""
        arrays: dict[str, np.ndarray] = {}
        content = encode(obj, arrays)
        doc = json.dumps(content, allow_nan=True).encode()  # key order kept: frames are built from these dicts
        head = {"fingerprint": self.fingerprint, "version": __version__, "sha256": _digest(doc, arrays),
                "content": content}
        blob = np.frombuffer(json.dumps(head, allow_nan=True).encode(), np.uint8)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays, **{_DOC: blob})

        atomic_write(self.folder / f"{name}.npz", write)

    def clear(self) -> None:
        """Remove the checkpoints (after the run's outputs are complete)."""
        if self.folder.exists():
            for p in self.folder.iterdir():
                p.unlink()
            self.folder.rmdir()

"""A run in its directory: interruption by a signal, completeness, progress and the stage
it is in (logged with the time each stage took)."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from .checkpoint import fingerprint

__all__ = ["Interrupted", "Stage", "exit_now", "is_complete", "progress_bar", "signals_interrupt"]


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised where the run was, so atomic writers clean up."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_interrupt():
    import threading

    if threading.current_thread() is not threading.main_thread():  # e.g. a launcher's worker thread
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def is_complete(out: Path, config: dict) -> bool:
    """True when `out` holds the finished outputs of a run of the same config."""
    import json

    try:
        done = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return fingerprint(done.get("provenance", {}).get("config", {})) == fingerprint(config)


def progress_bar(total: int | None, unit: str = "person", desc: str = "simulating"):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, disable=None, file=sys.stderr)


class Stage:
    """The stage a run is in (for the interruption message), logged with the time the last one took."""

    def __init__(self):
        import logging
        import time

        self.now, self.log = time.perf_counter, logging.getLogger("brainsim")
        self.text, self.since = "setting up", self.now()

    def __call__(self, text: str) -> None:
        self.log.info("%s: done in %.1f s", self.text, self.now() - self.since)
        self.text, self.since = text, self.now()


def exit_now(status: int) -> None:
    """Exit at once after an interruption, logs and streams flushed: every output is already
    cleaned up, and the interpreter's teardown (with Numba's and Arrow's worker threads) was
    seen to crash once in CI (SIGSEGV instead of the status)."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

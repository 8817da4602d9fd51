"""The `brainsim` command: a Hydra adapter around `brainsim.comparison.run`.

Bad input is caught before Hydra creates a run directory: one line on stderr naming the
key and its allowed range, exit status 2, nothing written. The user's own config folders
(`--config-dir DIR`, `hydra.searchpath=[file://DIR]`) are searched for hypotheses and
targets like the shipped ones.
"""

from __future__ import annotations

import shlex
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from .api import compose, hypothesis_names
from .checkpoint import Checkpoints, fingerprint
from .comparison import chooses_hypothesis
from .config.settings import RunSettings, settings_from_config
from .config.validation import ConfigError

__all__ = ["Interrupted", "main", "planned_jobs", "validate"]

_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc")
_VALUED_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn", "--experimental-rerun")


def _config_dirs(argv: list[str]) -> list[str]:
    """The user's config folders on a command line: --config-dir / -cd and hydra.searchpath."""
    dirs = []
    for i, a in enumerate(argv):
        if a in ("--config-dir", "-cd") and i + 1 < len(argv):
            dirs.append(argv[i + 1])
        elif a.startswith(("--config-dir=", "-cd=")):
            dirs.append(a.split("=", 1)[1])
        elif a.startswith("hydra.searchpath="):
            entries = a.split("=", 1)[1].strip("[]").split(",")
            dirs += [e.strip().removeprefix("file://") for e in entries if e.strip().startswith("file://")]
    return dirs


def _user_overrides(argv: list[str]) -> list[str] | None:
    """The plain config overrides of the command line (sweeps included), or None when Hydra
    should handle argv alone (help, --cfg and other information flags)."""
    if any(a in _INFO_FLAGS or a.startswith("--info") for a in argv):
        return None
    values = {i + 1 for i, a in enumerate(argv) if a in _VALUED_FLAGS}
    return [a for i, a in enumerate(argv) if i not in values and not a.startswith("-")
            and not a.lstrip("+~").startswith("hydra")]


def planned_jobs(argv: list[str]) -> list[list[str]]:
    """The overrides of every job the command line will run: one for a single run; for a
    multirun (-m) the sweep expanded as Hydra's basic sweeper will (experiment sweeps included)."""
    overrides = _user_overrides(argv) or []
    if not any(a in ("-m", "--multirun") for a in argv):
        return [overrides]
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from .collect import expand_sweep

    fixed = [o.input_line for o in OverridesParser.create().parse_overrides(overrides) if not o.is_sweep_override()]
    params = OmegaConf.select(compose(fixed, with_hydra=True, config_dirs=_config_dirs(argv)),
                              "hydra.sweeper.params") or {}
    return expand_sweep(params, overrides)


def validate(cfg: DictConfig) -> RunSettings:
    """The validated settings of a composed config (raises ConfigError; unknown keys included)."""
    return settings_from_config(OmegaConf.to_container(cfg, resolve=True))


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised where the run was, so atomic writers clean up."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_interrupt():
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


def _resume_command(out: Path) -> str:
    """The command line that continues this run (or sweep) from its checkpoints."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    where = HydraConfig.get().sweep.dir if multirun else str(out)
    args = [a for a in sys.argv[1:] if not a.startswith((key + "=", "resume="))]
    return shlex.join(["brainsim", *args, f"{key}={where}", "resume=true"])


def _is_complete(out: Path, config: dict) -> bool:
    """True when `out` holds the finished outputs of a run of the same config."""
    import json

    try:
        done = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return fingerprint(done.get("provenance", {}).get("config", {})) == fingerprint(config)


def _progress_bar(total: int | None, unit: str = "person", desc: str = "simulating"):
    """A tqdm bar on stderr, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, disable=None, file=sys.stderr)


class _Stage:
    """The stage a run is in (for the interruption message), logged with the time the last one took."""

    def __init__(self):
        import logging
        import time

        self.now, self.log = time.perf_counter, logging.getLogger("brainsim")
        self.text, self.since = "setting up", self.now()

    def __call__(self, text: str) -> None:
        self.log.info("%s: done in %.1f s", self.text, self.now() - self.since)
        self.text, self.since = text, self.now()


@hydra.main(config_path="pkg://brainsim.conf", config_name="config", version_base=None)
def _app(cfg: DictConfig) -> None:
    from hydra import compose as hydra_compose
    from hydra.core.hydra_config import HydraConfig

    from . import comparison, console

    out = Path(HydraConfig.get().runtime.output_dir)
    overrides = list(HydraConfig.get().overrides.task)
    if chooses_hypothesis(overrides):
        configs = {str(cfg.hypothesis.name): cfg}
    else:  # the main job: every hypothesis Hydra can see, each composed as Hydra would (overrides win)
        dirs = [s["path"] for s in HydraConfig.get().runtime.config_sources if s["schema"] == "file"]
        configs = {h: hydra_compose(config_name="config", overrides=overrides + [f"hypothesis={h}"])
                   for h in hypothesis_names(dirs)}
    first = validate(next(iter(configs.values())))
    config = OmegaConf.to_container(cfg, resolve=True)
    if first.resume and _is_complete(out, config):
        print(f"{out}: complete (summary.json of the same config); skipped")
        return
    from .engine import resolve_seed

    seed = resolve_seed(first.seed)  # once: seed=null gives every hypothesis the same fresh seed
    if first.threads:
        import numba

        numba.set_num_threads(first.threads)
    reproduce = "brainsim " + " ".join(shlex.quote(o) for o in overrides if not o.startswith(("seed=", "resume=")))
    reproduce = reproduce.strip() + f" seed={seed}"
    checkpoints = Checkpoints(out, config).open(first.resume)
    stage = _Stage()
    try:
        with _signals_interrupt():
            result = comparison.run(configs, overrides=overrides, seed=seed, table_dir=out, checkpoints=checkpoints,
                                    on_stage=stage, progress=_progress_bar)
            result.provenance["command"] = reproduce
            stage("writing outputs")
            written = result.write(out, workers=first.threads or _cores(), on_stage=stage)
            checkpoints.clear()
            stage("done")
    except Interrupted as exc:
        table = " (reference_table.parquet holds the table rows simulated so far; resuming extends it)" \
            if (out / "reference_table.parquet").exists() else ""
        print(f"brainsim: interrupted by {signal.Signals(exc.signum).name} while {stage.text}; no partial output "
              f"files were left{table}. Continue with: {_resume_command(out)}", file=sys.stderr)
        _exit_now(128 + exc.signum)
    print(console.text(result))
    print(f"\nwrote {out}/: {', '.join(written)}\nreproduce with: {reproduce}")


def _cores() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS


def _exit_now(status: int) -> None:
    """Exit at once after an interruption, logs and streams flushed: every output is already
    cleaned up, and the interpreter's teardown (with Numba's and Arrow's worker threads) was
    seen to crash once in CI (SIGSEGV instead of the status)."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _check_reference_table(configs: dict, jobs: dict) -> None:
    """A given recovery.table of another config, seed or version stops the run before anything
    is written (ConfigError). Not checkable here: seed=null (its seed is drawn at run time)."""
    first = next(iter(jobs.values()))
    if first.recovery.per_hypothesis and first.recovery.table and first.seed is not None:
        from . import assessment

        assessment.check_table(first.recovery, first.abc, assessment.problem(configs, jobs), first.seed, Path("."))


def main() -> None:
    """Validate every job the command line asks for, then hand over to Hydra. A bad value stops
    everything before any directory or file is created: one line on stderr, exit status 2."""
    from .comparison import compose_hypotheses

    argv = sys.argv[1:]
    if _user_overrides(argv) is not None:
        try:
            for job in planned_jobs(argv):
                configs = compose_hypotheses(job, config_dirs=_config_dirs(argv))
                _check_reference_table(configs, {h: validate(c) for h, c in configs.items()})
        except ConfigError as exc:
            print(f"brainsim: error: {exc}", file=sys.stderr)
            sys.exit(2)
    _app()


if __name__ == "__main__":
    main()

"""The `brainsim` command line before Hydra sees it: the user's config folders, the
overrides of every job it will run (sweeps expanded), and their validation."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from .api import compose
from .config.settings import validate

__all__ = ["check_jobs", "config_dirs", "planned_jobs", "reproduce_command", "user_overrides"]

_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc")
_VALUED_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn", "--experimental-rerun")


def config_dirs(argv: list[str]) -> list[str]:
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


def reproduce_command(overrides: list[str], sources: list[dict], seed: int) -> str:
    """The command line that reproduces a run: its overrides with the seed it used, and the
    user's config folders from Hydra's `runtime.config_sources` (absolute paths: the
    `--config-dir` one, and those of `hydra.searchpath`), without which a hypothesis of the
    user's own cannot be found."""
    import shlex

    user = [s for s in sources if s["schema"] == "file" and s["provider"] != "main"]
    args = ["brainsim"]
    for s in user:
        if s["provider"] == "command-line":
            args += ["--config-dir", str(s["path"])]
    searched = [f"file://{s['path']}" for s in user if s["provider"] != "command-line"]
    if searched:
        args.append("hydra.searchpath=[" + ",".join(searched) + "]")
    args += [o for o in overrides if not o.startswith(("seed=", "resume="))]
    return shlex.join([*args, f"seed={seed}"])


def user_overrides(argv: list[str]) -> list[str] | None:
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
    overrides = user_overrides(argv) or []
    if not any(a in ("-m", "--multirun") for a in argv):
        return [overrides]
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from .collect import expand_sweep

    fixed = [o.input_line for o in OverridesParser.create().parse_overrides(overrides) if not o.is_sweep_override()]
    params = OmegaConf.select(compose(fixed, with_hydra=True, config_dirs=config_dirs(argv)),
                              "hydra.sweeper.params") or {}
    return expand_sweep(params, overrides)


def _check_reference_table(configs: dict, jobs: dict) -> None:
    """A given recovery.table of another config, seed or version stops the run before anything
    is written (ConfigError). Not checkable here: seed=null (its seed is drawn at run time)."""
    first = next(iter(jobs.values()))
    if first.recovery.per_hypothesis and first.recovery.table and first.seed is not None:
        from . import assessment

        assessment.check_table(first.recovery, first.abc, assessment.problem(configs, jobs), first.seed, Path("."))


def check_jobs(argv: list[str]) -> None:
    """Compose and validate every job the command line asks for (every hypothesis of each);
    raises ConfigError on the first bad value. Nothing is written."""
    from .comparison import compose_hypotheses

    for job in planned_jobs(argv):
        configs = compose_hypotheses(job, config_dirs=config_dirs(argv))
        jobs = {h: validate(c) for h, c in configs.items()}
        _check_reference_table(configs, jobs)

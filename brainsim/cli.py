"""The `brainsim` command: a Hydra adapter around `brainsim.comparison.run`.

Bad input is caught before Hydra creates a run directory: one line on stderr naming the
key and its allowed range, exit status 2, nothing written. The user's own config folders
(`--config-dir DIR`, `hydra.searchpath=[file://DIR]`) are searched for hypotheses, laws and
batteries like the shipped ones (targets are given by path).
"""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from .api import hypothesis_names
from .checkpoint import Checkpoints
from .commandline import check_jobs, planned_jobs, reproduce_command, user_overrides
from .comparison import chooses_hypothesis
from .config.loaders import CONF_SOURCE
from .config.settings import validate
from .validation import ConfigError
from .rundir import Interrupted, Stage, exit_now, is_complete, progress_bar, signals_interrupt

__all__ = ["main", "planned_jobs", "validate"]


def _resume_command(out: Path) -> str:
    """The command line that continues this run (or sweep) from its checkpoints."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    where = HydraConfig.get().sweep.dir if multirun else str(out)
    args = [a for a in sys.argv[1:] if not a.startswith((key + "=", "resume="))]
    return shlex.join(["brainsim", *args, f"{key}={where}", "resume=true"])


@hydra.main(config_path=CONF_SOURCE, config_name="config", version_base=None)
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
    if first.resume and is_complete(out, config):
        print(f"{out}: complete (summary.json of the same config); skipped")
        return
    from .engine import resolve_seed

    seed = resolve_seed(first.seed)  # once: seed=null gives every hypothesis the same fresh seed
    if first.threads:
        import numba

        numba.set_num_threads(first.threads)
    reproduce = reproduce_command(overrides, list(HydraConfig.get().runtime.config_sources), seed)
    checkpoints = Checkpoints(out, config).open(first.resume)
    stage = Stage()
    try:
        with signals_interrupt():
            result = comparison.run(configs, overrides=overrides, seed=seed, table_dir=out, checkpoints=checkpoints,
                                    on_stage=stage, progress=progress_bar)
            result.provenance |= {"command": reproduce, "config": config}  # the app's: resume compares it
            stage("writing outputs")
            written = result.write(out, workers=first.threads or _cores(), on_stage=stage)
            checkpoints.clear()
            stage("done")
    except Interrupted as exc:
        table = " (reference_table.parquet holds the table rows simulated so far; resuming extends it)" \
            if (out / "reference_table.parquet").exists() else ""
        print(f"brainsim: interrupted by {signal.Signals(exc.signum).name} while {stage.text}; no partial output "
              f"files were left{table}. Continue with: {_resume_command(out)}", file=sys.stderr)
        exit_now(128 + exc.signum)
    print(console.text(result))
    print(f"\nwrote {out}/: {', '.join(written)}\nreproduce with: {reproduce}")


def _cores() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS


def main() -> None:
    """Validate every job the command line asks for, then hand over to Hydra. A bad value stops
    everything before any directory or file is created: one line on stderr, exit status 2."""
    if user_overrides(sys.argv[1:]) is not None:
        try:
            check_jobs(sys.argv[1:])
        except ConfigError as exc:
            print(f"brainsim: error: {exc}", file=sys.stderr)
            sys.exit(2)
    _app()


if __name__ == "__main__":
    main()

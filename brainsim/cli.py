"""The `brainsim` command: a Hydra app that simulates a population and writes its summary.

Bad input is caught before Hydra creates a run directory: one line on stderr naming the
key and its allowed range, exit status 2, nothing written.
"""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from . import __version__
from .api import compose
from .engine import resolve_seed, run
from .io import write_json, write_parquet
from .params import model_from_config
from .targets import hypothesis_from_config, load_targets, scorecard, to_markdown, total_distance
from .validation import ConfigError

log = logging.getLogger("brainsim")
_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc")


def _user_overrides(argv: list[str]) -> list[str] | None:
    """The plain config overrides of a single run, or None when Hydra should handle argv alone."""
    if any(a in _INFO_FLAGS or a.startswith("--info") for a in argv) or any(a in ("-m", "--multirun") for a in argv):
        return None
    return [a for a in argv if not a.startswith("-") and not a.lstrip("+~").startswith("hydra")]


def validate(cfg: DictConfig):
    """Typed model parameters, seed, hypothesis and targets from a composed config (raises ConfigError)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    return (model_from_config(container), resolve_seed(container.get("seed")), hypothesis_from_config(container),
            load_targets(str(container.get("targets", "human"))))


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="person", unit_scale=True, desc="simulating", disable=None, file=sys.stderr)


@hydra.main(config_path="conf", config_name="config", version_base=None)
def _app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    out = Path(HydraConfig.get().runtime.output_dir)
    model, seed, hypothesis, targets = validate(cfg)
    if cfg.get("threads"):
        import numba

        numba.set_num_threads(int(cfg.threads))
    with _progress_bar(model.population.n) as bar:
        pop = run(model, seed, progress=bar.update)
    summary = pop.summary()
    overrides = list(HydraConfig.get().overrides.task)
    reproduce = "brainsim " + " ".join(shlex.quote(o) for o in overrides if not o.startswith("seed="))
    reproduce += f" seed={seed}"
    write_json(out / "summary.json", {
        "statistics": summary,
        "provenance": {
            "brainsim_version": __version__,
            "seed": seed,
            "overrides": overrides,
            "command": reproduce.strip(),
            "config": OmegaConf.to_container(cfg, resolve=True),
        },
    })
    card = scorecard(hypothesis.name, summary, targets)
    from .io import write_csv, write_text

    write_csv(out / "scorecard.csv", card)
    write_text(out / "scorecard.md", to_markdown(card) + f"\ntotal distance (RMS z): {total_distance(card):.3g}\n")
    if cfg.get("save_population"):
        write_parquet(out / "population.parquet", pop.frame.head(int(cfg.save_max_rows)))
    width = max(len(k) for k in summary)
    print("\n".join(f"{k:<{width}}  {v:.6g}" for k, v in summary.items()))
    print(f"\nhypothesis {hypothesis.name}: {hypothesis.claim}")
    print(to_markdown(card) + f"total distance (RMS z): {total_distance(card):.3g}")
    if model.population.design != "twins":
        print("note: twin targets need population.design=twins")
    print(f"wrote {out}/summary.json, scorecard.csv, scorecard.md\nreproduce with: {reproduce.strip()}")


def main() -> None:
    argv = sys.argv[1:]
    overrides = _user_overrides(argv)
    if overrides is not None:
        try:
            validate(compose(overrides))
        except ConfigError as exc:
            print(f"brainsim: error: {exc}", file=sys.stderr)
            sys.exit(2)
    _app()


if __name__ == "__main__":
    main()

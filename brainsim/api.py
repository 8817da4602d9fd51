"""The notebook entry point: compose a config with Hydra overrides and simulate."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from .engine import Population, run
from .params import model_from_config
from .scaling import CONF_DIR
from .validation import ConfigError


def compose(overrides: list[str] | tuple[str, ...] = (), with_hydra: bool = False) -> DictConfig:
    """The main config with Hydra override strings applied, e.g. ["population.n=1000"]
    (`with_hydra`: keep the `hydra` node, e.g. to read an experiment's sweep)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if GlobalHydra.instance().is_initialized():  # e.g. called from inside a Hydra app
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            return hydra_compose(config_name="config", overrides=list(overrides), return_hydra_config=with_hydra)
    except (HydraException, OmegaConfBaseException) as exc:
        lines = [ln.strip() for ln in str(exc).strip().splitlines()]
        keep = [ln for ln in lines if ln and not ln.split(":")[0] in ("full_key", "object_type", "reference_type")]
        raise ConfigError(" ".join(keep).split(" Config search path")[0]) from None


def simulate(overrides: list[str] | tuple[str, ...] = (), seed: int | None = 0, progress=None) -> Population:
    """Simulate a population from the built-in config plus Hydra `overrides`.

    >>> pop = simulate(["population.n=10000", "scaling=kaplan2020"], seed=1)
    >>> pop.frame[["brain_volume", "iq"]].corr()
    """
    cfg = compose(overrides)
    model = model_from_config(OmegaConf.to_container(cfg, resolve=True))
    return run(model, seed, progress=progress)

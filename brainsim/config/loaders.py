"""The shipped config folder and what loads from it without Hydra: group names and laws."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from omegaconf import OmegaConf

from ..model.scaling import ScalingLaw
from .builders import law_from_config
from ..validation import ConfigError

__all__ = ["CONF_DIR", "CONF_MODULE", "CONF_SOURCE", "available_laws", "config_names", "law"]

CONF_MODULE = "brainsim.conf"  # the top-level conf/ folder, installed as this package
try:
    CONF_DIR = Path(str(files(CONF_MODULE)))
    CONF_SOURCE = f"pkg://{CONF_MODULE}"  # where Hydra reads the primary config
except ModuleNotFoundError:  # a source tree used without installation: conf/ beside brainsim/
    CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
    CONF_SOURCE = str(CONF_DIR)


def config_names(group: str) -> list[str]:
    """Names of the YAML files shipped in the config group conf/<group>/."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def available_laws() -> list[str]:
    """Names of the laws shipped in conf/scaling/."""
    return config_names("scaling")


def law(name: str) -> ScalingLaw:
    """A shipped scaling law.

    Parameters
    ----------
    name : str
        One of `available_laws()`, e.g. "chinchilla2022".

    Returns
    -------
    ScalingLaw
        E.g. ``law("chinchilla2022").loss(70e9, 1.4e12)`` is 1.937 nats/token.
    """
    names = available_laws()
    if name not in names:
        raise ConfigError(f"The 'scaling' parameter must be one of {', '.join(names)}. Got {name!r} instead.")
    return law_from_config(OmegaConf.to_container(OmegaConf.load(CONF_DIR / "scaling" / f"{name}.yaml")))

"""The notebook entry points: compose a config with Hydra overrides, list the hypotheses, simulate."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from .provenance import record
from .engine import Population, run
from .model.params import ModelParams
from .config.builders import model_from_config
from .config.loaders import CONF_DIR, CONF_MODULE, CONF_SOURCE
from .validation import ConfigError

__all__ = ["compose", "hypothesis_names", "model_params", "problem", "simulate"]


def _searchpath(config_dirs: Sequence[str | Path]) -> list[str]:
    """The override adding the user's config folders to Hydra's search path (after the shipped
    one: a file with a shipped file's name is not seen, see `hypothesis_names`)."""
    if not config_dirs:
        return []
    return ["hydra.searchpath=[" + ",".join(f"file://{Path(d).expanduser().resolve()}" for d in config_dirs) + "]"]


def compose(overrides: Sequence[str] = (), with_hydra: bool = False, *,
            config_dirs: Sequence[str | Path] = ()):
    """The main config with Hydra override strings applied.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides, e.g. ``["population.n=1000", "hypothesis=h2_selection"]``.
    with_hydra : bool
        Keep the ``hydra`` node (e.g. to read an experiment's sweep).
    config_dirs : sequence of path
        The user's config folders (as ``brainsim --config-dir``), searched for hypotheses,
        laws and batteries of their own.

    Returns
    -------
    omegaconf.DictConfig
        The composed config (raises `ConfigError` with one line on a bad override).
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if GlobalHydra.instance().is_initialized():  # e.g. called from inside a Hydra app
        GlobalHydra.instance().clear()
    try:
        start = (initialize_config_module(config_module=CONF_MODULE, version_base=None)
                 if CONF_SOURCE.startswith("pkg://") else initialize_config_dir(config_dir=CONF_SOURCE, version_base=None))
        with start:
            return hydra_compose(config_name="config", overrides=list(overrides) + _searchpath(config_dirs),
                                 return_hydra_config=with_hydra)
    except (HydraException, OmegaConfBaseException) as exc:
        lines = [ln.strip() for ln in str(exc).strip().splitlines()]
        keep = [ln for ln in lines if ln and not ln.split(":")[0] in ("full_key", "object_type", "reference_type")]
        raise ConfigError(" ".join(keep).split(" Config search path")[0]) from None


def hypothesis_names(config_dirs: Sequence[str | Path] = ()) -> list[str]:
    """Every hypothesis Hydra can see.

    Parameters
    ----------
    config_dirs : sequence of path
        The user's config folders; their ``hypothesis/*.yaml`` count too.

    Returns
    -------
    list of str
        Hypothesis names (file stems), sorted: the shipped ones and the user's.
    """
    shipped = {p.stem for p in (CONF_DIR / "hypothesis").glob("*.yaml")}
    names = set(shipped)
    for folder in (Path(d).expanduser() for d in config_dirs):
        for path in sorted((folder / "hypothesis").glob("*.yaml")):
            if path.stem in shipped:
                raise ConfigError(f"The hypothesis file {path} has the name of a shipped hypothesis, which Hydra "
                                  f"finds first; give yours another name.")
            names.add(path.stem)
    return sorted(names)


def model_params(overrides: Sequence[str] = (), *, config_dirs: Sequence[str | Path] = ()) -> ModelParams:
    """Typed, validated model parameters of the shipped config plus Hydra overrides.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides, e.g. ``["hypothesis=h3_mutation_load"]``.
    config_dirs : sequence of path
        The user's config folders.

    Returns
    -------
    ModelParams
        Frozen dataclasses (law, population, battery); vary them with `dataclasses.replace`.

    Examples
    --------
    >>> m = model_params(["hypothesis=h3_mutation_load"])
    >>> m = dataclasses.replace(m, population=dataclasses.replace(m.population, n=10_000))
    """
    from omegaconf import OmegaConf

    return model_from_config(OmegaConf.to_container(compose(overrides, config_dirs=config_dirs), resolve=True))


def simulate(model: ModelParams | Sequence[str] = (), *, seed: int | None = 0, progress=None,
             config_dirs: Sequence[str | Path] = ()) -> Population:
    """Simulate a whole population in memory.

    Parameters
    ----------
    model : ModelParams or sequence of str
        Typed parameters (`model_params`), or Hydra override strings of the shipped config.
    seed : int or None
        Root of every random stream; None draws fresh entropy (kept in `Population.seed`).
    progress : callable, optional
        Called with the number of people simulated after each chunk (the inbred cohort's
        included: population.n + population.inbred_n in all).
    config_dirs : sequence of path
        The user's config folders (override strings only).

    Returns
    -------
    Population
        One row per person (`Population.frame`, units in its docstring); from override
        strings, `Population.config` holds the composed config; `Population.provenance` the
        version, seed, config, overrides and environment.

    Examples
    --------
    >>> pop = simulate(["population.n=10000", "scaling=kaplan2020"], seed=1)
    >>> pop.frame[["brain_volume", "iq"]].corr()
    """
    if isinstance(model, ModelParams):
        return run(model, seed, progress=progress)
    from omegaconf import OmegaConf

    if isinstance(model, str):
        raise ConfigError(f"simulate takes ModelParams or a list of override strings. Got the string {model!r}; "
                          f"write [{model!r}].")
    config = OmegaConf.to_container(compose(model, config_dirs=config_dirs), resolve=True)
    pop = run(model_from_config(config), seed, progress=progress)
    return dataclasses.replace(pop, config=config, provenance=record(seed=pop.seed, config=config, overrides=model))


def problem(hypotheses: Sequence[str] | None = None, overrides: Sequence[str] = (), *,
            config_dirs: Sequence[str | Path] = ()):
    """The comparison as a typed problem, for `brainsim.inference.abc_smc` or a reference table.

    Parameters
    ----------
    hypotheses : sequence of str, optional
        Hypothesis names (default: every one Hydra sees).
    overrides : sequence of str
        Hydra overrides applied to every hypothesis's config.
    config_dirs : sequence of path
        The user's config folders (as in `compose`).

    Returns
    -------
    brainsim.problem.Problem
        Each hypothesis's validated model, priors and resolved config, and the targets.
    """
    from .assessment import problem as build
    from .config.settings import validate

    names = list(hypotheses) if hypotheses is not None else hypothesis_names(config_dirs)
    configs = {h: compose([*overrides, f"hypothesis={h}"], config_dirs=config_dirs) for h in names}
    return build(configs, {h: validate(c) for h, c in configs.items()})

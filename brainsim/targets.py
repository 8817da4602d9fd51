"""Observed targets and the scorecard: each hypothesis's statistics against real people.

A target file maps a target name to `statistic` (a key of `Population.summary()`),
`value`, `tolerance` (> 0, its uncertainty), `source` and `confidence` (text: checked in the
paper's own text; secondary: quoted elsewhere; unconfirmed). A scorecard row has
z = (simulated - observed) / tolerance and passes when |z| <= 2; the total distance is
the root mean square of z over the targets that could be computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from .config.loaders import CONF_DIR, config_names
from .summaries import STATISTICS
from .validation import ConfigError, Strict

__all__ = ["CONFIDENCE", "FIELDS", "Hypothesis", "hypothesis_from_config", "load_targets", "PASS_Z", "rms",
           "scorecard", "Target", "targets_path", "to_markdown", "total_distance"]

PASS_Z = 2.0
CONFIDENCE = ("text", "derived", "secondary", "unconfirmed")  # derived: computed from numbers in the text
FIELDS = ("statistic", "value", "tolerance", "source", "confidence")


@dataclass(frozen=True)
class Target:
    name: str
    statistic: str
    value: float
    tolerance: float
    source: str
    confidence: str = "unconfirmed"


@dataclass(frozen=True)
class Hypothesis:
    """A hypothesis config: its claim and free parameters with uniform prior ranges.

    free : every free parameter (the shared background's and the hypothesis's own, which win),
    as {dotted key: (low, high)} in the space ABC samples: log10 of the value for keys in `log`
    own : the keys the hypothesis itself frees (its mechanism)
    """

    name: str
    claim: str
    free: dict[str, tuple[float, float]]
    own: frozenset[str] = frozenset()
    log: frozenset[str] = frozenset()

    def value(self, key: str, sampled: float) -> float:
        """The config value of a sampled parameter (10 ** sampled for log10 priors)."""
        return float(10.0**sampled) if key in self.log else float(sampled)


def targets_path(name_or_path: str) -> Path:
    """A shipped target set by name (conf/observed/<name>.yaml) or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    shipped = CONF_DIR / "observed" / f"{name_or_path}.yaml"
    if not shipped.exists():
        names = ", ".join(config_names("observed"))
        raise ConfigError(f"The 'targets' parameter must be one of {names} or a .yaml path. Got {name_or_path!r} instead.")
    return shipped


EXTENDS = "_extends"  # a target file's key naming the set it changes (a name or a path)


def _raw_targets(name_or_path: str, seen: tuple[Path, ...] = ()) -> tuple[Path, dict]:
    """A target file's entries, with those of the set it `_extends` underneath (each entry
    field by field: a file that changes one value of a target keeps its other fields)."""
    path = targets_path(name_or_path)
    if not path.exists():
        raise ConfigError(f"The 'targets' file {path} does not exist.")
    if path.resolve() in seen:
        raise ConfigError(f"The targets file {path} extends itself (through {', '.join(p.name for p in seen)}).")
    raw = OmegaConf.to_container(OmegaConf.load(path))
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"The targets file {path} must map target names to entries. Got {raw!r} instead.")
    base = raw.pop(EXTENDS, None)
    if base is None:
        return path, raw
    if not isinstance(base, str):
        raise ConfigError(f"{path.name}: '{EXTENDS}' must name a target set or a .yaml path. Got {base!r} instead.")
    _, merged = _raw_targets(base, (*seen, path.resolve()))
    for name, entry in raw.items():
        old = merged.get(name)
        merged[name] = {**old, **entry} if isinstance(old, Mapping) and isinstance(entry, Mapping) else entry
    return path, merged


def load_targets(name_or_path: str = "human") -> list[Target]:
    """Read and validate a target file (with the set it `_extends`, if any); errors name the
    file and the key."""
    path, raw = _raw_targets(name_or_path)
    out = []
    for name, entry in raw.items():
        where = f"{path.name}: '{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}' must be a mapping with {', '.join(FIELDS)}. Got {entry!r} instead.")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise ConfigError(f"{where}.{min(unknown)}' is not a target field; allowed: {', '.join(FIELDS)}.")
        confidence = entry.get("confidence")
        if confidence not in CONFIDENCE:
            raise ConfigError(f"{where}.confidence' must be one of {', '.join(CONFIDENCE)}. Got {confidence!r} instead.")
        statistic = str(entry.get("statistic", name))
        if statistic not in STATISTICS:
            raise ConfigError(f"{where}.statistic' must be one of {', '.join(STATISTICS)}. Got {statistic!r} instead.")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"{where}.source' must be a non-empty citation. Got {source!r} instead.")
        tol, value = entry.get("tolerance"), entry.get("value")
        if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not tol > 0 or not math.isfinite(tol):
            raise ConfigError(f"{where}.tolerance' must be a finite number > 0. Got {tol!r} instead.")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ConfigError(f"{where}.value' must be a finite number. Got {value!r} instead.")
        out.append(Target(str(name), statistic, float(value), float(tol), source, str(confidence)))
    return out


def _lookup(cfg: Mapping, dotted: str):
    """The value at a dotted path (None if absent), without marking it read in a Strict view."""
    return (cfg if isinstance(cfg, Strict) else Strict(cfg)).peek(dotted)


def _priors(cfg: Mapping, free, where: str) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """Validated priors of a `free` section: {key: (low, high)} and the keys sampled in log10."""
    out, log = {}, set()
    for key, rng in (free or {}).items():
        at = f"{where}.{key}'"
        if _lookup(cfg, str(key)) is None:
            raise ConfigError(f"{at} must name an existing config key. Got {key!r} instead.")
        if isinstance(rng, Mapping) and set(rng) == {"log10"}:
            rng = rng["log10"]
            log.add(str(key))
        if not isinstance(rng, (list, tuple)) or len(rng) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in rng):
            raise ConfigError(f"{at} must be a prior range [low, high] or {{log10: [low, high]}} of finite "
                              f"numbers. Got {rng!r} instead.")
        low, high = (float(v) for v in rng)
        if low > high:
            raise ConfigError(f"{at} prior range must have low <= high. Got [{low}, {high}] instead.")
        out[str(key)] = (low, high)
    return out, log


def _check_about(background: Mapping, priors: Mapping) -> None:
    """Every background prior has `about.<key>.why` (its physical justification) and `.source`."""
    about = background.get("about") or {}
    for key in priors:
        entry = about.get(key) if isinstance(about, Mapping) else None
        for field in ("why", "source"):
            text = entry.get(field) if isinstance(entry, Mapping) else None
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(f"The 'background.about.{key}.{field}' entry must say, in one line, "
                                  f"{'why the prior range is physically sensible' if field == 'why' else 'its source (or assumption)'}."
                                  f" Got {text!r} instead.")


def hypothesis_from_config(cfg: Mapping) -> Hypothesis:
    """Validate the `hypothesis` section (name, claim, its own priors) and merge in the shared
    `background` priors; a hypothesis's own prior replaces the background's for the same key."""
    node = cfg.get("hypothesis")
    if not isinstance(node, Mapping) or "name" not in node:
        raise ConfigError("The 'hypothesis' section must have a name (choose a file in conf/hypothesis/).")
    name = str(node["name"])
    own, own_log = _priors(cfg, node.get("free"), f"hypothesis/{name}.yaml: 'hypothesis.free")
    background = cfg.get("background") or {}
    if not isinstance(background, Mapping):
        raise ConfigError(f"The 'background' section must be a mapping with 'free' priors. Got {background!r} instead.")
    shared, shared_log = _priors(cfg, background.get("free"), "conf/background: 'background.free")
    _check_about(background, shared)
    free = {k: v for k, v in shared.items() if k not in own} | own
    log = (shared_log - set(own)) | own_log
    return Hypothesis(name, str(node.get("claim", "")), free, frozenset(own), frozenset(log))


def scorecard(hypothesis: str, summary: Mapping[str, float], targets: list[Target]) -> pd.DataFrame:
    """One row per target: simulated, observed, z, passed (|z| <= 2), tolerance, source."""
    rows = []
    for t in targets:
        sim = float(summary.get(t.statistic, float("nan")))
        z = (sim - t.value) / t.tolerance
        rows.append({"hypothesis": hypothesis, "target": t.name, "simulated": sim, "observed": t.value,
                     "tolerance": t.tolerance, "z": z, "passed": bool(abs(z) <= PASS_Z), "source": t.source,
                     "confidence": t.confidence})
    return pd.DataFrame(rows)


def rms(z: np.ndarray) -> float:
    """Root mean square of z ((m,); NaN if any is NaN), without overflow where a square would
    exceed the float range (a statistic 1e200 tolerances off is far, not infinitely far)."""
    with np.errstate(over="ignore"):
        out = np.sqrt(np.mean(np.square(z)))
    if np.isfinite(out) or not np.isfinite(z).all():
        return float(out)
    top = np.abs(z).max()
    return float(top * np.sqrt(np.mean(np.square(z / top))))


def total_distance(card: pd.DataFrame) -> float:
    """Root mean square z over the rows that could be computed (NaN rows are skipped)."""
    z = card["z"].dropna()
    return rms(z.to_numpy(float)) if len(z) else float("nan")


def to_markdown(card: pd.DataFrame) -> str:
    """The scorecard as a Markdown table (also readable in a terminal)."""
    head = "| hypothesis | target | simulated | observed | z | passed |\n|---|---|---:|---:|---:|:---:|\n"
    body = "".join(
        f"| {r.hypothesis} | {r.target} | {r.simulated:.4g} | {r.observed:.4g} | {r.z:+.2f} | "
        f"{'yes' if r.passed else 'no'} |\n"
        for r in card.itertuples()
    )
    return head + body

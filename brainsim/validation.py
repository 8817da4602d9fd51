"""One message template for every bad input, and the `Strict` view that catches unknown keys:
a leaf module (it imports only `brainsim.errors`), so every layer can check its arguments.

Messages follow scikit-learn's template: name the key, the allowed values and
what was given, e.g. "The 'population.n' parameter must be an int >= 1. Got 0
instead."
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real

__all__ = ["check_bool", "check_choice", "check_float", "check_int", "check_list", "check_nonneg",
           "check_positive", "check_probability", "ConfigError", "Strict"]


from .errors import ConfigError  # noqa: E402  (re-exported: the error type lives in a leaf module)


def _fail(key: str, allowed: str, got: object, hint: str = "") -> None:
    msg = f"The '{key}' parameter must be {allowed}. Got {got!r} instead."
    if hint:
        msg += f" {hint}"
    raise ConfigError(msg)


def check_int(key: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return `value` as int if it is an integer within [low, high]."""
    allowed = "an int" + _range_text(low, high)
    if isinstance(value, bool) or not isinstance(value, Integral):
        _fail(key, allowed, value)
    if (low is not None and value < low) or (high is not None and value > high):
        _fail(key, allowed, value)
    return int(value)


def check_float(
    key: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return `value` as a finite float within the given (half-)open range."""
    allowed = "a finite float" + _range_text(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        _fail(key, allowed, value)
    v = float(value)
    if low is not None and (v < low or (low_open and v == low)):
        _fail(key, allowed, value)
    if high is not None and (v > high or (high_open and v == high)):
        _fail(key, allowed, value)
    return v


def check_positive(key: str, value: object) -> float:
    return check_float(key, value, 0.0, low_open=True)


def check_nonneg(key: str, value: object) -> float:
    return check_float(key, value, 0.0)


def check_probability(key: str, value: object) -> float:
    return check_float(key, value, 0.0, 1.0)


def check_choice(key: str, value: object, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        _fail(key, "one of " + ", ".join(repr(c) for c in choices), value)
    return str(value)


def check_list(key: str, value: object, length: int | None = None) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        try:
            value = list(value)  # OmegaConf ListConfig
        except TypeError:
            _fail(key, "a list", value)
    value = list(value)
    if length is not None and len(value) != length:
        _fail(key, f"a list of length {length}", value)
    return value


def _range_text(low, high, low_open: bool = False, high_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high}"
    return ""


def check_bool(key: str, value: object) -> bool:
    """Return `value` if it is a bool (YAML true/false); strings such as "yes" are refused."""
    if not isinstance(value, bool):
        _fail(key, "true or false", value)
    return value


class Strict(Mapping):
    """A read-only view of a nested config that records which leaves validators read.

    After validation, `unread()` lists every leaf nobody read: a key no schema knows, e.g. a
    typo added with `+population.brain.volume_cvv=0.2` or left in a user's YAML file.
    """

    def __init__(self, data: Mapping, path: str = "", seen: set[str] | None = None):
        self._data, self._path = data, path
        self._seen = set() if seen is None else seen

    def __getitem__(self, key):
        value = self._data[key]
        full = f"{self._path}{key}"
        if isinstance(value, Mapping):
            return Strict(value, full + ".", self._seen)
        self._seen.add(full)
        if isinstance(value, (list, tuple)):
            return [Strict(v, f"{full}[{i}].", self._seen) if isinstance(v, Mapping) else v
                    for i, v in enumerate(value)]
        return value

    def __contains__(self, key) -> bool:
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def peek(self, dotted: str, default=None):
        """The value at a dotted path without marking it read (None-safe)."""
        node = self._data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def unread(self) -> list[str]:
        """Leaf paths of the config that no validator read, in config order."""
        out: list[str] = []

        def walk(node, path):
            for k, v in node.items():
                full = f"{path}{k}"
                if isinstance(v, Mapping):
                    walk(v, full + ".")
                elif full not in self._seen:
                    out.append(full)
                elif isinstance(v, (list, tuple)):
                    for i, item in enumerate(v):
                        if isinstance(item, Mapping):
                            walk(item, f"{full}[{i}].")

        walk(self._data, self._path)
        return out

    def check_no_unknown(self) -> None:
        """Raise ConfigError naming the first unread key (with the nearest known key as a hint)."""
        unknown = self.unread()
        if unknown:
            import difflib

            key = unknown[0]
            parent, _, leaf = key.rpartition(".")
            siblings = {k.rpartition(".")[2]: k for k in self._seen if k.rpartition(".")[0] == parent}
            near = difflib.get_close_matches(leaf, sorted(siblings), n=1, cutoff=0.75)
            hint = f" Did you mean '{siblings[near[0]]}'?" if near else " Remove it or fix its spelling."
            raise ConfigError(f"Unknown config key '{key}': no part of brainsim reads it.{hint}")

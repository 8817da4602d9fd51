"""One error type and one message template for every bad input.

Messages follow scikit-learn's template: name the key, the allowed values and
what was given, e.g. "The 'population.n' parameter must be an int >= 1. Got 0
instead."
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real


class ConfigError(ValueError):
    """A configuration value is outside its allowed range (one-line message)."""


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

"""The error type of bad input: a leaf module, so that every layer (the model's kernels'
wrappers included) can raise it without importing the config layer."""

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration value is outside its allowed range (one-line message)."""

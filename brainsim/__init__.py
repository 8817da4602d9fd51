"""brainsim: human populations under neural scaling laws, scored against observed IQ data."""

from importlib.metadata import PackageNotFoundError, version

from .api import compose, simulate
from .engine import Population
from .validation import ConfigError

try:
    __version__ = version("brainsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["ConfigError", "Population", "__version__", "compose", "simulate"]

"""brainsim: human populations under neural scaling laws, scored against observed IQ data.

    >>> import brainsim
    >>> pop = brainsim.simulate(["population.n=10000"], seed=1)     # one population
    >>> result = brainsim.compare(["recovery.per_hypothesis=0"])    # the whole comparison
    >>> brainsim.plots.iq_histograms({"baseline": pop.frame})       # submodules load on first use
"""

from importlib import import_module



from .version import __version__


from .api import compose, hypothesis_names, model_params, simulate  # noqa: E402  (the modules below read __version__)
from .comparison import Comparison, compare  # noqa: E402
from .engine import Population  # noqa: E402
from .config.loaders import available_laws, law  # noqa: E402
from .validation import ConfigError  # noqa: E402

__all__ = ["Comparison", "ConfigError", "Population", "__version__", "available_laws", "compare", "compose",
           "hypothesis_names", "law", "model_params", "simulate"]

_SUBMODULES = {"assessment", "backends", "checkpoint", "cli", "collect", "comparison", "config", "console",
               "decomposition", "engine", "inference", "io", "lifecourse", "model", "paradox", "plots", "recovery",
               "reference", "report", "summaries", "tables", "targets", "verdict"}


def __getattr__(name: str):
    """`brainsim.plots` and the other submodules without importing them first (PEP 562)."""
    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'brainsim' has no attribute {name!r}")

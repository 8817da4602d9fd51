"""brainsim's version: a leaf module, so that any layer can record it without importing the
package root."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]


def _version() -> str:
    """The installed version; in a source tree without installation, pyproject.toml's + "+source"."""
    try:
        return version("brainsim")
    except PackageNotFoundError:
        import re
        from pathlib import Path

        try:
            text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
            return re.search(r'^version = "([^"]+)"', text, re.M).group(1) + "+source"
        except (OSError, AttributeError):
            return "0+unknown"


__version__ = _version()

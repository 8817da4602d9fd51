"""Sphinx configuration: the API reference from the NumPy-style docstrings (numpydoc), the
model's equations, and the README and experiments pages (MyST Markdown). Built with warnings
as errors: sphinx-build -W -b html docs docs/_build/html"""

from brainsim import __version__

project = "brainsim"
author = "the brainsim authors"
release = version = __version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # autodoc lists members; numpydoc would list them twice
numpydoc_validation_checks = set()  # docstrings are short by design (STYLE): no section is mandatory
myst_heading_anchors = 3
# README and experiments/README link to files of the repository (CONTRIBUTING.md, tests/...),
# which are not pages of the site
suppress_warnings = ["myst.xref_missing"]

"""The documentation site builds with no warning: the API reference from the docstrings
(numpydoc), the model's equations, README and the experiments (MyST)."""

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_docs_build_with_warnings_as_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", str(DOCS),
                           str(tmp_path / "html")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "html" / "api.html").read_text()
    assert "abc_smc" in page and "population_statistics" in page and "Problem" in page
    assert "class=\"math" in (tmp_path / "html" / "model.html").read_text()  # the equations

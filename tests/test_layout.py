"""The package's layers: the model imports numpy, numba and scipy only."""

import ast
import sys
from pathlib import Path

import brainsim

MODEL = Path(brainsim.__file__).parent / "model"
ALLOWED = {"numpy", "numba", "scipy"}
ALLOWED_INTERNAL = {"..config.validation"}  # one-line errors for bad arguments; pure Python


def _imports(path: Path) -> list[str]:
    """Every module a file imports ('.x' for relative imports)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append("." * node.level + (node.module or ""))
    return out


def test_model_modules_import_numpy_numba_and_scipy_only():
    files = sorted(MODEL.glob("*.py"))
    assert {p.stem for p in files} >= {"scaling", "population", "tasks", "reaction_time", "psychometrics", "params"}
    for path in files:
        for name in _imports(path):
            if name.startswith(".."):
                assert name in ALLOWED_INTERNAL, f"{path.name} imports {name}"
            elif not name.startswith("."):
                root = name.split(".")[0]
                assert root in ALLOWED or root in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nfrom omegaconf import OmegaConf\nfrom ..engine import run\n")
    assert _imports(bad) == ["numpy", "omegaconf", "..engine"]


def test_every_module_says_what_it_exports():
    import importlib.util

    package = Path(brainsim.__file__).parent
    for path in sorted(package.rglob("*.py")):
        if "conf" in path.relative_to(package).parts:
            continue
        name = ".".join(("brainsim", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), name
        assert [n for n in module.__all__ if not hasattr(module, n) and
                not importlib.util.find_spec(f"{name}.{n}")] == [], name

"""The package's layers: every module has a rank and imports only modules of its own rank or
below; the model imports numpy, numba and scipy only (and the leaf modules).

    0 leaves: the error type, validation helpers, the version, provenance, file writing
    1 the model: pure kernels and the statistics of people
    2 configuration: typed settings, targets, the backends' parameters
    3 engine and inference: populations, the life course, ABC, the reference table, recovery, forests, the gate
    4 a comparison's parts: assessment, model choice, verdict, tables, the API, and the
      renderers of frames (console text, figures, report), which a comparison writes with
    5 the comparison
    6 edges: the command line, run directories, collecting sweeps, the package root
"""

import ast
import sys
from pathlib import Path

import brainsim

MODEL = Path(brainsim.__file__).parent / "model"
ALLOWED = {"numpy", "numba", "scipy"}
ALLOWED_INTERNAL = {"..errors", "..validation"}  # one-line errors for bad arguments; pure Python

LAYERS = {
    0: {"errors", "validation", "version", "io", "provenance"},
    1: {"model", "model.params", "model.population", "model.psychometrics", "model.reaction_time", "model.scaling",
        "model.tasks", "summaries"},
    2: {"config", "config.loaders", "config.overrides", "config.builders", "config.schema", "config.settings", "targets",
        "backends"},
    3: {"engine", "inference", "problem", "reference", "recovery", "forest", "gate", "decomposition", "paradox", "lifecourse",
        "checkpoint"},
    4: {"assessment", "modelchoice", "verdict", "tables", "api", "console", "plots", "report"},
    5: {"comparison"},
    6: {"", "cli", "commandline", "collect", "rundir"},
}
RANK = {m: r for r, mods in LAYERS.items() for m in mods}
PACKAGE = Path(brainsim.__file__).parent


def _module(path: Path) -> str:
    """'model.tasks' for brainsim/model/tasks.py, '' for the package root."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix("__init__").strip(".")


def _internal(path: Path, text: str | None = None) -> list[str]:
    """The package modules a file (or `text` in its place) imports (resolved relative
    imports; `from . import x` names x)."""
    here = _module(path).split(".") if _module(path) else []
    base_parts = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = base_parts[: len(base_parts) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:
                out += [".".join(filter(None, [target, a.name])) for a in node.names]
            else:
                out.append(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "brainsim":
            target = node.module.removeprefix("brainsim").strip(".")
            out += [".".join(filter(None, [target, a.name])) for a in node.names]
    return [m if m in RANK else m.rsplit(".", 1)[0] for m in out]


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


def test_every_module_has_a_layer():
    modules = {_module(p) for p in PACKAGE.rglob("*.py") if "conf" not in p.relative_to(PACKAGE).parts}
    assert modules - set(RANK) == set(), "place each new module in LAYERS"
    assert set(RANK) - modules == set(), "LAYERS names a module that does not exist"


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "conf" in path.relative_to(PACKAGE).parts:
            continue
        me = _module(path)
        for target in _internal(path):
            if target in RANK and RANK[target] > RANK[me]:
                upward.append(f"{me or 'brainsim'} (layer {RANK[me]}) imports {target} (layer {RANK[target]})")
    assert upward == []


def test_the_layer_check_sees_an_upward_import():
    tasks = PACKAGE / "model" / "tasks.py"
    found = _internal(tasks, tasks.read_text() + "\nfrom ..comparison import run\nfrom brainsim import plots\n")
    assert {"comparison", "plots"} <= set(found)
    assert RANK["comparison"] > RANK["model.tasks"] and RANK["plots"] > RANK["model.tasks"]

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from golden import GOLDEN_ARGS

from brainsim.api import model_params

ALPHA = 1e-3  # significance level of every distributional test (fixed seeds make them repeatable)
# the shared background's variation switched off, for tests in which one cause alone must vary
QUIET_BACKGROUND = ("population.noise.sd=0", "population.mutation.de_novo_rate=0")


def model(*overrides):
    """Validated model parameters for the default config plus overrides."""
    return model_params(list(overrides))


@pytest.fixture
def make_model():
    return model


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """One small run of the default job (every hypothesis, ABC, figures, report): (result, run dir)."""
    import subprocess
    import sys

    cwd = tmp_path_factory.mktemp("default_run")
    res = subprocess.run([sys.executable, "-m", "brainsim.cli", "hydra.run.dir=run", *GOLDEN_ARGS],
                         cwd=cwd, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    return res, cwd / "run"

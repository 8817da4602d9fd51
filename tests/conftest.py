import os

import pytest
from omegaconf import OmegaConf

os.environ.setdefault("MPLBACKEND", "Agg")

from brainsim.api import compose
from brainsim.params import model_from_config

ALPHA = 1e-3  # significance level of every distributional test (fixed seeds make them repeatable)


def model(*overrides):
    """Validated model parameters for the default config plus overrides."""
    return model_from_config(OmegaConf.to_container(compose(list(overrides)), resolve=True))


@pytest.fixture
def make_model():
    return model

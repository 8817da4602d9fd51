"""What explains the variance: causes switched off one at a time with common random numbers."""

import numpy as np
import pytest
from conftest import model

from brainsim import engine
from brainsim.decomposition import CAUSES, ITEM_SAMPLING, REMAINDER, decompose

ONLY = {  # overrides under which one cause alone varies between people
    "brain size": ["population.data.sd=0", "population.brain.volume_cv=0.3"],
    "data": ["population.brain.volume_cv=0", "population.data.sd=0.5"],
    "noise and mutations": ["population.brain.volume_cv=0", "population.data.sd=0", "population.noise.sd=0.5"],
}


@pytest.mark.parametrize("cause", sorted(ONLY))
def test_the_only_varying_cause_takes_all_true_score_variance(cause):
    m = model("population.design=unrelated", "battery.norm_n=3000", *ONLY[cause])
    out = decompose(engine.prepare(m, 2), n=10_000)
    assert out[cause] / out["true_score_share"] >= 0.99
    for other in CAUSES.keys() - {cause}:
        assert out[other] == 0.0  # switched off, nothing changes: the same draws, the same bits
    assert sum(out[c] for c in [*CAUSES, ITEM_SAMPLING, REMAINDER]) == pytest.approx(1.0)
    assert out[ITEM_SAMPLING] == pytest.approx(1 - out["true_score_share"])


def test_item_sampling_share_matches_the_engine_and_the_retest_reliability():
    # the observed IQ of the decomposition is the engine's for the same people; and with
    # independent parallel forms, reliability = Var T / Var X = 1 - item-sampling share
    m = model("population.design=unrelated", "battery.norm_n=3000", "population.chunk_size=20000",
              "hypothesis=h4_architecture")
    setup = engine.prepare(m, 5)
    out = decompose(setup, n=20_000)
    cols = engine.simulate_chunk(setup, 0, 0, 20_000)
    assert out["iq_variance"] == pytest.approx(np.var(cols["iq"]), rel=1e-12)
    retest = np.corrcoef(cols["iq"], cols["iq_retest"])[0, 1]
    assert 1 - out[ITEM_SAMPLING] == pytest.approx(retest, abs=0.02)

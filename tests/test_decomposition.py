"""What explains the variance: causes switched off one at a time with common random numbers."""

import numpy as np
import pytest
from conftest import QUIET_BACKGROUND, model

from brainsim import engine
from brainsim.decomposition import CAUSES, ITEM_SAMPLING, REMAINDER, decompose
from brainsim.config.loaders import config_names

ONLY = {  # overrides under which one cause alone varies between people
    "brain size": [*QUIET_BACKGROUND, "population.data.sd=0", "population.brain.volume_cv=0.3"],
    "data": [*QUIET_BACKGROUND, "population.brain.volume_cv=0", "population.data.sd=0.5"],
    "noise and mutations": [*QUIET_BACKGROUND, "population.brain.volume_cv=0", "population.data.sd=0",
                            "population.noise.sd=0.5"],
}


@pytest.mark.parametrize("cause", sorted(ONLY))
def test_the_only_varying_cause_takes_all_true_score_variance(cause):
    m = model("population.design=unrelated", "battery.norm_n=3000", *ONLY[cause])
    out = decompose(engine.prepare(m, 2), n=10_000)
    # switching off the only cause leaves no true-score variance: its share is Var T / Var X exactly
    assert out[cause] == pytest.approx(out["true_score_share"], rel=1e-9)
    assert out[REMAINDER] == pytest.approx(0.0, abs=1e-9)
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


def test_two_additive_causes_share_the_true_score_variance_as_their_loss_terms_do():
    # Chinchilla's loss E + A / N^alpha + B / D^beta is a sum of a brain term and a data term;
    # with small spreads the true score is linear in the loss, so each cause takes its loss
    # term's share of Var T: Var(A N^-alpha) / (Var(A N^-alpha) + Var(B D^-beta)), computed here
    # from the people's own N and per-domain D (measured: 0.498 and 0.539 against 0.481 and 0.519). A share
    # divided by Var T instead of Var X, or a cause switched off in the wrong trait, breaks it.
    import brainsim

    m = model(*QUIET_BACKGROUND, "population.design=unrelated", "battery.norm_n=3000", "population.chunk_size=20000",
              "population.brain.volume_cv=0.1", "population.data.sd=0.025", "population.data.diet_cv=0")
    out = decompose(engine.prepare(m, 3), n=20_000)
    law = brainsim.law("chinchilla2022")
    pop = brainsim.simulate(m, seed=3)
    first = pop.frame.iloc[:20_000]
    brain = law.params["A"] * first["n_params"].to_numpy() ** -law.params["alpha"]
    per_domain = first["data"].to_numpy() / m.battery.n_domains  # an even split of lifetime data
    data = law.params["B"] * per_domain ** -law.params["beta"]
    expected = brain.var() / (brain.var() + data.var())
    shares = np.array([out["brain size"], out["data"]]) / out["true_score_share"]
    assert shares == pytest.approx([expected, 1 - expected], abs=0.03)
    assert out[REMAINDER] == pytest.approx(0.0, abs=0.05 * out["true_score_share"])  # measured -0.037
    assert out["noise and mutations"] == 0.0


def test_each_cause_is_held_at_its_typical_value_and_touches_nothing_else():
    # A cause switched off is held, not removed: latent z at 0 (the median person), the median
    # mutation burden (not none), the even data split, the wild type. Every other draw is kept.
    from brainsim.model.population import I_BRAIN, I_DATA, I_NOISE, WILD_TYPE, draw_traits

    m = model("hypothesis=h3_mutation_load", "population.architecture.mode=discrete",
              "population.architecture.variants=[{prob:0.3,shift:0.2}]", "population.data.diet_cv=0.5")
    draws = draw_traits(np.random.default_rng(0), m.population, m.battery.n_domains, 4000)
    assert np.ptp(draws.burden) > 0 and (draws.variant != WILD_TYPE).any()
    held = {"brain size": {"latent": [I_BRAIN]}, "data": {"latent": [I_DATA], "shares": None},
            "noise and mutations": {"latent": [I_NOISE], "burden": None}}
    for cause in CAUSES:
        off = _switched(cause, draws)
        changed = {f for f in vars(draws) if not np.array_equal(getattr(off, f), getattr(draws, f))}
        if cause in held:
            assert changed == set(held[cause]), cause
            for col in held[cause]["latent"]:
                assert (off.latent[:, col] == 0.0).all()
            others = np.delete(np.arange(draws.latent.shape[1]), held[cause]["latent"])
            assert np.array_equal(off.latent[:, others], draws.latent[:, others])
    assert np.array_equal(_switched("noise and mutations", draws).burden, np.full(4000, np.median(draws.burden)))
    assert np.allclose(_switched("data", draws).shares, 1.0 / m.battery.n_domains)
    assert (_switched("architecture", draws).variant == WILD_TYPE).all()


def _switched(cause, draws):
    import dataclasses

    off = dataclasses.replace(draws, **{f.name: np.copy(getattr(draws, f.name)) for f in dataclasses.fields(draws)})
    CAUSES[cause](off)
    return off


@pytest.mark.parametrize("hypothesis", config_names("hypothesis"))
def test_every_source_of_true_score_variance_is_some_cause(hypothesis):
    """All causes held at once leave no true-score IQ variance: a mechanism added to the draws
    but not to CAUSES would land silently in the interaction remainder; this fails instead."""
    from brainsim.decomposition import _iq

    setup, draws = setup_and_draws(hypothesis)
    assert _iq(setup, draws)[1].var() > 1.0
    assert held_variance(setup, draws) < 1e-20


def setup_and_draws(hypothesis: str, n: int = 2000):
    """A hypothesis's prepared setup and chunk 0's draws of `n` people."""
    from brainsim.engine import STREAM_CHUNKS, prepare, stream_rng
    from brainsim.model.population import draw_traits

    m = model(f"hypothesis={hypothesis}", f"population.n={n}", "battery.norm_n=1000")
    return prepare(m, 0), draw_traits(stream_rng(0, STREAM_CHUNKS, 0), m.population, m.battery.n_domains, n, 0)


def held_variance(setup, draws) -> float:
    """True-score IQ variance (points^2) left when every cause of `CAUSES` is held: 0 when the
    causes cover every mechanism the draws feed."""
    import copy

    from brainsim.decomposition import CAUSES, _iq

    held = copy.deepcopy(draws)
    for hold in CAUSES.values():
        hold(held)
    return float(_iq(setup, held)[1].var())

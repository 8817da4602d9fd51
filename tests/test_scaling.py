import numpy as np
import pytest

from brainsim import ConfigError
from brainsim.config.loaders import available_laws, law
from brainsim.config.builders import law_from_config
from brainsim.model.scaling import person_losses


def test_chinchilla_published_loss():
    # Hoffmann et al. 2022: Chinchilla (70B parameters, 1.4T tokens) -> L = 1.937 nats/token
    assert law("chinchilla2022").loss(70e9, 1.4e12) == pytest.approx(1.937, abs=5e-4)


def test_besiroglu_refit_implies_twenty_tokens_per_parameter():
    # Besiroglu et al. 2024: their refit gives ~20 tokens per parameter at Chinchilla's compute,
    # while Hoffmann et al.'s rounded Approach 3 constants imply far more (their Sec. 4).
    c = 6 * 70e9 * 1.4e12
    n, d = law("besiroglu2024").compute_optimal(c)
    assert 15 < d / n < 25
    n, d = law("chinchilla2022").compute_optimal(c)
    assert d / n > 50


# Published constants, typed from the papers (not read from the configs under test).
PUBLISHED = {
    "kaplan2020": {"Nc": 6.4e13, "Dc": 1.8e13, "alpha_n": 0.076, "alpha_d": 0.103},  # Kaplan et al. 2020, Table 2
    "chinchilla2022": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},  # Hoffmann et al. 2022, eq. 10
    "besiroglu2024": {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658},  # Besiroglu et al. 2024
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_shipped_laws_carry_the_published_constants(name):
    assert law(name).params == PUBLISHED[name]


def test_kaplan_limits_and_extrapolation():
    k = law("kaplan2020")
    p = PUBLISHED["kaplan2020"]
    # D -> infinity leaves Kaplan's L(N) = (Nc/N)^alpha_n of the same joint fit
    assert k.loss(1e9, 1e200) == pytest.approx((p["Nc"] / 1e9) ** p["alpha_n"], rel=1e-12)
    assert k.loss(1e200, 1e9) == pytest.approx((p["Dc"] / 1e9) ** p["alpha_d"], rel=1e-12)
    # at brain scale it has no irreducible floor and is extrapolated
    assert k.loss(1.5e14, 1e20) < 1.0
    assert k.extrapolated(1.5e14, 1e13) and not k.extrapolated(1e8, 1e9)
    assert k.irreducible == 0.0


@pytest.mark.parametrize("name", ["chinchilla2022", "besiroglu2024", "kaplan2020", "custom"])
def test_iso_loss_curve_inverts_loss(name):
    lw = law(name)
    n, d = np.array([1e9, 1e12, 1e15]), np.array([1e10, 1e13, 1e12])
    np.testing.assert_allclose(lw.iso_loss_n(lw.loss(n, d), d), n, rtol=1e-8)
    assert np.isnan(lw.iso_loss_n(lw.irreducible + 1e-9, 1e10))  # unreachable with this D


@pytest.mark.parametrize("name", ["chinchilla2022", "kaplan2020"])
def test_compute_optimal_minimises_loss_on_budget(name):
    lw, c = law(name), 1e22
    n_opt, d_opt = lw.compute_optimal(c)
    assert 6 * n_opt * d_opt == pytest.approx(c)
    grid = n_opt * np.exp(np.linspace(-1, 1, 2001))
    best = grid[np.argmin(lw.loss(grid, c / (6 * grid)))]
    assert best == pytest.approx(n_opt, rel=2e-3)


def test_extreme_inputs_stay_finite():
    for name in available_laws():
        lw = law(name)
        big = lw.reducible(1e300, 1e300)
        assert np.isfinite(big) and big >= 0
    # reducible loss near the floor is computed directly, not as a difference of ~E numbers
    lw = law("chinchilla2022")
    r = lw.reducible(1e40, 1e40)
    assert r == pytest.approx(406.4 * 1e40**-0.34 + 410.7 * 1e40**-0.28, rel=1e-12)


@pytest.mark.parametrize("name", ["chinchilla2022", "kaplan2020"])
def test_tiny_counts_are_read_as_one_and_the_kernel_agrees_at_extremes(name):
    lw = law(name)
    assert lw.loss(1e-300, 0.0) == lw.loss(1.0, 1.0) and np.isfinite(lw.loss(1.0, 1.0))
    if name == "chinchilla2022":
        assert lw.loss(1.0, 1.0) == pytest.approx(1.69 + 406.4 + 410.7, rel=1e-14)
    n = np.array([1e-5, 1.0, 1e10, 1e200])
    d = np.array([[0.0, 1e-300], [1.0, 1e5], [1e12, 1e300], [1e200, 1e250]])
    out, _ = person_losses(lw, n, d, np.ones_like(d), np.zeros(4))
    np.testing.assert_allclose(out, lw.reducible(n[:, None], d), rtol=1e-13)
    assert np.isfinite(out).all() and (out > 0).all()


def test_exponent_multiplier_is_architecture():
    lw = law("chinchilla2022")
    p = lw.params
    expected = p["E"] + p["A"] / 1e12 ** (p["alpha"] * 1.1) + p["B"] / 1e11 ** (p["beta"] * 1.1)
    assert lw.loss(1e12, 1e11, m=1.1) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["chinchilla2022", "kaplan2020"])
def test_kernel_matches_vectorised_law(name):
    lw, rng = law(name), np.random.default_rng(3)
    n = 10 ** rng.uniform(10, 16, 500)
    d = 10 ** rng.uniform(9, 15, (500, 3))
    m = rng.uniform(0.8, 1.2, (500, 3))
    pen = rng.uniform(0, 0.1, 500)
    x, mean = person_losses(lw, n, d, m, pen)
    np.testing.assert_allclose(x, lw.reducible(n[:, None], d, m) + pen[:, None], rtol=1e-12)
    np.testing.assert_allclose(mean, x.mean(axis=1), rtol=1e-12)


def test_bad_law_inputs():
    with pytest.raises(ConfigError, match=r"The 'scaling' parameter must be one of .*Got 'nope'"):
        law("nope")
    good = {"form": "chinchilla", "E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28, "source": "x"}
    with pytest.raises(ConfigError, match=r"'scaling.A' parameter must be a finite float > 0"):
        law_from_config({**good, "A": -1})
    with pytest.raises(ConfigError, match=r"'scaling.source'"):
        law_from_config({**good, "source": ""})
    with pytest.raises(ConfigError, match=r"'scaling.form' parameter must be one of"):
        law_from_config({**good, "form": "linear"})

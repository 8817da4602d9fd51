import naive
import numpy as np
import pytest

from brainsim.model import psychometrics as psy


def test_linear_norming_gives_mean_100_sd_15_and_keeps_shape():
    rng = np.random.default_rng(0)
    comp = rng.exponential(size=5000)
    iq = psy.to_iq(comp, *psy.norm_constants(comp))
    assert iq.mean() == pytest.approx(100) and iq.std(ddof=1) == pytest.approx(15)
    np.testing.assert_allclose(np.corrcoef(comp, iq)[0, 1], 1.0)  # linear, not rank-based


def test_pc1_share_of_compound_symmetry():
    k, r = 6, 0.45
    corr = np.full((k, k), r) + (1 - r) * np.eye(k)
    assert psy.pc1_share(corr) == pytest.approx((1 + (k - 1) * r) / k)
    assert psy.mean_offdiagonal(corr) == pytest.approx(r)


def test_twin_correlation_and_falconer():
    rng = np.random.default_rng(1)
    n = 20_000
    g = rng.standard_normal(n)
    a = g + rng.standard_normal(n)
    b = g + rng.standard_normal(n)
    vals = np.ravel(np.column_stack([a, b]))
    fam = np.repeat(np.arange(n), 2)
    zyg = np.repeat(np.where(np.arange(n) < n // 2, 1, 2), 2)
    assert naive.twin_correlation(vals, fam, zyg, 1) == pytest.approx(0.5, abs=0.03)
    assert psy.falconer_h2(0.86, 0.60) == pytest.approx(0.52)


def test_top_share():
    out = np.r_[np.ones(99), 101.0]
    assert naive.top_share(out, 0.01) == pytest.approx(101 / 200)
    assert naive.top_share(np.ones(1000), 0.1) == pytest.approx(0.1)

"""Streaming summaries: merged chunk statistics equal those of the whole sample."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import model
from scipy import stats

from brainsim import engine
from brainsim import psychometrics as psy
from brainsim.summaries import MOMENT_COLUMNS, Moments, Summary, TopK, summarize

DOMAINS = ("a", "b", "c")


def _split(n, rng):
    cuts = np.sort(rng.choice(np.arange(1, n), size=6, replace=False))
    return np.split(np.arange(n), cuts)


def test_moments_merge_equals_one_pass():
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 3.0, size=(5000, 4)) + 1e6  # offset: naive sums would lose digits
    total = Moments.of(x[:0])
    for part in _split(len(x), rng):
        total = total.merge(Moments.of(x[part]))
    assert total.n == len(x)
    np.testing.assert_allclose(total.mean, x.mean(axis=0), rtol=1e-14)
    cov = np.cov(x, rowvar=False)
    np.testing.assert_allclose(total.m2 / (len(x) - 1), cov, rtol=1e-9, atol=1e-9 * cov.max())
    skew = np.sqrt(total.n) * total.m3 / np.diag(total.m2) ** 1.5
    np.testing.assert_allclose(skew, stats.skew(x, axis=0), rtol=1e-8)


def test_top_k_merges_lazily_and_exactly_with_ties():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 50, 10_000).astype(float)  # many ties
    top = TopK(300)
    for part in np.array_split(values, 97):
        top = top.merge(TopK(300, (part.copy(),)))
        assert top.size <= 2 * 300 + part.size
    np.testing.assert_array_equal(top.sorted(), np.sort(values)[::-1][:300])


def _columns(n, rng, twins=True):
    cols = {c: rng.normal(size=n) for c in MOMENT_COLUMNS}
    cols["iq"] = 100 + 30 * rng.normal(size=n)  # wide, so every IQ band and the < 50 tail are hit
    cols["capability"] = rng.random(n)
    cols["output"] = rng.lognormal(0.0, 2.0, n)
    for d in DOMAINS:
        cols[f"score_{d}"] = cols["iq"] + rng.normal(size=n) * 20
    if twins:
        cols["family"] = np.arange(n) // 2
        cols["zygosity"] = np.repeat(rng.integers(1, 3, (n + 1) // 2), 2)[:n]
        cols["inherited_variants"] = rng.poisson(3.0, n)
        cols["shared_variants"] = rng.binomial(cols["inherited_variants"], 0.5)
    return cols


def test_summary_merge_equals_whole_population():
    rng = np.random.default_rng(2)
    n = 20000
    cols = _columns(n, rng)
    whole = Summary.of_columns(cols, DOMAINS, n).statistics()
    merged = Summary.empty(DOMAINS, n)
    for first in range(0, n, 3000):  # chunks hold whole pairs, as the engine's layout does
        merged = merged.merge(Summary.of_columns({k: v[first:first + 3000] for k, v in cols.items()}, DOMAINS, n))
    merged = merged.statistics()
    assert whole.keys() == merged.keys()
    for key in whole:
        assert merged[key] == pytest.approx(whole[key], rel=1e-10, nan_ok=True), key
    # and against direct computations
    assert whole["output_top1_share"] == pytest.approx(psy.top_share(cols["output"], 0.01), rel=1e-12)
    assert whole["output_top10_share"] == pytest.approx(psy.top_share(cols["output"], 0.10), rel=1e-12)
    assert whole["share_iq_below_50"] == np.mean(cols["iq"] < 50)
    assert whole["twin_r_mz"] == pytest.approx(
        psy.twin_correlation(cols["iq"], cols["family"], cols["zygosity"], 1), rel=1e-10)
    corr = np.corrcoef(np.column_stack([cols[f"score_{d}"] for d in DOMAINS]), rowvar=False)
    assert whole["pc1_share"] == pytest.approx(psy.pc1_share(corr), rel=1e-10)
    assert whole["iq_skewness"] == pytest.approx(stats.skew(cols["iq"]), rel=1e-9)


def test_merge_rejects_other_population():
    with pytest.raises(ValueError, match="same domains"):
        Summary.empty(DOMAINS, 10).merge(Summary.empty(DOMAINS, 11))


def test_streaming_run_equals_in_memory_frame():
    m = model("population.n=9001", "population.chunk_size=2000", "battery.norm_n=2000",
              "hypothesis=h3_mutation_load")
    streamed = engine.summarize(m, seed=3)
    again = engine.summarize(m, seed=3)
    in_memory = summarize(engine.run(m, seed=3).frame, m.battery.domains)
    np.testing.assert_equal(streamed, again)  # same bits (NaN equal to NaN)
    for key, value in in_memory.items():
        assert streamed[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key


_SUMMARY_HASH = """
import hashlib, numpy as np
from omegaconf import OmegaConf
from brainsim import engine
from brainsim.api import compose
from brainsim.params import model_from_config
cfg = compose(["population.n=30001", "population.chunk_size=4096", "battery.norm_n=2000", "hypothesis=h3_mutation_load"])
s = engine.summarize(model_from_config(OmegaConf.to_container(cfg, resolve=True)), seed=11)
print(hashlib.sha256(np.array(list(s.values())).tobytes()).hexdigest())
"""


def test_streamed_summary_bits_do_not_depend_on_thread_count():
    out = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        res = subprocess.run([sys.executable, "-c", _SUMMARY_HASH], env=env, capture_output=True, text=True,
                             check=True)
        out.append(res.stdout.strip().splitlines()[-1])
    assert out[0] == out[1]

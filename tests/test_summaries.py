"""Streaming summaries: merged chunk statistics equal those of the whole sample."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import naive
from conftest import model
from scipy import stats

import brainsim
from brainsim import engine
from brainsim.model import psychometrics as psy
from brainsim.summaries import MOMENT_COLUMNS, STATISTICS, Moments, Summary, TopK

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
        cols["zygosity"] = np.repeat(rng.integers(1, 5, (n + 1) // 2), 2)[:n]
        cols["inherited_variants"] = rng.poisson(3.0, n)
        cols["shared_variants"] = rng.binomial(cols["inherited_variants"], 0.5)
        genes = rng.normal(size=(n, 3))  # genetic parts: IQ and volume share the first
        cols["iq"] += 10 * genes[:, 0] + 8 * genes[:, 1]
        cols["brain_volume"] += 0.5 * genes[:, 0] + 0.7 * genes[:, 2]
        for j, name in enumerate(("brain", "data", "noise")):
            cols[f"genetic_{name}"] = genes[:, j]
    cols["capability_vocabulary"] = rng.uniform(0.2, 0.9, n)
    scored = np.arange(n) % 5 == 0  # some people scored at both fathers' ages, the older father's never higher
    cols["iq_father_25"] = np.where(scored, cols["iq"] + 5 * rng.normal(size=n), np.nan)
    cols["iq_father_45"] = cols["iq_father_25"] - rng.exponential(3.0, n)
    return cols


def test_summary_merge_equals_whole_population():
    rng = np.random.default_rng(2)
    n = 20000
    cols = _columns(n, rng)
    f = 1 / 16
    inbred = {"iq": 100 - 15 * 4 * f + 15 * rng.normal(size=3000), "rt_mean": 0.5 * rng.normal(size=3000) + 3 * f}
    whole = Summary.of_columns(cols, DOMAINS, n).merge(Summary.of_inbred(inbred, DOMAINS, n, f)).statistics()
    merged = Summary.empty(DOMAINS, n)
    for first in range(0, n, 3000):  # chunks hold whole pairs, as the engine's layout does
        merged = merged.merge(Summary.of_columns({k: v[first:first + 3000] for k, v in cols.items()}, DOMAINS, n))
        if first in (0, 6000):  # the cohort's chunks come in between: the merge does not care
            part = slice(first // 4, first // 4 + 1500)
            merged = merged.merge(Summary.of_inbred({k: v[part] for k, v in inbred.items()}, DOMAINS, n, f))
    merged = merged.statistics()
    assert whole.keys() == merged.keys()
    composite = {"share_at_floor", "share_at_ceiling", "distinct_iq_values"}  # items unknown here
    assert {k for k, v in whole.items() if not np.isfinite(v)} == composite
    for key in whole.keys() - composite:
        assert merged[key] == pytest.approx(whole[key], rel=1e-10), key
    # and against direct computations
    assert whole["output_top1_share"] == pytest.approx(naive.top_share(cols["output"], 0.01), rel=1e-12)
    assert whole["output_top10_share"] == pytest.approx(naive.top_share(cols["output"], 0.10), rel=1e-12)
    assert whole["share_iq_below_50"] == np.mean(cols["iq"] < 50)
    assert whole["twin_r_mz"] == pytest.approx(
        naive.twin_correlation(cols["iq"], cols["family"], cols["zygosity"], 1), rel=1e-10)
    assert whole["adoptive_sibling_r"] == pytest.approx(
        naive.twin_correlation(cols["iq"], cols["family"], cols["zygosity"], 4), rel=1e-10)
    corr = np.corrcoef(np.column_stack([cols[f"score_{d}"] for d in DOMAINS]), rowvar=False)
    assert whole["pc1_share"] == pytest.approx(psy.pc1_share(corr), rel=1e-10)
    assert whole["iq_skewness"] == pytest.approx(stats.skew(cols["iq"]), rel=1e-9)
    assert whole["vocabulary_log_spread"] == np.log(naive.tail_ratio(cols["capability_vocabulary"], 0.05))
    assert whole["vocabulary_log_spread"] == pytest.approx(np.log(0.865 / 0.235), abs=0.02)  # uniform on [0.2, 0.9]
    genes = np.column_stack([cols[f"genetic_{t}"] for t in ("brain", "data", "noise")])
    rg, snp_h2 = naive.common_variants(cols["iq"], cols["brain_volume"], genes)
    assert whole["rg_brain_iq"] == pytest.approx(rg, rel=1e-9) and whole["snp_h2"] == pytest.approx(snp_h2, rel=1e-9)
    # in closed form: cov = 10 * 0.5 between additive values of variances 164 and 0.74
    assert rg == pytest.approx(5 / np.sqrt(164 * 0.74), abs=0.02)
    assert snp_h2 == pytest.approx(164 / (900 + 164), abs=0.02)
    # inbreeding depression: the cohort's mean against the population's, in its SDs per unit F
    for stat, col in (("iq_inbreeding_slope", "iq"), ("rt_inbreeding_slope", "rt_mean")):
        expected = (inbred[col].mean() - cols[col].mean()) / (cols[col].std(ddof=1) * f)
        assert whole[stat] == pytest.approx(expected, rel=1e-10), stat
    assert whole["iq_inbreeding_slope"] == pytest.approx(-4 * 15 / np.std(cols["iq"]), abs=0.6)  # SE ~0.3
    young, old = cols["iq_father_25"], cols["iq_father_45"]
    assert whole["id_paternal_age_irr"] == np.count_nonzero(old < 70) / np.count_nonzero(young < 70) > 1


def test_merge_rejects_other_population():
    with pytest.raises(ValueError, match="same domains"):
        Summary.empty(DOMAINS, 10).merge(Summary.empty(DOMAINS, 11))
    cohort = lambda f: Summary.of_inbred({"iq": np.ones(3), "rt_mean": np.ones(3)}, DOMAINS, 10, f)  # noqa: E731
    with pytest.raises(ValueError, match="same inbreeding coefficient"):
        cohort(1 / 16).merge(cohort(1 / 8))
    assert cohort(1 / 16).merge(Summary.empty(DOMAINS, 10)).inbreeding == 1 / 16


def test_snp_h2_is_the_share_an_array_tags_of_the_common_additive_variance():
    cols = _columns(6000, np.random.default_rng(8))
    full = Summary.of_columns(cols, DOMAINS, 6000).statistics()
    chunks = [Summary.of_columns({k: v[s:s + 2000] for k, v in cols.items()}, DOMAINS, 6000, tagging=0.6)
              for s in range(0, 6000, 2000)]
    cohort = Summary.of_inbred({"iq": np.ones(3), "rt_mean": np.ones(3)}, DOMAINS, 6000, 1 / 16)
    tagged = chunks[0].merge(cohort).merge(chunks[1]).merge(chunks[2])  # a cohort has no genetic moments
    assert tagged.tagging == 0.6
    got = tagged.statistics()
    assert got["snp_h2"] == pytest.approx(0.6 * full["snp_h2"], rel=1e-10)
    assert got["rg_brain_iq"] == pytest.approx(full["rg_brain_iq"], rel=1e-10)  # a correlation: no tagging
    with pytest.raises(ValueError, match="same array"):
        chunks[0].merge(Summary.of_columns({k: v[:2000] for k, v in cols.items()}, DOMAINS, 6000, tagging=0.7))


def test_snp_tagging_scales_snp_h2_alone():
    base = ("population.n=4000", "battery.norm_n=1000")
    whole = engine.population_statistics(model(*base, "population.snp_tagging=1"), seed=2)
    half = engine.population_statistics(model(*base, "population.snp_tagging=0.5"), seed=2)
    assert half["snp_h2"] == 0.5 * whole["snp_h2"] and 0.0 < whole["snp_h2"] < 1.0
    np.testing.assert_equal({k: v for k, v in half.items() if k != "snp_h2"},
                            {k: v for k, v in whole.items() if k != "snp_h2"})


def test_streaming_run_equals_in_memory_frame():
    m = model("population.n=9001", "population.chunk_size=2000", "battery.norm_n=2000",
              "hypothesis=h3_mutation_load", "population.inbred.fraction=0.5")  # the cohort in 3 chunks too
    streamed = engine.population_statistics(m, seed=3)
    again = engine.population_statistics(m, seed=3)
    in_memory = engine.run(m, seed=3).summary()
    np.testing.assert_equal(streamed, again)  # same bits (NaN equal to NaN)
    undefined = {k for k, v in in_memory.items() if not np.isfinite(v)}
    assert undefined == {k for k, v in streamed.items() if not np.isfinite(v)}
    assert undefined <= {"cotwin_iq_of_iq_below_50", "cotwin_iq_of_iq_below_50_mz"}  # no one below IQ 50, maybe
    for key in in_memory.keys() - undefined:
        assert streamed[key] == pytest.approx(in_memory[key], rel=1e-9), key


@pytest.mark.parametrize("overrides, rg", [
    (["population.data.sd=0", "population.noise.sd=0"], 1.0),  # IQ's only genes are the brain's
    (["population.brain.kappa=0"], 0.0),  # brain volume does not make parameters: no shared genes
])
def test_brain_iq_genetic_correlation_at_its_limits(overrides, rg):
    # 10,000 people: each projection coefficient is off by about 1/sqrt(n) = 0.01
    m = model("population.n=10000", "battery.norm_n=2000", *overrides)
    s = engine.population_statistics(m, seed=4)
    assert s["rg_brain_iq"] == pytest.approx(rg, abs=0.05)
    assert 0.0 < s["snp_h2"] <= 1.0
    if rg == 1.0:  # IQ follows volume, whose genes carry brain h2 of its variance; an array tags a share of it
        assert s["snp_h2"] == pytest.approx(s["r_brain_iq"] ** 2 * 0.775 * m.population.snp_tagging, rel=0.15)


def test_unrelated_people_have_no_genetic_parts():
    s = engine.population_statistics(model("population.n=3000", "battery.norm_n=1000", "population.design=unrelated"),
                                     seed=4)
    assert np.isnan(s["rg_brain_iq"]) and np.isnan(s["snp_h2"])


_SUMMARY_HASH = """
import hashlib, numpy as np
from omegaconf import OmegaConf
import brainsim
from brainsim import engine
from brainsim.api import compose
from brainsim.config.builders import model_from_config
h = hashlib.sha256()
for hyp in ("h3_mutation_load", "h2_selection"):  # selected items take another kernel
    cfg = compose(["population.n=30001", "population.chunk_size=4096", "battery.norm_n=2000", f"hypothesis={hyp}"])
    s = engine.population_statistics(model_from_config(OmegaConf.to_container(cfg, resolve=True)), seed=11)
    h.update(np.array(list(s.values())).tobytes())
print(h.hexdigest())
"""


def test_streamed_summary_bits_do_not_depend_on_thread_count():
    out = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        res = subprocess.run([sys.executable, "-c", _SUMMARY_HASH], env=env, capture_output=True, text=True,
                             check=True, cwd=Path(__file__).parent)  # not the repo root: the installed brainsim
        out.append(res.stdout.strip().splitlines()[-1])
    assert len(set(out)) == 1, out


# --- every statistic from its definition (pandas, written from the definitions, no brainsim) ---

def _pairs(frame: pd.DataFrame, zygosity) -> pd.DataFrame:
    """Complete twin pairs of one zygosity: columns first_*, second_* per family."""
    kin = frame[frame["zygosity"] == zygosity]
    kin = kin[kin.groupby("family")["family"].transform("size") == 2]
    first = kin.groupby("family").nth(0).set_index("family")
    second = kin.groupby("family").nth(1).set_index("family")
    return first.join(second, how="inner", suffixes=("_1", "_2"))


def _double_entry_r(pairs: pd.DataFrame, col: str = "iq") -> float:
    a, b = pairs[f"{col}_1"], pairs[f"{col}_2"]
    return float(np.corrcoef(np.r_[a, b], np.r_[b, a])[0, 1])


def by_definition(frame: pd.DataFrame, domains, items: int, mz="MZ", dz="DZ", mza="MZA",
                  adoptive="adoptive", inbred: pd.DataFrame | None = None, inbreeding: float = 0.0,
                  tagging: float = 1.0) -> dict[str, float]:
    """Every statistic of `STATISTICS` computed directly from its definition (`items`: items
    on one form, the composite's ceiling; `inbred`: the inbred cohort, of coefficient
    `inbreeding`; `tagging`: the share of common-variant variance an array sees)."""
    iq, n = frame["iq"], len(frame)
    dev = iq - iq.mean()
    scores = frame[[f"score_{d}" for d in domains]]
    corr = scores.corr().to_numpy()
    z = ((scores - scores.mean()) / scores.std()).to_numpy()
    sv = np.linalg.svd(z, compute_uv=False)
    band = lambda centre: frame.loc[(iq - centre).abs() <= 5, "capability"].mean()
    out = np.sort(frame["output"].to_numpy())[::-1]
    r = lambda a, b: frame[a].corr(frame[b])
    stats_ = {
        "n": float(n), "iq_mean": iq.mean(), "iq_sd": iq.std(ddof=1),
        "iq_skewness": (dev**3).mean() / (dev**2).mean() ** 1.5,
        "share_iq_below_50": (iq < 50).mean(),
        "brain_volume_cv": frame["brain_volume"].std(ddof=1) / frame["brain_volume"].mean(),
        "r_brain_iq": r("brain_volume", "iq"), "r_brain_true_score": r("brain_volume", "true_score"),
        "r_brain_capability": r("brain_volume", "capability"), "r_capability_iq": r("capability", "iq"),
        "retest_r": r("iq", "iq_retest"),
        "pc1_share": sv[0] ** 2 / (sv**2).sum(),  # first principal component of standardised scores
        "mean_subtest_r": corr[~np.eye(len(domains), dtype=bool)].mean(),
        "r_rt_iq": r("rt_mean", "iq"), "rt_mean": frame["rt_mean"].mean(),
        "capability_mean": frame["capability"].mean(), "capability_sd": frame["capability"].std(ddof=1),
        "objective_spread": band(130.0) / band(70.0),
        "output_top1_share": out[: round(0.01 * n)].sum() / out.sum(),
        "output_top10_share": out[: round(0.10 * n)].sum() / out.sum(),
        # producers: the top 10% by output; the share of their output held by their own top 1%
        "output_top1_share_producers": out[: round(0.01 * round(0.1 * n))].sum() / out[: round(0.1 * n)].sum(),
        "share_at_floor": (scores.sum(axis=1) == 0).mean(),
        "share_at_ceiling": (scores.sum(axis=1) == items).mean(),
        "distinct_iq_values": scores.sum(axis=1).nunique(),  # IQ is linear in the composite
        # ln of the k-th largest over the k-th smallest vocabulary capability, k = 5% of people
        "vocabulary_log_spread": np.log(np.sort(frame["capability_vocabulary"])[-round(0.05 * n)]
                                        / np.sort(frame["capability_vocabulary"])[round(0.05 * n) - 1]),
    }
    if "zygosity" in frame:
        pm, pd_ = _pairs(frame, mz), _pairs(frame, dz)
        cotwins = lambda p: np.r_[p.loc[p.iq_1 < 50, "iq_2"], p.loc[p.iq_2 < 50, "iq_1"]]
        dz_rows = frame[frame["zygosity"] == dz]
        stats_ |= {
            "twin_r_mz": _double_entry_r(pm), "twin_r_dz": _double_entry_r(pd_),
            "twin_r_mza": _double_entry_r(_pairs(frame, mza)), "adoptive_sibling_r": _double_entry_r(_pairs(frame, adoptive)),
            "h2_falconer": 2 * (_double_entry_r(pm) - _double_entry_r(pd_)),
            "cotwin_iq_of_iq_below_50": cotwins(pd_).mean(),  # DZ pairs only
            "cotwin_iq_of_iq_below_50_mz": cotwins(pm).mean(),
            "dz_shared_variant_fraction": dz_rows["shared_variants"].sum() / dz_rows["inherited_variants"].sum(),
        }
        genes = frame[[c for c in frame.columns if c.startswith("genetic_")]].to_numpy()
        stats_["rg_brain_iq"], common = naive.common_variants(iq.to_numpy(), frame["brain_volume"].to_numpy(), genes)
        stats_["snp_h2"] = tagging * common
    if "iq_father_25" in frame:  # Taylor et al. 2019: ID (IQ < 70) with a father of 45 over one of 25
        young, old = frame["iq_father_25"], frame["iq_father_45"]
        stats_["id_paternal_age_irr"] = (old[young.notna()] < 70).sum() / (young[young.notna()] < 70).sum()
    if inbred is not None:  # Yengo et al. 2017: the trait's change per unit F in population SDs
        for stat, col in (("iq_inbreeding_slope", "iq"), ("rt_inbreeding_slope", "rt_mean")):
            stats_[stat] = (inbred[col].mean() - frame[col].mean()) / (frame[col].std(ddof=1) * inbreeding)
    return {k: float(v) for k, v in stats_.items()}


def _synthetic(n_pairs=6000, seed=7):
    """Twin pairs whose every pair of columns has its own correlation, MZ pairs closer than DZ
    pairs, severe-ID probands with co-twins far apart by zygosity, and one unpaired person."""
    rng = np.random.default_rng(seed)
    p = len(MOMENT_COLUMNS) + len(DOMAINS)
    root = rng.normal(size=(p, p)) + 1.5 * np.eye(p)
    cov = root @ root.T
    n = 2 * n_pairs + 1
    zyg = np.r_[np.repeat(rng.integers(1, 5, n_pairs), 2), 2]  # MZ, DZ, MZ apart, adoptive
    shared = rng.normal(size=(n_pairs, p)) @ np.linalg.cholesky(cov).T
    own = rng.normal(size=(n, p)) @ np.linalg.cholesky(cov).T
    weight = np.select([zyg == 1, zyg == 2, zyg == 3], [0.9, 0.5, 0.7], 0.15)[:, None]
    x = np.sqrt(weight) * np.r_[np.repeat(shared, 2, axis=0), shared[:1]] + np.sqrt(1 - weight) * own
    cols = {c: x[:, i] for i, c in enumerate(list(MOMENT_COLUMNS) + [f"score_{d}" for d in DOMAINS])}
    for d in DOMAINS:  # integer subtest scores of 10 items each, floors and ceilings included
        cols[f"score_{d}"] = np.clip(np.round(5 + 3 * cols[f"score_{d}"] / cols[f"score_{d}"].std()), 0, 10)
        cols[f"score_{d}"][:40], cols[f"score_{d}"][40:70] = 0, 10
    cols["iq"] = 100 + 30 * x[:, 0] / x[:, 0].std()
    cols["brain_volume"] = 1200 + 100 * cols["brain_volume"]
    cols["capability"] = 1 / (1 + np.exp(-cols["capability"] - (cols["iq"] - 100) / 30))
    cols["output"] = np.exp(2 * cols["output"])
    cols["family"] = np.r_[np.repeat(np.arange(n_pairs), 2), n_pairs]
    cols["zygosity"] = zyg
    cols["inherited_variants"] = rng.poisson(4.0, n)
    cols["shared_variants"] = rng.binomial(cols["inherited_variants"], np.where(zyg == 1, 1.0, 0.5))
    cols["capability_vocabulary"] = cols["capability"] ** 2 + 0.01
    genes = rng.normal(size=(n, 3))  # genetic parts: IQ and volume share the first
    cols["iq"] = cols["iq"] + 6 * genes[:, 0] + 4 * genes[:, 1]
    cols["brain_volume"] = cols["brain_volume"] + 30 * genes[:, 0] + 40 * genes[:, 2]
    for j, name in enumerate(("brain", "data", "noise")):
        cols[f"genetic_{name}"] = genes[:, j]
    scored = np.arange(n) % 2500 < 500  # the first 20% of each chunk of 2,500
    cols["iq_father_25"] = np.where(scored, cols["iq"] + 10 * rng.normal(size=n), np.nan)
    cols["iq_father_45"] = cols["iq_father_25"] - rng.exponential(4.0, n)
    return cols


def test_every_statistic_equals_its_definition():
    cols = _synthetic()
    frame = pd.DataFrame(cols)
    rng = np.random.default_rng(8)
    inbred = pd.DataFrame({"iq": 95 + 30 * rng.normal(size=2001), "rt_mean": 0.3 + rng.normal(size=2001)})
    f = 0.125
    want = by_definition(frame, DOMAINS, items=30, mz=1, dz=2, mza=3, adoptive=4, inbred=inbred, inbreeding=f)
    assert set(want) == set(STATISTICS) and all(np.isfinite(v) for v in want.values())
    # the twin statistics differ by zygosity, so swapping or mixing the pairs would show
    assert want["twin_r_mz"] - want["twin_r_dz"] > 0.2 and want["twin_r_mza"] - want["adoptive_sibling_r"] > 0.2
    assert abs(want["cotwin_iq_of_iq_below_50"] - want["cotwin_iq_of_iq_below_50_mz"]) > 5
    assert 0 < want["share_at_floor"] < 0.1 and 0 < want["share_at_ceiling"] < 0.1
    of_inbred = lambda rows: Summary.of_inbred({c: inbred[c].to_numpy()[rows] for c in inbred}, DOMAINS, len(frame), f)
    got = Summary.of_columns(cols, DOMAINS, len(frame), items=30).merge(of_inbred(slice(None))).statistics()
    merged = Summary.empty(DOMAINS, len(frame))
    for first in range(0, len(frame), 2500):  # chunks of whole pairs
        merged = merged.merge(Summary.of_columns({k: v[first:first + 2500] for k, v in cols.items()}, DOMAINS,
                                                 len(frame), items=30))
    for first in range(0, len(inbred), 700):
        merged = merged.merge(of_inbred(slice(first, first + 700)))
    for key in STATISTICS:
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key
    merged = merged.statistics()
    for key in STATISTICS:
        assert merged[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key


def test_a_simulated_population_frame_gives_the_statistics_of_its_definitions():
    # the engine's columns reach the summary as they should (forms, zygosity codes, variants)
    pop = brainsim.simulate(["population.n=6001", "population.design=twins", "battery.norm_n=2000",
                             "hypothesis=h3_mutation_load", "population.mutation.de_novo_rate=0.02",
                             "population.mutation.de_novo_mean=3.0", "battery.reach=4.5"],
                            seed=2)  # rare large hits, and items down to 4.5 SD: IQ < 50
    frame = pop.frame
    want = by_definition(frame, pop.model.battery.domains, items=6 * 30, inbred=pop.inbred,
                         inbreeding=pop.model.population.inbred_coefficient, tagging=pop.model.population.snp_tagging)
    got = pop.summary()
    assert len(pop.inbred) == round(0.2 * 6001) and pop.model.population.inbred_coefficient == 1 / 16
    assert np.isfinite(want["cotwin_iq_of_iq_below_50"]) and np.isfinite(want["objective_spread"])
    for key in STATISTICS:
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key


def test_producers_top_share_of_lognormal_output_has_its_closed_form():
    # Shockley's product of K lognormal factors is lognormal with sigma^2 = sum sigma_k^2. Above
    # its (1 - p) quantile a lognormal holds 1 - Phi(z_(1-p) - sigma) of the total, so the top 1%
    # of the top 10% (the top 0.1%) hold S(0.001) / S(0.1) of the producers' output.
    rng = np.random.default_rng(11)
    sigma, n = 1.0, 2_000_000
    output = np.exp(rng.normal(0.0, 0.5, (4, n)).sum(axis=0))  # 4 factors of SD 0.5: sigma = 1
    share = lambda p: stats.norm.sf(stats.norm.isf(p) - sigma)
    cols = {c: np.zeros(n) for c in MOMENT_COLUMNS} | {f"score_{d}": np.zeros(n) for d in DOMAINS}
    cols["output"] = output
    got = Summary.of_columns(cols, DOMAINS, n).statistics()
    assert got["output_top1_share"] == pytest.approx(share(0.01), rel=0.02)
    assert got["output_top1_share_producers"] == pytest.approx(share(0.001) / share(0.1), rel=0.03)

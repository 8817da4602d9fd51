"""Figures: every PNG opens at a sensible size and every panel has the expected axis labels."""

import numpy as np
import pandas as pd
import pytest
from conftest import model
from PIL import Image

from brainsim import plots
from brainsim.engine import prepare, sample
from brainsim.summaries import frame_statistics
from brainsim.targets import load_targets, scorecard

HYPOTHESES = ("baseline", "h3_mutation_load")
LABELS = {  # figure -> (x label, y label) of its first panel
    "scorecard": ("target", "hypothesis"),
    "iq_histograms": (plots.IQ_LABEL, "density (per IQ point)"),
    "iq_qq": ("normal quantile (IQ points)", "simulated quantile (IQ points)"),
    "brain_vs_iq": ("brain volume (cm³)", "IQ"),
    "loss_landscape": ("N (scaling-law parameters)", "D (training tokens)"),
    "rt_vs_iq": ("IQ", "mean reaction time (s)"),
    "twins": ("IQ, twin 1", "IQ, twin 2"),
    "output_tail": ("rank (1 = most productive person)", "output / mean output"),
    "posterior_models": ("hypothesis", "posterior model probability"),
    "posterior_params": ("inherited_mean (config units)", "posterior probability"),
    "model_choice": ("", "support at the observed targets"),
}


@pytest.fixture(scope="module")
def inputs():
    samples, cards = {}, []
    for h in HYPOTHESES:
        m = model(f"hypothesis={h}", "population.n=3000", "battery.norm_n=1000")
        samples[h] = sample(prepare(m, 0), 3000)
        cards.append(scorecard(h, frame_statistics(samples[h], m.battery.domains), load_targets()))
    models = pd.DataFrame({"hypothesis": list(HYPOTHESES), "probability": [0.3, 0.7], "sd": [0.1, 0.1]})
    rng = np.random.default_rng(0)
    particles = pd.DataFrame({"generation": 1, "hypothesis": "h3_mutation_load", "weight": np.full(40, 1 / 40),
                              "distance": rng.uniform(1, 2, 40),
                              "h3_mutation_load:population.mutation.inherited_mean": rng.uniform(0, 0.01, 40)})
    return samples, m.law, pd.concat(cards, ignore_index=True), models, particles


def _choice_frames():
    names = list(HYPOTHESES)
    per = pd.DataFrame({"hypothesis": names, "votes": [0.4, 0.6], "rejection_probability": [0.5, 0.5]})
    curve = pd.DataFrame({"trees": [40, 270, 500], "error": [0.32, 0.3, 0.29]})
    conf = pd.DataFrame({"true": names, names[0]: [30, 10], names[1]: [20, 40]})
    return {"model_choice": per, "model_choice_trees": curve, "model_choice_confusion": conf}


def test_every_figure_has_its_axis_labels(inputs):
    makers = plots.run_figures(*inputs, choice=_choice_frames())
    assert set(makers) == set(LABELS)
    for name, make in makers.items():
        ax = make().axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel()) == LABELS[name], name


def test_every_figure_has_a_caption(inputs):
    # the report would silently show a figure without one under its file name
    from brainsim.report import CAPTIONS

    makers = plots.run_figures(*inputs, choice=_choice_frames())
    assert set(makers) - set(CAPTIONS) == set()


def test_pngs_open_at_150_dpi_and_leave_no_temporary_file(inputs, tmp_path):
    paths = plots.write_figures(plots.run_figures(*inputs, choice=_choice_frames()), tmp_path)
    for name, path in paths.items():
        with Image.open(path) as img:
            assert img.format == "PNG"
            assert img.width >= 400 and img.height >= 300, name
            assert img.info["dpi"] == pytest.approx((plots.DPI, plots.DPI), abs=0.1)  # PNG stores pixels per metre
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in LABELS)


def test_figures_drawn_in_worker_processes_are_the_same_bytes(inputs, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    serial = plots.write_figures(plots.run_figures(*inputs), one)
    forked = plots.write_figures(plots.run_figures(*inputs), two, workers=2)
    assert list(forked) == list(serial)
    for name in serial:
        assert forked[name].read_bytes() == serial[name].read_bytes(), name
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())


def test_regression_legend_reports_pearson_r(inputs):
    samples = inputs[0]
    fig = plots.brain_vs_iq(samples)
    r = np.corrcoef(samples["baseline"]["brain_volume"], samples["baseline"]["iq"])[0, 1]
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == f"r = {r:.2f}"


def test_posterior_params_span_the_prior_with_a_prior_line(inputs):
    particles = inputs[4]
    key = "population.mutation.inherited_mean"
    ax = plots.posterior_params(particles, {"h3_mutation_load": {key: (0.0, 0.01)}}).axes[0]
    assert ax.get_xlim() == (0.0, 0.01)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["prior"]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 15 and sum(heights) == pytest.approx(1.0)


def test_twin_pairs_match_family_members(inputs):
    frame = inputs[0]["baseline"]
    pairs = plots.twin_pairs(frame)
    assert len(pairs) == frame["family"].nunique()
    first = frame.groupby("family")["iq"].first()
    assert np.array_equal(pairs.set_index("family")["iq_1"].sort_index().to_numpy(), first.sort_index().to_numpy())


def test_lattice_bins_hold_whole_steps():
    x = 100 + 2.5 * np.arange(-20, 21)  # IQ on a lattice of 2.5 points
    edges = plots._lattice_bins(x, target=10)
    counts, _ = np.histogram(x, edges)
    assert counts.min() == counts[:-1].max() or len(set(counts[:-1])) == 1  # no bin gets an extra lattice point


def test_twin_pairs_do_not_depend_on_row_order(inputs):
    frame = inputs[0]["baseline"]
    shuffled = frame.sample(frac=1.0, random_state=3)
    a = plots.twin_pairs(frame).sort_values("family", ignore_index=True)
    b = plots.twin_pairs(shuffled).sort_values("family", ignore_index=True)
    assert len(b) == frame["family"].nunique()
    assert np.array_equal(np.sort(np.c_[a.iq_1, a.iq_2], axis=1), np.sort(np.c_[b.iq_1, b.iq_2], axis=1))


def test_a_figure_worker_that_dies_raises_instead_of_hanging(tmp_path):
    import os
    import sys
    from concurrent.futures.process import BrokenProcessPool

    if not sys.platform.startswith("linux"):
        pytest.skip("figures are drawn in worker processes on Linux only")
    makers = {"fine": lambda: plots.posterior_models(pd.DataFrame({"hypothesis": ["a"], "probability": [1.0],
                                                                    "se": [0.0]})),
              "dies": lambda: os._exit(3)}
    with pytest.raises(BrokenProcessPool):
        plots.write_figures(makers, tmp_path, workers=2)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_smc_probabilities_are_drawn_as_an_epsilon_curve_filled_only_where_quotable():
    # two seeds, three generations: a and b are contenders throughout, c never (0.01); b has
    # 50 accepted proposals pooled over the seeds in the first two generations only
    rows = [{"seed": s, "generation": g, "epsilon": 4.0 / 2**g + 0.1 * s, "hypothesis": h, "probability": p,
             "se": 0.02, "accepted": k}
            for s in (0, 1) for g, (ka, kb) in enumerate(((40, 30), (40, 25), (40, 10)))
            for h, p, k in (("a", 0.6, ka), ("b", 0.39, kb), ("c", 0.01, 5))]
    ax = plots.posterior_models(None, pd.DataFrame(rows)).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epsilon (RMS z; the generations run left to right)",
                                                  "model probability (pooled over seeds)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]  # c is no contender
    from matplotlib.collections import PathCollection

    markers = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_offsets().size]
    filled = [tuple(c.get_offsets()[:, 0]) for c in markers if c.get_facecolors()[0][:3].tolist() != [1.0, 1.0, 1.0]]
    assert len(markers) == 4  # a and b: filled and hollow
    assert sorted(filled) == [(4.1, 2.1), (4.1, 2.1)]  # each seed's loosest epsilon; generation 3 is hollow

"""CONTRIBUTING.md's three recipes, each followed once by a toy added here (never shipped): the
test that guards the recipe's silent step fails while that step is missing and passes once it
is done. Each toy lives in monkeypatched state, so nothing leaks into other tests."""

import numpy as np
import pandas as pd
import pytest
import test_decomposition
import test_plots
import test_summaries
from test_plots import inputs  # noqa: F401  (the fixture)

from brainsim import decomposition, plots, summaries
from brainsim.report import CAPTIONS


def test_recipe_1_a_mechanism_missing_from_the_causes_is_caught(monkeypatch):
    """Recipe 1 with a toy mechanism, "schooling luck": a per-person draw that scales everyone's
    lifetime data. Steps 5 (the draw and its effect) without step 7 (its cause) leave IQ
    variance no cause holds; with the cause, none is left."""
    setup, draws = test_decomposition.setup_and_draws("baseline")
    draws.schooling_luck = np.random.default_rng(0).standard_normal(len(draws))  # step 5: the draw
    phenotypes = decomposition.phenotypes

    def with_luck(d, pop):  # step 5: its effect in the phenotypes
        phen = phenotypes(d, pop)
        phen["data_domain"] = phen["data_domain"] * np.exp(0.5 * d.schooling_luck)[:, None]
        return phen

    monkeypatch.setattr(decomposition, "phenotypes", with_luck)
    assert test_decomposition.held_variance(setup, draws) > 1.0  # the silent step, caught
    monkeypatch.setitem(decomposition.CAUSES, "schooling luck", lambda d: d.schooling_luck.fill(0.0))  # step 7
    assert test_decomposition.held_variance(setup, draws) < 1e-20


def test_recipe_2_a_statistic_without_its_definition_is_caught(monkeypatch):
    """Recipe 2 with a toy statistic, the IQ variance: step 1 (its name and its streamed
    computation) without step 2 (its definition from a plain frame) fails the definition test;
    with it, the streamed value equals the definition's."""
    monkeypatch.setattr(summaries, "STATISTICS", summaries.STATISTICS + ("toy_iq_variance",))  # step 1
    monkeypatch.setattr(test_summaries, "STATISTICS", summaries.STATISTICS)
    streamed = summaries.Summary.statistics

    def with_variance(self):
        return streamed(self) | {"toy_iq_variance": float(self.moments.var()[0])}  # column 0 is IQ

    monkeypatch.setattr(summaries.Summary, "statistics", with_variance)
    with pytest.raises(AssertionError):
        test_summaries.test_every_statistic_equals_its_definition()  # the silent step, caught
    by_definition = test_summaries.by_definition

    def with_definition(frame: pd.DataFrame, *args, **kwargs):  # step 2
        return by_definition(frame, *args, **kwargs) | {"toy_iq_variance": float(frame["iq"].var(ddof=1))}

    monkeypatch.setattr(test_summaries, "by_definition", with_definition)
    test_summaries.test_every_statistic_equals_its_definition()


def test_recipe_3_a_figure_without_a_caption_is_caught(monkeypatch, inputs):  # noqa: F811
    """Recipe 3 with a toy figure, a histogram of brain volume: step 1 (the function, in
    `run_figures`) and step 3 (its axis labels) without step 2 (its caption) fail the caption
    test; with the caption, both figure tests pass."""
    import matplotlib.pyplot as plt

    def toy_histogram(samples):  # step 1
        fig, ax = plt.subplots()
        for name, frame in samples.items():
            ax.hist(frame["brain_volume"], bins=40, histtype="step", label=name)
        ax.set(xlabel="brain volume (cm³)", ylabel="people")
        return fig

    makers = plots.run_figures
    monkeypatch.setattr(plots, "run_figures", lambda samples, *a, **k: makers(samples, *a, **k) | {
        "toy_histogram": lambda: toy_histogram(samples)})
    monkeypatch.setitem(test_plots.LABELS, "toy_histogram", ("brain volume (cm³)", "people"))  # step 3
    test_plots.test_every_figure_has_its_axis_labels(inputs)
    with pytest.raises(AssertionError):
        test_plots.test_every_figure_has_a_caption(inputs)  # the silent step, caught
    monkeypatch.setitem(CAPTIONS, "toy_histogram", "Brain volume of each hypothesis's people.")  # step 2
    test_plots.test_every_figure_has_a_caption(inputs)

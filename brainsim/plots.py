"""Figures of a run: each function takes plain frames and returns a matplotlib Figure.

Figures are built with `matplotlib.figure.Figure` (no pyplot, so no global state and no
display needed; saving renders with Agg) and seaborn's colour-blind palette. `save` writes a
PNG atomically at 150 dpi. `samples` maps hypothesis name -> a frame of simulated people
(`brainsim.engine.sample`).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from scipy import stats

from .io import atomic_write
from .model import psychometrics as psy
from .model.scaling import ScalingLaw

__all__ = ["brain_vs_iq", "decomposition_bars", "DIVERGING", "DPI", "iq_histograms", "IQ_LABEL", "iq_qq",
           "loss_landscape", "model_choice", "output_tail", "PALETTE", "posterior_models", "posterior_params",
           "recovery_confusion", "recovery_coverage", "recovery_influence", "recovery_reachability",
           "recovery_reliability", "rt_vs_iq", "run_figures", "save", "scorecard_heatmap", "SEQUENTIAL", "TAIL_FLOOR",
           "twin_pairs", "twin_scatter", "write_figures", "Z_LIMIT"]

DPI = 150
PALETTE = "colorblind"  # Okabe-Ito-like, safe for the common colour-vision deficiencies
SEQUENTIAL = "viridis"
DIVERGING = "vlag"
Z_LIMIT = 5.0  # colour scale of the scorecard heatmap saturates at |z| = 5 (annotations stay exact)
TAIL_FLOOR = 1e-6  # output rank plot: people below a millionth of the mean output are off the axis
IQ_LABEL = "IQ (norm sample: mean 100, SD 15)"


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write `fig` as a PNG atomically (temporary name, then rename)."""
    return atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))


def _grid(names: list[str], width: float = 3.6, height: float = 3.0) -> tuple[Figure, list]:
    """A figure with one panel per name (at most 3 per row); unused panels are removed."""
    cols = min(3, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(names):]:
        fig.delaxes(ax)
    for ax, name in zip(axes, names):
        ax.set_title(name, fontsize=10)
    return fig, list(axes[: len(names)])


def _colours(n: int) -> list:
    return sns.color_palette(PALETTE, max(n, 1))


def _lattice_bins(x: np.ndarray, target: int = 60) -> np.ndarray | int:
    """Bin edges that hold a whole number of lattice steps: IQ is a linear map of integer
    raw scores, and bins that straddle the lattice unevenly draw false spikes."""
    values = np.unique(x[np.isfinite(x)])
    if len(values) < 2:
        return 1
    step = float(np.min(np.diff(values)))
    width = step * max(1, math.ceil((values[-1] - values[0]) / step / target))
    return np.arange(values[0] - step / 2, values[-1] + width, width)


def iq_histograms(samples: Mapping[str, pd.DataFrame]) -> Figure:
    """IQ histogram per hypothesis (density) with the normal curve N(100, 15) overlaid."""
    fig, axes = _grid(list(samples))
    grid = np.linspace(40, 160, 241)
    for ax, (name, frame) in zip(axes, samples.items()):
        iq = frame["iq"].to_numpy()
        sns.histplot(x=iq, stat="density", bins=_lattice_bins(iq), color=_colours(1)[0], ax=ax, label="simulated")
        ax.plot(grid, stats.norm.pdf(grid, 100, 15), color="black", lw=1.2, label="N(100, 15)")
        ax.set_xlabel(IQ_LABEL)
        ax.set_ylabel("density (per IQ point)")
        ax.legend(fontsize=7, title=f"skew {stats.skew(iq):.2f}", title_fontsize=7)
    return fig


def iq_qq(samples: Mapping[str, pd.DataFrame], points: int = 199) -> Figure:
    """Normal QQ plot per hypothesis: IQ quantiles against N(100, 15) quantiles."""
    fig, axes = _grid(list(samples))
    p = (np.arange(1, points + 1) - 0.5) / points
    theory = stats.norm.ppf(p, 100, 15)
    for ax, (name, frame) in zip(axes, samples.items()):
        ax.plot(theory, np.quantile(frame["iq"].to_numpy(), p), ".", ms=3, color=_colours(1)[0])
        ax.axline((100, 100), slope=1, color="black", lw=1)
        ax.set_xlabel("normal quantile (IQ points)")
        ax.set_ylabel("simulated quantile (IQ points)")
    return fig


def _hexbin_with_fit(ax, x: np.ndarray, y: np.ndarray) -> None:
    """Hexbin density with the least-squares line; Pearson r in the legend."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    ax.hexbin(x, y, gridsize=35, cmap=SEQUENTIAL, mincnt=1, bins="log", linewidths=0)
    if len(x) > 2 and np.ptp(x) > 0 and np.ptp(y) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, intercept + slope * xs, color=_colours(2)[1], lw=2,
                label=f"r = {stats.pearsonr(x, y)[0]:.2f}")
        ax.legend(fontsize=8, loc="upper left")


def _scatter_grid(samples: Mapping[str, pd.DataFrame], x: str, y: str, xlabel: str, ylabel: str) -> Figure:
    fig, axes = _grid(list(samples))
    for ax, frame in zip(axes, samples.values()):
        _hexbin_with_fit(ax, frame[x].to_numpy(), frame[y].to_numpy())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return fig


def brain_vs_iq(samples: Mapping[str, pd.DataFrame]) -> Figure:
    """Brain volume (cm^3) against IQ per hypothesis, with the regression line and r."""
    return _scatter_grid(samples, "brain_volume", "iq", "brain volume (cm³)", "IQ")


def rt_vs_iq(samples: Mapping[str, pd.DataFrame]) -> Figure:
    """Mean reaction time (s) against IQ per hypothesis, with the regression line and r."""
    return _scatter_grid(samples, "iq", "rt_mean", "IQ", "mean reaction time (s)")


def twin_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per complete twin pair: family, zygosity, iq_1, iq_2 (first and second twin in
    row order); the frame's rows may come in any order."""
    frame = frame.sort_values("family", kind="stable")
    first = psy.pair_starts(frame["family"].to_numpy())
    iq = frame["iq"].to_numpy()
    return pd.DataFrame({"family": frame["family"].to_numpy()[first], "zygosity": frame["zygosity"].to_numpy()[first],
                         "iq_1": iq[first], "iq_2": iq[first + 1]})


def twin_scatter(samples: Mapping[str, pd.DataFrame], max_pairs: int = 1500) -> Figure:
    """IQ of twin 1 against twin 2 per hypothesis, MZ and DZ pairs coloured, r per zygosity."""
    twins = {h: f for h, f in samples.items() if "zygosity" in f.columns}
    fig, axes = _grid(list(twins) or ["no twins (population.design=unrelated)"])
    colours = dict(zip(["MZ", "DZ"], _colours(2)))
    for ax, frame in zip(axes, twins.values()):
        pairs = twin_pairs(frame)
        for zyg, colour in colours.items():
            p = pairs[pairs.zygosity == zyg]
            if len(p) < 3:
                continue
            r = stats.pearsonr(p.iq_1, p.iq_2)[0]
            shown = p.iloc[:max_pairs]
            ax.scatter(shown.iq_1, shown.iq_2, s=3, alpha=0.4, color=colour, label=f"{zyg}: r = {r:.2f}",
                       rasterized=True)
        ax.legend(fontsize=8, loc="upper left", markerscale=3)
    for ax in axes:
        ax.set_xlabel("IQ, twin 1")
        ax.set_ylabel("IQ, twin 2")
    return fig


def output_tail(samples: Mapping[str, pd.DataFrame]) -> Figure:
    """Log-log rank plot of output (Shockley 1957: product over domains of the share of tasks solved)."""
    fig = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for colour, (name, frame) in zip(_colours(len(samples)), samples.items()):
        out = np.sort(frame["output"].to_numpy())[::-1]
        out = out[np.isfinite(out) & (out > 0)]
        if len(out):
            ax.plot(np.arange(1, len(out) + 1), out / out.mean(), color=colour, lw=1.3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=TAIL_FLOOR)
    ax.set_xlabel("rank (1 = most productive person)")
    ax.set_ylabel("output / mean output")
    ax.legend(fontsize=7, ncol=2)
    return fig


def loss_landscape(law: ScalingLaw, samples: Mapping[str, pd.DataFrame], max_points: int = 3000) -> Figure:
    """L(N, D) of `law` on log axes: filled contours and iso-loss lines, the compute-optimal
    line (C = 6ND), and the simulated people at their (N, D). Left: a wide view; right: zoomed
    on the people, where the iso-loss curves show how little a bigger brain buys."""
    fig = Figure(figsize=(12, 5), layout="constrained")
    wide, zoom = fig.subplots(1, 2)
    people = pd.concat([f[["n_params", "data"]].iloc[:max_points].assign(hypothesis=h) for h, f in samples.items()],
                       ignore_index=True)
    n_mid, d_mid = float(np.median(people.n_params)), float(np.median(people.data))
    spans = [(wide, 4.0, 40, "wide view"), (zoom, max(np.log10(people.n_params).std(), 0.02) * 4, 25, "around the people")]
    colours = dict(zip(samples, _colours(len(samples))))
    for ax, half, levels, title in spans:
        n = np.logspace(math.log10(n_mid) - half, math.log10(n_mid) + half, 200)
        d = np.logspace(math.log10(d_mid) - half, math.log10(d_mid) + half, 200)
        nn, dd = np.meshgrid(n, d)
        loss = law.loss(nn, dd)
        filled = ax.contourf(nn, dd, loss, levels=levels, cmap=SEQUENTIAL)
        ax.contour(nn, dd, loss, levels=filled.levels[::3], colors="white", linewidths=0.6)
        compute = np.logspace(math.log10(6 * n[0] * d[0]), math.log10(6 * n[-1] * d[-1]), 200)
        n_opt, d_opt = law.compute_optimal(compute)
        keep = (n_opt >= n[0]) & (n_opt <= n[-1]) & (d_opt >= d[0]) & (d_opt <= d[-1])
        ax.plot(n_opt[keep], d_opt[keep], color="black", ls="--", lw=1.5, label="compute-optimal (C = 6ND)")
        for name, group in people.groupby("hypothesis", sort=False):
            ax.scatter(group.n_params, group.data, s=2, alpha=0.5, color=colours[name], label=name, rasterized=True)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(n[0], n[-1])
        ax.set_ylim(d[0], d[-1])
        ax.set_xlabel("N (scaling-law parameters)")
        ax.set_ylabel("D (training tokens)")
        ax.set_title(f"{law.name}: {title}", fontsize=10)
        ax.tick_params(axis="x", which="both", labelrotation=30)
        fig.colorbar(filled, ax=ax, label="loss L(N, D) (nats/token)")
    wide.legend(fontsize=6, markerscale=4, loc="lower left")
    return fig


def scorecard_heatmap(card: pd.DataFrame) -> Figure:
    """Hypotheses x targets, colour = z (saturating at ±Z_LIMIT), each cell annotated with z."""
    z = card.pivot_table(index="hypothesis", columns="target", values="z", sort=False, dropna=False)
    fig = Figure(figsize=(1.0 * z.shape[1] + 3, 0.5 * z.shape[0] + 2.5), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(z, ax=ax, cmap=DIVERGING, center=0, vmin=-Z_LIMIT, vmax=Z_LIMIT, annot=True, fmt=".1f",
                annot_kws={"fontsize": 7}, linewidths=0.5, cbar_kws={"label": "z = (simulated − observed) / tolerance"})
    ax.set_xlabel("target")
    ax.set_ylabel("hypothesis")
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    return fig


def posterior_models(models: pd.DataFrame, history: pd.DataFrame | None = None) -> Figure:
    """ABC posterior model probabilities. With the SMC's `history`: its epsilon curve
    (`brainsim.tables.smc_curve`), each contender's probability (± SE) against epsilon, filled
    markers where every contender has enough accepted proposals to quote it, hollow where not.
    Without: bars = mean over seeds, error bars = its MC standard error."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    if history is not None and len(history):
        from .tables import SMC_CONTENDER, SMC_MIN_ACCEPTED, smc_curve

        curve = smc_curve(history)
        shown = [h for h, g in curve.groupby("hypothesis", sort=False) if (g["probability"] > SMC_CONTENDER).any()]
        for h, colour in zip(shown, _colours(len(shown))):
            g = curve[curve["hypothesis"] == h]
            ax.errorbar(g["epsilon"], g["probability"], yerr=g["se"].fillna(0), color=colour, capsize=2, label=h)
            for quotable, fill in ((True, colour), (False, "white")):
                pick = g["quotable"] == quotable
                ax.scatter(g.loc[pick, "epsilon"], g.loc[pick, "probability"], s=30, facecolors=fill,
                           edgecolors=colour, zorder=3)
        ax.set_xscale("log")
        ax.invert_xaxis()  # generations run from a loose to a tight epsilon
        ax.set_xlabel("epsilon (RMS z; the generations run left to right)")
        ax.set_ylabel("model probability (pooled over seeds)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7, title=f"filled: every contender ≥ {SMC_MIN_ACCEPTED} accepted", title_fontsize=7)
        return fig
    m = models.sort_values("probability", ascending=False)
    sd = m["se"].fillna(0).to_numpy() if "se" in m else None
    ax.bar(m["hypothesis"], m["probability"], yerr=sd, capsize=3, color=_colours(1)[0])
    ax.set_xlabel("hypothesis")
    ax.set_ylabel("posterior model probability")
    ax.set_ylim(0, 1)
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    return fig


def posterior_params(particles: pd.DataFrame, priors: Mapping[str, Mapping] | None = None, bins: int = 15) -> Figure:
    """Weighted histograms of each free parameter in the last ABC generation, per hypothesis.
    With `priors` ({hypothesis: {key: (low, high)}}) only those parameters are drawn (e.g. each
    hypothesis's own, not the shared background's), the bins span the uniform prior and a
    dashed line marks the prior's probability per bin. Log10 priors are drawn in log10."""
    last = particles[particles.generation == particles.generation.max()] if len(particles) else particles
    panels = [c for c in last.columns if ":" in c and last.loc[last[c].notna(), "weight"].sum() > 0
              and (priors is None or c.split(":", 1)[1] in priors.get(c.split(":", 1)[0], {}))]
    fig, axes = _grid(panels or ["no surviving particles"])
    for ax, col in zip(axes, panels):
        rows = last[last[col].notna()]
        hypothesis, key = col.split(":", 1)
        low, high = (priors or {}).get(hypothesis, {}).get(key, (rows[col].min(), rows[col].max()))
        edges = np.linspace(low, high, bins + 1).tolist() if high > low else bins  # a list: seaborn compares bins with "auto"
        sns.histplot(x=rows[col], weights=rows["weight"], bins=edges, stat="probability", color=_colours(1)[0], ax=ax)
        if priors and high > low:
            ax.axhline(1.0 / bins, color="black", ls="--", lw=1, label="prior")
            ax.set_xlim(low, high)
            ax.legend(fontsize=7)
        ax.set_title(f"{hypothesis}\n{key}", fontsize=8)
        ax.set_xlabel(key.rsplit(".", 1)[-1] + " (config units)")
        ax.set_ylabel("posterior probability")
    return fig


def decomposition_bars(table: pd.DataFrame) -> Figure:
    """Stacked bars: the share of IQ variance per cause, per hypothesis, at the files' values
    and (when ABC ran) at the posterior medians. `table`: hypothesis, at, cause, share."""
    panels = [at for at in ("file", "posterior") if (table["at"] == at).any()]
    fig, axes = _grid([f"at the {'files' if at == 'file' else 'posterior medians'}' values" for at in panels],
                      width=6.0, height=4.0)
    causes = list(dict.fromkeys(table["cause"]))
    colours = dict(zip(causes, _colours(len(causes))))
    for ax, at in zip(axes, panels):
        wide = table[table["at"] == at].pivot_table(index="hypothesis", columns="cause", values="share", sort=False)
        bottom_pos, bottom_neg = np.zeros(len(wide)), np.zeros(len(wide))
        for cause in causes:
            if cause not in wide:
                continue
            v = wide[cause].fillna(0.0).to_numpy()
            base = np.where(v >= 0, bottom_pos, bottom_neg)
            ax.barh(wide.index, v, left=base, color=colours[cause], label=cause)
            bottom_pos += np.maximum(v, 0)
            bottom_neg += np.minimum(v, 0)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("share of IQ variance")
    axes[-1].legend(fontsize=7, loc="lower right")
    return fig


def _rotate(ax) -> None:
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")


def recovery_confusion(conf: pd.DataFrame) -> Figure:
    """Model recovery: P(chosen | true), rows = the true hypothesis (`recovery_confusion.csv`)."""
    p = conf.pivot_table(index="true", columns="chosen", values="p_chosen_given_true", sort=False)
    fig = Figure(figsize=(0.7 * p.shape[1] + 3.5, 0.5 * p.shape[0] + 2.5), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(p, ax=ax, cmap="viridis", vmin=0, vmax=1, annot=True, fmt=".2f", annot_kws={"fontsize": 7},
                cbar_kws={"label": "P(chosen | true)"})
    ax.set_xlabel("chosen by leave-one-out ABC")
    ax.set_ylabel("true hypothesis (simulated)")
    _rotate(ax)
    return fig


def model_choice(per: pd.DataFrame, curve: pd.DataFrame, confusion: pd.DataFrame) -> Figure:
    """ABC random forest: at the observed targets, the share of trees voting for each
    hypothesis beside the other learners' probabilities (`model_choice.csv`); the out-of-bag
    prior error against the number of trees (`model_choice_trees.csv`); the OOB confusion,
    P(chosen | true) (`model_choice_confusion.csv`)."""
    names = list(per["hypothesis"])
    cols = [c for c in ("votes", "rejection_probability", "boosting_probability") if c in per]
    long = per.melt(id_vars="hypothesis", value_vars=cols, var_name="learner", value_name="support")
    fig = Figure(figsize=(0.6 * len(names) + 12, 4.5), layout="constrained")
    ax, ax2, ax3 = fig.subplots(1, 3, width_ratios=[1.2, 0.8, 1.2])
    sns.barplot(long, x="hypothesis", y="support", hue="learner", ax=ax, palette=_colours(len(cols)))
    ax.set(ylim=(0, 1), ylabel="support at the observed targets", xlabel="")
    _rotate(ax)
    ax2.plot(curve["trees"], curve["error"], marker="o", ms=3, color=_colours(1)[0])
    ax2.set(xlabel="trees", ylabel="out-of-bag prior error")
    counts = confusion.set_index("true")[names]
    sns.heatmap(counts.div(counts.sum(axis=1), axis=0), ax=ax3, cmap="viridis", vmin=0, vmax=1, annot=True,
                fmt=".2f", annot_kws={"fontsize": 6}, cbar_kws={"label": "P(chosen | true), out of bag"})
    ax3.set(xlabel="chosen by the forest", ylabel="true hypothesis (simulated)")
    _rotate(ax3)
    return fig


def recovery_reliability(table: pd.DataFrame) -> Figure:
    """Reliability diagrams: per hypothesis, the observed share of rows that came from it
    against its predicted probability, per bin, with 95% Wilson intervals; dots sized by rows."""
    names = list(dict.fromkeys(table["hypothesis"]))
    fig, axes = _grid(names, width=2.8, height=2.8)
    for ax, name in zip(axes, names):
        g = table[(table["hypothesis"] == name) & (table["n"] > 0)]
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8)
        ax.errorbar(g["mean_probability"], g["observed"],
                    yerr=[g["observed"] - g["ci_low"], g["ci_high"] - g["observed"]], fmt="none", ecolor="black",
                    lw=0.8)
        ax.scatter(g["mean_probability"], g["observed"], s=10 + 40 * np.sqrt(g["n"] / g["n"].max()),
                   color=_colours(1)[0], zorder=3)
        ax.set(xlim=(0, 1), ylim=(0, 1), title=name, xlabel="predicted P(hypothesis)", ylabel="observed share")
    return fig


def recovery_coverage(cov: pd.DataFrame) -> Figure:
    """Parameter coverage: each free parameter's coverage of its 50% and 90% posterior intervals
    (± 2 MC SE) against the nominal level (dashed), per hypothesis."""
    names = list(dict.fromkeys(cov["hypothesis"]))
    fig, axes = _grid(names, width=4.0, height=0.25 * cov.groupby("hypothesis").parameter.nunique().max() + 1.6)
    for ax, name in zip(axes, names):
        g = cov[cov["hypothesis"] == name]
        params = list(dict.fromkeys(g["parameter"]))
        for colour, (level, gl) in zip(_colours(2), g.groupby("level")):
            y = [params.index(p) for p in gl["parameter"]]
            ax.errorbar(gl["coverage"], y, xerr=2 * gl["se"], fmt="o", ms=3, color=colour, label=f"{level:.0%}")
            ax.axvline(level, color=colour, ls="--", lw=0.8)
        ax.set_yticks(range(len(params)), [p.rsplit(".", 1)[-1] for p in params], fontsize=6)
        ax.set(xlim=(0, 1), title=name, xlabel="coverage")
        ax.legend(fontsize=6, loc="lower left")
    return fig


def recovery_influence(influence: pd.DataFrame) -> Figure:
    """Target influence: P(hypothesis | observed targets) by rejection on the reference table
    with all targets and with each left out in turn, and each target's share of the distance
    among the table rows nearest to the observed targets."""
    p = influence.pivot_table(index="left_out", columns="hypothesis", values="probability", sort=False)
    share = influence.dropna(subset=["share_of_distance"]).groupby("left_out", sort=False)["share_of_distance"].first()
    fig = Figure(figsize=(0.7 * p.shape[1] + 7, 0.45 * p.shape[0] + 2.5), layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[3, 1])
    sns.heatmap(p, ax=ax, cmap="viridis", vmin=0, vmax=1, annot=True, fmt=".2f", annot_kws={"fontsize": 7},
                cbar_kws={"label": "P(hypothesis | observed)"})
    ax.set(xlabel="hypothesis", ylabel="target left out")
    _rotate(ax)
    ax2.barh(share.index, share.to_numpy(), color=_colours(1)[0])
    ax2.invert_yaxis()
    ax2.set(xlabel="share of squared distance\n(nearest table rows)", yticks=[])
    return fig


def recovery_reachability(reach: pd.DataFrame) -> Figure:
    """Reachability: where each observed target falls in each hypothesis's prior predictive
    (its quantile; x: outside everything the prior produces), and how many hypotheses reach it."""
    q = reach.pivot_table(index="target", columns="hypothesis", values="quantile", sort=False)
    outside = ~reach.pivot_table(index="target", columns="hypothesis", values="reaches", sort=False,
                                 aggfunc="first").astype(bool)
    labels = q.map(lambda v: f"{v:.2f}").where(~outside, "x")
    fig = Figure(figsize=(0.7 * q.shape[1] + 3.5, 0.45 * q.shape[0] + 2.2), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(q, ax=ax, cmap="vlag", vmin=0, vmax=1, center=0.5, annot=labels, fmt="", annot_kws={"fontsize": 7},
                cbar_kws={"label": "observed value's quantile in the prior predictive"})
    ax.set(xlabel="hypothesis", ylabel="target")
    _rotate(ax)
    return fig


def run_figures(samples: Mapping[str, pd.DataFrame], law: ScalingLaw, card: pd.DataFrame,
                models: pd.DataFrame | None = None, particles: pd.DataFrame | None = None,
                priors: Mapping[str, Mapping] | None = None, *, decomposition: pd.DataFrame | None = None,
                recovery: Mapping[str, pd.DataFrame] | None = None,
                choice: Mapping[str, pd.DataFrame] | None = None, history: pd.DataFrame | None = None) -> dict:
    """Every figure of a run as {file stem: function making it}, so callers can draw and save
    them one at a time (see README: figures). ABC figures only when ABC ran (with its
    `history`, the model probabilities as the SMC's epsilon curve), recovery figures when
    recovery ran (`recovery`: the frames of `brainsim.assessment.recover`)."""
    figs = {
        "scorecard": lambda: scorecard_heatmap(card),
        "iq_histograms": lambda: iq_histograms(samples),
        "iq_qq": lambda: iq_qq(samples),
        "brain_vs_iq": lambda: brain_vs_iq(samples),
        "loss_landscape": lambda: loss_landscape(law, samples),
        "rt_vs_iq": lambda: rt_vs_iq(samples),
        "twins": lambda: twin_scatter(samples),
        "output_tail": lambda: output_tail(samples),
    }
    if models is not None:
        figs["posterior_models"] = lambda: posterior_models(models, history)
    if particles is not None:
        figs["posterior_params"] = lambda: posterior_params(particles, priors)
    if decomposition is not None and len(decomposition):
        figs["decomposition"] = lambda: decomposition_bars(decomposition)
    if choice and choice.get("model_choice") is not None:
        figs["model_choice"] = lambda: model_choice(choice["model_choice"], choice["model_choice_trees"],
                                                    choice["model_choice_confusion"])
    rec = recovery or {}
    for key, make in (("confusion", recovery_confusion), ("calibration", recovery_reliability),
                      ("coverage", recovery_coverage), ("influence", recovery_influence),
                      ("reachability", recovery_reachability)):
        if rec.get(key) is not None and len(rec[key]):
            figs[f"recovery_{key}"] = lambda make=make, frame=rec[key]: make(frame)
    return figs


def write_figures(makers: Mapping, folder: str | Path, dpi: int = DPI, *, workers: int = 1) -> dict[str, Path]:
    """Draw and save each figure as folder/<name>.png; returns the paths. With `workers` > 1
    the figures are drawn in that many forked processes (on Linux, where fork is the default
    and safe; elsewhere one at a time): saving a figure is single-threaded rendering, and a
    run's 15 figures took 29 s one at a time on 2 cores. The files are the same bytes either
    way; a worker that dies raises BrokenProcessPool instead of leaving the run waiting."""
    from concurrent.futures import ProcessPoolExecutor

    paths = {name: Path(folder) / f"{name}.png" for name in makers}
    workers = min(workers, len(makers))
    if workers < 2 or not sys.platform.startswith("linux"):
        return {name: save(make(), paths[name], dpi) for name, make in makers.items()}
    global _MAKERS
    _MAKERS = makers  # inherited by the forked workers: the makers are closures, not picklable
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_worker_signals)
    try:
        pending = {name: pool.submit(_draw, name, paths[name], dpi) for name in makers}
        return {name: job.result() for name, job in pending.items()}
    finally:  # after an interruption: the figures being drawn finish, the others are not started
        pool.shutdown(wait=True, cancel_futures=True)
        _MAKERS = {}


_MAKERS: Mapping = {}


def _draw(name: str, path: Path, dpi: int) -> Path:
    return save(_MAKERS[name](), path, dpi)


def _worker_signals() -> None:
    """In a figure worker: Ctrl-C is left to the parent, which stops the pool; SIGTERM raises
    SystemExit in the figure being drawn, so the atomic writer removes its temporary file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

"""A run's report.html: ranking, scorecard, paradox, ABC result and figures in one file.

Self-contained: figures are embedded as base64 PNG data URIs and the style sheet is inline,
so the page opens from disk, by mail or from an archive with nothing beside it.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .decomposition import wide as decomposition_wide
from .io import write_text
from .verdict import not_final

__all__ = ["CAPTIONS", "render", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
td.fail { background: #fbe3e3; } td.pass { background: #e5f4e5; }
div.wide { overflow-x: auto; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; } code { background: #f5f5f5; padding: 1px 4px; }
"""

CAPTIONS = {
    "scorecard": "Scorecard: z = (simulated − observed) / tolerance per hypothesis and target; |z| ≤ 2 passes.",
    "iq_histograms": "IQ distribution per hypothesis with the normal curve N(100, 15).",
    "iq_qq": "Normal QQ plots of IQ.",
    "brain_vs_iq": "Brain volume against IQ, with the least-squares line and Pearson r.",
    "loss_landscape": "The scaling law L(N, D): iso-loss lines, the compute-optimal line and the simulated people.",
    "rt_vs_iq": "Mean reaction time against IQ.",
    "twins": "IQ of MZ and DZ co-twins.",
    "output_tail": "Output rank plot (log-log): how concentrated output is in the top.",
    "posterior_models": "ABC-SMC model probabilities against epsilon, pooled over seeds (± SE); filled markers where "
                        "every contender has enough accepted proposals to quote them, hollow where not (the verdict "
                        "quotes only those).",
    "posterior_params": "ABC posteriors of each hypothesis's own parameters (last generation, weighted).",
    "decomposition": "Share of IQ variance per cause, each switched off in turn with common random numbers.",
    "model_choice": "ABC random forest: support for each hypothesis at the observed targets (tree votes beside "
                    "rejection and boosted trees), the out-of-bag prior error against the number of trees, and the "
                    "out-of-bag confusion.",
    "recovery_confusion": "Model recovery: P(chosen | true) by leave-one-out ABC rejection on the reference table.",
    "recovery_calibration": "Reliability of the model probabilities: observed share against predicted probability "
                            "(95% Wilson intervals); calibrated points lie on the diagonal.",
    "recovery_coverage": "Parameter recovery: coverage of the 50% and 90% posterior intervals (± 2 MC SE) against "
                         "the nominal levels (dashed).",
    "recovery_reachability": "Reachability: where each observed target falls in each hypothesis's prior predictive "
                             "(quantile; x = outside everything its prior produces).",
    "recovery_influence": "Target influence: model probabilities with each target left out, and each target's share "
                          "of the distance near the observed targets.",
}


def _table(frame: pd.DataFrame, css_class: str, digits: int = 3) -> str:
    return frame.to_html(classes=css_class, index=False, na_rep="n/a", float_format=lambda v: f"{v:.{digits}g}",
                         border=0, escape=True)


def _scorecard_table(card: pd.DataFrame, table_id: str = "scorecard") -> str:
    """The scorecard with each z cell marked pass or fail."""
    z = card.pivot_table(index="target", columns="hypothesis", values="z", sort=False, dropna=False)
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in z.columns)
    rows = []
    for target, values in z.iterrows():
        cells = "".join(
            '<td>n/a</td>' if pd.isna(v) else f'<td class="{"pass" if abs(v) <= 2 else "fail"}">{v:.2f}</td>'
            for v in values)
        rows.append(f"<tr><td>{html.escape(str(target))}</td>{cells}</tr>")
    return (f'<div class="wide"><table class="scorecard" id="{table_id}"><thead><tr><th>target</th>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>')


def _figure(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    name = Path(path).stem
    caption = html.escape(CAPTIONS.get(name, name))
    return (f'<figure id="fig-{name}"><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def render(ranking: pd.DataFrame, card: pd.DataFrame, paradox: pd.DataFrame, figures: Mapping[str, Path],
           abc: pd.DataFrame | None = None, provenance: Mapping | None = None, claims: Mapping[str, str] | None = None,
           *, verdict: list[str] | None = None, decomposition: pd.DataFrame | None = None,
           posterior_card: pd.DataFrame | None = None, diagnostics: pd.DataFrame | None = None,
           recovery: Mapping[str, pd.DataFrame] | None = None,
           choice: Mapping[str, pd.DataFrame] | None = None, life_course: pd.DataFrame | None = None) -> str:
    """The report as one HTML string: the verdict first, then the evidence."""
    prov = provenance or {}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>brainsim report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>brainsim report</h1>",
        (f"<p>brainsim {html.escape(str(prov.get('brainsim_version', '')))}, "
         f"seed {html.escape(str(prov.get('seed', '')))}. "
         f"Reproduce with <code>{html.escape(str(prov.get('command', '')))}</code>.</p>"),
    ]
    if verdict:
        parts += ["<h2>Verdict</h2>", '<ul id="verdict">' + "".join(f"<li>{html.escape(v)}</li>" for v in verdict)
                  + "</ul>"]
    if choice:
        parts += ["<h2>Model choice</h2><p>ABC random forest on the reference table, at the observed targets: "
                  "the share of trees voting for each hypothesis, the other learners' probabilities, each "
                  "hypothesis's out-of-bag error, and how typical the observed targets are among its simulations "
                  "(<code>model_choice.csv</code>; confusion, error against trees, reliability, grouped questions "
                  "and the fit gate per statistic in <code>model_choice_*.csv</code> and <code>fit_gate.csv</code>)."
                  "</p>", _table(choice["model_choice"], "model_choice", 3)]
        groups = choice.get("model_choice_groups")
        if groups is not None and len(groups):
            parts += ["<p>Grouped questions, declared in the config before the data were seen.</p>",
                      _table(groups, "model_choice_groups", 3)]
    if posterior_card is not None and len(posterior_card):
        dead = not_final(posterior_card)
        note = (f" No proposal accepted in the final generation, so taken at the last generation that accepted one: "
                f"{html.escape(', '.join(dead))}." if dead else "")
        parts += ["<h2>Scorecard at the posterior</h2><p>Each hypothesis rescored at its posterior median "
                  f"(<code>scorecard_posterior.csv</code>).{note}</p>",
                  _scorecard_table(posterior_card, "scorecard_posterior")]
    if decomposition is not None and len(decomposition):
        wide = decomposition_wide(decomposition)
        wide.columns = [f"{h} ({at})" for at, h in wide.columns]
        parts += ["<h2>What explains the variance</h2><p>Share of IQ variance per cause, each switched off in "
                  "turn with common random numbers (<code>decomposition.csv</code>).</p>",
                  '<div class="wide">' + _table(wide.reset_index(), "decomposition", 2) + "</div>"]
    if life_course is not None and len(life_course):
        cite = html.escape(str(life_course["source"].iloc[0]))
        parts += ["<h2>Beside the targets: the Wilson effect</h2><p>Twin h² of IQ at 9 and 17, each hypothesis "
                  "simulated again with the data and brain of those ages and normed within age; checked, never "
                  f"scored (<code>life_course.csv</code>). Observed: {cite}.</p>",
                  _table(life_course.drop(columns=["source"]), "life_course", 3)]
    parts += [
        "<h2>Ranking at the files' values</h2><p>Total distance = RMS z over the targets a hypothesis could "
        "compute; lower is better.</p>",
        _table(ranking, "ranking"),
    ]
    if claims:
        items = "".join(f"<li><b>{html.escape(h)}</b>: {html.escape(c)}</li>" for h, c in claims.items())
        parts.append(f"<ul>{items}</ul>")
    parts += ["<h2>Scorecard at the files' values</h2><p>z = (simulated − observed) / tolerance; green cells "
              "pass (|z| ≤ 2).</p>",
              _scorecard_table(card),
              ("<h2>The paradox</h2><p>Latent capability against observed IQ, and what brain volume alone would "
               "need (exact, see <code>brainsim.paradox</code>).</p>"),
              _table(paradox.reset_index(names="hypothesis"), "paradox")]
    if diagnostics is not None and len(diagnostics):
        parts += ["<h2>Sub-models in range</h2><p>Input check (brain-volume CV, an input, not evidence) and the "
                  "battery's range: floor and ceiling shares, distinct IQ values.</p>",
                  _table(diagnostics.reset_index(), "diagnostics")]
    if abc is not None:
        parts += ["<h2>ABC model selection</h2>", _table(abc, "abc")]
    if recovery:
        conf = recovery["confusion"].pivot_table(index="true", columns="chosen", values="p_chosen_given_true",
                                                 sort=False)
        parts += ["<h2>How far the verdict can be trusted</h2><p>Leave-one-out ABC rejection on the reference "
                  "table (<code>reference_table.parquet</code>): P(chosen | true) "
                  "(<code>recovery_confusion.csv</code>; calibration, parameter coverage, target influence and "
                  "absolute fit in the other <code>recovery_*.csv</code>).</p>",
                  '<div class="wide">' + _table(conf.reset_index(), "recovery", 2) + "</div>"]
        reach = recovery.get("reachability")
        if reach is not None and len(reach):
            wide = reach.pivot_table(index="target", columns="hypothesis", values="shift_z", sort=False)
            counts = reach.groupby("target", sort=False)["reached_by"].first()
            wide.insert(0, "reached by", counts.reindex(wide.index).to_numpy())
            parts += ["<p>Reachability (<code>recovery_reachability.csv</code>): how many hypotheses' prior "
                      "predictives reach each target, and how far each hypothesis's mechanism moves it from "
                      "baseline at the files' values (in tolerances). A target reached by one hypothesis only is "
                      "met by that model's wiring or by evidence: check which.</p>",
                      '<div class="wide">' + _table(wide.reset_index(), "reachability", 2) + "</div>"]
        if recovery.get("fit") is not None:
            fit = recovery["fit"].dropna(subset=["predictive_p"])
            if len(fit):
                parts += ["<p>Absolute fit: posterior-predictive z and p-values of the most probable hypotheses "
                          "(<code>recovery_fit.csv</code>).</p>",
                          _table(fit[["hypothesis", "statistic", "observed", "prior_quantile", "predictive_z",
                                      "predictive_p_normal"]], "fit")]
    parts.append("<h2>Figures</h2>")
    parts += [_figure(p) for p in figures.values()]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: str | Path, *args, **kwargs) -> Path:
    """Render (see `render`) and write report.html atomically."""
    return write_text(Path(path), render(*args, **kwargs))

"""Mutation testing: plant known bugs, one at a time, in a scratch copy and report which survive.

Each mutant replaces one exact snippet of the package (it must occur once) and runs the fast
tests that should catch it. A mutant that survives is a gap in the suite: add a test that
pins the value it changes. Run it on what you changed before you stop:

    python tests/mutants.py                 # every mutant
    python tests/mutants.py sbc influence   # the mutants whose names contain these words
    python tests/mutants.py --list          # names only

The scratch copy (brainsim/, conf/, tests/, pyproject.toml) is imported through PYTHONPATH,
so the installed package is untouched. Exit status 1 if any mutant survives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the repository
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids or files that should catch it


MUTANTS = [
    Mutant("abc acceptance unweighted", "brainsim/inference.py",
           "acceptance = float(probs @ rate)", "acceptance = float(rate.mean())", ("tests/test_inference.py",)),
    Mutant("sbc ranks without random offset", "brainsim/recovery.py",
           "u = (ranks + rng.random(ranks.size)) / (k + 1)", "u = (ranks + 0.5) / (k + 1)",
           ("tests/test_recovery.py",)),
    Mutant("influence over the whole table", "brainsim/recovery.py",
           "z = (table_stats[idx[0]] - observed[None]) / tolerance[None]",
           "z = (table_stats - observed[None]) / tolerance[None]", ("tests/test_recovery.py",)),
    Mutant("decomposition divided by Var T", "brainsim/decomposition.py",
           "out[cause] = (var_t - float(_iq(setup, off)[1].var())) / var_x",
           "out[cause] = (var_t - float(_iq(setup, off)[1].var())) / var_t", ("tests/test_decomposition.py",)),
    Mutant("schema: inherited_mean unbounded", "brainsim/config/schema.py",
           '"population.mutation.inherited_mean": _float(0.0, 10.0)', '"population.mutation.inherited_mean": _float(0.0)',
           ("tests/test_schema_limits.py",)),
    Mutant("schema: depth lower bound loosened", "brainsim/config/schema.py",
           '"battery.depth[]": _float(1.0, 1000.0)', '"battery.depth[]": _float(0.0, 1000.0)',
           ("tests/test_schema_limits.py",)),
    Mutant("schema: variant shift widened", "brainsim/config/schema.py",
           '"population.architecture.variants[].shift": _float(-1.0, 1.0)',
           '"population.architecture.variants[].shift": _float(-5.0, 5.0)', ("tests/test_schema_limits.py",)),
    Mutant("verdict names the first row", "brainsim/verdict.py",
           'best = models.sort_values("probability", ascending=False).iloc[0]', "best = models.iloc[0]",
           ("tests/test_verdict.py",)),
    Mutant("calibration null from uniform labels", "brainsim/recovery.py",
           "null = [ece(probs, np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), m - 1), bins)",
           "null = [ece(probs, rng.integers(0, m, n), bins)", ("tests/test_recovery.py",)),
    Mutant("overflowing statistics charged as missing", "brainsim/recovery.py",
           "return np.where(np.isfinite(x), np.clip(out, -_FAR, _FAR), out)", "return out",
           ("tests/test_recovery.py::test_absurd_rows_rank_last_with_finite_distances",)),
    Mutant("the child's data scaled the wrong way", "brainsim/lifecourse.py",
           "data_seconds=pop.data_seconds * age / adult_years", "data_seconds=pop.data_seconds * adult_years / age",
           ("tests/test_lifecourse.py",)),
    Mutant("the child's brain kept adult", "brainsim/lifecourse.py",
           "volume_mean=pop.volume_mean * brain_share", "volume_mean=pop.volume_mean",
           ("tests/test_lifecourse.py",)),
    Mutant("the Wilson z against the wrong rise", "brainsim/lifecourse.py",
           "z = (simulated - rise) / tolerance", "z = (simulated + rise) / tolerance",
           ("tests/test_lifecourse.py",)),
    Mutant("the Wilson check with an adult brain at 9", "brainsim/lifecourse.py",
           "{young: BRAIN_SHARE[young], old: BRAIN_SHARE[old]}", "{young: 1.0, old: BRAIN_SHARE[old]}",
           ("tests/test_lifecourse.py",)),
    Mutant("the Wilson line credits who misses", "brainsim/verdict.py",
           'good = list(checks.loc[checks["reproduced"].astype(bool), "hypothesis"])',
           'good = list(checks.loc[~checks["reproduced"].astype(bool), "hypothesis"])', ("tests/test_verdict.py",)),
    Mutant("a row is its own neighbour", "brainsim/recovery.py",
           "d[np.arange(block.shape[0]), np.arange(lo, lo + block.shape[0])] = np.inf", "pass",
           ("tests/test_recovery.py",)),
    Mutant("confusion counts probabilities, not choices", "brainsim/recovery.py",
           "np.add.at(counts, labels, choices(probs))", "np.add.at(counts, labels, probs)",
           ("tests/test_recovery.py",)),
    Mutant("row error is 1 - probability", "brainsim/recovery.py",
           "return 1.0 - choices(probs)[np.arange(labels.size), labels]",
           "return 1.0 - probs[np.arange(labels.size), labels]", ("tests/test_recovery.py",)),
    Mutant("coverage intervals by the default quantile rule", "brainsim/recovery.py",
           'lo = np.quantile(draws, (1 - level) / 2, axis=1, method="weibull")',
           "lo = np.quantile(draws, (1 - level) / 2, axis=1)", ("tests/test_recovery.py",)),
    Mutant("decomposition: noise held at zero burden", "brainsim/decomposition.py",
           "d.burden[:] = np.median(d.burden)", "d.burden[:] = 0.0", ("tests/test_decomposition.py",)),
    Mutant("drift ignores what was learned", "brainsim/engine.py",
           "learned = ((r_med / np.maximum(reducible, 1e-12 * r_med)) ** pop.drift_loss_exponent",
           "learned = ((r_med / np.maximum(reducible, 1e-12 * r_med)) ** 0.0", ("tests/test_background.py",)),
    Mutant("tolerance widened by adding the SD", "brainsim/inference.py",
           "tolerance=float(np.hypot(t.tolerance, s))", "tolerance=float(t.tolerance + s)",
           ("tests/test_inference.py",)),
    Mutant("adoptive siblings share genes", "brainsim/model/population.py",
           "g2, c2nd = gx, c  # adopted", "g2, c2nd = g1, c  # adopted", ("tests/test_population.py",)),
    Mutant("reachability counts every hypothesis", "brainsim/recovery.py",
           'out.groupby("target", sort=False)["reaches"].transform("sum")',
           'out.groupby("target", sort=False)["reaches"].transform("size")', ("tests/test_recovery.py",)),
    Mutant("abc acceptance over every generation", "brainsim/inference.py",
           'rate = np.array([ok[p["generation"] == gen].mean() for ok, p in zip(this, pool)])',
           'rate = np.array([(p["distance"] <= eps).mean() for ok, p in zip(this, pool)])',
           ("tests/test_inference.py",)),
    Mutant("forest OOB counts in-bag trees", "brainsim/forest.py",
           "        out[inbag] = False\n", "", ("tests/test_forest.py",)),
    Mutant("forest posterior probability is the error", "brainsim/forest.py",
           'out["probability"] = np.clip(1.0 - _mean_prediction(self.regression, x), 0.0, 1.0)',
           'out["probability"] = np.clip(_mean_prediction(self.regression, x), 0.0, 1.0)', ("tests/test_forest.py",)),
    Mutant("forest without LDA axes", "brainsim/forest.py", "    if lda:\n        with warnings",
           "    if False:\n        with warnings", ("tests/test_forest.py",)),
    Mutant("checkpoint: altered content accepted", "brainsim/checkpoint.py",
           'if head.get("sha256") != _digest(doc, arrays):', "if False:", ("tests/test_checkpoint.py",)),
    Mutant("checkpoint: pickles allowed", "brainsim/checkpoint.py", "np.load(path, allow_pickle=False)",
           "np.load(path, allow_pickle=True)", ("tests/test_checkpoint.py",)),
    Mutant("floor: the bound is the 1-NN error itself", "brainsim/forest.py",
           "    bound = (1 / c) * (1 - np.sqrt(max(0.0, 1 - c * nn)))", "    bound = nn",
           ("tests/test_forest.py",)),
    Mutant("gate without Bonferroni", "brainsim/gate.py",
           'alpha = level / max(position["statistic"].nunique(), 1)', "alpha = level", ("tests/test_forest.py",)),
    Mutant("gate: outside only when every hypothesis is beyond", "brainsim/gate.py",
           'unreached = [s for s, g in by_stat if g["outside"].astype(bool).all()]', "unreached = []",
           ("tests/test_forest.py",)),
    Mutant("reproduce line drops --config-dir", "brainsim/commandline.py",
           'args += ["--config-dir", str(s["path"])]', "args += []",
           ("tests/test_api_cli.py::test_the_reproduce_line_of_a_user_config_folder_run_reproduces_it",)),
    Mutant("thin tail charged twice", "brainsim/summaries.py",
           "return np.array([0.0 if CONDITIONAL.get(s) in statistics else float(missing_z) for s in statistics])",
           "return np.array([float(missing_z) for s in statistics])", ("tests/test_inference.py",)),
    Mutant("plan blind to a heavy tail", "brainsim/model/tasks.py",
           "np.maximum(centre + bat.reach * sd, q_easy)", "centre + bat.reach * sd",
           ("tests/test_tasks.py::test_the_plan_reaches_a_heavy_tail_of_weak_people",)),
    Mutant("universe not anchored to the plan", "brainsim/model/tasks.py",
           "return dataclasses.replace(bat, lower=min(bat.lower, hardest), upper=max(bat.upper, easiest))",
           "return bat", ("tests/test_tasks.py::test_the_universe_holds_the_plans_hardest_and_easiest_items",
                          "tests/test_background.py::test_batteries_stay_in_range_across_every_hypothesis_prior")),
    Mutant("items ignore their strata", "brainsim/model/tasks.py",
           "ends[..., 0], ends[..., 1])", "bat.lower, bat.upper)",
           ("tests/test_tasks.py::test_items_lie_in_their_strata_from_hard_to_easy",)),
    Mutant("selection keeps the least discriminating", "brainsim/model/tasks.py",
           "np.argmax(spread[f, d].reshape(per, pool), axis=1)", "np.argmin(spread[f, d].reshape(per, pool), axis=1)",
           ("tests/test_tasks.py::test_selected_items_are_the_most_discriminating_of_their_stratum",)),
    Mutant("inherited load raises everyone's noise", "brainsim/model/population.py",
           "- tr.burden_mean, LOG_NOISE_CAP", "- 0.0, LOG_NOISE_CAP",
           ("tests/test_population.py::test_the_inherited_load_spreads_noise_around_the_typical_person",)),
    Mutant("item variances drop the remainder", "brainsim/model/tasks.py",
           "            while q < stop:  # the segment's last 0-3 people", "            while q < stop - 3:",
           ("tests/test_tasks.py::test_item_variances_match_numpy",
            "tests/test_tasks.py::test_item_variances_with_a_wide_universe")),
    Mutant("item variances: one centre for a wide domain", "brainsim/model/tasks.py",
           "            b = np.exp(seg_centre[d, s] - t / width)", "            b = np.exp(seg_centre[d, 0] - t / width)",
           ("tests/test_tasks.py::test_item_variances_with_a_wide_universe",)),
    Mutant("capability table: a block's nodes misaligned", "brainsim/model/tasks.py",
           "sig = 1.0 / (1.0 + a * node_exp[j - base])", "sig = 1.0 / (1.0 + a * node_exp[max(j - base - 1, 0)])",
           ("tests/test_tasks.py",)),
    Mutant("responses: unsafe items skipped for safe people", "brainsim/model/tasks.py",
           "                            if safe_person and item_safe[f, d, j]:\n                                continue",
           "                            if safe_person:\n                                continue",
           ("tests/test_tasks.py",)),
    Mutant("typed values: heritability set on the next trait", "brainsim/config/overrides.py",
           "    i = TRAITS.index(trait)\n    return slice(i, i + 1)", "    i = TRAITS.index(trait) + 1\n    return slice(i, i + 1)",
           ("tests/test_problem.py",)),
    Mutant("typed values: h2 + c2 not checked", "brainsim/config/overrides.py",
           "            check_shares(trait, float(arrays", "            (trait, float(arrays", ("tests/test_problem.py",)),
    Mutant("typed values: ints not rounded", "brainsim/config/overrides.py",
           "        value = int(round(value))", "        value = int(value)", ("tests/test_problem.py",)),
    Mutant("problem: log10 priors set unconverted", "brainsim/problem.py",
           "return {k: 10.0**v if k in self.log[m] else v", "return {k: v if k in self.log[m] else v",
           ("tests/test_problem.py",)),
    Mutant("rg: the co-twin's genetic parts are the twin's", "brainsim/model/population.py",
           "            genetic[2 * p, j], genetic[2 * p + 1, j] = g1, g2", "            genetic[2 * p, j], genetic[2 * p + 1, j] = g1, g1",
           ("tests/test_tasks.py::test_engine_chunk_matches_the_numpy_oracle",)),
    Mutant("rg: projections assume independent genetic parts", "brainsim/summaries.py",
           "beta = np.linalg.solve(s[2:, 2:], cov.T)", "beta = cov.T / np.diag(s[2:, 2:])[:, None]",
           ("tests/test_summaries.py",)),
    Mutant("snp h2 over the genetic variance", "brainsim/summaries.py",
           "return rg, float(tagged * additive[0, 0] / s[0, 0])", "return rg, float(additive[0, 0] / additive[0, 0])",
           ("tests/test_summaries.py",)),
    Mutant("smc curve: every generation quotable", "brainsim/tables.py",
           '(pooled["accepted"] < min_accepted)', '(pooled["accepted"] < 0)',
           ("tests/test_verdict.py", "tests/test_plots.py::test_smc_probabilities_are_drawn_as_an_epsilon_curve_filled_only_where_quotable")),
    Mutant("console: smc probabilities shown unquotable", "brainsim/console.py",
           'if q is not None and q["generation"] is None:', 'if False:', ("tests/test_verdict.py",)),
    Mutant("forest tie: never declared", "brainsim/verdict.py",
           'choice["vote_margin"] < 2.0 * choice["vote_margin_se"]', 'choice["vote_margin"] < 0.0 * choice["vote_margin_se"]',
           ("tests/test_verdict.py",)),
    Mutant("vote margin: one hypothesis's binomial SE", "brainsim/modelchoice.py",
           "max(first + second - lead * lead, 0.0) / trees", "max(first * (1.0 - first), 0.0) / trees",
           ("tests/test_modelchoice.py",)),
    Mutant("vote margin: runner-up is the last", "brainsim/modelchoice.py",
           "sorted(votes.items(), key=lambda kv: -kv[1])[:2]", "sorted(votes.items(), key=lambda kv: -kv[1])[::-1][:2]",
           ("tests/test_modelchoice.py",)),
    Mutant("snp h2: the array tags everything", "brainsim/summaries.py",
           "tagged = 1.0 if self.tagging is None else self.tagging", "tagged = 1.0", ("tests/test_summaries.py",)),
    Mutant("snp h2: merged chunks forget the array", "brainsim/summaries.py",
           "_merge_optional(self.tagging, other.tagging, lambda a, b: a)", "None", ("tests/test_summaries.py",)),
    Mutant("snp h2: the streamed run ignores snp_tagging", "brainsim/engine.py",
           "tagging=model.population.snp_tagging)", "tagging=1.0)", ("tests/test_summaries.py",)),
    Mutant("snp h2: the in-memory run ignores snp_tagging", "brainsim/engine.py",
           "tagging=self.model.population.snp_tagging)", "tagging=1.0)", ("tests/test_summaries.py",)),
    Mutant("vocabulary spread: the mean over domains", "brainsim/summaries.py",
           "VOCABULARY = \"capability_vocabulary\"", "VOCABULARY = \"capability\"", ("tests/test_summaries.py",)),
    Mutant("vocabulary spread: one off the percentile", "brainsim/summaries.py",
           "high, low = self.vocabulary[0].sorted()[k - 1], -self.vocabulary[1].sorted()[k - 1]",
           "high, low = self.vocabulary[0].sorted()[k], -self.vocabulary[1].sorted()[k]", ("tests/test_summaries.py",)),
    Mutant("inbreeding: homozygotes at a carrier's effect", "brainsim/model/population.py",
           "mut.inherited_scale / mut.dominance, burden)", "mut.inherited_scale, burden)",
           ("tests/test_population.py",)),
    Mutant("inbreeding: every homozygous site counted twice", "brainsim/model/population.py",
           "rng.poisson(0.5 * mut.inherited_rate * inbreeding)", "rng.poisson(mut.inherited_rate * inbreeding)",
           ("tests/test_population.py",)),
    Mutant("inbreeding: heterozygous sites not thinned", "brainsim/model/population.py",
           "rng.poisson(mut.inherited_rate * (1.0 - inbreeding))", "rng.poisson(mut.inherited_rate)",
           ("tests/test_population.py",)),
    Mutant("inbreeding: traits moved the other way", "brainsim/model/population.py",
           "INBRED_DIRECTION = np.array([-1.0, -1.0, -1.0, -1.0, 1.0, 0.0])",
           "INBRED_DIRECTION = np.array([1.0, 1.0, 1.0, 1.0, -1.0, 0.0])", ("tests/test_population.py",)),
    Mutant("inbreeding slope: not per unit F", "brainsim/summaries.py",
           "/ sd / self.inbreeding if sd > 0", "/ sd if sd > 0", ("tests/test_summaries.py",)),
    Mutant("inbreeding slope: against the cohort's own RT", "brainsim/summaries.py",
           'out["rt_inbreeding_slope"] = self._inbreeding_slope(_RT, 1)',
           'out["rt_inbreeding_slope"] = self._inbreeding_slope(_RT, 0)', ("tests/test_summaries.py",)),
    Mutant("inbred cohort: the population's stream", "brainsim/engine.py",
           "streams = (STREAM_INBRED, STREAM_INBRED_RESPONSES) if inbred else",
           "streams = (STREAM_CHUNKS, STREAM_RESPONSES) if inbred else", ("tests/test_population.py",)),
    Mutant("inbred cohort: the population's response key", "brainsim/engine.py",
           "streams = (STREAM_INBRED, STREAM_INBRED_RESPONSES) if inbred else",
           "streams = (STREAM_INBRED, STREAM_RESPONSES) if inbred else", ("tests/test_population.py",)),
    Mutant("inbred cohort: merged at any F", "brainsim/summaries.py",
           "if self.inbreeding and other.inbreeding and self.inbreeding != other.inbreeding:",
           "if False:", ("tests/test_summaries.py",)),
    Mutant("max_people: the cohort not counted", "brainsim/config/settings.py",
           "if pop.n + pop.inbred_n > limit:", "if pop.n > limit:", ("tests/test_api_cli.py",)),
    Mutant("capability per domain: the running mean", "brainsim/model/tasks.py",
           "            out_domain[i, d] = g\n", "            out_domain[i, d] = out_mean[i] + g\n",
           ("tests/test_tasks.py",)),
    Mutant("forest: statistics not clipped", "brainsim/forest.py",
           "return np.where(np.isfinite(x), np.clip(x, -_LIMIT, _LIMIT), x)", "return x", ("tests/test_forest.py",)),
    Mutant("problem: priors checked at one end", "brainsim/problem.py", "                for end in ends:",
           "                for end in ends[:1]:", ("tests/test_problem.py",)),
    Mutant("smc: the least-voted hypotheses", "brainsim/modelchoice.py",
           "key=lambda i: (-votes.get(names[i], 0.0), i)", "key=lambda i: (votes.get(names[i], 0.0), i)",
           ("tests/test_modelchoice.py",)),
    Mutant("smc: on every hypothesis whatever abc.top", "brainsim/comparison.py",
           "contenders = most_voted(choice, list(prob.names), first.abc.top)", "contenders = list(prob.names)",
           ("tests/test_api_cli.py::test_cli_default_compares_every_hypothesis",)),
    Mutant("problem: a restriction keeps the run's order", "brainsim/problem.py",
           "keep = [self.names.index(n) for n in names]", "keep = sorted(self.names.index(n) for n in names)",
           ("tests/test_problem.py",)),
    Mutant("verdict: halves agreeing on another read as disagreeing", "brainsim/verdict.py",
           "    if len(picks) == 1:\n", "    if False:\n", ("tests/test_verdict.py",)),
    Mutant("paternal: the rate falls with the father's age", "brainsim/model/params.py",
           "(1.0 + self.paternal_rise * (a - self.paternal_mean_age))",
           "(1.0 + self.paternal_rise * (self.paternal_mean_age - a))", ("tests/test_population.py",)),
    Mutant("paternal: the older father's child without the younger's hits", "brainsim/model/population.py",
           "return hits, extra, at_young, at_young + rng.gamma(", "return hits, extra, at_young, 0.0 + rng.gamma(",
           ("tests/test_population.py",)),
    Mutant("paternal: the de novo hits counted twice", "brainsim/engine.py",
           "inherited = draws.burden[:k] - draws.de_novo[:k]", "inherited = draws.burden[:k]",
           ("tests/test_population.py",)),
    Mutant("paternal: the ages scored on other uniforms", "brainsim/engine.py",
           "composite = respond(x[:k], noise, form_a, key, first_id,",
           "composite = respond(x[:k], noise, form_a, key + len(out), first_id,", ("tests/test_population.py",)),
    Mutant("paternal: the ratio upside down", "brainsim/summaries.py",
           'out["id_paternal_age_irr"] = float(old / young) if young else nan',
           'out["id_paternal_age_irr"] = float(young / old) if old else nan', ("tests/test_summaries.py",)),
    Mutant("paternal: ID at IQ below 50", "brainsim/summaries.py",
           "np.count_nonzero(young[scored] < ID_IQ)", "np.count_nonzero(young[scored] < SEVERE_ID_IQ)",
           ("tests/test_summaries.py",)),
    Mutant("distance: squares that overflow", "brainsim/targets.py",
           "    if np.isfinite(out) or not np.isfinite(z).all():\n", "    if True:\n", ("tests/test_inference.py",)),
]


def _copy(dest: Path) -> None:
    for part in ("brainsim", "conf", "tests"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _pytest(where: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(where), "NUMBA_CACHE_DIR": str(where / ".numba")}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow",
                          *tests], cwd=where, env=env, capture_output=True, text=True, check=False)
    tail = [line for line in res.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return res.returncode, (tail[0] if tail else res.stdout.strip().splitlines()[-1] if res.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("words", nargs="*", help="run only mutants whose names contain one of these")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.words or any(w in m.name for w in args.words)]
    if args.list:
        print("\n".join(m.name for m in chosen))
        return 0
    with tempfile.TemporaryDirectory(prefix="brainsim-mutants-") as tmp:
        scratch = Path(tmp)
        _copy(scratch)
        tests = tuple(sorted({t for m in chosen for t in m.tests}))
        code, line = _pytest(scratch, tests)
        if code != 0:
            print(f"the unmutated copy fails its tests: {line}")
            return 2
        survivors = []
        for m in chosen:
            target = scratch / m.path
            source = target.read_text()
            if source.count(m.old) != 1:
                print(f"{m.name}: its snippet occurs {source.count(m.old)} times in {m.path}; update the mutant")
                return 2
            target.write_text(source.replace(m.old, m.new))
            start = time.perf_counter()
            code, line = _pytest(scratch, m.tests)
            target.write_text(source)
            killed = code != 0
            survivors += [] if killed else [m.name]
            print(f"{'killed  ' if killed else 'SURVIVED'} {m.name} ({time.perf_counter() - start:.0f} s)"
                  + (f": {line}" if killed else ""))
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutants killed"
          + (f"; survived: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

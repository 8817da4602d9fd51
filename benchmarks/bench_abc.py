"""ABC on this model: brainsim's own ABC-SMC against pyabc's, same simulator, same budget.

Both samplers get the default comparison: every shipped hypothesis with its priors, the
distance of `brainsim.problem.Problem.simulator` (populations of abc.n people), the same
generations and quantile epsilon schedule; brainsim proposes --particles per hypothesis and
generation, pyabc keeps a population of --particles x hypotheses. Measured per run:
wall time, simulations, simulations/s, model probabilities. Each sampler runs twice with
the same seed to check reproducibility; pyabc runs with its single-core sampler and, with
--procs > 1, its multicore sampler. pyabc is not a dependency: without it only brainsim's
sampler is measured (`pip install pyabc` to compare).

First, where a simulation's time goes: the median milliseconds of each stage of one
simulation per hypothesis (prior draws, --breakdown draws each), and the reference table's
throughput (`brainsim.reference`, prior-predictive simulations over every hypothesis).
"parameters" sets the sampled values on the typed parameters (`Problem.model`); "config dict"
is what a simulation paid for them before (a deep copy of the resolved config, values set,
the whole config validated again), timed on the same draws for the ratio. Then the compiled
kernels' own time per table simulation on one thread (a profile): what no scheduling of the
simulations can avoid, and so a bound on the table's throughput on this machine's cores.

The last line is: table_sims_per_s=<r> abc_sims_per_s=<x> comparison_wall_s=<t> reproducible=<bool>
[pyabc_sims_per_s=<y> speed_ratio_vs_pyabc=<x/y> pyabc_reproducible=<bool>]

With --dask W the table is timed again on a Dask LocalCluster of W single-threaded worker
processes (what backend=dask starts without an address), against this process's threads.

    python benchmarks/bench_abc.py [--particles 20] [--generations 3] [--n 6000] [--procs 2] [--breakdown 12] [--dask 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
from brainsim.api import compose
from brainsim.assessment import problem
from brainsim.backends import LocalBackend
from brainsim.api import hypothesis_names
from brainsim.config.settings import validate
from brainsim.inference import Sampler, Stopping, abc_smc


def _problem():
    names = hypothesis_names()
    configs = {h: compose([f"hypothesis={h}"]) for h in names}
    return problem(configs, {h: validate(c) for h, c in configs.items()})


def _config_dict_model(container: dict, values: dict, n: int, norm_n: int):
    """The parameters as a simulation built them before the typed problem: deep copy, set, validate."""
    import copy

    from brainsim.config.builders import model_from_config

    c = copy.deepcopy(container)
    for key, value in values.items():
        node = c
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = int(round(value)) if isinstance(node[last], int) and not isinstance(node[last], bool) else value
    c["population"]["n"], c["battery"]["norm_n"] = n, norm_n
    return model_from_config(c)


def _breakdown(prob, n: int, norm_n: int, draws: int) -> pd.DataFrame:
    """Median ms per stage of one simulation, per hypothesis, at prior draws."""
    import dataclasses

    from brainsim import engine

    from brainsim.model import population, tasks
    from brainsim.summaries import Summary

    rows = {}
    for m, h in enumerate(prob.names):
        priors = prob.hypotheses[m].priors
        lo, hi = np.array(list(priors.values())).T
        rng = np.random.default_rng(0)
        times: dict[str, list[float]] = {}
        for seed in range(draws):
            t = [time.perf_counter()]

            def lap(stage):
                t.append(time.perf_counter())
                times.setdefault(stage, []).append(1e3 * (t[-1] - t[-2]))

            sampled = dict(zip(priors, lo + rng.random(lo.size) * (hi - lo)))
            values = prob.values(m, sampled)
            _config_dict_model(prob.configs[m], values, n, norm_n)
            lap("config dict (before)")
            model = prob.model(m, sampled, n=n, norm_n=norm_n)
            lap("parameters")
            norm_pop = dataclasses.replace(model.population, design="unrelated")
            d = population.draw_traits(engine.stream_rng(seed, engine.STREAM_NORM), norm_pop, model.battery.n_domains, norm_n)
            phen = population.phenotypes(d, norm_pop)
            x, _ = engine.losses(model, phen)
            lap("norm sample")
            r_med = float(np.median(x))
            battery = tasks.build_battery(engine.stream_rng(seed, engine.STREAM_BATTERY), model.battery, r_med, x,
                                          phen["noise"])
            lap("battery")
            tasks.respond(x, phen["noise"], battery, 1, expected_forms=0)
            lap("norm responses")
            u = x / r_med
            tasks.capability_table(model.battery, (0.9 * float(u.min()), 1.1 * float(u.max())))
            lap("capability table")
            setup = engine.prepare(model, seed)
            t.append(time.perf_counter())  # (prepare again for a Setup: not timed)
            d = population.draw_traits(engine.stream_rng(seed, engine.STREAM_CHUNKS, 0), model.population,
                                       model.battery.n_domains, n, 0)
            phen = population.phenotypes(d, model.population)
            x, _ = engine.losses(model, phen)
            lap("people")
            tasks.respond(x, phen["noise"], setup.battery, 2, 0, expected_forms=1)
            lap("responses")
            cols = engine.simulate_chunk(setup, 0, 0, n)
            t.append(time.perf_counter())
            Summary.of_columns(cols, model.battery.domains, n, items=engine.items_per_form(model))
            lap("statistics")
            if model.population.inbred_n:  # the inbred cohort beside the population (population.inbred)
                engine.chunk_summary(setup, 0, 0, model.population.inbred_n, inbred=True)
                lap("inbred cohort")
            engine.population_statistics(model, seed)
            lap("whole simulation")
        rows[h] = {k: float(np.median(v)) for k, v in times.items()}
    return pd.DataFrame(rows).T


def _table_rate(prob, n: int, norm_n: int, rows: int, map_fn=None) -> float:
    """Reference-table simulations per second (prior predictive, every hypothesis in turn)."""
    from brainsim.reference import reference_table

    simulate = prob.statistics_simulator(n, norm_n)
    map_fn = map_fn or LocalBackend().map
    reference_table(prob.hypotheses, simulate, prob.statistics, 20, seed=1, map_fn=map_fn)  # warm the workers
    t = time.perf_counter()
    reference_table(prob.hypotheses, simulate, prob.statistics, rows, seed=0, map_fn=map_fn)
    return rows / (time.perf_counter() - t)


def _kernel_bound(prob, n: int, norm_n: int, rows: int) -> tuple[float, float]:
    """(ms of compiled Numba kernels, ms in all) per reference-table simulation on one thread,
    from a profile of `rows` rows simulated one after another: the kernels' own work bounds the
    throughput of any scheduling of these simulations, whatever the Python around them costs."""
    import cProfile
    import pstats
    import sys

    import numba
    from numba.core.registry import CPUDispatcher

    from brainsim.reference import reference_table

    kernels = {(v.py_func.__code__.co_filename, v.py_func.__name__) for name, mod in list(sys.modules.items())
               if name.startswith("brainsim") for v in vars(mod).values() if isinstance(v, CPUDispatcher)}
    simulate = prob.statistics_simulator(n, norm_n)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        reference_table(prob.hypotheses, simulate, prob.statistics, 20, seed=1, map_fn=map)
        profile = cProfile.Profile()
        t = time.perf_counter()
        profile.runcall(reference_table, prob.hypotheses, simulate, prob.statistics, rows, seed=0, map_fn=map)
        wall = time.perf_counter() - t
    finally:
        numba.set_num_threads(threads)
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    compiled = sum(v[2] for (file, _, name), v in stats.items() if (file, name) in kernels)
    return 1e3 * compiled / rows, 1e3 * wall / rows


def _dask_table_rate(prob, n: int, norm_n: int, rows: int, workers: int) -> float:
    """The same on a Dask LocalCluster of `workers` single-threaded processes (backend=dask)."""
    from brainsim.backends import BackendParams, open_backend

    with open_backend(BackendParams(name="dask", n_workers=workers)) as backend:
        return _table_rate(prob, n, norm_n, rows, backend.map)


def _own(specs, simulate, args, seed):
    t = time.perf_counter()
    res = abc_smc(specs, simulate, sampler=Sampler(particles=args.particles, quantile=0.5),
                  stopping=Stopping(generations=args.generations), seed=seed, map_fn=LocalBackend().map)
    wall = time.perf_counter() - t
    return wall, res.simulations, res.probabilities.set_index("hypothesis")["probability"]


def _pyabc(names, specs, simulate, args, seed, procs):
    import pyabc

    def model_fn(m):
        def run(theta):  # pyabc draws the parameters; the simulation's seed from NumPy's global state
            return {"d": simulate(m, dict(theta), int(np.random.randint(0, 2**31 - 1)))}
        return run

    priors = [pyabc.Distribution(**{k: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in s.priors.items()})
              for s in specs]
    sampler = (pyabc.sampler.SingleCoreSampler() if procs == 1
               else pyabc.sampler.MulticoreEvalParallelSampler(n_procs=procs))
    abc = pyabc.ABCSMC([model_fn(m) for m in range(len(specs))], priors, lambda x, x0: x["d"],
                       population_size=args.particles * len(specs), sampler=sampler,
                       eps=pyabc.QuantileEpsilon(alpha=0.5))
    np.random.seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        abc.new("sqlite:///" + os.path.join(tmp, "abc.db"), {"d": 0.0})
        t = time.perf_counter()
        history = abc.run(max_nr_populations=args.generations)
        wall = time.perf_counter() - t
        probs = history.get_model_probabilities().iloc[-1]
        sims = int(history.total_nr_simulations)
    probs.index = [names[int(i)] for i in probs.index]
    return wall, sims, probs.reindex(names)  # models pyabc dropped come back as NaN


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=20, help="brainsim: proposals per hypothesis and generation")
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--n", type=int, default=6000, help="people per ABC simulation (abc.n)")
    ap.add_argument("--norm-n", type=int, default=3000)
    ap.add_argument("--procs", type=int, default=2, help="pyabc multicore sampler processes (1: skip it)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--breakdown", type=int, default=12, help="prior draws per hypothesis for the stage times")
    ap.add_argument("--table-rows", type=int, default=100, help="reference-table rows timed")
    ap.add_argument("--dask", type=int, default=0, help="also time the table on a Dask LocalCluster of this many "
                                                        "worker processes (backend=dask; 0: skip)")
    args = ap.parse_args(argv)
    prob = _problem()
    names, specs, simulate = list(prob.names), list(prob.hypotheses), prob.simulator(args.n, args.norm_n, 5.0)
    simulate(0, {}, 0)  # JIT warm-up outside the timings

    stages = _breakdown(prob, args.n, args.norm_n, args.breakdown)
    stages.loc["mean"] = stages.mean()
    print(f"median ms per stage of one simulation ({args.n} people, norm sample {args.norm_n}; the stages are "
          f"timed apart, 'whole simulation' in one call):")
    print(stages.round(2).to_string())
    before, after = stages.loc["mean", "config dict (before)"], stages.loc["mean", "parameters"]
    print(f"sampled values to parameters: {before:.3f} ms through a config dict, {after:.3f} ms typed "
          f"({before / after:.0f}x)")
    rate = _table_rate(prob, args.n, args.norm_n, args.table_rows)
    print(f"reference table: {rate:.1f} simulations/s over {args.table_rows} rows")
    kernel_ms, whole_ms = _kernel_bound(prob, args.n, args.norm_n, args.table_rows)
    cores = len(os.sched_getaffinity(0))
    print(f"compiled kernels: {kernel_ms:.1f} ms of the {whole_ms:.1f} ms a table simulation takes on one thread "
          f"(profiled: the profiler slows the Python part): however it were scheduled, at most "
          f"{1e3 * cores / kernel_ms:.0f} simulations/s on {cores} cores without less work in the kernels")
    if args.dask:
        remote = _dask_table_rate(prob, args.n, args.norm_n, args.table_rows, args.dask)
        print(f"reference table on a Dask LocalCluster of {args.dask} processes: {remote:.1f} simulations/s "
              f"({remote / rate:.2f}x this process's threads)")
    table, line = {}, {"table_sims_per_s": f"{rate:.2f}"}
    runs = [_own(specs, simulate, args, args.seed) for _ in range(2)]
    for i, (wall, sims, probs) in enumerate(runs):
        print(f"brainsim run {i}: {wall:.1f} s, {sims} simulations, {sims / wall:.1f} sim/s")
        table[f"brainsim_{i}"] = probs
    same = runs[0][2].equals(runs[1][2])
    line.update(abc_sims_per_s=f"{runs[0][1] / runs[0][0]:.2f}", comparison_wall_s=f"{runs[0][0]:.1f}",
                reproducible=same)
    try:
        import pyabc
    except ImportError:
        print("pyabc not installed: only brainsim's sampler measured")
    else:
        samplers = [1] + ([args.procs] if args.procs > 1 else [])
        for procs in samplers:
            try:
                p_runs = [_pyabc(names, specs, simulate, args, args.seed, procs) for _ in range(2)]
            except Exception as exc:  # e.g. its forked workers die under Numba's OpenMP threads
                print(f"pyabc ({procs} proc) failed: {type(exc).__name__}: {exc}")
                continue
            for i, (wall, sims, probs) in enumerate(p_runs):
                print(f"pyabc ({procs} proc) run {i}: {wall:.1f} s, {sims} simulations, {sims / wall:.1f} sim/s")
                table[f"pyabc{procs}_{i}"] = probs
            p_same = p_runs[0][2].fillna(-1).equals(p_runs[1][2].fillna(-1))
            print(f"pyabc ({procs} proc) same seed, same probabilities: {p_same}")
            if procs == 1:
                rate = p_runs[0][1] / p_runs[0][0]
                line.update(pyabc_sims_per_s=f"{rate:.2f}",
                            speed_ratio_vs_pyabc=f"{(runs[0][1] / runs[0][0]) / rate:.2f}",
                            pyabc_reproducible=p_same)
    print("\nposterior model probabilities (NaN: the sampler dropped the model)")
    print(pd.DataFrame(table).round(3).to_string())
    print(" ".join(f"{k}={v}" for k, v in line.items()))


if __name__ == "__main__":
    main()

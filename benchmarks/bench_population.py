"""Speed of the default pipeline: Numba kernels vs a plain-NumPy reference, same process.

Runs every trait, the 6 x 30-item battery on two parallel forms, capability, output and RT
for N unrelated people (default 1e6; the reference covers that design) after a JIT warm-up (best of --repeat runs), then the NumPy reference
(`tests/naive.py`, vectorised over people, chunked; norm sample included in both) on the same
model and seed.
It also times the RNG floor: drawing just the random numbers the pipeline uses (every
chunk's and the norm sample's trait draws from their numpy Generators, and the counter-based
SplitMix64 uniforms of every item response, in parallel, block by block as `respond`
draws them) -- the goal is pipeline <= 2x floor.
The last line is: individuals_per_s=<x> speedup_vs_numpy=<y> pipeline_vs_rng_floor=<f>
peak_rss_mb=<z> (peak_rss_mb: the process's peak resident memory after the Numba run,
before the reference).

    python benchmarks/bench_population.py [--n 1000000] [--reference-n 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange
from omegaconf import OmegaConf

from brainsim import engine
from brainsim.api import compose
from brainsim.engine import STREAM_CHUNKS, STREAM_NORM, stream_rng, chunk_layout, run
from brainsim.config.builders import model_from_config
from brainsim.model.population import draw_traits
from brainsim.model.tasks import _BLOCK, _item_uniforms

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import naive  # noqa: E402  (the NumPy oracle lives with the tests)


def _model(n: int):
    return model_from_config(OmegaConf.to_container(compose([f"population.n={n}", "population.design=unrelated",
                                                            "population.inbred.fraction=0"]), resolve=True))


@njit(parallel=True)
def _draw_uniforms(n, n_forms, per_form, key, out):
    # every item-response uniform of `_respond`, drawn into a block buffer as it draws them;
    # two values per form are read back so the work is kept (summing all of them would add
    # an add per uniform that the pipeline does not do)
    for block in prange(out.size):
        lo = block * _BLOCK
        m = min(n, lo + _BLOCK) - lo
        buf = np.empty((2 * per_form, _BLOCK))
        acc = 0.0
        for f in range(n_forms):
            _item_uniforms(key, lo, m, f, n_forms, per_form, buf)
            acc += buf[0, 0] + buf[2 * per_form - 1, m - 1]
        out[block] = acc


def rng_floor(model, seed: int) -> tuple[float, float]:
    """Seconds to draw the random numbers of one `run`: (trait draws, item-response uniforms)."""
    bat, pop = model.battery, model.population
    n_forms, per_form = (2 if bat.parallel_form else 1), (bat.n_domains * bat.items_per_domain + 1) // 2
    t = time.perf_counter()
    draw_traits(stream_rng(seed, STREAM_NORM), pop, bat.n_domains, bat.norm_n)
    for index, first, size in chunk_layout(pop):
        draw_traits(stream_rng(seed, STREAM_CHUNKS, index), pop, bat.n_domains, size, first)
    traits = time.perf_counter() - t
    people = bat.norm_n + pop.n
    t = time.perf_counter()
    _draw_uniforms(people, n_forms, per_form, np.uint64(12345), np.empty(-(-people // _BLOCK)))
    return traits, time.perf_counter() - t


# Scalar exp/log/expm1/tanh/pow calls per person in the default model's kernels (counted by
# hand from the sources): phenotypes 6 exp + 1 pow; losses (chinchilla) 1 + 6 log and
# 1 + 6 exp; responses 1 + 6 exp; capability 1 expm1 + 6 exp; reaction times tanh, exp, expm1.
LIBM_CALLS = {"phenotypes": 7, "losses": 14, "responses": 7, "capability": 7, "reaction times": 3}


@njit(parallel=True)
def _libm_calls(x, calls, out):
    for i in prange(x.size):
        acc = 0.0
        for c in range(calls):
            acc += np.exp(x[i] + 1e-3 * c)
        out[i] = acc


def libm_floor(n: int) -> float:
    """Seconds for just the `LIBM_CALLS` scalar libm calls of n people, in parallel."""
    x, out = np.linspace(-1.0, 1.0, n), np.empty(n)
    calls = sum(LIBM_CALLS.values())
    _libm_calls(x[:100], calls, out[:100])  # compile
    t = time.perf_counter()
    _libm_calls(x, calls, out)
    return time.perf_counter() - t


# engine's stage functions, timed in place by `stage_times`
STAGES = {"draw_traits": "trait draws", "phenotypes": "phenotypes", "losses": "scaling-law losses",
          "respond": "item responses", "capability": "capability and output", "sample_rt": "reaction times"}


@contextlib.contextmanager
def stage_times():
    """Seconds spent in each of `STAGES` while the block runs (engine's functions wrapped)."""
    spent = dict.fromkeys(STAGES, 0.0)
    originals = {name: getattr(engine, name) for name in STAGES}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapper

    for name, fn in originals.items():
        setattr(engine, name, timed(name, fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(engine, name, fn)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--reference-n", type=int, default=None, help="people for the NumPy run (default: --n)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="timed repeats; the best counts (as timeit)")
    args = ap.parse_args(argv)
    ref_n = args.reference_n or args.n

    t = time.perf_counter()
    run(_model(20_000), args.seed)
    print(f"JIT warm-up (20k people, compile or load cache): {time.perf_counter() - t:.2f} s")

    model = _model(args.n)
    runs = []
    for _ in range(args.repeat):
        with stage_times() as spent:
            t = time.perf_counter()
            pop = run(model, args.seed)
            total = time.perf_counter() - t
        runs.append((total, spent))
    numba_s, spent = min(runs, key=lambda r: r[0])
    print("numba repeats (s): " + " ".join(f"{r[0]:.3f}" for r in runs))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.n / numba_s
    print(f"numba:  {args.n} people in {numba_s:.3f} s on {numba.get_num_threads()} threads "
          f"({rate:,.0f} people/s), frame {pop.frame.memory_usage().sum() / 2**20:.0f} MiB")
    print("  where the best run's time went (norm sample included):")
    for name, label in STAGES.items():
        print(f"    {label:<24} {spent[name]:.3f} s  {spent[name] / numba_s:4.0%}")
    rest = numba_s - sum(spent.values())
    print(f"    {'columns, frame, faults':<24} {rest:.3f} s  {rest / numba_s:4.0%}")
    del pop
    rng_floor(_model(20_000), args.seed)  # compile the uniform kernel
    traits_s, uniforms_s = min((rng_floor(model, args.seed) for _ in range(args.repeat)), key=sum)
    floor_s = traits_s + uniforms_s
    print(f"RNG floor: {floor_s:.3f} s (trait draws {traits_s:.3f} s, item uniforms {uniforms_s:.3f} s); "
          f"pipeline / floor = {numba_s / floor_s:.2f} (goal <= 2)")
    libm_s = min(libm_floor(args.n) for _ in range(args.repeat))
    print(f"the model's {sum(LIBM_CALLS.values())} scalar libm calls per person alone: {libm_s:.3f} s "
          f"= {libm_s / floor_s:.2f} x the RNG floor (so pipeline / floor >= {1 + libm_s / floor_s:.2f})")

    ref_model = _model(ref_n)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        naive.run_chunks(naive.prepare(ref_model, args.seed))
        times.append(time.perf_counter() - t)
    numpy_s = min(times)
    print("numpy repeats (s): " + " ".join(f"{x:.3f}" for x in times))
    numpy_rate = ref_n / numpy_s
    print(f"numpy:  {ref_n} people in {numpy_s:.3f} s ({numpy_rate:,.0f} people/s)")
    sys.stdout.flush()
    print(f"individuals_per_s={rate:.4g} speedup_vs_numpy={rate / numpy_rate:.3g} "
          f"pipeline_vs_rng_floor={numba_s / floor_s:.2f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()

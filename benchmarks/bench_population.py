"""Speed of the default pipeline: Numba kernels vs a plain-NumPy reference, same process.

Runs every trait, the 6 x 30-item battery on two parallel forms, capability, output and RT
for N unrelated people (default 1e6; the reference covers that design) after a JIT warm-up (best of --repeat runs), then the NumPy reference
(`brainsim.reference`, vectorised over people, chunked) on the same model and seed.
The last line is: individuals_per_s=<x> speedup_vs_numpy=<y> peak_rss_mb=<z>
(peak_rss_mb: the process's peak resident memory after the Numba run, before the reference).

    python benchmarks/bench_population.py [--n 1000000] [--reference-n 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numba
from omegaconf import OmegaConf

from brainsim import reference
from brainsim.api import compose
from brainsim.engine import prepare, run
from brainsim.params import model_from_config


def _model(n: int):
    return model_from_config(OmegaConf.to_container(compose([f"population.n={n}", "population.design=unrelated"]), resolve=True))


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
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        pop = run(model, args.seed)
        times.append(time.perf_counter() - t)
    numba_s = min(times)
    print("numba repeats (s): " + " ".join(f"{x:.3f}" for x in times))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.n / numba_s
    print(f"numba:  {args.n} people in {numba_s:.3f} s on {numba.get_num_threads()} threads "
          f"({rate:,.0f} people/s), frame {pop.frame.memory_usage().sum() / 2**20:.0f} MiB")
    del pop

    setup = prepare(_model(ref_n), args.seed)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        reference.run_chunks(setup)
        times.append(time.perf_counter() - t)
    numpy_s = min(times)
    print("numpy repeats (s): " + " ".join(f"{x:.3f}" for x in times))
    numpy_rate = ref_n / numpy_s
    print(f"numpy:  {ref_n} people in {numpy_s:.3f} s ({numpy_rate:,.0f} people/s)")
    sys.stdout.flush()
    print(f"individuals_per_s={rate:.4g} speedup_vs_numpy={rate / numpy_rate:.3g} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()

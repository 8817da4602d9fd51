"""Scale: streaming people/s and peak memory for 1e7 and 1e8 people, local vs Dask.

Each measurement runs in a fresh subprocess (so its peak RSS is its own) on the default
model (twins, all mechanisms, 6 x 30 items on two forms), after a JIT warm-up on a small
population, and scores the population through the streaming `engine.population_statistics`:
- streaming: --sizes (default 1e7 and 1e8) with the local backend;
- Dask: --dask-n people (default 4e6) locally and on a 2-worker LocalCluster
  (1 Numba thread per worker), checking the two summaries are bit-identical.
The last line is: people_per_s=<at the largest size> peak_rss_mb=<largest size>
dask_overhead=<dask time / local time - 1> dask_identical=<bool>

Dask's cost per task is fixed (scheduling, moving a summary, a scheduler sharing the cores),
so its relative overhead falls with --chunk-size (a task is `engine.CHUNKS_PER_TASK` chunks).

    python benchmarks/bench_scale.py [--sizes 10000000 100000000] [--dask-n 4000000] [--chunk-size 65536]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time


def _child(n: int, backend: str, chunk_size: int) -> None:
    import numpy as np
    from omegaconf import OmegaConf

    from brainsim import engine
    from brainsim.api import compose
    from brainsim.backends import BackendParams, open_backend
    from brainsim.config.builders import model_from_config

    def model(size):
        overrides = [f"population.n={size}", f"population.chunk_size={chunk_size}",
                     "population.inbred.fraction=0"]  # the population alone: people/s comparable over versions
        return model_from_config(OmegaConf.to_container(compose(overrides), resolve=True))

    _warm_up()
    params = BackendParams(name=backend, n_workers=2, threads_per_worker=1)
    with open_backend(params) as b:
        if backend == "dask":  # every worker compiles or loads the Numba cache before the clock starts
            b.client.run(_warm_up)
        t = time.perf_counter()
        stats = engine.population_statistics(model(n), seed=0, backend=b)
        wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest = hashlib.sha256(np.asarray(list(stats.values())).tobytes()).hexdigest()
    print(json.dumps({"n": n, "backend": backend, "wall_s": wall, "peak_rss_mb": rss, "digest": digest,
                      "r_brain_iq": stats["r_brain_iq"], "share_iq_below_50": stats["share_iq_below_50"]}))


def _warm_up() -> None:
    from omegaconf import OmegaConf

    from brainsim import engine
    from brainsim.api import compose
    from brainsim.config.builders import model_from_config

    engine.population_statistics(model_from_config(OmegaConf.to_container(compose(["population.n=20000"]), resolve=True)), seed=0)


def _measure(n: int, backend: str, chunk_size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(n), backend, str(chunk_size)],
                         capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e7, 1e8])
    ap.add_argument("--dask-n", type=float, default=4e6)
    ap.add_argument("--chunk-size", type=int, default=65536, help="population.chunk_size (default: the config's)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(int(args.child[0]), args.child[1], int(args.child[2]))
        return
    last = None
    for n in (int(s) for s in args.sizes):
        last = _measure(n, "local", args.chunk_size)
        print(f"streaming {n:.0e} people: {last['wall_s']:.1f} s, {n / last['wall_s']:.3g} people/s, "
              f"peak RSS {last['peak_rss_mb']:.0f} MB, r(brain, IQ) {last['r_brain_iq']:.4f}, "
              f"share IQ < 50 {last['share_iq_below_50']:.2e}")
    local, dask = (_measure(int(args.dask_n), b, args.chunk_size) for b in ("local", "dask"))
    overhead = dask["wall_s"] / local["wall_s"] - 1.0
    same = local["digest"] == dask["digest"]
    print(f"{args.dask_n:.0e} people, chunks of {args.chunk_size}: local {local['wall_s']:.1f} s, Dask LocalCluster (2 workers) "
          f"{dask['wall_s']:.1f} s, overhead {overhead:+.1%}, identical summaries: {same}")
    print(f"people_per_s={last['n'] / last['wall_s']:.4g} peak_rss_mb={last['peak_rss_mb']:.0f} "
          f"dask_overhead={overhead:.3f} dask_identical={same}")


if __name__ == "__main__":
    main()

"""Where the work runs: in this process, or on a Dask cluster.

A backend maps a function over groups of population chunks (results yielded in chunk order, so the
merged summary has the same bits whatever ran where) or over ABC simulations. The Dask
backend connects to `address` (a running scheduler, e.g. tcp://host:8786) or, without one,
starts a `distributed.LocalCluster`; at most `window` tasks are in flight, so memory stays
bounded for any population size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from .config.schema import check
from .validation import ConfigError, Strict

__all__ = ["backend_from_config", "BackendParams", "DaskBackend", "LocalBackend", "open_backend"]


@dataclass(frozen=True)
class BackendParams:
    """name: local | dask; address: scheduler address or None (LocalCluster); n_workers and
    threads_per_worker: LocalCluster size and Numba threads per task; window: tasks in flight."""

    name: str = "local"
    address: str | None = None
    n_workers: int = 2
    threads_per_worker: int = 1
    window: int = 8


def backend_from_config(cfg: Mapping | None) -> BackendParams:
    """Validated backend parameters from the `backend` config node (None: local). Read
    alone, the node gets the settings' unknown-key check (`Strict`) of its own."""
    if cfg is None:
        return BackendParams()
    alone = not isinstance(cfg, Strict)
    cfg = Strict(cfg, "backend.") if alone else cfg
    address = cfg.get("address")
    if address is not None and not isinstance(address, str):
        raise ConfigError(f"The 'backend.address' parameter must be a scheduler address such as "
                          f"'tcp://host:8786' or null. Got {address!r} instead.")
    params = BackendParams(
        check("backend.name", cfg.get("name", "local")), address,
        check("backend.n_workers", cfg.get("n_workers", 2)),
        check("backend.threads_per_worker", cfg.get("threads_per_worker", 1)),
        check("backend.window", cfg.get("window", 8)),
    )
    if alone:
        cfg.check_no_unknown()
    return params


class LocalBackend:
    """Everything in this process. Population chunks run one at a time on Numba's threads;
    independent simulations (`map`) run side by side, one per Numba thread, each kernel on one
    thread: a 6,000-person simulation splits too finely over threads to use them (measured
    by benchmarks/bench_abc.py: 1.35x the simulations per second on 2 cores)."""

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def map_ordered(self, fn: Callable, args: Iterable[tuple], shared: tuple = ()) -> Iterator:
        """fn(*shared, *a) for each a, in order."""
        for a in args:
            yield fn(*shared, *a)

    def map(self, fn: Callable, items: Iterable) -> list:
        """[fn(x) for x in items], in that order; side by side when Numba's threading layer
        allows concurrent launches (the results are the same bits either way)."""
        items = list(items)
        workers = _concurrent_workers()
        if workers < 2 or len(items) < 2:
            return [fn(x) for x in items]
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="brainsim")
        try:
            return list(pool.map(lambda x: _with_threads(1, fn, x), items))
        finally:  # an interruption (SIGINT, SIGTERM) does not wait for the queued items
            pool.shutdown(wait=True, cancel_futures=True)


def _concurrent_workers() -> int:
    """How many simulations may run at once in this process: Numba's thread count when its
    threading layer is thread-safe (tbb, omp), else 1 (workqueue aborts on concurrent launches;
    the layer is known only after a parallel kernel has run)."""
    import numba

    try:
        layer = numba.threading_layer()
    except ValueError:
        return 1
    return numba.get_num_threads() if layer in ("tbb", "omp") else 1


def _with_threads(threads: int, fn: Callable, *args):
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return fn(*args)


class DaskBackend:
    """Chunks and simulations as Dask tasks; results come back in submission order."""

    def __init__(self, params: BackendParams):
        self.params = params
        self.cluster = None
        self.client = None

    def __enter__(self) -> DaskBackend:
        from distributed import Client, LocalCluster

        if self.params.address:
            self.client = Client(self.params.address)
        else:
            self.cluster = LocalCluster(n_workers=self.params.n_workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map_ordered(self, fn: Callable, args: Iterable[tuple], shared: tuple = ()) -> Iterator:
        """fn(*shared, *a) for each a, yielded in order; `shared` is sent to every worker once."""
        shared_futures = [self.client.scatter(s, broadcast=True) for s in shared]
        pending: deque = deque()
        for a in args:
            pending.append(self.client.submit(_with_threads, self.params.threads_per_worker, fn,
                                              *shared_futures, *a, pure=False))
            if len(pending) >= self.params.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def map(self, fn: Callable, items: Iterable) -> list:
        """[fn(x) for x in items], run on the workers; `fn` (often a closure over the whole
        comparison) is sent to each worker once, not with every item."""
        items = list(items)
        if not items:
            return []
        remote = self.client.scatter(fn, broadcast=True, hash=False)
        futures = [self.client.submit(_with_threads, self.params.threads_per_worker, remote, x, pure=False)
                   for x in items]
        return self.client.gather(futures)


def open_backend(params: BackendParams | None):
    """A context manager running work locally or on Dask."""
    params = params or BackendParams()
    return DaskBackend(params) if params.name == "dask" else LocalBackend()

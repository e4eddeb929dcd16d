"""Executors: where the runner's batches run.

The runner hands an executor two kinds of work, both as plain picklable data:

- CPU batches: `submit(compute, items, spec)` runs the stage's module-level `compute(items, model)` and
  returns a `concurrent.futures.Future` of its results. `spec` (a `ModelSpec`, or None) names the built-in
  model the batch needs; the worker loads it itself, once per process (`load_model`).
- Model batches: `model_worker(spec)` returns a `ModelWorker` that holds one loaded model across batches
  (`run(compute, items)`) until `close()`. The runner creates one per model identity and closes it when the
  model's artworks are done, so each model is loaded once per build.

Only the driver (the runner) reads and writes the cache and build/, and holds the lock: workers see inputs
and return `Result`s. Three executors exist here:

- `ThreadExecutor` (`--executor threads`): CPU batches on `jobs` threads; models in-process.
- `ProcessExecutor` (`--executor processes`): CPU batches on a pool of `jobs` processes (the GIL does not
  bind), models in the driver process (one copy of the weights, one device owner).
- `AutoExecutor` (`--executor auto`, the default): one of those two, chosen when the runner says how many CPU
  batches the build plans (`expect`): the pool only for enough work to repay starting it, and only where
  the caller allows worker processes (`may_spawn`: the command line does).

The Ray executor (`ray_executor.py`, `--executor ray`) is one more class: `submit` becomes a Ray task and
`model_worker` a handle on actors that load the model once. An input may name a file on the driver's disk
(an artwork's image: workers here read it themselves); that executor sends each such value's `by_value()`
instead (`by_value` below), so workers on other machines need no access to the gallery folder.
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # concurrent.futures (and logging) are imported when work is first handed out: a no-op has none
    from concurrent.futures import Future

from ..types import published_model
from .stage import LoadedModel

EXECUTORS = ("auto", "threads", "processes")
# From this many planned CPU batches, `auto` runs them on a process pool (jobs > 1). Measured on 2 cores, image
# stages of the benchmark's art (5 batches per artwork): 10 artworks 1.08 s on threads, 1.30 on the pool (its
# start); 50: 2.99 against 3.08; 150: 7.70 against 7.42; 500: 23.7-24.9 against 22.4-23.3 (the GIL binds).
AUTO_POOL_FROM = 250


def usable_cpus() -> int:
    """The CPUs this process may run on, the default number of workers (at most MAX_JOBS, as --jobs): its
    affinity where the system has one (`taskset`, a container's cpuset, a batch scheduler's allocation), which
    `os.cpu_count()` ignores, so a CI job given 2 of a machine's 64 CPUs started 64 workers on them."""
    import os

    from ..settings import MAX_JOBS

    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # macOS, Windows
        count = os.cpu_count() or 1
    return min(max(1, count), MAX_JOBS)


class RayUnavailable(Exception):
    """Ray is not installed, or its cluster cannot be reached: a configuration error (exit 2). (Here, not in
    ray_executor.py, so that the command line can name it without importing the Ray executor.)"""


@dataclass(frozen=True)
class ModelSpec:
    """Everything a worker needs to load a model: plain data, picklable."""
    kind: str
    resolved: Any     # models.ResolvedModel
    settings: Any     # the manifest section of the model (CaptionSettings, MusicSettings, ...)
    options: dict = field(default_factory=dict)   # more for the backend (e.g. the resolved take ranker)

    @property
    def identity(self) -> str:
        return self.resolved.identity

    @property
    def label(self) -> str:
        """How the site and reports name the model: a local directory as the manifest wrote it, or by its
        folder's name alone where the manifest gave an absolute or home path, so that no path of the curator's
        machine is published."""
        r = self.resolved
        return published_model(r.requested) if r.is_model and Path(r.model_id).is_absolute() else r.model_id


def load_model(spec: ModelSpec) -> LoadedModel:
    from ..backends.registry import load_backend

    backend = load_backend(spec.kind, spec.resolved, spec.settings, **spec.options)
    return LoadedModel(backend, spec.label, str(getattr(backend, "revision", spec.resolved.revision)),
                       bool(spec.resolved.is_model))


_LOADED: dict[str, LoadedModel] = {}
_LOADED_LOCK = threading.Lock()
_MODEL_RUN_LOCK = threading.Lock()
_PRELOADED: set = set()       # the computes whose declared modules this process has imported
_PRELOAD_LOCK = threading.Lock()


def declared_preload(compute: Callable) -> list[str]:
    """The modules that the Stage declarations whose `compute` this is name in `preload`."""
    from .stage import Stage

    found, classes = [], [Stage]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if getattr(cls, "compute", None) is compute:
            found.extend(name for name in cls.preload if name not in found)
    return found


def preload(compute: Callable) -> None:
    """Import the modules `compute`'s stage declares (`Stage.preload`), once, on this (the driver's) thread,
    before its first batch runs beside others. Two threads importing SciPy's submodules for the first time
    at once can each hold a module lock the other needs; Python breaks that deadlock by handing one of them
    a partially initialised module: "ImportError: cannot import name ... (most likely due to a circular
    import)". Called only when a batch is handed out, so a build with nothing to compute imports nothing."""
    if compute in _PRELOADED:
        return
    import importlib

    with _PRELOAD_LOCK:
        if compute in _PRELOADED:
            return
        for name in declared_preload(compute):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the batch's own import then fails and is reported per artwork
                pass
        _PRELOADED.add(compute)


def by_value(items: list) -> list:
    """`items` with each value that names a file on this machine (one with a `by_value()` method, within a
    tuple or list) replaced by what it returns: its bytes, for a worker elsewhere."""
    def resolved(value):
        if hasattr(value, "by_value"):
            return value.by_value()
        if isinstance(value, (tuple, list)):
            return type(value)(resolved(v) for v in value)
        return value

    return [resolved(item) for item in items]


def run_batch(compute: Callable, items: list, spec: ModelSpec | None) -> tuple[list, float]:
    """A CPU batch in a worker: the built-in model it needs (loaded once per process), then `compute`.
    Returns the results and the seconds `compute` took."""
    model = None
    if spec is not None:
        with _LOADED_LOCK:
            model = _LOADED.get(spec.identity)
            if model is None:
                model = _LOADED[spec.identity] = load_model(spec)
    started = time.monotonic()
    results = compute(items, model)
    return results, time.monotonic() - started


class ModelWorker:
    """One loaded model, run batch after batch in the driver process. `slots`: how many batches the runner
    may keep in flight (more than one where several copies of the model run, as on a Ray cluster)."""
    slots = 1

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.model = load_model(spec)

    def run(self, compute: Callable, items: list) -> list:
        # One model batch at a time in this process, whichever model: stages stream, so two models' batches
        # could overlap, and a backend that seeds torch's global random stream must not share it meanwhile.
        with _MODEL_RUN_LOCK:
            return compute(items, self.model)

    def submit(self, compute: Callable, items: list) -> Future:
        """A future of (results, seconds), like `Executor.submit`'s. The batch runs on the worker's own
        thread, so the runner keeps feeding the CPU stages meanwhile (stages stream)."""
        def timed():
            started = time.monotonic()
            results = self.run(compute, items)
            return results, time.monotonic() - started

        preload(compute)      # the batch runs beside the CPU stages' threads
        if getattr(self, "_thread", None) is None:
            from concurrent.futures import ThreadPoolExecutor

            self._thread = ThreadPoolExecutor(1, thread_name_prefix="model")
        return self._thread.submit(timed)

    def close(self) -> None:
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)
            self._thread = None
        close = getattr(self.model.backend, "close", None)
        if close is not None:
            close()


class Executor(ABC):
    # Its models load into this process (RAM or this machine's GPU), so the runner keeps one at a time;
    # a cluster's executor places its model actors by the resources they ask for.
    models_in_process = True
    kind = ""            # what --executor calls it

    def __init__(self, jobs: int):
        self.jobs = max(1, int(jobs))

    @abstractmethod
    def submit(self, compute: Callable, items: list, spec: ModelSpec | None) -> Future: ...

    def model_worker(self, spec: ModelSpec) -> ModelWorker:
        return ModelWorker(spec)

    def where(self, future: Future) -> str | None:
        """The node that computed a finished future's batch, when the executor spans machines."""
        return None

    def expect(self, cpu_batches: int) -> None:
        """How many CPU batches the build plans, said before the first is submitted (a hint)."""

    @property
    def name(self) -> str:
        """What the report calls it."""
        return self.kind

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        """Close when the build has failed or been interrupted: nothing in flight is wanted any more."""
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.abandon()


def _done(fn: Callable, *args) -> Future:
    from concurrent.futures import Future

    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:  # noqa: BLE001 - delivered to the runner like a worker's failure
        future.set_exception(exc)
    return future


class ThreadExecutor(Executor):
    """CPU batches on `jobs` threads (inline when jobs is 1), each stage's first only once the driver has
    imported what the stage declares in `preload`."""
    kind = "threads"

    def __init__(self, jobs: int):
        super().__init__(jobs)
        self._pool = None   # a ThreadPoolExecutor, started on first use (never when jobs is 1)

    def submit(self, compute, items, spec):
        preload(compute)
        if self.jobs <= 1:
            return _done(run_batch, compute, items, spec)
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.jobs)
        return self._pool.submit(run_batch, compute, items, spec)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class ProcessExecutor(Executor):
    """CPU batches on a pool of `jobs` worker processes, started on first use. A worker's death fails only
    the batch that caused it (`worker_pool.WorkerPool`)."""
    kind = "processes"

    def __init__(self, jobs: int):
        super().__init__(jobs)
        self._pool = None   # a WorkerPool (imported on first use: multiprocessing is slow to import)

    def submit(self, compute, items, spec):
        if self._pool is None:
            from .worker_pool import WorkerPool

            self._pool = WorkerPool(self.jobs)
        return self._pool.submit(run_batch, compute, items, spec)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def abandon(self) -> None:
        # Ends the workers mid-batch: waiting could take minutes (they ignore Ctrl-C; the driver handles it).
        if self._pool is not None:
            self._pool.close(now=True)


class AutoExecutor(Executor):
    """Threads, or a process pool when the build plans at least AUTO_POOL_FROM CPU batches, jobs > 1 and
    `may_spawn`. (A spawned worker imports the caller's main module: the command line's is guarded, but a
    script that calls `build_gallery` without `if __name__ == "__main__":` would run again in each worker.)"""
    kind = "auto"

    def __init__(self, jobs: int, may_spawn: bool = False):
        super().__init__(jobs)
        self.may_spawn = may_spawn
        self.chosen: Executor | None = None

    def expect(self, cpu_batches: int) -> None:
        if self.chosen is None:   # decided once per build (a repair's second flow keeps it)
            pool = self.may_spawn and self.jobs > 1 and cpu_batches >= AUTO_POOL_FROM
            self.chosen = ProcessExecutor(self.jobs) if pool else ThreadExecutor(self.jobs)

    @property
    def name(self) -> str:
        return f"auto ({self.chosen.kind})" if self.chosen is not None else "auto"

    def submit(self, compute, items, spec):
        self.expect(0)
        return self.chosen.submit(compute, items, spec)

    def close(self) -> None:
        if self.chosen is not None:
            self.chosen.close()

    def abandon(self) -> None:
        if self.chosen is not None:
            self.chosen.abandon()


def make_executor(kind: str, jobs: int, may_spawn: bool = False) -> Executor:
    if kind == "auto":
        return AutoExecutor(jobs, may_spawn)
    classes = {"threads": ThreadExecutor, "processes": ProcessExecutor}
    try:
        return classes[kind](jobs)
    except KeyError:
        raise ValueError(f"unknown executor '{kind}' (use {', '.join(EXECUTORS)})") from None

"""The Ray executor (`--executor ray`): the runner's batches run on a Ray cluster, or on a private local Ray.

- CPU batches become Ray tasks (`max_retries`: a task whose worker dies runs again, on any node).
- Model batches go to long-lived actors, one per model identity per GPU (`num_gpus` each: 1, or the
  fraction `run.model_gpus` of the manifest); on a cluster without GPUs, one CPU actor. Each actor loads its
  model once. An actor that dies is restarted (`max_restarts`, the model loaded again) and Ray resubmits the
  batch it was running (`max_task_retries`).
- Inputs go by value through Ray's object store (image and clip bytes, never paths: `by_value`) and results come back
  the same way, so workers need no access to the gallery folder and write nothing. Only the driver (the
  runner) keys, writes the cache and build/, and holds the lock. Each batch's future resolves once however
  often Ray ran it, so each result is stored once.
- `where(future)` names the node that computed a batch, for the report; `cluster_load()` says how many of
  the cluster's CPUs and GPUs are busy, for the progress line.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from ..types import first_line
from ..extras import install_command
from .executors import Executor, ModelSpec, RayUnavailable, by_value
from .ray_hosts import ModelHost, run_batch_here
from .ray_sigterm import keep_driver_signals, sigterm_held

INSTALL_HINT = "the Ray executor needs the 'ray' extra: " + install_command("ray")


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL_HINT) from None
    return ray


class RayExecutor(Executor):
    """`address=None` starts a private local Ray with `jobs` CPUs, stopped on close; "auto" or
    "ray://host:port" joins a running cluster (whose nodes have imaudible's dependencies installed; the
    driver ships its own imaudible code, so both sides run the same version). Joined, `jobs` becomes the
    cluster's CPU count. A Ray already initialised in this process (a test's) is used and left running.
    Ray is started (or joined) on first use, so a build that stops at a configuration error never starts it."""

    models_in_process = False
    kind = "ray"

    def __init__(self, jobs: int, address: str | None = None, *, model_gpus: float = 1.0, max_retries: int = 3,
                 max_restarts: int = 3, verbose: bool = False):
        super().__init__(jobs)
        self.address, self.model_gpus, self.verbose = address, model_gpus, verbose
        self.max_retries, self.max_restarts = max_retries, max_restarts
        self._ray, self._owned, self._task = None, False, None
        self._nodes: dict[Future, str] = {}
        self._nodes_lock = threading.Lock()
        self._load = (0.0, "")

    # --- lifetime ---------------------------------------------------------------------------------------
    @property
    def jobs(self) -> int:
        """How many CPU batches the runner keeps busy (twice this many in flight): the cluster's CPUs."""
        self._start()
        return self._jobs

    @jobs.setter
    def jobs(self, value: int) -> None:
        self._jobs = value

    def _start(self) -> None:
        if self._ray is not None:
            return
        ray = import_ray()
        if not ray.is_initialized():
            options = {"include_dashboard": False, "log_to_driver": self.verbose,
                       "logging_level": logging.INFO if self.verbose else logging.WARNING}
            keep_driver_signals(ray)
            try:
                # SIGTERM is held while a local Ray starts (seconds); joining a cluster may wait far longer
                with warnings.catch_warnings(), sigterm_held(None if self.address else ray):
                    if not self.verbose:     # the error below says what Ray's own warnings would
                        warnings.simplefilter("ignore")
                    if self.address:
                        import imaudible

                        ray.init(address=self.address, **options,
                                 runtime_env={"py_modules": [str(Path(imaudible.__file__).parent)]})
                    else:
                        # Ray's token auth stays on (its default for a local Ray), without its warning saying so.
                        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
                        ray.init(address="local", num_cpus=self._jobs, **options)  # never a cluster found by chance
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise RayUnavailable(f"cannot start or reach Ray at '{self.address or 'local'}': "
                                     f"{first_line(exc)}") from None
            except BaseException:   # SIGTERM or Ctrl-C while Ray started: stop what did
                with contextlib.suppress(Exception):
                    ray.shutdown()
                raise
            self._owned = True
        if self.address or not self._owned:
            self._jobs = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._ray = ray
        self._task = ray.remote(run_batch_here).options(num_cpus=1, max_retries=self.max_retries,
                                                         retry_exceptions=False)

    def close(self) -> None:
        if self._ray is not None and self._owned:
            with sigterm_held():
                self._ray.shutdown()
        self._ray, self._owned = None, False

    # --- CPU batches --------------------------------------------------------------------------------------
    def submit(self, compute: Callable, items: list, spec: ModelSpec | None) -> Future:
        self._start()
        return self._wrap(self._task.remote(compute, by_value(items), spec))

    def _wrap(self, ref) -> Future:
        """A future of (results, seconds), as the runner expects, from a Ray reference to
        (results, error, seconds, node); the node is kept for `where`."""
        outer: Future = Future()
        outer.set_running_or_notify_cancel()

        def settle(inner: Future) -> None:
            try:
                results, error, seconds, node = inner.result()
            except Exception as exc:  # noqa: BLE001 - the worker died more often than the retries allow
                outer.set_exception(RuntimeError(f"Ray worker lost: {first_line(exc)}"))
                return
            if error is not None:
                outer.set_exception(error)
                return
            with self._nodes_lock:
                self._nodes[outer] = node
            outer.set_result((results, seconds))

        ref.future().add_done_callback(settle)
        return outer

    def where(self, future: Future) -> str | None:
        with self._nodes_lock:
            return self._nodes.pop(future, None)

    # --- model batches ------------------------------------------------------------------------------------
    def model_worker(self, spec: ModelSpec) -> "RayModelWorker":
        """The model's actors: the first is started now (a model that cannot load fails here, as it does
        locally); more, up to one per GPU share, as batches wait for them."""
        self._start()
        gpus = self._ray.cluster_resources().get("GPU", 0)
        # An actor reserves no CPU: stages stream, so several models' actors live beside the CPU tasks, and
        # actors holding every CPU would leave the tasks that feed them waiting forever.
        if gpus and self.model_gpus:
            capacity, resources = max(1, int(gpus // self.model_gpus)), {"num_gpus": self.model_gpus, "num_cpus": 0}
        else:
            capacity, resources = 1, {"num_cpus": 0}
        host = self._ray.remote(ModelHost).options(max_restarts=self.max_restarts,
                                                   max_task_retries=self.max_retries, **resources)
        worker = RayModelWorker(self, lambda: host.remote(spec), capacity)
        failure = self._ray.get(worker.actors[0].ready.remote())
        if failure is not None:
            worker.close()
            raise failure
        return worker

    # --- progress -----------------------------------------------------------------------------------------
    def cluster_load(self, every: float = 1.0) -> str:
        """'cluster: 2/2 CPU, 0/1 GPU busy', asked of Ray at most every `every` seconds."""
        if self._ray is None:
            return ""
        now = time.monotonic()
        if now - self._load[0] >= every:
            total, free = self._ray.cluster_resources(), self._ray.available_resources()
            parts = [f"{total.get(r, 0) - free.get(r, 0):g}/{total.get(r, 0):g} {r}" for r in ("CPU", "GPU")]
            self._load = (now, f"cluster: {', '.join(parts)} busy")
        return self._load[1]


class RayModelWorker:
    """The runner's handle on one model's actors: each batch goes to an idle actor, or to a new one while
    there is GPU room for it, else to the least busy."""

    def __init__(self, executor: RayExecutor, start_actor: Callable[[], Any], capacity: int):
        self.executor, self._start_actor = executor, start_actor
        self.slots = capacity  # batches the runner may keep in flight
        self.actors = [start_actor()]
        self._busy = [0]
        self._lock = threading.Lock()

    def _pick(self) -> int:
        with self._lock:
            index = min(range(len(self.actors)), key=self._busy.__getitem__)
            if self._busy[index] and len(self.actors) < self.slots:
                self.actors.append(self._start_actor())
                self._busy.append(0)
                index = len(self.actors) - 1
            self._busy[index] += 1
            return index

    def submit(self, compute: Callable, items: list) -> Future:
        index = self._pick()
        future = self.executor._wrap(self.actors[index].run.remote(compute, by_value(items)))

        def release(_):
            with self._lock:
                self._busy[index] -= 1

        future.add_done_callback(release)
        return future

    def run(self, compute: Callable, items: list) -> list:
        future = self.submit(compute, items)
        results = future.result()[0]
        self.executor.where(future)
        return results

    def close(self) -> None:
        for actor in self.actors:
            self.executor._ray.kill(actor)


__all__ = ["INSTALL_HINT", "RayExecutor", "RayModelWorker", "RayUnavailable", "import_ray"]

"""What runs inside Ray's worker processes: the CPU batch task and the actor that holds a model.

Both run the engine's own code (`executors.run_batch`, `executors.load_model`), touch no disk, and return
(results, error, seconds, node): an application error comes back as a value, so Ray retries only what it
should (a worker that died), and the node names where the batch ran, for the report.
"""
from __future__ import annotations

import pickle
import socket
import time
from typing import Callable

from .executors import ModelSpec, load_model, run_batch


def node_name() -> str:
    """The node this worker runs on, as the report names it: the Ray node's IP address."""
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001 - outside a Ray worker the host name is as good
        return socket.gethostname()


def portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling (the runner then treats it as it treats a local
    failure), else a RuntimeError with the same one-line text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return RuntimeError(f"{type(exc).__name__}: {text}")


def run_batch_here(compute: Callable, items: list, spec: ModelSpec | None):
    """The Ray task: one CPU batch (a built-in model, if any, loaded once per worker process)."""
    try:
        results, seconds = run_batch(compute, items, spec)
        return results, None, seconds, node_name()
    except Exception as exc:  # noqa: BLE001 - the runner isolates the failing artwork
        return None, portable(exc), 0.0, node_name()


class ModelHost:
    """A Ray actor holding one loaded model; it runs batch after batch until the runner releases it."""

    def __init__(self, spec: ModelSpec):
        self._model, self._failure = None, None
        try:
            self._model = load_model(spec)
        except Exception as exc:  # noqa: BLE001 - handed to the driver by ready(), raised there
            self._failure = portable(exc)

    def ready(self) -> BaseException | None:
        return self._failure

    def run(self, compute: Callable, items: list):
        started = time.monotonic()
        if self._failure is not None:  # an actor started on demand whose model did not load
            return None, self._failure, 0.0, node_name()
        try:
            results = compute(items, self._model)
            return results, None, time.monotonic() - started, node_name()
        except Exception as exc:  # noqa: BLE001
            return None, portable(exc), time.monotonic() - started, node_name()

"""How the runner's misses are run: CPU work spread over the executor's workers, model work in batches on
one model worker per model. Failures are handed back per artwork; a failed model batch is retried item by
item, so one bad artwork does not take its batch-mates down."""
from __future__ import annotations

import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Callable

from .executors import Executor, ModelSpec


class Batches:
    def __init__(self, executor: Executor, report, progress, *, inputs: Callable, store: Callable, failed: Callable):
        self.executor, self.report, self.progress = executor, report, progress
        self.inputs, self.store, self.failed = inputs, store, failed

    def on_workers(self, stage, items, spec: ModelSpec | None) -> None:
        """CPU work: one artwork per task on the executor's workers, at most 2 x jobs in flight."""
        self.progress.start(stage.name, len(items))
        queue, running = deque(items), {}
        while queue or running:
            while queue and len(running) < 2 * self.executor.jobs:
                state, key = queue.popleft()
                try:
                    future = self.executor.submit(stage.compute, [self.inputs(stage, state)], spec)
                except Exception as exc:  # noqa: BLE001
                    self.failed(stage, state, exc)
                    self.progress.advance(1, state.id)
                    continue
                running[future] = (state, key)
            if not running:
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                state, key = running.pop(future)
                try:
                    results, seconds = future.result()
                    self.store(stage, state, key, results[0], seconds, self.executor.where(future))
                except Exception as exc:  # noqa: BLE001
                    self.failed(stage, state, exc)
                self.progress.advance(1, state.id)
        self.progress.finish()

    def on_model(self, stage, items, spec: ModelSpec, batch_size: int) -> None:
        """Model work: batches on the model's worker, which loads the model once and keeps it for all of them;
        `worker.slots` batches in flight (one per copy of the model: several on a cluster with several GPUs)."""
        worker = self.executor.model_worker(spec)
        cuda = cuda_in_use()
        if cuda is not None:        # after loading: the weights stay allocated, so the peak still counts them
            cuda.reset_peak_memory_stats()
        self.report.models_loaded.append(spec.identity)
        size = max(1, batch_size)
        batches = deque(items[i:i + size] for i in range(0, len(items), size))
        running: dict = {}
        self.progress.start(stage.name, len(items))
        try:
            while batches or running:
                while batches and len(running) < worker.slots:
                    batch = batches.popleft()
                    ready = self._ready(stage, batch)
                    if ready:
                        running[worker.submit(stage.compute, [inputs for _, _, inputs in ready])] = (batch, ready)
                    else:
                        self.progress.advance(len(batch), ", ".join(state.id for state, _ in batch))
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    batch, ready = running.pop(future)
                    self._model_batch_done(stage, worker, future, ready)
                    self.progress.advance(len(batch), ", ".join(state.id for state, _ in batch))
        finally:
            for future in running:
                future.cancel()
            worker.close()      # released before the next stage loads its model: one resident at a time
            self.progress.finish()
            if cuda is not None:
                peak = round(cuda.max_memory_allocated() / 2 ** 20, 1)
                self.report.peak_cuda_memory_mb[stage.name] = max(peak, self.report.peak_cuda_memory_mb.get(stage.name, 0))

    def _ready(self, stage, batch) -> list:
        ready = []
        for state, key in batch:
            try:
                ready.append((state, key, self.inputs(stage, state)))
            except Exception as exc:  # noqa: BLE001
                self.failed(stage, state, exc)
        return ready

    def _model_batch_done(self, stage, worker, future, ready) -> None:
        try:
            results, seconds = future.result()
            self.report.model_calls[stage.model] += 1
            node = self.executor.where(future)
            for (state, key, _), result in zip(ready, results):
                self.store(stage, state, key, result, seconds / len(ready), node)
            return
        except Exception as exc:  # noqa: BLE001
            if len(ready) == 1:
                self.failed(stage, ready[0][0], exc)
                return
        for state, key, inputs in ready:  # find the culprit: the others still get their results
            started = time.monotonic()
            try:
                result = worker.run(stage.compute, [inputs])[0]
                self.report.model_calls[stage.model] += 1
                self.store(stage, state, key, result, time.monotonic() - started)
            except Exception as exc:  # noqa: BLE001
                self.failed(stage, state, exc)


def cuda_in_use():
    """torch.cuda when torch is imported (a model stage imports it) and sees a GPU; None otherwise. Never
    imports torch itself, so a build without models never pays for it."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return torch.cuda

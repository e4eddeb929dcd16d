"""Model work: one lane per model identity, its batches on one model worker (each model loaded once).

The batches are planned before anything runs: the artworks the model must compute, in gallery order, cut
at the stage's batch size. A batch goes to the model once each of its artworks is ready (or has failed
elsewhere), so which artworks share a batch never depends on timing or on the executor: batched results
can differ from one-by-one ones in the last bits, and the build must be byte-identical however it ran.
A result found missing later (a damaged input computed again) is a batch of its own.

The model is loaded (on a thread of its own, so the stages upstream go on meanwhile) when the lane's first
artwork is ready, and released once its last batch is done. Where models load into this process, one is
resident at a time: a lane loads only once every model lane before it in the plan has finished (see
`ModelLane.may_load`). A failed batch is retried item by item, so one bad artwork does not take its batch-mates
down.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a model is first loaded: a no-op loads none
    from concurrent.futures import ThreadPoolExecutor


class Batch:
    def __init__(self, lane: "ModelLane", members: list, items: list | None = None):
        self.lane, self.members = lane, members
        self.unsettled = set(members)          # members not ready yet, nor gone
        self.items = items                     # [(node, inputs)], once sent (a retry's is given)
        for node in members:
            node.batch = self

    def settle(self, node) -> None:
        if node in self.unsettled:
            self.unsettled.discard(node)
            if not self.unsettled:
                self.lane.queue(self)


class ModelLane:
    def __init__(self, flow, stage, spec, place: int = 0):
        self.flow, self.stage, self.spec = flow, stage, spec
        self.order = (place, len(flow.lanes))      # the stage's place in the plan, then first come
        self.worker = None
        self._loading = None            # the future of the worker being loaded
        self._loader: ThreadPoolExecutor | None = None
        self._ready: deque[Batch] = deque()
        self._running = 0
        self._left = 0                  # batches not finished
        self._cuda = None

    # --- batches ------------------------------------------------------------------------------------------
    def plan(self, nodes: list, size: int) -> None:
        size = max(1, size)
        for start in range(0, len(nodes), size):
            self._left += 1
            Batch(self, nodes[start:start + size])

    def member_ready(self, node) -> None:
        node.status = "ready"
        if node.batch is None:             # not planned (a damaged result computed again): alone
            self._left += 1
            Batch(self, [node])
        node.batch.settle(node)

    def queue(self, batch: Batch, first: bool = False) -> None:
        (self._ready.appendleft if first else self._ready.append)(batch)

    # --- the worker ---------------------------------------------------------------------------------------
    def pump(self) -> None:
        while self._ready and self._ready[0].items is None and \
                not any(node.status == "ready" for node in self._ready[0].members):
            self._ready.popleft()           # every artwork of it failed elsewhere
            self._finished()
        if not self._ready:
            return
        if self.worker is None:
            if self._loading is None and self.may_load():
                self.flow.runner.report.models_loaded.append(self.spec.identity)
                from concurrent.futures import ThreadPoolExecutor

                self._loader = self._loader or ThreadPoolExecutor(1, thread_name_prefix="model-load")
                self._loading = self._loader.submit(self.flow.executor.model_worker, self.spec)
                self.flow.watch(self._loading, self._loaded)
            return
        while self._ready and self._running < self.worker.slots:
            batch = self._ready.popleft()
            if batch.items is None:
                batch.items = [(node, inputs) for node in batch.members if node.status == "ready"
                               for inputs in [self.flow.inputs(node)] if inputs is not None]
            if not batch.items:
                self._finished()
                continue
            self.flow.started(self.stage)
            for node, _ in batch.items:
                node.status = "running"
            future = self.worker.submit(self.stage.compute, [inputs for _, inputs in batch.items])
            self._running += 1
            self.flow.watch(future, lambda future, batch=batch: self._done(future, batch))

    def _loaded(self, future) -> None:
        if future is not self._loading:     # loaded after all for a lane closed meanwhile (see close)
            return
        self.worker, self._loading = future.result(), None    # a model that cannot load stops the build
        self._cuda = cuda_in_use()
        if self._cuda is not None:   # after loading: the weights stay allocated, so the peak still counts them
            self._cuda.reset_peak_memory_stats()

    def _done(self, future, batch: Batch) -> None:
        self._running -= 1
        try:
            results, seconds = future.result()
        except Exception as exc:  # noqa: BLE001
            if len(batch.items) == 1:
                self.flow.fail(batch.items[0][0], exc)
            else:                   # find the culprit: the others still get their results
                for item in reversed(batch.items):
                    self._left += 1
                    self.queue(Batch(self, [], [item]), first=True)
        else:
            self.flow.runner.report.model_calls[self.stage.model] += 1
            where = self.flow.executor.where(future)
            for (node, _), result in zip(batch.items, results):
                self.flow.stored(node, result, seconds / len(batch.items), where)
        self._finished()

    def may_load(self) -> bool:
        """One model resident at a time in this process (a small GPU holds one large model, not three):
        a lane loads once every model lane before it in the plan has finished. The earliest unfinished
        lane can always go on, since its inputs come from earlier stages only, so no lane waits forever.
        On a cluster, each model's actors ask for their own GPUs and Ray places them."""
        if not self.flow.executor.models_in_process:
            return True
        return not any(other._left for other in self.flow.lanes.values() if other.order < self.order)

    def _finished(self) -> None:
        self._left -= 1
        if not self._left:
            self.close()

    def close(self) -> None:
        """Release the model (its last batch is done, or the build stops)."""
        if self._loading is not None:
            try:
                self.worker = self._loading.result()
            except Exception:  # noqa: BLE001 - already reported by _loaded
                pass
            self._loading = None
        if self._loader is not None:
            self._loader.shutdown(wait=False)
            self._loader = None
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        if self._cuda is not None:
            report = self.flow.runner.report
            peak = round(self._cuda.max_memory_allocated() / 2 ** 20, 1)
            report.peak_cuda_memory_mb[self.stage.name] = max(peak, report.peak_cuda_memory_mb.get(self.stage.name, 0))
            self._cuda = None


def cuda_in_use():
    """torch.cuda when torch is imported (a model stage imports it) and sees a GPU; None otherwise. Never
    imports torch itself, so a build without models never pays for it."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return torch.cuda

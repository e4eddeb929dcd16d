"""The build as a per-artwork dataflow: each (artwork, stage) is a node, ready once that artwork's upstream
nodes are done, so stages stream (the first batch's music is made while later images are still ingested).

- A ready node is settled from what the runner found when it planned it (a curator's given value, a cached
  result) or else computed: CPU work goes to the executor's workers as soon as it is ready (at most
  IN_FLIGHT_PER_WORKER x jobs in flight, earliest artworks first, so they flow through to the model stages
  early); work of a real model
  goes to that model's lane (`batches.ModelLane`), whose batches were planned before anything ran.
- Only this driver thread touches the runner (stores, views, the report): finished futures are handed over
  through one queue, in whatever order and from whichever thread they finish.
- An artwork that fails fails alone: its nodes not yet running are dropped, its batch-mates go on without
  it. A cached input found damaged while a node reads it is computed again (once), then the node.
- A stage's wall time runs from its first computation's start to its last one's end; stages overlap.

The flow knows no stage by name and the executor interface is unchanged: any executor's futures will do.
"""
from __future__ import annotations

import heapq
import itertools
import queue
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..types import CacheWriteFailed, DamagedResult
from .batches import ModelLane
from .held import let_go_once_read


# A finished task counts as in flight until this thread has stored its result, which takes milliseconds of
# file creation per result while the workers finish short tasks (mood, caption, prompt) faster: with 2 per
# worker their queue ran dry (workers idle ~9% of a cold build of 500), with 6 about half that, 1.8% faster.
IN_FLIGHT_PER_WORKER = 6


@dataclass(eq=False)
class Node:
    """One artwork's result of one stage, as planned by the runner and then settled or computed."""
    state: Any                # ArtworkState
    stage: Any
    order: tuple[int, int]    # (artwork's place, stage's place): who goes first
    key: str | None = None
    resolved: Any = None      # the ResolvedModel that computes it, or None
    given: Any = None         # the curator's value, when the stage takes one
    entry: Any = None         # the cached result found when planning
    error: BaseException | None = None   # why it could not be planned (e.g. its key)
    batch: Any = None         # its planned batch, when a real model computes it
    waiting: set = field(default_factory=set)   # upstream stages not done yet
    status: str = "waiting"   # waiting | ready | running | done | closed
    took_inputs: bool = False  # its inputs are read (what upstream results hold in memory may go)
    id: str = field(init=False)   # the artwork's id (asked for at every step of the flow)

    def __post_init__(self):
        self.id = self.state.id

    @property
    def to_compute(self) -> bool:
        """Planned to be computed: not failed, given or cached."""
        return self.error is None and self.given is None and self.entry is None

    @property
    def on_lane(self) -> bool:
        """Computed by a real model, on its model lane (else as a CPU batch)."""
        return self.resolved is not None and self.resolved.is_model


class CpuWork:
    """Ready CPU nodes, earliest artwork first, on the executor's workers."""

    def __init__(self, flow: "Flow"):
        self.flow, self._heap, self._seq, self.running = flow, [], itertools.count(), 0
        self.pushed = 0   # ever: what `start_ready` compares (the heap's length can stay the same on a push)

    def push(self, node: Node) -> None:
        node.status = "ready"
        self.pushed += 1
        heapq.heappush(self._heap, (node.order, next(self._seq), node))

    def pump(self) -> None:
        flow = self.flow
        while self._heap and self.running < IN_FLIGHT_PER_WORKER * flow.executor.jobs:
            node = heapq.heappop(self._heap)[2]
            if node.status != "ready":
                continue
            inputs = flow.inputs(node)
            if inputs is None:
                continue
            flow.started(node.stage)
            try:
                future = flow.executor.submit(node.stage.compute, [inputs], flow.runner.model_spec(node))
            except Exception as exc:  # noqa: BLE001 - e.g. an input that cannot be sent
                flow.fail(node, exc)
                continue
            node.status = "running"
            self.running += 1
            flow.watch(future, lambda future, node=node: self._finished(future, node))

    def _finished(self, future, node: Node) -> None:
        self.running -= 1
        try:
            results, seconds = future.result()
        except Exception as exc:  # noqa: BLE001
            self.flow.fail(node, exc)
            return
        self.flow.stored(node, results[0], seconds, self.flow.executor.where(future))


def cpu_batches(nodes) -> int:
    """How many of the planned nodes will go to the executor as CPU batches."""
    return sum(n.to_compute and not n.on_lane for n in nodes)


class Flow:
    """Runs a set of planned nodes to the end (see the module docstring)."""

    def __init__(self, runner, nodes: list[Node]):
        self.runner, self.executor = runner, runner.executor
        self.nodes = {(n.id, n.stage.name): n for n in nodes}
        self._of: dict[str, list[Node]] = {}                # artwork id -> its nodes
        self.lanes: dict[tuple, ModelLane] = {}
        self.cpu = CpuWork(self)
        self._events, self._watched = queue.SimpleQueue(), 0      # callbacks of watched futures, and how many
        self._open: dict[str, int] = {}                     # stage -> its nodes not done or closed
        self._clock: dict[str, list[float]] = {}           # stage -> [first start, last end]
        self._repairing: set[tuple[str, str, str]] = set()   # (stage, artwork, upstream stage) once repaired
        planned: dict[tuple, list[Node]] = {}
        for node in sorted(nodes, key=lambda n: n.order):
            node.waiting = {need for need in node.stage.needs if (node.id, need) in self.nodes}
            self._open[node.stage.name] = self._open.get(node.stage.name, 0) + 1
            self._of.setdefault(node.id, []).append(node)
            if node.to_compute and node.on_lane:
                planned.setdefault((node.stage.name, node.resolved.identity), []).append(node)
        for members in planned.values():
            self._lane(members[0]).plan(members, runner.batch_size(members[0]))

    # --- the loop ---------------------------------------------------------------------------------------
    def run(self) -> None:
        self.executor.expect(cpu_batches(self.nodes.values()))
        try:
            for node in sorted(self.nodes.values(), key=lambda n: n.order):
                if not node.waiting and node.status == "waiting":
                    self._ready(node)
            while any(self._open.values()):
                start_ready(self)
                if not self._watched:        # the last nodes may have failed while being sent
                    if any(self._open.values()):
                        raise RuntimeError("internal error: the build has nodes left but nothing running")
                    break
                self._watched -= 1
                self._events.get()()        # the next callback of a watched future
        finally:
            for lane in self.lanes.values():
                lane.close()
            for stage, (first, last) in self._clock.items():
                self.runner.report.stage_wall[stage] = self.runner.report.stage_wall.get(stage, 0.0) + last - first

    def watch(self, future, callback: Callable) -> None:
        """`callback(future)` runs on this thread once `future` is done."""
        self._watched += 1
        future.add_done_callback(lambda f: self._events.put(lambda: callback(f)))

    def started(self, stage) -> None:
        if stage.name not in self._clock:
            self._clock[stage.name] = [time.monotonic()] * 2
            total = sum(1 for n in self.nodes.values()
                        if n.stage is stage and n.status in ("waiting", "ready") and n.to_compute)
            self.runner.progress.start(stage.name, total)

    # --- a node's life ------------------------------------------------------------------------------------
    def _ready(self, node: Node) -> None:
        if node.state.error:
            self._close(node)
            return
        outcome = self.runner.settle(node)
        if outcome == "done":
            self._done(node)
        elif outcome == "failed":
            self._close(node)
            self._artwork_failed(node.state)
        elif node.on_lane:
            self._lane(node).member_ready(node)
        else:
            self.cpu.push(node)

    def _lane(self, node: Node) -> ModelLane:
        identity = (node.stage.name, node.resolved.identity)
        if identity not in self.lanes:
            self.lanes[identity] = ModelLane(self, node.stage, self.runner.model_spec(node), node.order[1])
        return self.lanes[identity]

    def inputs(self, node: Node):
        """The node's inputs, read now (bytes of upstream results); None when reading failed."""
        try:
            inputs, node.took_inputs = self.runner.inputs(node), True
        except Exception as exc:  # noqa: BLE001
            return self.fail(node, exc)
        let_go_once_read(self.nodes, self.runner.needers, node)
        return inputs

    def stored(self, node: Node, result, seconds: float, where: str | None) -> None:
        try:
            self.runner.store(node, result, seconds, where)
        except CacheWriteFailed:
            raise       # the disk, not the artwork: the build stops, and the site stays as it was
        except Exception as exc:  # noqa: BLE001 - a result the stage cannot read back
            return self.fail(node, exc)
        self._ended(node)
        self._done(node)

    def fail(self, node: Node, exc: BaseException) -> None:
        if isinstance(exc, DamagedResult) and (node.stage.name, node.id, exc.stage) not in self._repairing:
            self._repair(node, exc)
            return
        self.runner.fail(node, exc)
        self._ended(node, failed=True)
        self._close(node)
        self._artwork_failed(node.state)

    def _ended(self, node: Node, failed: bool = False) -> None:
        if node.stage.name in self._clock:
            self._clock[node.stage.name][1] = time.monotonic()
            self.runner.progress.advance(1, node.id, node.stage.name, failed)

    def _done(self, node: Node) -> None:
        self._close(node, "done")
        for other in self.runner.needers(node.stage):    # names
            after = self.nodes.get((node.id, other))
            if after is not None and node.stage.name in after.waiting:
                after.waiting.discard(node.stage.name)
                if not after.waiting and after.status == "waiting":
                    self._ready(after)

    def _close(self, node: Node, status: str = "closed") -> None:
        if node.status in ("done", "closed"):
            return
        node.status = status
        if node.batch is not None:
            node.batch.settle(node)     # a batch-mate gone: the batch need not wait for it
        let_go_once_read(self.nodes, self.runner.needers, node)
        name = node.stage.name
        self._open[name] -= 1
        if not self._open[name] and name in self._clock:
            self.runner.progress.finish(name)

    def _artwork_failed(self, state) -> None:
        """Drop what the artwork still had to do; nodes already running end as they will."""
        for node in [n for n in self._of.get(state.id, ()) if n.status in ("waiting", "ready")]:
            self._close(node)

    def _repair(self, node: Node, exc: DamagedResult) -> None:
        """An upstream result was found damaged while `node` read it: compute it again, then `node`."""
        self._repairing.add((node.stage.name, node.id, exc.stage))
        fresh = self.runner.forget(node.state, exc)
        if fresh is None:      # not a stage of this build: the artwork has failed
            self._close(node)
            self._artwork_failed(node.state)
            return
        self.nodes[(node.id, fresh.stage.name)] = fresh
        self._of[node.id].append(fresh)
        self._open[fresh.stage.name] = self._open.get(fresh.stage.name, 0) + 1
        node.status, node.waiting, node.batch, node.took_inputs = "waiting", {fresh.stage.name}, None, False
        self._ready(fresh)


def start_ready(flow: Flow) -> None:
    """Start what is ready, until starting it makes nothing more ready (a lane's batch whose input turned out
    damaged or let go has its upstream node computed again, as CPU work)."""
    while True:
        before = flow._watched, flow.cpu.pushed
        flow.cpu.pump()
        for lane in list(flow.lanes.values()):
            lane.pump()
        if (flow._watched, flow.cpu.pushed) == before:
            return

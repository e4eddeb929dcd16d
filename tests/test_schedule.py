"""The dataflow (`engine.schedule.Flow`) and its model lanes (`engine.batches`), driven directly: a failed
model batch retried item by item; model batches cut in gallery order whatever order their artworks become
ready in, and sent as soon as they are complete, while other artworks' upstream work still runs.

The model here is a stand-in that upper-cases text: these tests are about the engine's bookkeeping (which
artworks share a call, in which order), not about what a model computes."""
from __future__ import annotations

import time

from imaudible.engine.executors import ModelWorker, ThreadExecutor
from imaudible.engine.report import ArtworkState, BuildReport
from imaudible.engine.schedule import Flow, Node
from imaudible.engine.stage import Result, Stage
from imaudible.progress import Progress

PAUSES = {"a": 1.2, "b": 0.9, "c": 0.6, "d": 0.3}   # the upstream stage: the first artworks finish last


def shout(items: list, model) -> list[Result]:
    if any(item == "bad" for item in items):
        raise ValueError("cannot shout 'bad'")
    return [Result({"text": model.backend.upper(item), "at": time.monotonic()}) for item in items]


def pause(items: list, model=None) -> list[Result]:
    time.sleep(PAUSES[items[0]])
    return [Result({"text": items[0], "at": time.monotonic()})]


class Upper:
    def upper(self, text):
        return text.upper()

    def close(self):
        self.closed = True


class Worker(ModelWorker):  # its "model" is made here, not loaded
    def __init__(self):
        self.backend, self.calls = Upper(), []
        self.model = self

    def run(self, compute, items):
        self.calls.append(list(items))
        return compute(items, self)


class Executor(ThreadExecutor):
    def model_worker(self, spec):
        self.worker = Worker()
        return self.worker


class Resolved:
    identity, is_model = "upper@1", True


class Spec:
    identity = "upper@1"


class Shout(Stage):
    name, model, compute = "shout", "shout", staticmethod(shout)


class Pause(Stage):
    name, compute = "pause", staticmethod(pause)


class Art:
    def __init__(self, id):
        self.id = id


class Runner:
    """What the flow asks of the runner, with every result recorded."""

    def __init__(self, jobs: int, batch: int, stages=()):
        self.executor, self.progress, self.batch = Executor(jobs), Progress(quiet=True), batch
        self.report = BuildReport("g", "out", model_calls={"shout": 0})
        self.stored, self.failed, self.stages = {}, {}, stages

    def settle(self, node):
        return "compute"

    def inputs(self, node):
        return node.id

    def store(self, node, result, seconds, where=None):
        self.stored[(node.stage.name, node.id)] = result.meta

    def fail(self, node, exc):
        self.failed[node.id] = str(exc)
        node.state.fail(node.stage.name, str(exc))

    def needers(self, stage):
        return [s.name for s in self.stages if stage.name in s.needs]

    def batch_size(self, node):
        return self.batch

    def model_spec(self, node):
        return Spec() if node.resolved else None


def nodes_of(stage, states, resolved=None) -> list[Node]:
    return [Node(state, stage, (n, 0), key=f"k-{state.id}", resolved=resolved) for n, state in enumerate(states)]


def test_a_failed_model_batch_is_retried_item_by_item():
    """The batch with the bad artwork fails; its batch-mates still get their results, one call each. The
    batches are planned in gallery order ([a, bad, c], [d]) and the model is closed after the last one."""
    runner = Runner(jobs=1, batch=3)
    nodes = nodes_of(Shout(), [ArtworkState(Art(i)) for i in ("a", "bad", "c", "d")], Resolved())
    Flow(runner, nodes).run()
    assert {i: m["text"] for (_, i), m in runner.stored.items()} == {"a": "A", "c": "C", "d": "D"}
    assert runner.failed == {"bad": "cannot shout 'bad'"}
    assert runner.executor.worker.calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"], ["d"]]
    assert runner.report.model_calls == {"shout": 3} and runner.report.models_loaded == ["upper@1"]
    assert runner.executor.worker.backend.closed
    assert [n.status for n in nodes] == ["done", "closed", "done", "done"]


def test_model_batches_keep_gallery_order_and_start_while_upstream_still_runs():
    """Upstream work ends in reverse order (d first). The model's batches are still [a, b] and [c, d], as
    planned, so the bytes never depend on timing; and [c, d] goes as soon as c and d are ready, before a's
    upstream work has ended."""
    shout_stage = Shout()
    shout_stage.needs = ("pause",)
    runner = Runner(jobs=4, batch=2, stages=[Pause(), shout_stage])
    states = [ArtworkState(Art(i)) for i in "abcd"]
    Flow(runner, nodes_of(Pause(), states) + nodes_of(shout_stage, states, Resolved())).run()
    assert runner.failed == {}
    assert runner.executor.worker.calls == [["c", "d"], ["a", "b"]]
    first_call = runner.stored[("shout", "c")]["at"]
    assert first_call < runner.stored[("pause", "a")]["at"]
    assert runner.report.model_calls == {"shout": 2}


class Models(ThreadExecutor):
    """Hands out a fresh stand-in per model and records which are loaded at once."""

    def __init__(self, jobs):
        super().__init__(jobs)
        self.loaded, self.most, self.order = set(), 0, []

    def model_worker(self, spec):
        executor = self

        class Counted(Worker):
            def close(self):
                executor.loaded.discard(spec.identity)

        self.loaded.add(spec.identity)
        self.most = max(self.most, len(self.loaded))
        self.order.append(spec.identity)
        return Counted()


class SpecOf:
    def __init__(self, identity):
        self.identity = identity


class ResolvedAs:
    is_model = True

    def __init__(self, identity):
        self.identity = identity


def two_model_flow(executor):
    """Stage `first` (model A) feeds `second` (model B), one artwork a batch. Artwork "a" has no `first` work
    (as if cached), so B's batch [a] is ready at once; its batch [b] needs A's result."""
    first, second = Shout(), Shout()
    first.name, second.name, second.needs = "first", "second", ("first",)
    runner = Runner(jobs=2, batch=1, stages=[first, second])
    runner.executor = executor
    runner.report.model_calls = {"shout": 0}
    runner.model_spec = lambda node: SpecOf(node.resolved.identity)
    a, b = ArtworkState(Art("a")), ArtworkState(Art("b"))
    nodes = [Node(b, first, (1, 0), key="k", resolved=ResolvedAs("A")),
             Node(a, second, (0, 1), key="k", resolved=ResolvedAs("B")),
             Node(b, second, (1, 1), key="k", resolved=ResolvedAs("B"))]
    Flow(runner, nodes).run()
    return runner


def test_models_in_this_process_are_resident_one_at_a_time_in_plan_order():
    """B's first batch is ready before A has run at all; still A loads first, finishes and is released
    before B loads, and nothing waits forever."""
    runner = two_model_flow(Models(2))
    assert runner.failed == {}
    assert {key for key in runner.stored} == {("first", "b"), ("second", "a"), ("second", "b")}
    assert runner.executor.order == ["A", "B"] and runner.executor.most == 1
    assert runner.executor.loaded == set()


def test_on_a_cluster_model_actors_may_be_up_together():
    """An executor whose models live elsewhere (Ray places actors by their GPU requests) is not held back."""
    executor = Models(2)
    executor.models_in_process = False
    runner = two_model_flow(executor)
    assert runner.failed == {} and len(runner.stored) == 3
    assert executor.order == ["B", "A"] and executor.most == 2

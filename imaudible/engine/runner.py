"""The runner: plans every artwork's stages, then runs them as a dataflow (`schedule.Flow`), so stages stream.

Planning, before anything is computed, for every stage (in plan order) and artwork:
1. a curator's given value instead, if the stage declares one (status "skipped");
2. the model (`ModelChoice`: the configured one, or the built-in where an `auto` model is missing: decided
   here for all artworks at once, which needs their upstream keys only, not their results);
3. the key from the upstream keys, the stage's settings and source, and the model's identity
   (`stage_key_for`, the only place keys are made, so every key follows the same rule);
4. what the cache holds under it.
Then each (artwork, stage) is settled or computed as soon as its upstream stages are done for that artwork:
model stages in planned batches on one model worker per model identity (each model loaded once), CPU stages
one by one on the executor's workers. What comes back is stored (only the driver writes the cache) and read
back as the typed view.

A failure fails that artwork only (a failed model batch is retried item by item to find the culprit); its
later stages are not run. The runner knows no stage by name.

A cached result is verified, not trusted (see cache.py): one found damaged when looked up is a miss; one
found damaged when its bytes are read (a stage's input, a file copied into the site) is repaired: its
stage is run again for that artwork, then whatever read it.
"""
from __future__ import annotations

import traceback

from ..types import CacheWriteFailed, DamagedResult, NotHeld, first_line
from .cache import Cache, stage_key
from . import held, last_build
from .executors import Executor, ModelSpec
from .model_choice import ModelChoice
from .report import ArtworkState, BuildReport, StageRecord
from .schedule import Flow, Node


def one_line(exc: BaseException) -> str:
    text = first_line(exc)
    known = exc.__class__.__module__.startswith("imaudible")
    return text if known else f"{type(exc).__name__}: {text}"


def stage_key_for(stage, gallery, state: ArtworkState, resolved) -> str:
    """The key of `stage`'s result for one artwork: upstream keys + own settings (+ source) + model identity."""
    upstream = {name: state.keys[name] for name in stage.key_needs(bool(resolved is not None and resolved.is_model))}
    model = resolved.identity if resolved is not None else None
    return stage_key(stage.name, stage.version, upstream, stage.source(gallery, state.art),
                     stage.settings(gallery, state.art, resolved), model)


def _put(cache: Cache, node: Node, result, replace: bool):
    """`cache.put`, with what the disk refuses raised as CacheWriteFailed: the build stops there."""
    try:
        return cache.put(node.stage.name, node.key, result.meta, result.files, replace=replace)
    except OSError as exc:
        raise CacheWriteFailed(f"cannot write the cache: '{exc.filename or cache.root}': {exc.strerror or exc}; "
                               "the site was left as it was") from None


def results_used(states) -> set[tuple[str, str]]:
    """(stage, key) of every result the artworks' views came from."""
    return {(e.stage, e.key) for s in states for e in s.entries.values()}


class Runner:
    def __init__(self, gallery, cache: Cache, executor: Executor, report: BuildReport, *, forced: set[str],
                 progress, verbose: bool = False):
        self.gallery, self.cache, self.executor, self.report = gallery, cache, executor, report
        self.forced, self.progress, self.verbose = forced, progress, verbose
        self.models = ModelChoice(gallery, cache, forced, self.warn)
        self._keys, self._stages = {}, {}      # memo of keys; name -> stage
        self._places: dict[str, int] = {}          # stage or artwork -> its place in the plan or gallery
        self._specs, self._needers = {}, {}   # (stage, model identity) -> ModelSpec; stage -> the stages needing it
        self._planned: dict[tuple[str, str], Node] = {}   # (artwork, stage) -> its node, while planning
        self.said: list[tuple[str, str]] = []      # (message, hint) as shown, for a replay (engine/stamp.py)

    def warn(self, message: str, hint: str = "") -> None:
        """One line per problem (shown even with --quiet); the hint, what to do next, once."""
        if message not in self.report.warnings:
            self.report.warnings.append(message)
            self.said.append((message, hint))
            self.progress.warn(message, hint)

    def run(self, plan, states: list[ArtworkState]) -> None:
        self.report.model_calls = {stage.model: 0 for stage in plan if stage.model}
        self._stages = {stage.name: stage for stage in plan}
        self._needers = {s.name: [o.name for o in plan if s.name in o.needs] for s in plan}
        self._places = {**{s.name: i for i, s in enumerate(plan)}, **{s.id: i for i, s in enumerate(states)}}
        self.models.check_early(plan, [s.art for s in states])   # a named model missing: before anything runs
        self.models.start_recording()
        nodes = [node for stage in plan for node in self.plan(stage, states)]
        self.ran = last_build.say_what_changed(nodes, self.cache.root, self.warn)   # recorded once it finishes
        Flow(self, nodes).run()

    def repair(self, state: ArtworkState, exc: DamagedResult) -> None:
        """A result of this artwork was found damaged when its bytes were read: compute it again."""
        fresh = self.forget(state, exc)
        if fresh is not None:
            Flow(self, [fresh]).run()

    # --- planning -----------------------------------------------------------------------------------------
    def _key(self, stage, state: ArtworkState, resolved) -> str:
        memo = (stage.name, state.id, resolved.identity if resolved is not None else None)
        if memo not in self._keys:
            self._keys[memo] = stage_key_for(stage, self.gallery, state, resolved)
        return self._keys[memo]

    def plan(self, stage, states: list[ArtworkState]) -> list[Node]:
        """One node per artwork: its given value, or its model, key and what the cache holds. Keys enter
        `state.keys` now (later stages' keys are made from them); results and views when the node is done."""
        nodes, needing = [], []
        for state in states:
            node = Node(state, stage, (self._places.get(state.id, 0), self._places.get(stage.name, 0)))
            nodes.append(node)
            try:
                node.given = stage.given(state.art)
                if node.given is None:
                    needing.append(node)
                else:
                    state.keys[stage.name] = stage_key(stage.name, stage.version, "given", node.given)
            except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
                node.error = exc
        chosen = self.models.assign(stage, [n.state for n in needing], self._key) if needing else {}
        for node in needing:
            node.resolved = chosen[node.id]
            try:
                node.key = node.state.keys[stage.name] = self._key(stage, node.state, node.resolved)
            except Exception as exc:  # noqa: BLE001
                node.error = exc
                continue
            if node.id not in self.forced:
                node.entry = self.cache.get(stage.name, node.key, on_damage=self._damage_warning(node))
            if node.entry is None:
                held.compute_again_for(node, self._planned)
        self._planned.update(((n.id, stage.name), n) for n in nodes)
        return nodes

    def _damage_warning(self, node: Node):
        return lambda why: self.warn(f"{node.id}: cached {node.stage.name} result is damaged ({why}); recomputing it")

    # --- what the flow asks -------------------------------------------------------------------------------
    def needers(self, stage) -> list[str]:
        return self._needers.get(stage.name, [])   # names of the planned stages that need it

    def batch_size(self, node: Node) -> int:
        return node.stage.batch_size(self.gallery, node.resolved)

    def model_spec(self, node: Node) -> ModelSpec | None:
        """What loads the node's model (a real one on its lane, a built-in one in each worker); None if none."""
        resolved, stage = node.resolved, node.stage
        if resolved is None:
            return None
        memo = (stage.name, resolved.identity)
        if memo not in self._specs:
            options = stage.model_options(self.gallery) if resolved.is_model else {}
            self._specs[memo] = ModelSpec(stage.model, resolved, stage.model_settings(self.gallery), options)
        return self._specs[memo]

    def settle(self, node: Node) -> str:
        """A ready node from what planning found: "done" (given, cached), "failed", or "compute"."""
        stage, state = node.stage, node.state
        try:
            if node.error is not None:
                raise node.error
            if node.given is not None:
                state.views[stage.name] = stage.read_given(node.given)
                state.records[stage.name] = StageRecord("skipped")
                return "done"
        except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
            self.fail(node, exc)
            return "failed"
        entry, node.entry = node.entry, None
        if entry is not None:
            try:
                self._accept(node, entry, StageRecord("cached"))
                return "done"
            except Exception as exc:  # noqa: BLE001 - an unreadable result is a miss
                self._damage_warning(node)(one_line(exc))
                self.cache.discard(stage.name, node.key)
        return "compute"

    def inputs(self, node: Node):
        return node.stage.inputs(self.gallery, node.state.art, node.state.views, node.resolved)

    def store(self, node: Node, result, seconds: float, where: str | None = None) -> None:
        stored, holds = held.split(node.stage, node.key, result)
        entry = held.holding(_put(self.cache, node, stored, replace=node.id in self.forced), holds)
        self._accept(node, entry, StageRecord("computed", seconds, node=where))

    def fail(self, node: Node, exc: BaseException) -> None:
        node.state.fail(node.stage.name, one_line(exc))
        if self.verbose:
            self.progress.log("".join(traceback.format_exception(exc)))

    def forget(self, state: ArtworkState, exc: DamagedResult) -> Node | None:
        """Drop a damaged result (a `NotHeld` one is not): the node that computes it again, or None (failed)."""
        if not isinstance(exc, NotHeld):
            self.warn(f"{state.id}: cached {exc.stage} result is damaged ({exc.why}); recomputing it")
            self.cache.discard(exc.stage, exc.key)
        for table in (state.entries, state.views, state.records):
            table.pop(exc.stage, None)
        stage = self._stages.get(exc.stage)
        if stage is None:
            return state.fail(exc.stage, one_line(exc))
        fresh, = self.plan(stage, [state])
        fresh.entry = None     # computed even where the cache holds it (a NotHeld result stays stored)
        return fresh

    def _accept(self, node: Node, entry, record: StageRecord) -> None:
        stage, state = node.stage, node.state
        view = stage.read(entry)
        record.details = stage.details(view)
        state.keys[stage.name], state.entries[stage.name], state.views[stage.name] = node.key, entry, view
        state.records[stage.name] = record

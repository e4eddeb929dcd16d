"""The runner: takes the plan's stages in order and, for each, decides per artwork what to run.

For every stage and artwork it
1. takes a curator's given value instead, if the stage declares one (status "skipped");
2. chooses the model (`ModelChoice`: the configured one, or the built-in where an `auto` model is missing);
3. builds the key from the upstream keys, the stage's settings and source, and the model's identity
   (`stage_key_for`, the only place keys are made, so every key follows the same rule);
4. serves the result from the cache, or hands the input to the executor: model stages in batches on one
   model worker per model identity (each model loaded once), CPU stages one by one on the executor's workers;
5. stores what comes back (only the driver writes the cache), reads the typed view, records the outcome.

A failure fails that artwork only (a failed model batch is retried item by item to find the culprit); its
later stages are not run. The runner knows no stage by name.

A cached result is verified, not trusted (see cache.py): one found damaged when looked up is a miss; one
found damaged when its bytes are read (a stage's input, a file copied into the site) is repaired: its
stage is run again for that artwork, then whatever read it.
"""
from __future__ import annotations

import time
import traceback

from .batches import Batches
from ..types import DamagedResult
from .cache import Cache, stage_key
from .executors import Executor, ModelSpec
from .model_choice import ModelChoice
from .report import ArtworkState, BuildReport, StageRecord


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    known = exc.__class__.__module__.startswith("imaudible")
    return text if known else f"{type(exc).__name__}: {text}"


def stage_key_for(stage, gallery, state: ArtworkState, resolved) -> str:
    """The key of `stage`'s result for one artwork: upstream keys + own settings (+ source) + model identity."""
    upstream = {name: state.keys[name] for name in stage.key_needs(bool(resolved is not None and resolved.is_model))}
    model = resolved.identity if resolved is not None else None
    return stage_key(stage.name, stage.version, upstream, stage.source(gallery, state.art),
                     stage.settings(gallery, state.art, resolved), model)


class Runner:
    def __init__(self, gallery, cache: Cache, executor: Executor, report: BuildReport, *, forced: set[str],
                 progress, verbose: bool = False):
        self.gallery, self.cache, self.executor, self.report = gallery, cache, executor, report
        self.forced, self.progress, self.verbose = forced, progress, verbose
        self.models = ModelChoice(gallery, cache, forced, self.warn)
        self.batches = Batches(executor, report, progress, inputs=lambda stage, state: stage.inputs(
            gallery, state.art, state.views), store=self._store, failed=self._failed)
        self._keys: dict[tuple, str] = {}
        self._stages: dict[str, object] = {}
        self._damaged: list[tuple] = []   # (stage, state, key, DamagedResult) met while reading inputs
        self._repairing: set[tuple[str, str]] = set()

    def warn(self, message: str, hint: str = "") -> None:
        """One line per problem (shown even with --quiet); the hint, what to do next, once."""
        if message not in self.report.warnings:
            self.report.warnings.append(message)
            self.progress.warn(message, hint)

    def check_early(self, plan, states: list[ArtworkState]) -> None:
        """What can fail before any stage runs (a named model that is missing); writes nothing."""
        self.models.check_early(plan, [s.art for s in states])

    def run(self, plan, states: list[ArtworkState]) -> None:
        self.report.model_calls = {stage.model: 0 for stage in plan if stage.model}
        self._stages = {stage.name: stage for stage in plan}
        self.check_early(plan, states)
        self.models.start_recording()
        for stage in plan:
            started = time.monotonic()
            self._run_stage(stage, states)
            self.report.stage_wall[stage.name] = time.monotonic() - started

    def repair(self, state: ArtworkState, exc: DamagedResult) -> None:
        """A result of this artwork was found damaged when its bytes were read: compute it again."""
        self.warn(f"{state.id}: cached {exc.stage} result is damaged ({exc.why}); recomputing it")
        self.cache.discard(exc.stage, exc.key)
        for table in (state.entries, state.views, state.records):
            table.pop(exc.stage, None)
        stage = self._stages.get(exc.stage)
        if stage is None:
            state.fail(exc.stage, one_line(exc))
            return
        self._run_stage(stage, [state])

    def used(self, states) -> set[tuple[str, str]]:
        return {(e.stage, e.key) for s in states for e in s.entries.values()}

    # --- one stage --------------------------------------------------------------------------------------
    def _key(self, stage, state: ArtworkState, resolved) -> str:
        memo = (stage.name, state.id, resolved.identity if resolved is not None else None)
        if memo not in self._keys:
            self._keys[memo] = stage_key_for(stage, self.gallery, state, resolved)
        return self._keys[memo]

    def _run_stage(self, stage, states: list[ArtworkState]) -> None:
        needing = []
        for state in (s for s in states if not s.error):
            try:
                value = stage.given(state.art)
                if value is None:
                    needing.append(state)
                    continue
                state.views[stage.name] = stage.read_given(value)
            except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
                self._failed(stage, state, exc)
                continue
            state.keys[stage.name] = stage_key(stage.name, stage.version, "given", value)
            state.records[stage.name] = StageRecord("skipped")
        if not needing:
            return
        chosen = self.models.assign(stage, needing, self._key)
        groups: dict[str | None, list] = {}
        for state, key in self._lookup(stage, needing, chosen):
            resolved = chosen[state.id]
            groups.setdefault(resolved.identity if resolved is not None else None, []).append((state, key))
        for items in groups.values():
            resolved = chosen[items[0][0].id]
            if resolved is None:
                self.batches.on_workers(stage, items, None)
                continue
            options = stage.model_options(self.gallery) if resolved.is_model else {}
            spec = ModelSpec(stage.model, resolved, stage.model_settings(self.gallery), options)
            if resolved.is_model:
                self.batches.on_model(stage, items, spec, stage.batch_size(self.gallery, resolved))
            else:  # a built-in model is CPU work: spread over the workers, each loads it once
                self.batches.on_workers(stage, items, spec)
        damaged, self._damaged = [d for d in self._damaged if d[0] is stage], [d for d in self._damaged if d[0] is not stage]
        for _, state, _, exc in damaged:  # an input was damaged: recompute it, then this stage, once
            self.repair(state, exc)
            if not state.error:
                self._run_stage(stage, [state])

    def _lookup(self, stage, states, chosen) -> list[tuple[ArtworkState, str]]:
        """Serve what the cache holds; return the misses as (state, key)."""
        todo = []
        for state in states:
            try:
                key = self._key(stage, state, chosen[state.id])
            except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
                self._failed(stage, state, exc)
                continue
            damaged = lambda why, state=state: self.warn(  # noqa: E731
                f"{state.id}: cached {stage.name} result is damaged ({why}); recomputing it")
            entry = None if state.id in self.forced else self.cache.get(stage.name, key, on_damage=damaged)
            if entry is not None:
                try:
                    self._accept(stage, state, key, entry, StageRecord("cached"))
                    continue
                except Exception as exc:  # noqa: BLE001 - an unreadable result is a miss
                    damaged(one_line(exc))
                    self.cache.discard(stage.name, key)
            todo.append((state, key))
        return todo

    def _accept(self, stage, state: ArtworkState, key: str, entry, record: StageRecord) -> None:
        view = stage.read(entry)
        record.details = stage.details(view)
        state.keys[stage.name], state.entries[stage.name], state.views[stage.name] = key, entry, view
        state.records[stage.name] = record

    def _store(self, stage, state: ArtworkState, key: str, result, seconds: float, node: str | None = None) -> None:
        entry = self.cache.put(stage.name, key, result.meta, result.files, replace=state.id in self.forced)
        self._accept(stage, state, key, entry, StageRecord("computed", seconds, node=node))

    def _failed(self, stage, state: ArtworkState, exc: BaseException) -> None:
        if isinstance(exc, DamagedResult) and (stage.name, state.id) not in self._repairing:
            self._repairing.add((stage.name, state.id))  # once: a second damage fails the artwork
            self._damaged.append((stage, state, None, exc))  # repaired once the stage's batches are done
            return
        state.fail(stage.name, one_line(exc))
        if self.verbose:
            self.progress.log("".join(traceback.format_exception(exc)))

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
"""
from __future__ import annotations

import traceback

from .batches import Batches
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

    def warn(self, message: str) -> None:
        if message not in self.report.warnings:
            self.report.warnings.append(message)
            self.progress.log(f"WARNING: {message}")

    def run(self, plan, states: list[ArtworkState]) -> None:
        self.report.model_calls = {stage.model: 0 for stage in plan if stage.model}
        self.models.check_early(plan, [s.art for s in states])
        for stage in plan:
            self._run_stage(stage, states)

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
            value = stage.given(state.art)
            if value is None:
                needing.append(state)
                continue
            state.keys[stage.name] = stage_key(stage.name, stage.version, "given", value)
            state.views[stage.name] = stage.read_given(value)
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
            spec = None
            if resolved is not None:
                options = stage.model_options(self.gallery) if resolved.is_model else {}
                spec = ModelSpec(stage.model, resolved, stage.model_settings(self.gallery), options)
            if resolved is not None and resolved.is_model:
                self.batches.on_model(stage, items, spec, stage.batch_size(self.gallery, resolved))
            else:
                self.batches.on_workers(stage, items, spec)

    def _lookup(self, stage, states, chosen) -> list[tuple[ArtworkState, str]]:
        """Serve what the cache holds; return the misses as (state, key)."""
        todo = []
        for state in states:
            try:
                key = self._key(stage, state, chosen[state.id])
            except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
                self._failed(stage, state, exc)
                continue
            entry = None if state.id in self.forced else self.cache.get(stage.name, key)
            if entry is not None:
                try:
                    self._accept(stage, state, key, entry, StageRecord("cached"))
                    continue
                except Exception:  # noqa: BLE001 - an unreadable result is a miss
                    pass
            todo.append((state, key))
        return todo

    def _accept(self, stage, state: ArtworkState, key: str, entry, record: StageRecord) -> None:
        view = stage.read(entry)
        record.details = stage.details(view)
        state.keys[stage.name], state.entries[stage.name], state.views[stage.name] = key, entry, view
        state.records[stage.name] = record

    def _store(self, stage, state: ArtworkState, key: str, result, seconds: float) -> None:
        entry = self.cache.put(stage.name, key, result.meta, result.files, replace=state.id in self.forced)
        self._accept(stage, state, key, entry, StageRecord("computed", seconds))

    def _failed(self, stage, state: ArtworkState, exc: BaseException) -> None:
        state.fail(stage.name, one_line(exc))
        if self.verbose:
            self.progress.log("".join(traceback.format_exception(exc)))

"""Which model each artwork's result of a model stage comes from.

The manifest names one model per kind (`caption.model`, `music.model`). It is resolved once per build.
When it is `auto` and its weights are missing, the artworks whose results are not cached under it fall back
to the built-in (describer or composer), with a one-line warning (kept by -q): their results are drafts. A model named
explicitly that is missing is an error, before anything is computed when it was never seen here.
"""
from __future__ import annotations

from typing import Callable

from ..models import builtin_model, recorded_key, resolve_model
from ..summary import draft_hint, draft_warning


class ModelChoice:
    def __init__(self, gallery, cache, forced: set[str], warn: Callable[[str, str], None]):
        self.gallery, self.cache, self.forced, self.warn = gallery, cache, forced, warn
        self._resolved: dict = {}
        self._recording = False

    def resolve(self, stage):
        """The configured model of the stage's kind, resolved once per build (its revision recorded once
        recording started)."""
        kind = stage.model
        if kind not in self._resolved:
            resolved = resolve_model(kind, stage.model_settings(self.gallery), gallery_root=self.gallery.root,
                                     recorded=self.cache.recorded_revisions())
            if resolved.is_model and resolved.available and self._recording:
                self.cache.record_revision(recorded_key(resolved.model_id, self.gallery.root), resolved.revision)
            self._resolved[kind] = resolved
        return self._resolved[kind]

    def start_recording(self) -> None:
        """From now on (the build holds the cache lock) remember the revision of every model resolved; before,
        resolving writes nothing, so a check that fails early leaves the cache untouched."""
        self._recording = True
        for resolved in self._resolved.values():
            if resolved.is_model and resolved.available:
                self.cache.record_revision(recorded_key(resolved.model_id, self.gallery.root), resolved.revision)

    def check_early(self, plan, artworks) -> None:
        """An explicitly named model that is missing, and was never seen here, cannot be served from cache."""
        for stage in plan:
            if stage.model is None or all(stage.given(art) is not None for art in artworks):
                continue
            resolved = self.resolve(stage)
            if resolved.is_model and not resolved.available and not resolved.revision \
                    and resolved.requested != "auto":
                raise resolved.missing_error()
            if resolved.is_model and resolved.available:
                stage.check_model_options(self.gallery, artworks, resolved)

    def assign(self, stage, states, key_of: Callable) -> dict:
        """artwork id -> the ResolvedModel its result comes from (None for a stage without a model)."""
        if stage.model is None:
            return {s.id: None for s in states}
        resolved = self.resolve(stage)
        chosen = {s.id: resolved for s in states}
        if not resolved.is_model or resolved.available:
            return chosen
        missing = []
        for state in states:
            try:
                key = key_of(stage, state, resolved)
            except Exception:  # noqa: BLE001 - reported when the stage computes its keys
                continue
            if state.id in self.forced or self.cache.get(stage.name, key) is None:
                missing.append(state)
        if not missing:
            return chosen
        if resolved.requested != "auto":
            raise resolved.missing_error()
        fallback = builtin_model(stage.model)
        self.warn(draft_warning(resolved, len(missing)), draft_hint(resolved))
        for state in missing:
            chosen[state.id] = fallback
        return chosen

"""The orchestrator: runs every artwork through the stages, serving what it can from the cache.

For each stage it computes every artwork's key, takes hits from the cache, and hands the misses to the
stage: CPU stages item by item on `jobs` threads, model stages in batches (so a GPU can batch them).
A model is loaded only when some artwork actually needs it.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .cache import CACHE_DIR_NAME, Cache, Entry, stage_key
from .progress import Progress
from .settings import MUSIC_OVERRIDABLE, Artwork, Gallery

STAGES = ("ingest", "mood", "caption", "music", "audio")


@dataclass
class StageRecord:
    status: str  # computed | cached | skipped | failed
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict:
        out = {"status": self.status, "seconds": round(self.seconds, 4)}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class ArtworkRun:
    """Everything the stages learn about one artwork during a build."""
    art: Artwork
    source_sha: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)
    records: dict[str, StageRecord] = field(default_factory=dict)
    mood: object = None
    caption: str = ""
    caption_model: str = ""
    caption_draft: bool = False
    prompt: str = ""
    music_resolved: object = None
    caption_resolved: object = None
    error: str | None = None
    failed_stage: str | None = None

    @property
    def id(self) -> str:
        return self.art.id

    def fail(self, stage: str, message: str) -> None:
        self.error, self.failed_stage = message, stage
        self.records[stage] = StageRecord("failed", error=message)


@dataclass
class BuildReport:
    gallery: str
    out: str
    runs: list[ArtworkRun]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    model_calls: dict[str, int] = field(default_factory=lambda: {"caption": 0, "music": 0})
    models_loaded: list[str] = field(default_factory=list)
    pages_written: int = 0
    files_removed: int = 0

    @property
    def failures(self) -> list[ArtworkRun]:
        return [r for r in self.runs if r.error]

    def to_dict(self) -> dict:
        by_stage = {s: {"computed": 0, "cached": 0, "skipped": 0, "failed": 0, "seconds": 0.0} for s in STAGES}
        for run in self.runs:
            for stage, rec in run.records.items():
                by_stage[stage][rec.status] += 1
                by_stage[stage]["seconds"] = round(by_stage[stage]["seconds"] + rec.seconds, 4)
        totals = {k: sum(v[k] for v in by_stage.values()) for k in ("computed", "cached", "skipped", "failed")}
        return {
            "generator": f"imaudible {__version__}",
            "gallery": self.gallery,
            "out": self.out,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "model_calls": self.model_calls,
            "models_loaded": self.models_loaded,
            "pages_written": self.pages_written,
            "files_removed": self.files_removed,
            "artworks": {
                r.id: {
                    "stages": {s: r.records[s].to_dict() for s in STAGES if s in r.records},
                    "caption_model": r.caption_model or None,
                    "music_model": r.entries["music"].meta.get("model") if "music" in r.entries else None,
                    "error": r.error,
                }
                for r in self.runs
            },
            "totals": {**totals, "artworks": len(self.runs), "failed_artworks": len(self.failures),
                       "by_stage": by_stage},
            "failed": [{"id": r.id, "stage": r.failed_stage, "error": r.error} for r in self.failures],
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    known = exc.__class__.__module__.startswith("imaudible")
    return text if known else f"{type(exc).__name__}: {text}"


def _label(resolved, name: str) -> str:
    """How a model is named on the site and in reports: a local directory as the manifest wrote it, so
    that no absolute path of the curator's machine is published."""
    if resolved.is_model and Path(resolved.model_id).is_absolute():
        return resolved.requested
    return name


class Builder:
    def __init__(self, gallery: Gallery, out: Path, *, force: bool | Iterable[str] = False, jobs: int = 2,
                 progress: Progress | None = None, verbose: bool = False):
        self.gallery = gallery
        self.out = Path(out)
        self.cache = Cache(gallery.root / CACHE_DIR_NAME)
        self.jobs = max(1, jobs)
        self.progress = progress or Progress(quiet=True)
        self.verbose = verbose
        if force is True:
            self.forced = {a.id for a in gallery.artworks}
        else:
            self.forced = set(force or ())
        self.report = BuildReport(str(gallery.root), str(self.out), [])
        self._resolved: dict = {}

    # --- public -----------------------------------------------------------------------------------
    def build(self) -> BuildReport:
        from . import site

        started = time.monotonic()
        runs = [ArtworkRun(art) for art in self.gallery.artworks]
        self.report.runs = runs
        with self.cache.lock(on_wait=lambda: self.progress.log("waiting for another build of this gallery to finish...")):
            self._check_models_early()
            self._ingest(runs)
            self._mood(runs)
            self._caption(runs)
            self._prompt(runs)
            self._music(runs)
            self._audio(runs)
            written, removed = site.render_site(self.gallery, [r for r in runs if not r.error], self.out)
            self.cache.record_in_use({(e.stage, e.key) for r in runs for e in r.entries.values()})
        self.report.pages_written, self.report.files_removed = written, removed
        self.report.seconds = time.monotonic() - started
        return self.report

    # --- generic stage machinery ------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        if message not in self.report.warnings:
            self.report.warnings.append(message)
            self.progress.log(f"WARNING: {message}")

    def _lookup(self, stage: str, runs: list[ArtworkRun], key_of: Callable[[ArtworkRun], str]):
        """Split live runs into cache hits (recorded) and misses [(run, key)]."""
        todo = []
        for run in runs:
            if run.error:
                continue
            try:
                key = key_of(run)
            except Exception as exc:  # noqa: BLE001 - a bad artwork must not stop the others
                run.fail(stage, _one_line(exc))
                continue
            entry = None if run.id in self.forced else self.cache.get(stage, key)
            if entry is not None:
                run.entries[stage] = entry
                run.records[stage] = StageRecord("cached")
            else:
                todo.append((run, key))
        return todo

    def _store(self, stage: str, run: ArtworkRun, key: str, result, seconds: float) -> None:
        meta, files = result
        run.entries[stage] = self.cache.put(stage, key, meta, files, replace=run.id in self.forced)
        run.records[stage] = StageRecord("computed", seconds)

    def _run_each(self, stage: str, todo, compute: Callable[[ArtworkRun], tuple[dict, dict]]) -> None:
        """CPU stage: each artwork on its own, `jobs` at a time."""
        self.progress.start(stage, len(todo))

        def one(item):
            run, key = item
            t0 = time.monotonic()
            try:
                self._store(stage, run, key, compute(run), time.monotonic() - t0)
            except Exception as exc:  # noqa: BLE001
                self._failed(stage, run, exc)
            self.progress.advance(1, run.id)

        if self.jobs == 1 or len(todo) <= 1:
            for item in todo:
                one(item)
        else:
            with ThreadPoolExecutor(self.jobs) as pool:
                list(pool.map(one, todo))
        self.progress.finish()

    def _run_batched(self, stage: str, todo, batch_size: int, compute: Callable[[list[ArtworkRun]], list]) -> None:
        """Model stage: artworks in batches; a failing batch is retried item by item to isolate the culprit."""
        self.progress.start(stage, len(todo))
        for i in range(0, len(todo), batch_size):
            chunk = todo[i:i + batch_size]
            t0 = time.monotonic()
            try:
                results = compute([run for run, _ in chunk])
                each = (time.monotonic() - t0) / len(chunk)
                for (run, key), result in zip(chunk, results):
                    self._store(stage, run, key, result, each)
            except Exception as exc:  # noqa: BLE001
                if len(chunk) == 1:
                    self._failed(stage, chunk[0][0], exc)
                else:
                    for run, key in chunk:
                        t1 = time.monotonic()
                        try:
                            self._store(stage, run, key, compute([run])[0], time.monotonic() - t1)
                        except Exception as inner:  # noqa: BLE001
                            self._failed(stage, run, inner)
            self.progress.advance(len(chunk), ", ".join(run.id for run, _ in chunk))
        self.progress.finish()

    def _run_models(self, kind: str, todo, make: Callable, run_group: Callable) -> None:
        """Run the misses of a model stage, grouped by the model each uses; each model is loaded once, only
        when some artwork needs it, and released afterwards."""
        groups: dict[str, list] = {}
        for item in todo:
            groups.setdefault(getattr(item[0], f"{kind}_resolved").identity, []).append(item)
        for items in groups.values():
            resolved = getattr(items[0][0], f"{kind}_resolved")
            model = make(resolved)
            if resolved.is_model:
                self.report.models_loaded.append(resolved.identity)
            try:
                run_group(items, resolved, model)
            finally:
                if hasattr(model, "close"):
                    model.close()

    def _failed(self, stage: str, run: ArtworkRun, exc: BaseException) -> None:
        run.fail(stage, _one_line(exc))
        if self.verbose:
            self.progress.log("".join(traceback.format_exception(exc)))

    # --- models -----------------------------------------------------------------------------------
    def _resolve(self, kind: str):
        """The configured model of a kind, resolved once per build."""
        if kind not in self._resolved:
            self._resolved[kind] = self._resolve_now(kind)
        return self._resolved[kind]

    def _resolve_now(self, kind: str):
        from . import models

        recorded = self.cache.recorded_revisions()
        if kind == "caption":
            resolved = models.resolve_caption_model(self.gallery.caption, gallery_root=self.gallery.root, recorded=recorded)
        else:
            resolved = models.resolve_music_model(self.gallery.music, gallery_root=self.gallery.root, recorded=recorded)
        if resolved.is_model and resolved.available:
            self.cache.record_revision(models.recorded_key(resolved.model_id, self.gallery.root), resolved.revision)
        return resolved

    def _check_models_early(self) -> None:
        """An explicitly named model that is missing, and was never seen here, cannot be served from cache: fail now."""
        from .models import ModelError

        needs_caption = any(a.caption is None for a in self.gallery.artworks)
        for kind, needed in (("caption", needs_caption), ("music", True)):
            resolved = self._resolve(kind)
            if needed and resolved.is_model and not resolved.available and not resolved.revision \
                    and resolved.requested != "auto":
                raise ModelError(resolved.missing_message())

    def _choose_model(self, kind: str, runs: list[ArtworkRun], stage: str, key_with: Callable) -> None:
        """Give each run the model it will use: the configured one, or (auto, weights missing) the built-in."""
        from .models import ModelError, builtin_model

        resolved = self._resolve(kind)
        attr = f"{kind}_resolved"
        for run in runs:
            setattr(run, attr, resolved)
        if not resolved.is_model or resolved.available:
            return
        missing = []
        for run in runs:
            if run.error:
                continue
            try:
                key = key_with(run, resolved)
            except Exception:  # noqa: BLE001 - reported by the stage itself
                continue
            if run.id in self.forced or self.cache.get(stage, key) is None:
                missing.append(run)
        if not missing:
            return
        if resolved.requested != "auto":
            raise ModelError(resolved.missing_message())
        self._warn(f"{resolved.missing_message()} Using the built-in {'describer' if kind == 'caption' else 'composer'} "
                   f"for {len(missing)} artwork(s): their {kind} is a DRAFT, marked as such on the site.")
        fallback = builtin_model(kind)
        for run in missing:
            setattr(run, attr, fallback)

    # --- the stages -------------------------------------------------------------------------------
    def _ingest(self, runs: list[ArtworkRun]) -> None:
        from . import images

        settings = dataclasses.asdict(self.gallery.images)

        def key_of(run: ArtworkRun) -> str:
            path = self.gallery.artwork_path(run.art)
            try:
                run.source_sha = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                raise images.ImageError(f"cannot read '{run.art.file}': {exc.strerror or exc}") from None
            return stage_key("ingest", images.VERSION, run.source_sha, settings)

        def compute(run: ArtworkRun):
            result = images.ingest(self.gallery.artwork_path(run.art), self.gallery.images)
            files, derivatives = {}, []
            for d in result.derivatives:
                name = f"{d.name}.{d.fmt}"
                files[name] = d.data
                derivatives.append({"name": d.name, "fmt": d.fmt, "width": d.width, "height": d.height, "file": name})
            buf = io.BytesIO()
            result.analysis.save(buf, format="PNG", compress_level=1)
            files["analysis.png"] = buf.getvalue()
            meta = {"sha256": result.sha256, "width": result.width, "height": result.height,
                    "derivatives": derivatives, "notes": list(result.notes)}
            return meta, files

        self._run_each("ingest", self._lookup("ingest", runs, key_of), compute)

    def _mood(self, runs: list[ArtworkRun]) -> None:
        from PIL import Image

        from . import mood

        def compute(run: ArtworkRun):
            with Image.open(run.entries["ingest"].file("analysis.png")) as img:
                return mood.estimate_mood(img.convert("RGB")).to_dict(), {}

        todo = self._lookup("mood", runs, lambda r: stage_key("mood", mood.VERSION, r.entries["ingest"].key))
        self._run_each("mood", todo, compute)
        for run in runs:
            if run.error:
                continue
            estimated = mood.Mood.from_dict(run.entries["mood"].meta)
            override = run.art.mood
            if override.valence is not None or override.arousal is not None:
                estimated = estimated.with_override(valence=override.valence, arousal=override.arousal)
            run.mood = estimated

    def _caption_key(self, run: ArtworkRun, resolved) -> str:
        from . import caption

        s = self.gallery.caption
        depends = run.entries["mood"].key if not resolved.is_model else [s.num_beams, s.max_new_tokens]
        return stage_key("caption", caption.VERSION, run.entries["ingest"].key, resolved.identity, depends)

    def _caption(self, runs: list[ArtworkRun]) -> None:
        from PIL import Image

        from . import caption

        needing = [r for r in runs if not r.error and r.art.caption is None]
        for run in runs:
            if not run.error and run.art.caption is not None:
                run.caption, run.caption_model, run.caption_draft = run.art.caption, "curator", False
                run.records["caption"] = StageRecord("skipped")
        if not needing:
            return
        self._choose_model("caption", needing, "caption", self._caption_key)
        todo = self._lookup("caption", needing, lambda r: self._caption_key(r, r.caption_resolved))

        def run_group(items, resolved, captioner):
            def compute(batch: list[ArtworkRun]):
                pictures = []
                for run in batch:
                    with Image.open(run.entries["ingest"].file("analysis.png")) as img:
                        pictures.append(img.convert("RGB"))
                texts = captioner.caption(pictures, [run.mood for run in batch])
                if resolved.is_model:
                    self.report.model_calls["caption"] += 1
                return [({"caption": text, "model": _label(resolved, captioner.name), "revision": captioner.revision,
                          "draft": not captioner.is_model}, {}) for text in texts]

            self._run_batched("caption", items, self.gallery.caption.batch_size if resolved.is_model else 64, compute)

        self._run_models("caption", todo, lambda r: caption.make_captioner(r, self.gallery.caption), run_group)
        for run in needing:
            if not run.error:
                meta = run.entries["caption"].meta
                run.caption, run.caption_model, run.caption_draft = meta["caption"], meta["model"], meta["draft"]

    def _prompt(self, runs: list[ArtworkRun]) -> None:
        from .prompt import compose_prompt

        for run in runs:
            if run.error:
                continue
            try:
                run.prompt = compose_prompt(caption=run.caption, mood=run.mood, style=self.gallery.style,
                                            settings=self.gallery.prompt, override=run.art.prompt)
            except Exception as exc:  # noqa: BLE001
                run.fail("music", _one_line(exc))

    def _music_key(self, run: ArtworkRun, resolved) -> str:
        from . import compose

        s = run.art.music_settings(self.gallery.music)
        generation = {k: getattr(s, k) for k in MUSIC_OVERRIDABLE}  # every per-artwork generation setting
        if resolved.is_model and s.takes > 1:
            generation["ranker"] = self._take_ranker  # the chosen take changes when CLAP weights appear
        mood = run.mood.to_dict() if not resolved.is_model else None  # the built-in composer plays the mood
        return stage_key("music", compose.VERSION, resolved.identity, run.prompt, generation, run.source_sha, mood)

    @functools.cached_property
    def _take_ranker(self) -> str:
        from .models import take_ranker_identity

        return take_ranker_identity()

    def _music(self, runs: list[ArtworkRun]) -> None:
        from . import audio, compose
        from .backends.takes import take_file

        live = [r for r in runs if not r.error]
        if not live:
            return
        self._choose_model("music", live, "music", self._music_key)
        todo = self._lookup("music", live, lambda r: self._music_key(r, r.music_resolved))

        def run_group(items, resolved, composer):
            def compute(batch: list[ArtworkRun]):
                requests = [compose.MusicRequest(prompt=r.prompt, mood=r.mood,
                                                 settings=r.art.music_settings(self.gallery.music),
                                                 content_hash=r.source_sha) for r in batch]
                if hasattr(composer, "generate_takes"):
                    clips, choices, every = composer.generate_takes(requests)
                else:   # model backends run one batch at a time and keep the last batch's takes
                    clips = composer.generate(requests)
                    choices = list(getattr(composer, "choices", None) or [None] * len(clips))
                    every = list(getattr(composer, "takes", None) or [[clip] for clip in clips])
                if resolved.is_model:
                    self.report.model_calls["music"] += 1
                results = []
                for r, clip, choice, takes in zip(batch, clips, choices, every):
                    meta = {"model": _label(resolved, composer.name), "revision": composer.revision,
                            "draft": not composer.is_model, "prompt": r.prompt, "sample_rate": clip.sample_rate,
                            "duration": clip.duration}
                    files = {"clip.bin": audio.clip_to_bytes(clip)}
                    if choice is not None and len(takes) > 1:   # every take is kept, so a curator can pin any
                        meta["takes"] = {**choice.to_dict(), "count": len(takes)}
                        for number, take in enumerate(takes, start=1):
                            if number != choice.chosen + 1:
                                files[take_file(number, choice.chosen)] = audio.clip_to_bytes(take)
                    results.append((meta, files))
                return results

            if resolved.is_model:
                self._run_batched("music", items, self.gallery.music.batch_size, compute)
            else:  # the built-in composer is CPU work: spread it over the workers
                self._run_each("music", items, lambda r: compute([r])[0])

        self._run_models("music", todo, lambda r: compose.make_composer(r, self.gallery.music), run_group)

    def _audio(self, runs: list[ArtworkRun]) -> None:
        from . import audio
        from .backends.takes import take_file

        settings = dataclasses.asdict(self.gallery.audio)

        def compute(run: ArtworkRun):
            clip = audio.clip_from_bytes(run.entries["music"].read(selected_take(run)))
            finished = audio.finish(clip, self.gallery.audio)
            encoded = audio.encode(finished, self.gallery.audio)
            meta = {"duration": round(finished.duration, 3), "formats": sorted(encoded)}
            return meta, {f"audio.{fmt}": data for fmt, data in encoded.items()}

        def selected_take(run: ArtworkRun) -> str:
            """The file of the take the site uses: the pinned one (`music: {take: K}`) if it exists, else the
            ranked choice. Pinning changes this stage's key, never the music's: no take is regenerated."""
            pinned, meta = run.art.music.take, run.entries["music"].meta.get("takes")
            if pinned is None:
                return "clip.bin"
            name = take_file(pinned, meta["chosen"]) if meta else ("clip.bin" if pinned == 1 else "")
            if not name or not run.entries["music"].file(name).is_file():
                self._warn(f"{run.id}: music.take {pinned} does not exist (this artwork has "
                           f"{meta['count'] if meta else 1} take(s)); using the ranked choice")
                return "clip.bin"
            return name

        def key_of(run: ArtworkRun) -> str:
            take = selected_take(run) if run.art.music.take is not None else "clip.bin"
            return stage_key("audio", audio.VERSION, run.entries["music"].key, settings,
                             *([take] if take != "clip.bin" else []))
        self._run_each("audio", self._lookup("audio", runs, key_of), compute)

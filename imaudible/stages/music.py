"""Stage `music`: prompt, mood and the artwork's music settings -> a raw clip, by a music model or the
built-in composer. With several takes, every take is stored (the ranked choice as clip.bin, the others as
takeK.bin) with how the kept one was chosen, so a curator can audition them and pin one (`music: {take: K}`)
without regenerating anything."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import shapes
from ..engine.stage import LoadedModel, Result, Stage, StageWarning
from ..settings import MUSIC_OVERRIDABLE
from ..types import MusicRequest, StoredFile


@dataclass(frozen=True)
class MusicView:
    clip: StoredFile          # raw clip (see audio.clip_to_bytes)
    model: str
    draft: bool
    prompt: str
    duration: float
    takes: dict | None        # TakeChoice.to_dict() + "count" when the artwork had several takes
    take_clips: tuple[StoredFile, ...] = ()   # every take, take 1 first (empty for a single take)
    description: str = ""     # what the built-in composer played ("" from a model: its prompt says it)
    problems: tuple[str, ...] | None = None   # what is wrong with the ranked choice (None: not checked)

    def take_clip(self, number: int | None) -> StoredFile:
        """Take `number` (1-based), or the ranked choice when None or when there is no such take."""
        if number is None or not 1 <= number <= len(self.take_clips):
            return self.clip
        return self.take_clips[number - 1]


def take_file(number: int, chosen: int) -> str:
    """Where a music result stores take `number` (1-based): the ranked choice is clip.bin, the others takeK.bin."""
    return "clip.bin" if number == chosen + 1 else f"take{number}.bin"


def compute(requests: list[MusicRequest], model: LoadedModel) -> list[Result]:
    from .. import audio
    backend = model.backend
    if hasattr(backend, "generate_takes"):      # the built-in composer: stateless, threads may share it
        from ..backends.takes import choose_take

        every = backend.generate_takes(requests)
        choices = [choose_take([c.samples for c in takes], takes[0].sample_rate, request.prompt)
                   if len(takes) > 1 else None for request, takes in zip(requests, every)]
        clips = [takes[choice.chosen if choice else 0] for takes, choice in zip(every, choices)]
    else:                                       # model backends keep the last batch's takes
        clips = backend.generate(requests)
        choices = list(getattr(backend, "choices", None) or [None] * len(clips))
        every = list(getattr(backend, "takes", None) or [[clip] for clip in clips])
    out = []
    for request, clip, choice, takes in zip(requests, clips, choices, every):
        meta = {"model": model.label, "revision": model.revision, "draft": not model.is_model,
                "prompt": request.prompt, "sample_rate": clip.sample_rate, "duration": clip.duration}
        if hasattr(backend, "describe"):    # the built-in composer says what it played (the plaque shows it)
            meta["description"] = backend.describe(request)
        if choice is not None:      # the take checks ran (every model take; the built-in's when several)
            meta["problems"] = list(choice.problems[choice.chosen])
        files = {"clip.bin": audio.clip_to_bytes(clip)}
        if choice is not None and int(request.settings.takes) > 1 and len(takes) > 1:
            meta["takes"] = {**choice.to_dict(), "count": len(takes)}
            for number, take in enumerate(takes, start=1):
                if number != choice.chosen + 1:
                    files[take_file(number, choice.chosen)] = audio.clip_to_bytes(take)
        out.append(Result(meta, files))
    return out


@lru_cache(maxsize=8)
def _ranker_identity(ranker: str, root) -> str:
    from ..models import take_ranker_identity

    return take_ranker_identity(ranker, root)


class Music(Stage):
    name = "music"
    check_result = staticmethod(shapes.music)
    needs = ("ingest", "mood", "prompt")
    model = "music"
    compute = staticmethod(compute)
    preload = ("imaudible.composer", "imaudible.audio", "imaudible.backends.takes")   # scipy.signal, .fft

    @property
    def version(self) -> str:
        from .. import versions

        return versions.MUSIC   # the built-in composer's own version is in its model identity

    def settings(self, gallery, art, model):
        s = art.music_settings(gallery.music)
        generation = {k: getattr(s, k) for k in MUSIC_OVERRIDABLE}  # every per-artwork generation setting
        if model is not None and model.is_model and s.takes > 1:
            # the chosen take changes when CLAP weights appear or change
            generation["ranker"] = _ranker_identity(gallery.music.ranker, gallery.root)
        return generation

    def model_options(self, gallery) -> dict:
        from ..models import resolve_clap_model

        return {"clap": resolve_clap_model(gallery.music.ranker, gallery_root=gallery.root)}

    def check_model_options(self, gallery, artworks, model) -> None:
        from ..models import resolve_clap_model

        if gallery.music.ranker.strip() in ("auto", "none"):
            return
        if any(art.music_settings(gallery.music).takes > 1 for art in artworks):
            clap = resolve_clap_model(gallery.music.ranker, gallery_root=gallery.root)
            if clap is not None and not clap.available:
                raise clap.missing_error()

    def inputs(self, gallery, art, upstream, model) -> MusicRequest:
        return MusicRequest(prompt=upstream["prompt"].text, mood=upstream["mood"],
                            settings=art.music_settings(gallery.music), content_hash=upstream["ingest"].sha256)

    def read(self, entry) -> MusicView:
        meta = entry.meta
        takes = meta.get("takes")
        names = [take_file(n, takes["chosen"]) for n in range(1, int(takes.get("count", 0)) + 1)] if takes else []
        # a result from before every take was kept holds only the ranked choice
        clips = tuple(entry.source(n) for n in names) if names and all(n in (entry.files or {}) for n in names) else ()
        return MusicView(entry.source("clip.bin"), meta["model"], bool(meta["draft"]),
                         meta.get("prompt", ""), float(meta["duration"]), takes, clips, meta.get("description", ""),
                         tuple(meta["problems"]) if "problems" in meta else None)

    def batch_size(self, gallery, model) -> int:
        return gallery.music.batch_size

    def details(self, view: MusicView) -> dict | None:
        return {"takes": view.takes} if view.takes else None

    def warnings(self, gallery, art, view: MusicView) -> list[StageWarning]:
        """Music the site publishes although the take checks found it silent, clipped or stuck in a loop."""
        takes, pinned = view.takes or {}, art.music.take
        count = int(takes.get("count", 1))
        if pinned is not None:
            each = takes.get("problems") or []
            problems = each[pinned - 1] if 1 <= pinned <= len(each) else ()
            said = f"its pinned take {pinned} is"
            remedy = f"listen to it, or pin another (imaudible-site pick {art.id} N)"
        else:
            problems = view.problems or ()
            said = f"all {count} takes of its music are faulty; the one published is" if count > 1 else "its music is"
            remedy = f"listen to it, then make new music (imaudible-site reroll {art.id})" + \
                ("" if count > 1 else " or let the build choose among takes (music: {takes: 3})")
        message = f"{art.file}: {said} {'; '.join(problems)}; {remedy}"
        return [StageWarning(message, "artworks have faulty music")] if problems else []


STAGE = Music()

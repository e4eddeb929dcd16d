"""Stage `music`: prompt, mood and the artwork's music settings -> a raw clip, by a music model or the
built-in composer. With several takes, how the kept take was chosen is stored with it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import shapes
from ..engine.stage import LoadedModel, Result, Stage
from ..settings import MUSIC_OVERRIDABLE
from ..types import MusicRequest, StoredFile


@dataclass(frozen=True)
class MusicView:
    clip: StoredFile          # raw clip (see audio.clip_to_bytes)
    model: str
    draft: bool
    prompt: str
    duration: float
    takes: dict | None        # TakeChoice.to_dict() when the artwork had several takes


def compute(requests: list[MusicRequest], model: LoadedModel) -> list[Result]:
    from .. import audio

    clips = model.backend.generate(requests)
    choices = list(getattr(model.backend, "choices", None) or [])
    out = []
    for i, (request, clip) in enumerate(zip(requests, clips)):
        meta = {"model": model.label, "revision": model.revision, "draft": not model.is_model,
                "prompt": request.prompt, "sample_rate": clip.sample_rate, "duration": clip.duration}
        if len(choices) == len(requests) and int(request.settings.takes) > 1:
            meta["takes"] = choices[i].to_dict()
        out.append(Result(meta, {"clip.bin": audio.clip_to_bytes(clip)}))
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

    @property
    def version(self) -> str:
        from .. import compose

        return compose.VERSION

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

    def inputs(self, gallery, art, upstream) -> MusicRequest:
        return MusicRequest(prompt=upstream["prompt"].text, mood=upstream["mood"],
                            settings=art.music_settings(gallery.music), content_hash=upstream["ingest"].sha256)

    def read(self, entry) -> MusicView:
        meta = entry.meta
        return MusicView(entry.source("clip.bin"), meta["model"], bool(meta["draft"]),
                         meta.get("prompt", ""), float(meta["duration"]), meta.get("takes"))

    def batch_size(self, gallery, model) -> int:
        return gallery.music.batch_size

    def details(self, view: MusicView) -> dict | None:
        return {"takes": view.takes} if view.takes else None


STAGE = Music()

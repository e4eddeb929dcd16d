"""Stage `audio`: the raw clip -> a finished clip (loudness, true peak, fades or loop) encoded for the web."""
from __future__ import annotations

from dataclasses import dataclass

from . import shapes
from ..engine.stage import settings_dict, Result, Stage, per_item
from ..types import StoredFile


@dataclass(frozen=True)
class AudioView:
    key: str
    duration: float
    files: dict[str, StoredFile]    # format -> encoded file


def finish_and_encode(item) -> Result:
    from .. import audio

    raw, settings = item
    finished = audio.finish(audio.clip_from_bytes(raw), settings)
    encoded = audio.encode(finished, settings)
    meta = {"duration": round(finished.duration, 3), "formats": sorted(encoded)}
    return Result(meta, {f"audio.{fmt}": data for fmt, data in encoded.items()})


class Audio(Stage):
    name = "audio"
    check_result = staticmethod(shapes.audio)
    needs = ("music",)
    compute = per_item(finish_and_encode)
    preload = ("imaudible.audio", "scipy.signal", "scipy.ndimage")

    @property
    def version(self) -> str:
        from .. import versions

        return versions.AUDIO

    def settings(self, gallery, art, model):
        settings = settings_dict(gallery.audio)
        if art.music.take is not None:   # a pinned take changes this result, never the music's
            settings["take"] = art.music.take
        return settings

    def inputs(self, gallery, art, upstream):
        return upstream["music"].take_clip(art.music.take).read(), gallery.audio

    def read(self, entry) -> AudioView:
        files = {fmt: entry.source(f"audio.{fmt}") for fmt in entry.meta["formats"]}
        return AudioView(entry.key, float(entry.meta["duration"]), files)


STAGE = Audio()

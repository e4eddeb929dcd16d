"""Stage `audio`: the raw clip -> a finished clip (loudness, true peak, fades or loop) encoded for the web."""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import shapes
from ..engine.stage import settings_dict, Result, Stage, StageWarning, per_item
from ..types import StoredFile


LOUDNESS_TOLERANCE = 1.0   # LU a finished clip may fall short of audio.loudness unsaid


@dataclass(frozen=True)
class AudioView:
    key: str
    duration: float
    files: dict[str, StoredFile]    # format -> encoded file
    loudness: float | None = None   # LUFS of the finished clip (None: silent, or stored before it was recorded)


def finish_and_encode(item) -> Result:
    from .. import audio

    raw, settings = item
    finished, encoded, level = audio.finish_for_web(audio.clip_from_bytes(raw), settings)
    meta = {"duration": round(finished.duration, 3), "formats": sorted(encoded),
            "loudness": round(level, 2) if math.isfinite(level) else None}
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

    def inputs(self, gallery, art, upstream, model):
        return upstream["music"].take_clip(art.music.take).read(), gallery.audio

    def read(self, entry) -> AudioView:
        files = {fmt: entry.source(f"audio.{fmt}") for fmt in entry.meta["formats"]}
        loudness = entry.meta.get("loudness")
        return AudioView(entry.key, float(entry.meta["duration"]), files,
                         None if loudness is None else float(loudness))

    def warnings(self, gallery, art, view: AudioView) -> list[StageWarning]:
        """A clip the limiter could not bring to the loudness target without passing the true-peak ceiling."""
        target, ceiling = gallery.audio.loudness, gallery.audio.true_peak
        if view.loudness is None or view.loudness >= target - LOUDNESS_TOLERANCE:
            return []
        return [StageWarning(
            f"{art.file}: its music reaches {view.loudness:.1f} LUFS, not the {target:g} LUFS of audio.loudness: "
            f"louder, its peaks would pass audio.true_peak ({ceiling:g} dBTP); lower audio.loudness or raise "
            "audio.true_peak", "clips are quieter than audio.loudness")]


STAGE = Audio()

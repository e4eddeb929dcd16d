"""Stage `evaluate` (only in `imaudible-site evaluate`, never in a plain build): every take of an artwork's music
-> its health, features and estimated valence/arousal, a web encode of each take the site did not use
(so the report can play it), and the loudness and true peak of every take as heard: its web encode, the
audio stage's for the take the site uses, this stage's for the others. Cached like every stage: a second
evaluation measures nothing."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..engine.stage import Result, Stage, per_item
from ..types import WEB_AUDIO_FORMATS

HEARD_FORMAT = "webm"   # the site's primary format: the one most visitors hear


@dataclass(frozen=True)
class EvaluateView:
    key: str
    takes: tuple[dict, ...]   # per take, 1-based "number": {"number", "measures", "heard", "files": {fmt: StoredFile}}


def measure_takes(item) -> Result:
    from .. import audio
    from ..evaluate import measures

    # [(number, raw clip bytes)], the take the site uses, AudioSettings, (format, bytes) of its web encode
    takes, used, settings, (site_format, site_audio) = item
    meta, files = {"takes": []}, {}
    for number, raw in takes:
        clip = audio.clip_from_bytes(raw)
        entry = {"number": number, "measures": measures.clip_measures(clip.samples, clip.sample_rate), "formats": []}
        heard = (site_format, site_audio)
        if number != used:   # the audio stage encoded the used take; the report needs the others too
            encoded = audio.encode(audio.finish(clip, settings), settings)
            for fmt, data in encoded.items():
                files[f"take{number}.{fmt}"] = data
                entry["formats"].append(fmt)
            heard = (site_format, encoded[site_format]) if site_format in encoded else next(iter(encoded.items()))
        entry["heard"] = measures.heard_measures(heard[1], heard[0])
        meta["takes"].append(entry)
    return Result(meta, files)


class Evaluate(Stage):
    name = "evaluate"
    needs = ("music", "audio")
    compute = per_item(measure_takes)

    @property
    def version(self) -> str:
        from ..evaluate import measures

        return measures.VERSION

    def settings(self, gallery, art, model):
        return dataclasses.asdict(gallery.audio)

    def inputs(self, gallery, art, upstream, model):
        music = upstream["music"]
        clips = music.take_clips or (music.clip,)
        used = art.music.take if music.take_clips and art.music.take and art.music.take <= len(clips) else None
        used = used or ((music.takes or {}).get("chosen", 0) + 1 if music.take_clips else 1)
        files = upstream["audio"].files
        fmt = HEARD_FORMAT if HEARD_FORMAT in files else sorted(files)[0]
        return [(n, c.read()) for n, c in enumerate(clips, start=1)], used, gallery.audio, (fmt, files[fmt].read())

    def check_result(self, meta: dict, files: dict) -> str | None:
        takes = meta.get("takes")
        if not isinstance(takes, list) or not takes:
            return "takes"
        for take in takes:
            formats = take.get("formats", []) if isinstance(take, dict) else None
            if not isinstance(take, dict) or type(take.get("number")) is not int or not 1 <= take["number"] <= 16 \
                    or not isinstance(take.get("measures"), dict) or not isinstance(take.get("heard"), dict) \
                    or not isinstance(formats, list) or not all(fmt in WEB_AUDIO_FORMATS for fmt in formats) \
                    or not all(f"take{take['number']}.{fmt}" in files for fmt in formats):
                return f"take {take!r}"   # its formats named whole: a result cannot publish .html or .js
        return None

    def read(self, entry) -> EvaluateView:
        takes = tuple({"number": t["number"], "measures": t["measures"], "heard": t["heard"],
                       "files": {f: entry.source(f"take{t['number']}.{f}") for f in t["formats"]}}
                      for t in entry.meta["takes"])
        return EvaluateView(entry.key, takes)


STAGE = Evaluate()

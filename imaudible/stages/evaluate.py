"""Stage `evaluate` (only in `imaudible-site evaluate`, never in a plain build): every take of an artwork's music
-> its health, features and estimated valence/arousal, and a web encode of each take the site did not use
(so the report can play it). Cached like every stage: a second evaluation measures nothing."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..engine.stage import Result, Stage, per_item


@dataclass(frozen=True)
class EvaluateView:
    key: str
    takes: tuple[dict, ...]          # per take, 1-based "number": {"number", "measures", "files": {fmt: path}}


def measure_takes(item) -> Result:
    from .. import audio
    from ..evaluate import measures

    takes, used, settings = item          # [(number, raw clip bytes)], the take the site uses, AudioSettings
    meta, files = {"takes": []}, {}
    for number, raw in takes:
        clip = audio.clip_from_bytes(raw)
        entry = {"number": number, "measures": measures.clip_measures(clip.samples, clip.sample_rate), "formats": []}
        if number != used:   # the audio stage encoded the used take; the report needs the others too
            finished = audio.finish(clip, settings)
            for fmt, data in audio.encode(finished, settings).items():
                files[f"take{number}.{fmt}"] = data
                entry["formats"].append(fmt)
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

    def inputs(self, gallery, art, upstream):
        music = upstream["music"]
        clips = music.take_clips or (music.clip,)
        used = art.music.take if music.take_clips and art.music.take and art.music.take <= len(clips) else None
        used = used or ((music.takes or {}).get("chosen", 0) + 1 if music.take_clips else 1)
        return [(n, c.read()) for n, c in enumerate(clips, start=1)], used, gallery.audio

    def check_result(self, meta: dict, files: dict) -> str | None:
        takes = meta.get("takes")
        if not isinstance(takes, list) or not takes:
            return "takes"
        for take in takes:
            if not isinstance(take, dict) or type(take.get("number")) is not int or not isinstance(take.get("measures"), dict) \
                    or not all(f"take{take['number']}.{fmt}" in files for fmt in take.get("formats", [])):
                return f"take {take!r}"
        return None

    def read(self, entry) -> EvaluateView:
        takes = tuple({"number": t["number"], "measures": t["measures"],
                       "files": {f: entry.file(f"take{t['number']}.{f}") for f in t["formats"]}}
                      for t in entry.meta["takes"])
        return EvaluateView(entry.key, takes)


STAGE = Evaluate()

"""A small evaluated gallery built from synthetic clips, for the report tests."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from imaudible import audio
from imaudible.compose import Clip
from imaudible.evaluate import measures, report
from imaudible.settings import AudioSettings

from . import synth

ART = [("sunrise", "Sunrise", (240, 180, 60), 0.8, 0.7, synth.bright_fast_major),
       ("nocturne", "Nocturne", (20, 30, 90), 0.2, 0.2, synth.dark_slow_minor),
       ("harbour", "Harbour", (90, 140, 160), 0.5, 0.4, synth.varied)]


def records(seconds: float = 8.0, with_audio: bool = True) -> tuple[list[dict], dict]:
    out, media = [], {}
    for i, (art_id, title, colour, valence, arousal, make) in enumerate(ART):
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buf, "WEBP")
        media[f"media/{art_id}.thumb.webp"] = buf.getvalue()
        takes = []
        for number, clip in enumerate([make(seconds), synth.looping(seconds)], start=1):
            entry = {"number": number, "chosen": number == 1, "measures": measures.clip_measures(clip, synth.RATE),
                     "reason": "kept: least repetitive" if number == 1 else "rejected: collapsed into a short loop"}
            if with_audio:
                finished = audio.finish(Clip(clip[None, :], synth.RATE), AudioSettings())
                for fmt, data in audio.encode(finished, AudioSettings()).items():
                    media[f"media/{art_id}.take{number}.{fmt}"] = data
                entry["audio"] = {fmt: f"media/{art_id}.take{number}.{fmt}" for fmt in ("webm", "m4a")}
                entry["heard"] = measures.heard_measures(media[f"media/{art_id}.take{number}.webm"], "webm")
            takes.append(entry)
        out.append({"id": art_id, "title": title, "artist": "", "thumb": f"media/{art_id}.thumb.webp",
                    "caption": f"a painting in {title.lower()} colours", "prompt": f"music for {title.lower()}, piano",
                    "models": {"caption": "builtin:describer", "music": "builtin:procedural"},
                    "drafts": {"caption": True, "music": i != 2}, "image_mood": {"valence": valence, "arousal": arousal},
                    "takes": takes})
    return out, media


def write(gallery_root: Path, **kwargs) -> Path:
    recs, media = records(**kwargs)
    scores = measures.gallery_measures(recs)
    data = report.assemble(recs, scores, title="Test gallery", skipped=["CLAP model 'x' is not available: test."])
    return report.write_report(gallery_root, gallery_root / "build", data, media)

"""What each stage's result.json must look like, checked when a result is read back from the cache.

A result is data from disk, not from this build: a hand edit, a crafted cache or a bug in an older
version can give it any shape. Names that become file names on the site are matched whole.
Each check returns None when the result is usable, else what is wrong; a stage declares its own as
`check_result` (the engine hands them to the cache).
"""
from __future__ import annotations

import dataclasses
import math
import re

from ..types import DERIVATIVE_FORMATS, UNSAFE_TEXT, WEB_AUDIO_FORMATS, Mood

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # derivative names


def _number(value) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # JSON's numbers; never a bool


def _numbers(values) -> bool:
    """`_number` of each value, in one loop (a mood holds dozens: checked per artwork on every build)."""
    isfinite = math.isfinite
    for value in values:
        kind = type(value)
        if (kind is not float and kind is not int) or not isfinite(value):
            return False
    return True


def _positive_int(value, most: int = 1_000_000) -> bool:
    """A count or a size in pixels, within what the tool makes (a huge one reached pages as it was)."""
    return type(value) is int and 0 < value <= most


def _text(value, most: int = 100_000) -> bool:
    """Text the tool writes: of sane length, with nothing a page or a terminal should not get."""
    return isinstance(value, str) and len(value) <= most and not UNSAFE_TEXT.search(value)


def _texts(value) -> bool:
    """A short list of short texts (what is wrong with a take)."""
    return isinstance(value, list) and len(value) <= 16 and all(_text(x, 1000) for x in value)


def _fraction(value) -> bool:
    return _number(value) and 0 <= value <= 1


_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def ingest(meta: dict, files: dict) -> str | None:
    if not isinstance(meta.get("sha256"), str) or not _positive_int(meta.get("width")) \
            or not _positive_int(meta.get("height")) or not isinstance(meta.get("notes", []), list):
        return "sha256, width, height or notes"
    return None     # the analysis image is held in memory (older results also stored it)


ANALYSIS_FILE = "analysis.ppm"
_EARLIER_ANALYSIS_FILE = "analysis.png"   # what ingest wrote before (the same pixels, slower to write and read)


def analysis_file(files) -> str:
    """The name of an ingest result's analysis image: the PPM it writes, or the PNG of a result stored before."""
    return _EARLIER_ANALYSIS_FILE if _EARLIER_ANALYSIS_FILE in files and ANALYSIS_FILE not in files else ANALYSIS_FILE


def derive(meta: dict, files: dict) -> str | None:
    derivatives = meta.get("derivatives")
    if not isinstance(derivatives, list) or not derivatives:
        return "derivatives"
    for d in derivatives:
        if not isinstance(d, dict) or not LABEL.fullmatch(str(d.get("name"))) or d.get("fmt") not in DERIVATIVE_FORMATS \
                or not _positive_int(d.get("width")) or not _positive_int(d.get("height")) or d.get("file") not in files:
            return f"derivative {d!r}"
    return None


_MOOD_NUMBERS = tuple(f.name for f in dataclasses.fields(Mood) if f.name not in ("words", "palette", "structure"))


def mood(meta: dict, files: dict) -> str | None:
    values = [meta.get(name) for name in _MOOD_NUMBERS]
    if not _numbers(values) or not all(0 <= v <= 1 for v in values):     # every number of a mood is in 0..1
        return "mood values"
    structure = meta.get("structure", [])
    if not isinstance(structure, list) or len(structure) > 256 or not _numbers(structure) \
            or not all(abs(v) <= 1e3 for v in structure):
        return "mood structure"
    palette, words = meta.get("palette", []), meta.get("words", [])
    if not isinstance(words, list) or len(words) > 64 or not all(_text(w, 100) for w in words) \
            or not isinstance(palette, list) or len(palette) > 64 \
            or not all(isinstance(p, dict) and isinstance(p.get("hex"), str) and _HEX.fullmatch(p["hex"])
                       and _text(p.get("name"), 100) and _fraction(p.get("share")) for p in palette):
        return "mood words or palette"
    return None


def caption(meta: dict, files: dict) -> str | None:
    ok = _text(meta.get("caption")) and _text(meta.get("model"), 1000) and isinstance(meta.get("draft"), bool)
    return None if ok else "caption, model or draft"


def _duration(value) -> bool:
    return _number(value) and 0 < value <= 1000      # music.duration is at most 600 s


def _takes(takes) -> bool:
    """How the kept take was chosen: a few takes, the chosen one among them (a count of a billion took
    gigabytes to read)."""
    if takes is None:
        return True
    if not isinstance(takes, dict) or not _positive_int(takes.get("count", 1), 16) \
            or type(takes.get("chosen")) is not int or not 0 <= takes["chosen"] < takes.get("count", 16):
        return False
    scores, problems = takes.get("scores", []), takes.get("problems", [])
    return _text(takes.get("ranker", ""), 1000) and isinstance(scores, list) and len(scores) <= 16 \
        and all(s is None or _number(s) for s in scores) and isinstance(problems, list) and len(problems) <= 16 \
        and all(_texts(p) for p in problems)


def music(meta: dict, files: dict) -> str | None:
    ok = _text(meta.get("model"), 1000) and isinstance(meta.get("draft"), bool) \
        and _positive_int(meta.get("sample_rate"), 192_000) and _duration(meta.get("duration")) \
        and _text(meta.get("prompt", "")) and _text(meta.get("description", ""), 1000) and "clip.bin" in files \
        and _takes(meta.get("takes")) and _texts(meta.get("problems", []))
    return None if ok else "model, draft, sample_rate, duration, prompt, takes, problems or clip.bin"


def audio(meta: dict, files: dict) -> str | None:
    formats = meta.get("formats")
    if not _duration(meta.get("duration")) or not isinstance(formats, list) or not formats:
        return "duration or formats"
    if meta.get("loudness") is not None and not _number(meta["loudness"]):
        return "loudness"
    for fmt in formats:
        if fmt not in WEB_AUDIO_FORMATS or f"audio.{fmt}" not in files:
            return f"format {fmt!r}"
    return None


def prompt(meta: dict, files: dict) -> str | None:
    ok = _text(meta.get("prompt")) and _text(meta.get("writer", ""), 1000) and _text(meta.get("fallback", ""), 1000)
    return None if ok else "prompt, writer or fallback"

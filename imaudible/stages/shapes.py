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

from ..types import DERIVATIVE_FORMATS, WEB_AUDIO_FORMATS, Mood

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


def _positive_int(value) -> bool:
    return type(value) is int and value > 0


def ingest(meta: dict, files: dict) -> str | None:
    if not isinstance(meta.get("sha256"), str) or not _positive_int(meta.get("width")) \
            or not _positive_int(meta.get("height")) or not isinstance(meta.get("notes", []), list):
        return "sha256, width, height or notes"
    return None if analysis_file(files) in files else ANALYSIS_FILE


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
    if not _numbers([meta.get(name) for name in _MOOD_NUMBERS]):
        return "mood values"
    structure = meta.get("structure", [])
    if not isinstance(structure, list) or not _numbers(structure):
        return "mood structure"
    palette, words = meta.get("palette", []), meta.get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) or not isinstance(palette, list) \
            or not all(isinstance(p, dict) and isinstance(p.get("hex"), str) and isinstance(p.get("name"), str)
                       and _number(p.get("share")) for p in palette):
        return "mood words or palette"
    return None


def caption(meta: dict, files: dict) -> str | None:
    ok = isinstance(meta.get("caption"), str) and isinstance(meta.get("model"), str) \
        and isinstance(meta.get("draft"), bool)
    return None if ok else "caption, model or draft"


def music(meta: dict, files: dict) -> str | None:
    ok = isinstance(meta.get("model"), str) and isinstance(meta.get("draft"), bool) \
        and _positive_int(meta.get("sample_rate")) and _number(meta.get("duration")) and "clip.bin" in files
    return None if ok else "model, draft, sample_rate, duration or clip.bin"


def audio(meta: dict, files: dict) -> str | None:
    formats = meta.get("formats")
    if not _number(meta.get("duration")) or not isinstance(formats, list) or not formats:
        return "duration or formats"
    for fmt in formats:
        if fmt not in WEB_AUDIO_FORMATS or f"audio.{fmt}" not in files:
            return f"format {fmt!r}"
    return None


def prompt(meta: dict, files: dict) -> str | None:
    ok = isinstance(meta.get("prompt"), str) and isinstance(meta.get("writer", ""), str) \
        and isinstance(meta.get("fallback", ""), str)
    return None if ok else "prompt, writer or fallback"

"""The music prompt: caption, mood, gallery style and per-artwork override fused into one short text.

Who writes it is `prompt.model`: the built-in template below (`builtin`, the default), or an instruct
language model (`backends/hf_prompt_writer.py`) given the same inputs (`writer_message`), whose answer is
checked (`textcheck.check_prompt`) and replaced by the template, with the reason kept, when it fails.

Plain image captions carry little emotion (the lesson of the ImAudible thesis), so the prompt also states
the mood in musical terms: mood words, a tempo from arousal, a mode from valence and instruments from the
palette, the same reading of the mood the built-in composer plays (see `mood.tempo_bpm` and friends).
MusicGen's T5 text encoder works best with short prompts, so the caption is trimmed to keep the whole
prompt within `MAX_WORDS`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from .mood_music import MODE_PHRASES, is_major, mode_name, tempo_bpm, timbre_family
from .types import Mood
from .settings import PromptSettings

VERSION = "1"
TEMPLATE_NAME = "builtin:template"

MAX_WORDS = 60
# The most words of each curator or model text a writer model is given: a caption of thousands of words
# (a `caption:` pasted from a catalogue) overflowed a small model's context and padded every prompt of its batch.
WRITER_INPUT_WORDS = {"caption": 120, "style": 40, "metadata": 30}
EXTRA_STOP_WORDS = frozenset({"look", "looks", "like"})
# Words on scikit-learn's list that carry a caption's meaning: a negation ("no people", "never still"), a
# count ("two women") or what is seen ("fire", "empty", "alone", "thick fog"). Dropping them inverted or
# emptied a prompt. Bump STOP_WORDS_VERSION when either list or the word pattern changes: it enters the prompt's key.
KEPT_WORDS = frozenset({
    "no", "not", "nor", "never", "nothing", "none", "nobody", "noone", "without", "cannot", "cant",
    "one", "two", "three", "four", "five", "six", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "forty", "fifty", "sixty", "hundred", "first", "third", "few", "several", "many", "alone",
    "together", "empty", "full", "fire", "thick", "thin", "cry", "back", "front", "top", "bottom", "side",
    "mill", "whole", "last", "serious",
})
STOP_WORDS_VERSION = "3"

FAMILY_INSTRUMENTS = {   # the instruments the prompt names for each timbre family
    "warm": "warm strings, soft brass and piano",
    "cool": "electric piano, glassy pads and bells",
    "green": "woodwinds, marimba and acoustic guitar",
    "muted": "felt piano and soft pads",
}


def music_prompt(*, caption: str, mood: Mood, style: str, settings: PromptSettings,
                 override: str | None) -> str:
    """The music prompt for one artwork; a non-empty `override` replaces it entirely."""
    if override is not None and override.strip():
        return _tidy(override)
    caption = _tidy(caption or "")
    if settings.remove_stopwords:
        caption = remove_stopwords(caption)
    head = [_tidy(style).rstrip(".")] if style and style.strip() else []
    if settings.include_mood:
        head.append(mood_phrase(mood))
    text = ". ".join(h for h in head if h)
    if caption:
        budget = MAX_WORDS - len(text.split()) - 2
        words = caption.rstrip(".").split()
        if budget > 0:
            text = f"{text}. Inspired by: {' '.join(words[:budget])}" if text else " ".join(words[:MAX_WORDS])
    return _tidy(text)


@dataclass(frozen=True)
class PromptRequest:
    """What a prompt writer is given for one artwork."""
    caption: str
    mood: Mood
    style: str = ""
    title: str = ""
    artist: str = ""
    year: str = ""


@dataclass(frozen=True)
class WrittenPrompt:
    text: str
    writer: str                # the model that wrote it, or TEMPLATE_NAME
    fallback: str = ""         # why a model's answer was replaced by the template


class TemplateWriter:
    """The built-in writer: `music_prompt` without an override. It holds no settings (a worker keeps one
    loaded across builds): each call brings them."""
    name = TEMPLATE_NAME
    revision = VERSION
    is_model = False

    def write(self, requests: Sequence[PromptRequest], settings: PromptSettings) -> list[WrittenPrompt]:
        return [WrittenPrompt(template_prompt(r, settings), TEMPLATE_NAME) for r in requests]


def template_prompt(request: PromptRequest, settings: PromptSettings) -> str:
    return music_prompt(caption=request.caption, mood=request.mood, style=request.style, settings=settings,
                        override=None)


def writer_message(request: PromptRequest, settings: PromptSettings) -> str:
    """The user turn a writer model gets: caption, mood in musical terms, palette, style, optional metadata."""
    mood = request.mood
    lines = [f"Artwork description: {_at_most(request.caption, WRITER_INPUT_WORDS['caption']) or 'none'}",
             f"Mood: {', '.join(mood.words)} (valence {mood.valence:.2f}, arousal {mood.arousal:.2f})",
             f"Suggested: {mood_phrase(mood)}",
             f"Palette: {', '.join(p.name for p in mood.palette[:4]) or 'unknown'}"]
    if request.style.strip():
        lines.append(f"Gallery style (keep it): {_at_most(request.style, WRITER_INPUT_WORDS['style'])}")
    if settings.include_metadata:
        meta = ", ".join(x for x in (f'"{request.title}"' if request.title else "", request.artist, request.year) if x)
        if meta:
            lines.append(f"Artwork: {_at_most(meta, WRITER_INPUT_WORDS['metadata'])}")
    lines.append(f"Write the music prompt, at most {settings.max_words} words.")
    return "\n".join(lines)


def with_style(text: str, style: str) -> str:
    """The curator's style leads the prompt, as in the template, unless the writer already used it."""
    style = _tidy(style or "").rstrip(".")
    if not style or style.lower() in text.lower():
        return text
    return f"{style}. {text}"


def mood_phrase(mood: Mood) -> str:
    """E.g. 'Serene, peaceful music in a major key, slow tempo around 70 bpm, felt piano and soft pads'."""
    bpm = tempo_bpm(mood)
    pace = "slow" if bpm < 80 else "moderate" if bpm < 110 else "fast" if bpm < 130 else "driving"
    words = ", ".join(mood.words[:2])
    mode = mode_name(mood)
    hint = MODE_PHRASES[mode]
    rhythm = ", with drums" if mood.arousal > 0.55 else ", no drums" if mood.arousal < 0.35 else ""
    family = FAMILY_INSTRUMENTS[timbre_family(mood)]
    text = f"{words} music {hint}, {pace} tempo around {bpm} bpm, {family}{rhythm}"
    if not is_major(mode) and mood.valence < 0.25:
        text += ", sombre"
    return text[:1].upper() + text[1:]


def remove_stopwords(text: str) -> str:
    """Drop scikit-learn's English stop words and 'look', 'looks', 'like' (case-insensitive), except the
    words of `KEPT_WORDS`."""
    stop = _stop_words()
    # whole words in any script: an ASCII-only pattern read "näher" as "n" + "her" and dropped the "her"
    kept = re.sub(r"[^\W\d_]+(?:'[^\W\d_]+)*", lambda m: "" if m.group(0).lower() in stop else m.group(0), text)
    return _tidy(kept)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (frozenset(ENGLISH_STOP_WORDS) | EXTRA_STOP_WORDS) - KEPT_WORDS


def _at_most(text: str, words: int) -> str:
    """`text` tidied, on one line, cut to its first `words` words."""
    kept = _tidy(text or "").split()
    return " ".join(kept[:words]) + (" ..." if len(kept) > words else "")


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"^[\s,;:.]+|[\s,;:]+$", "", text)
    return text

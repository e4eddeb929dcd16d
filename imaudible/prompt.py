"""The music prompt: caption, mood, gallery style and per-artwork override fused into one short text.

Plain image captions carry little emotion (the lesson of the ImAudible thesis), so the prompt also states
the mood in musical terms: mood words, a tempo from arousal, a mode from valence and instruments from the
palette, the same reading of the mood the built-in composer plays (see `mood.tempo_bpm` and friends).
MusicGen's T5 text encoder works best with short prompts, so the caption is trimmed to keep the whole
prompt within `MAX_WORDS`.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .mood import Mood, is_major, mode_name, tempo_bpm, timbre_family
from .settings import PromptSettings

VERSION = "1"

MAX_WORDS = 60
EXTRA_STOP_WORDS = frozenset({"look", "looks", "like"})

INSTRUMENTS = {
    "warm": "warm strings, soft brass and piano",
    "cool": "electric piano, glassy pads and bells",
    "green": "woodwinds, marimba and acoustic guitar",
    "muted": "felt piano and soft pads",
}
MODE_HINTS = {
    "lydian": "in a bright major key", "ionian": "in a major key", "mixolydian": "in a mellow major key",
    "dorian": "in a soft minor key", "aeolian": "in a minor key", "harmonic minor": "in a dark minor key",
}


def compose_prompt(*, caption: str, mood: Mood, style: str, settings: PromptSettings,
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


def mood_phrase(mood: Mood) -> str:
    """E.g. 'Serene, peaceful music in a major key, slow tempo around 70 bpm, felt piano and soft pads'."""
    bpm = tempo_bpm(mood)
    pace = "slow" if bpm < 80 else "moderate" if bpm < 110 else "fast" if bpm < 130 else "driving"
    words = ", ".join(mood.words[:2])
    mode = mode_name(mood)
    hint = MODE_HINTS[mode]
    rhythm = ", with drums" if mood.arousal > 0.55 else ", no drums" if mood.arousal < 0.35 else ""
    family = INSTRUMENTS[timbre_family(mood)]
    text = f"{words} music {hint}, {pace} tempo around {bpm} bpm, {family}{rhythm}"
    if not is_major(mode) and mood.valence < 0.25:
        text += ", sombre"
    return text[:1].upper() + text[1:]


def remove_stopwords(text: str) -> str:
    """Drop scikit-learn's English stop words and 'look', 'looks', 'like' (case-insensitive)."""
    stop = _stop_words()
    kept = re.sub(r"[A-Za-z']+", lambda m: "" if m.group(0).lower() in stop else m.group(0), text)
    return _tidy(kept)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | EXTRA_STOP_WORDS


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"^[\s,;:.]+|[\s,;:]+$", "", text)
    return text

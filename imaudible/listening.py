"""Words for visitors who cannot hear the music: what a piece sounds like ("slow, calm felt piano in a
minor key, about 70 bpm"), and a name for a room from the moods of its works ("Calm blues"). Both read
the mood the same way the prompt and the built-in composer do (`mood_music.tempo_bpm` and friends)."""
from __future__ import annotations

import re

from .mood_music import MODE_PHRASES, dominant_hue, mode_name, tempo_bpm, timbre_family
from .types import Mood

SOUNDS = {
    "warm": "strings, soft brass and piano",
    "cool": "electric piano, pads and bells",
    "green": "woodwinds, marimba and guitar",
    "muted": "felt piano and soft pads",
}
# (upper hue bound in CIELAB degrees, plural colour name)
HUES = ((50, "reds"), (75, "ambers"), (105, "golds"), (170, "greens"), (240, "teals"), (310, "blues"), (345, "violets"),
        (361, "reds"))


def pace(bpm: int) -> str:
    return "slow" if bpm < 80 else "unhurried" if bpm < 95 else "moderate" if bpm < 110 else "fast" if bpm < 130 else "driving"


def music_description(mood: Mood) -> str:
    """A short, readable description of the music made for a work with this mood."""
    bpm = tempo_bpm(mood)
    feeling = f"{mood.words[0]} " if mood.words else ""
    return f"{pace(bpm)}, {feeling}{SOUNDS[timbre_family(mood)]} {MODE_PHRASES[mode_name(mood)]}, about {bpm} bpm"


def model_music_description(mood: Mood, prompt: str, writer: str, words: int = 30) -> str:
    """What a model's music was asked to be. From the built-in template, the mood's description (the
    template asks for just that). From a curator's `prompt:` or a writer model, the music the prompt asked
    for, without the caption it quotes: the mood's words would name another tempo and other instruments
    ("slow felt piano" under a piece asked to be "fast jazz with saxophone, 140 bpm")."""
    if writer in ("", "builtin:template"):
        return music_description(mood)
    asked = re.split(r"\binspired by\b", prompt, maxsplit=1, flags=re.IGNORECASE)[0]
    asked = " ".join(asked.split()[:words]).strip(" ,;:.")
    return asked or music_description(mood)


def calmness(arousal: float) -> str:
    return "Calm" if arousal < 0.3 else "Gentle" if arousal < 0.45 else "Lively" if arousal < 0.62 else "Intense"


def room_title(moods: list[Mood]) -> str:
    """'Calm blues', 'Intense reds', 'Gentle greys': mean arousal and the most common dominant hue."""
    if not moods:
        return ""
    arousal = sum(m.arousal for m in moods) / len(moods)
    names = []
    for m in moods:
        hue = dominant_hue(m)
        names.append("greys" if hue is None else next(name for bound, name in HUES if hue % 360 < bound))
    colour = max(sorted(set(names)), key=names.count)
    return f"{calmness(arousal)} {colour}"

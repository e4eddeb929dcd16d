"""The musical reading of a mood (tempo, mode, instrument family, dominant hue), shared by the prompt, the
built-in composer and the site, and the colour arithmetic of single palette colours it needs, in plain
Python: a rebuild from cache reads moods without importing numpy."""
from __future__ import annotations

import functools
import math

from .types import Mood

_WHITE_D65_TUPLE = (0.95047, 1.0, 1.08883)
_RGB_TO_XYZ_ROWS = ((0.4124564, 0.3575761, 0.1804375),
                    (0.2126729, 0.7151522, 0.0721750),
                    (0.0193339, 0.1191920, 0.9503041))
# an 8-bit sRGB channel value -> linear light (the site asks for thousands of palette colours per build)
_LINEAR = tuple((c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4) for c in (v / 255 for v in range(256)))

# How each mode is said in words: in music prompts and in the visitor's description of a piece.
MODE_PHRASES = {
    "lydian": "in a bright major key", "ionian": "in a major key", "mixolydian": "in a mellow major key",
    "dorian": "in a soft minor key", "aeolian": "in a minor key", "harmonic minor": "in a dark minor key",
}


def tempo_bpm(mood: Mood) -> int:
    """Arousal sets the tempo: 58 bpm when calm .. 138 bpm when intense."""
    return int(round(58 + 80 * mood.arousal))


def mode_name(mood: Mood) -> str:
    """Valence picks the mode, from the darkest (harmonic minor) to the brightest (lydian)."""
    v = mood.valence
    bands = ((0.22, "harmonic minor"), (0.40, "aeolian"), (0.48, "dorian"), (0.55, "mixolydian"), (0.75, "ionian"))
    for limit, name in bands:
        if v < limit:
            return name
    return "lydian"


def is_major(mode: str) -> bool:
    return mode in ("ionian", "lydian", "mixolydian")


def timbre_family(mood: Mood) -> str:
    """Palette hue and saturation pick the instrument family: 'warm', 'cool', 'green' or 'muted'."""
    hue = dominant_hue(mood)
    if mood.saturation < 0.12 or hue is None:
        return "muted"
    if 75 <= hue < 170:
        return "green"
    if 170 <= hue < 330:
        return "cool"
    return "warm"


def dominant_hue(mood: Mood) -> float | None:
    """CIELAB hue angle (degrees) of the most prominent chromatic palette colour, None for a grey palette."""
    chromatic = [p for p in mood.palette if _hex_chroma(p.hex) > 18]
    if not chromatic:
        return None
    return _hex_hue(max(chromatic, key=lambda p: p.share * _hex_chroma(p.hex)).hex)


@functools.lru_cache(maxsize=4096)
def hex_to_lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of one #rrggbb colour, in plain Python: the site and prompts ask per palette entry, where
    numpy's per-call overhead is most of the cost. The same numbers as `srgb_to_lab`."""
    h = hex_colour.lstrip("#")
    r, g, b = (_LINEAR[int(h[i:i + 2], 16)] for i in (0, 2, 4))
    xyz = [(m0 * r + m1 * g + m2 * b) / white for (m0, m1, m2), white in zip(_RGB_TO_XYZ_ROWS, _WHITE_D65_TUPLE)]
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in xyz]
    return (116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2]))


def _hex_chroma(hex_colour: str) -> float:
    lab = hex_to_lab(hex_colour)
    return float(math.hypot(lab[1], lab[2]))


def _hex_hue(hex_colour: str) -> float:
    lab = hex_to_lab(hex_colour)
    return math.degrees(math.atan2(lab[2], lab[1])) % 360

"""The plan of a clip: tempo, key, mode, chords, energy, and the figures drawn from the image's structure.

The mood decides what every image of that mood shares (tempo, mode, density, instruments). The image's
structural fingerprint (`structure.fingerprint`) decides what makes it its own:
- `contour`: the melody's shape, read left to right (the lightness of eight vertical strips);
- `pulse`: where the melody's onsets fall (the detail in those strips; smooth strips rest);
- `spread` and `lift`: the chord voicing (open or close, from the top-to-bottom lightness range; raised or
  lowered by where the light sits);
- `arpeggio`: the keys' pattern (from the orientation of the edges and the busiest strip);
- the tonic of a colourless image (which has no hue to pick one) and the bass figure.
Moods made by hand carry no fingerprint: then the seeded generator draws one.

The music prompt steers the plan where its words name something the composer can do (`words`: tempo,
mode, dissonance, dynamics, density, a crescendo; `orchestra`: the instruments); the mood decides the rest.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from ..mood import Mood, dominant_hue, is_major, mode_name, tempo_bpm, timbre_family
from ..structure import BANDS, FINGERPRINT_LENGTH, STRIPS
from .orchestra import Orchestra, orchestrate
from .words import Reading, Said, read_prompt

MODES = {
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11), "aeolian": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "ionian": (0, 2, 4, 5, 7, 9, 11), "lydian": (0, 2, 4, 6, 7, 9, 11),
}
# Chord roots as zero-based scale degrees. Every cycle gives the tonic half its bars, so the key is never in doubt.
PROGRESSIONS = {
    "harmonic minor": [(0, 3, 0, 4), (0, 5, 0, 4), (0, 3, 4, 0)],
    "aeolian": [(0, 5, 3, 0), (0, 3, 0, 4), (0, 6, 5, 0), (0, 5, 0, 6)],
    "dorian": [(0, 3, 0, 3), (0, 6, 3, 0), (0, 1, 0, 3)],
    "mixolydian": [(0, 6, 3, 0), (0, 6, 0, 3), (0, 3, 0, 6)],
    "ionian": [(0, 3, 0, 4), (0, 5, 3, 0), (0, 4, 0, 3), (0, 5, 0, 4)],
    "lydian": [(0, 1, 0, 1), (0, 1, 5, 0), (0, 2, 1, 0)],
}
# Scriabin's clavier à lumières: keys round the circle of fifths follow the colour wheel (CIELAB hue, deg).
SCRIABIN = ((40, 0), (60, 7), (90, 2), (140, 9), (200, 4), (250, 11), (285, 6), (305, 1), (325, 8),
            (345, 3), (5, 10), (22, 5))
# Melody onsets per two-bar motif, and the grid they fall on (in beats), by energy.
MOTIF_NOTES = {"calm": 4, "medium": 7, "busy": 11}
MOTIF_GRID = {"calm": 1.0, "medium": 0.5, "busy": 0.5}
ARPEGGIOS = ((0, 1, 2, 3, 2, 1), (0, 2, 1, 3, 1, 2), (0, 1, 2, 1), (3, 2, 1, 0, 1, 2), (0, 2, 3, 1), (0, 3, 1, 2))
BASS_FIGURES = (((0, 2.5, 0), (2.5, 0.5, 0), (3, 1, 12)),       # (beat, beats, semitones above the root)
                ((0, 1.5, 0), (1.5, 1.5, 0), (3, 1, 12)),
                ((0, 3, 0), (3, 0.5, 12), (3.5, 0.5, 0)))


@dataclass(frozen=True)
class Note:
    start: float      # seconds
    length: float     # seconds, before the release
    pitch: float      # MIDI note number
    velocity: float   # 0..1
    pan: float = 0.0  # -1 left .. 1 right


@dataclass(frozen=True)
class Figures:
    """What the image's structure contributes (see the module docstring)."""
    contour: tuple[float, ...]     # STRIPS values 0..1
    pulse: tuple[float, ...]       # STRIPS values 0..1
    spread: float                  # 0 close .. 1 open voicing
    lift: int                      # semitones added to the chord voicing's centre
    arpeggio: tuple[int, ...]
    bass_figure: int
    key_index: int                 # 0..11, used only when the palette has no hue


@dataclass(frozen=True)
class Plan:
    bpm: int
    tonic: int            # pitch class
    mode: str
    scale: tuple[int, ...]
    chords: tuple[int, ...]   # root degree per bar
    family: str
    energy: str           # "calm" | "medium" | "busy"
    beat: float
    bars: int
    sections: tuple[int, ...]  # per bar: 0 verse, 1 bridge (lighter drums)
    figures: Figures
    orchestra: Orchestra
    arousal: float        # what the dynamics and articulation follow: the mood's, unless the prompt says
    tension: bool = False      # extended, clashing chords
    dynamics: str | None = None      # "soft" | "loud" when the prompt says so
    density: str | None = None       # "sparse" | "dense" when the prompt says so
    crescendo: bool = False
    followed: tuple[str, ...] = ()   # the prompt's words the plan follows, in the prompt's order
    steered: frozenset[str] = frozenset()   # the aspects those words set ("tempo", "mode", "instrument", ...)


def seed_for(content_hash: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{content_hash}:{seed}".encode()).digest()[:8], "little")


def make_plan(mood: Mood, duration: float, rng: np.random.Generator, prompt: str = "") -> Plan:
    reading = read_prompt(prompt, mood) if prompt.strip() else Reading()
    bpm = int(reading.value("tempo", tempo_bpm(mood)))
    beat = 60.0 / bpm
    bars = max(1, math.ceil(duration / (4 * beat) - 0.15))
    mode = mode_for(reading, mood)
    figures = figures_for(mood, rng)
    order = rng.permutation(len(PROGRESSIONS[mode]))
    verse, bridge = (PROGRESSIONS[mode][i] for i in (order[0], order[1 % len(order)]))
    # Long pieces alternate eight-bar sections: verse, verse, bridge, verse, ...
    sections = tuple(1 if bars > 12 and (i // 8) % 4 == 2 else 0 for i in range(bars))
    chords = [(bridge if sections[i] else verse)[i % 4] for i in range(bars)]
    chords[-1] = 0
    density = reading.value("density")
    energy = {"sparse": "calm", "dense": "busy"}.get(density) or (
        "calm" if mood.arousal < 0.38 else "medium" if mood.arousal < 0.62 else "busy")
    family = timbre_family(mood)
    orchestra, instruments = orchestrate(reading, family, mood.arousal)
    dynamics = reading.value("dynamics")
    arousal = {"soft": min(mood.arousal, 0.2), "loud": max(mood.arousal, 0.85)}.get(dynamics, mood.arousal)
    return Plan(bpm=bpm, tonic=tonic_for(mood, figures), mode=mode, scale=MODES[mode], chords=tuple(chords),
                family=family, energy=energy, beat=beat, bars=bars, sections=sections, figures=figures,
                orchestra=orchestra, arousal=arousal, tension=bool(reading.value("tension", False)),
                dynamics=dynamics, density=density, crescendo=bool(reading.value("crescendo", False)),
                followed=followed_words(reading, instruments, orchestra),
                steered=frozenset(reading.asked) | ({"instrument"} if instruments else set()))


def mode_for(reading: Reading, mood: Mood) -> str:
    """The prompt's mode; "minor" or "major" keep the mood's own when it is one; tension darkens."""
    own, asked = mode_name(mood), reading.value("mode")
    if asked == "minor":
        return own if not is_major(own) else "aeolian"
    if asked == "major":
        return own if is_major(own) else "ionian"
    if asked:
        return str(asked)
    return "harmonic minor" if reading.value("tension", False) else own


def followed_words(reading: Reading, instruments: list[Said], orchestra: Orchestra) -> tuple[str, ...]:
    said = [s for aspect, words in reading.asked.items() for s in words
            if not (aspect == "drums" and not orchestra.drums) and not (aspect == "bass" and not orchestra.bass)]
    return tuple(s.text for s in sorted(said + instruments + list(reading.without), key=lambda s: s.position))


def tonic_for(mood: Mood, figures: Figures) -> int:
    """The palette's dominant hue picks the key on Scriabin's wheel; a colourless image takes its structure's."""
    hue = dominant_hue(mood)
    if hue is None or mood.saturation < 0.12:
        return (7 * figures.key_index) % 12           # round the circle of fifths
    return min(SCRIABIN, key=lambda anchor: abs((hue - anchor[0] + 180) % 360 - 180))[1]


def figures_for(mood: Mood, rng: np.random.Generator) -> Figures:
    s = np.asarray(mood.structure, dtype=np.float64)
    if len(s) != FINGERPRINT_LENGTH:                  # a mood made by hand: draw a fingerprint
        s = np.round(rng.random(FINGERPRINT_LENGTH), 3)
    contour, pulse = s[:STRIPS], s[STRIPS:2 * STRIPS]
    rows = s[2 * STRIPS:2 * STRIPS + BANDS]
    orientation, grain, centre_x, centre_y = s[-4:]
    if np.ptp(contour) < 0.05:                        # no left-to-right shape: read the rows instead
        contour = np.interp(np.linspace(0, BANDS - 1, STRIPS), np.arange(BANDS), rows)
    if np.ptp(contour) < 0.05:                        # a flat image: a gentle arch
        contour = np.sin(np.linspace(0, math.pi, STRIPS)) * 0.6 + 0.2
    busiest = int(np.argmax(pulse)) if pulse.max() > 0 else 0
    arpeggio = ARPEGGIOS[(busiest + int(orientation * 3)) % len(ARPEGGIOS)]
    brightest = int(np.argmax(s[:STRIPS])) if np.ptp(s[:STRIPS]) > 0 else STRIPS // 2
    key_index = (brightest * 5 + int(np.argmax(rows)) * 3 + int(centre_y * 4) + int(grain * 3)) % 12
    return Figures(contour=tuple(float(c) for c in contour), pulse=tuple(float(p) for p in pulse),
                   spread=float(np.ptp(rows)), lift=int(round((0.5 - centre_y) * 8)), arpeggio=arpeggio,
                   bass_figure=int(orientation * 2.999 + grain) % len(BASS_FIGURES), key_index=key_index)


def motif_rhythm(figures: Figures, energy: str, rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Two bars of (position in beats, length in beats, contour height 0..1): onsets where the image has
    detail, as many as the energy allows; heights from the contour at that point of the picture."""
    grid = MOTIF_GRID[energy]
    slots = int(round(8 / grid))
    where = np.linspace(0, STRIPS - 1e-9, slots).astype(int)          # the strip under each slot
    pulse = np.asarray(figures.pulse)[where]
    score = pulse + 0.3 * (np.arange(slots) * grid % 2 == 0) + 0.01 * rng.random(slots)
    score[0] = np.inf                                                  # a motif starts on its downbeat
    chosen = sorted(np.argsort(-score)[:MOTIF_NOTES[energy]])
    notes = []
    for i, slot in enumerate(chosen):
        end = chosen[i + 1] if i + 1 < len(chosen) else slots
        notes.append((slot * grid, (end - slot) * grid, figures.contour[where[slot]]))
    return notes

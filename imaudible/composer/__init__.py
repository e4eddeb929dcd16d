"""The built-in procedural composer: deterministic music from a mood and the image's structure, no weights.

How the mood is played:
- valence picks the mode (harmonic minor, aeolian, dorian, mixolydian, ionian, lydian; `mood.mode_name`) and
  with it the chord progressions, which give the tonic half the bars; the tonic chord stays a plain triad,
  the others take an added ninth when calm or a seventh in the ambivalent middle;
- arousal sets tempo (`mood.tempo_bpm`), rhythmic density (melody cells, arpeggio subdivision, bass
  pattern from a tonic pedal to driving eighths, drums above the middle, with the kick tuned to the
  tonic), dynamics (velocity and accents) and the reverb's length;
- brightness sets the register of melody, arpeggio and pads;
- saturation sets how rich the wavetables are (partials and spectral slope); the palette's dominant hue
  picks the instrument family (`mood.timbre_family`) and, after Scriabin's colour-key wheel, the tonic.

The image's structure (its fingerprint, `structure.fingerprint`) gives what makes one image of a mood its own:
the melody's contour and rhythm, the chord voicing, the arpeggio and bass figures and, for a colourless image,
the key (see `plan`). The rest is seeded by the artwork's content hash and the music seed: the progression
and small human timing.

Modules: `plan` (what to play), `harmony` (degrees, chords, voicings), `instruments` (sound sources),
`parts` (the band: pads, bass, keys, melody, drums), `mixer` (placement, hall, master).
Output: float32 stereo at 48 kHz (the rate Opus works at, so finishing needs no resampling), exactly
the requested duration, peak at about -2 dBFS, no DC. Every note starts and ends at zero amplitude.
"""
from __future__ import annotations

import numpy as np

from ..mood import Mood, is_major
from . import parts
from .harmony import Harmony
from .instruments import SAMPLE_RATE
from .mixer import Mixer
from .plan import make_plan, seed_for

__all__ = ["SAMPLE_RATE", "compose", "describe_plan", "seed_for"]


def compose(mood: Mood, duration: float, seed: int) -> np.ndarray:
    """Stereo float32 samples, shape (2, round(duration * SAMPLE_RATE))."""
    rng = np.random.default_rng(seed)
    n = max(1, int(round(duration * SAMPLE_RATE)))
    plan = make_plan(mood, duration, rng)
    band = parts.Band(mood, plan, Harmony(mood, plan), Mixer(n))
    parts.pads(band, rng)
    parts.bass(band, rng)
    parts.keys(band, rng)
    parts.melody(band, rng)
    if mood.arousal > 0.55:
        parts.drums(band, rng)
    return band.mixer.finish(mood, rng)


def describe_plan(mood: Mood, content_hash: str, seed: int, duration: float = 20.0) -> dict:
    """The musical choices for a mood and structure (for reports and debugging)."""
    plan = make_plan(mood, duration, np.random.default_rng(seed_for(content_hash, seed)))
    names = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
    return {"bpm": plan.bpm, "key": f"{names[plan.tonic]} {plan.mode}", "major": is_major(plan.mode),
            "chords": list(plan.chords), "family": plan.family, "energy": plan.energy,
            "arpeggio": list(plan.figures.arpeggio), "bass_figure": plan.figures.bass_figure}

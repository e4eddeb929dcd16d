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

The music prompt (a curator's `prompt:` or the generated one) steers what its words name and the composer
can play (`words`: tempo, mode, dissonance, dynamics, density, a crescendo; `orchestra`: instruments,
"solo", drums); the mood decides everything else, and a prompt without such words changes nothing.
`describe` says what was played and which words were followed.

Modules: `words` (the prompt's word table), `plan` (what to play), `orchestra` (who plays it), `harmony`
(degrees, chords, voicings), `instruments` (sound sources), `parts` (the band: pads, bass, keys, melody,
drums), `mixer` (placement, hall, master).
Output: float32 stereo at 48 kHz (the rate Opus works at, so finishing needs no resampling), exactly
the requested duration, peak at about -2 dBFS, no DC. Every note starts and ends at zero amplitude.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..mood import Mood, is_major
from . import orchestra, parts
from .harmony import Harmony
from .instruments import SAMPLE_RATE
from .mixer import Mixer
from .plan import make_plan, seed_for

__all__ = ["SAMPLE_RATE", "compose", "describe", "describe_plan", "seed_for"]


def compose(mood: Mood, duration: float, seed: int, prompt: str = "") -> np.ndarray:
    """Stereo float32 samples, shape (2, round(duration * SAMPLE_RATE))."""
    rng = np.random.default_rng(seed)
    n = max(1, int(round(duration * SAMPLE_RATE)))
    plan = make_plan(mood, duration, rng, prompt)
    # the prompt's dynamics play the mood as if it had that arousal; tempo, mode and density stay the plan's
    played = mood if plan.arousal == mood.arousal else dataclasses.replace(mood, arousal=plan.arousal)
    band = parts.Band(played, plan, Harmony(played, plan), Mixer(n))
    cast = plan.orchestra
    for playing, part in ((cast.pad, parts.pads), (cast.bass, parts.bass), (cast.keys, parts.keys),
                          (cast.lead, parts.melody), (cast.drums, parts.drums)):
        if playing:
            part(band, rng)
    return band.mixer.finish(played, rng, plan.crescendo)


def describe(mood: Mood, prompt: str = "", duration: float = 20.0) -> str:
    """What the built-in composer plays for this mood and prompt, in words (the same for every seed), e.g.
    "built-in draft following 'slow', 'cello': slow, melancholic cello melody over strings and bass ..."
    """
    plan = make_plan(mood, duration, np.random.default_rng(0), prompt)
    return orchestra.describe(plan, mood)


def describe_plan(mood: Mood, content_hash: str, seed: int, duration: float = 20.0, prompt: str = "") -> dict:
    """The musical choices for a mood, structure and prompt (for reports and debugging)."""
    plan = make_plan(mood, duration, np.random.default_rng(seed_for(content_hash, seed)), prompt)
    names = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
    return {"bpm": plan.bpm, "key": f"{names[plan.tonic]} {plan.mode}", "major": is_major(plan.mode),
            "chords": list(plan.chords), "family": plan.family, "energy": plan.energy,
            "arpeggio": list(plan.figures.arpeggio), "bass_figure": plan.figures.bass_figure,
            "orchestra": dataclasses.asdict(plan.orchestra), "tension": plan.tension, "dynamics": plan.dynamics,
            "crescendo": plan.crescendo, "followed": list(plan.followed),
            "description": orchestra.describe(plan, mood)}

"""Harmony of the built-in composer: scale degrees to pitches, the bar's chord, voicings and chord tones."""
from __future__ import annotations

from ..mood import Mood
from .plan import Plan


class Harmony:
    def __init__(self, mood: Mood, plan: Plan):
        self.mood, self.plan = mood, plan

    def pitch(self, degree: int) -> int:
        """MIDI pitch of a scale degree: degree 0 is the tonic in octave -1 (MIDI 0..11), 7 an octave up."""
        return self.plan.tonic + self.plan.scale[degree % 7] + 12 * (degree // 7)

    def chord_degrees(self, bar: int) -> list[int]:
        root = self.plan.chords[min(bar, self.plan.bars - 1)]
        degrees = [root, root + 2, root + 4]
        if self.plan.tension:                   # seventh and ninth on every chord, a ninth on the tonic too
            return degrees + ([root + 8] if root == 0 else [root + 6, root + 8])
        if root == 0:
            return degrees                      # a plain tonic triad states the mode
        if self.mood.arousal < 0.45:
            degrees.append(root + 8)            # added ninth: calm, open colour
        elif 0.35 < self.mood.valence < 0.65:
            degrees.append(root + 6)            # seventh in the ambivalent middle
        return degrees

    def voicing(self, bar: int, centre: int) -> list[int]:
        """The bar's chord around `centre` (moved by the image's lift): close, so voices move by small steps,
        or, for an image whose lightness spans top to bottom, open (every other voice an octave apart)."""
        centre += self.plan.figures.lift
        pitches = []
        for d in self.chord_degrees(bar):
            p = self.pitch(d)
            p += 12 * round((centre - p) / 12)
            pitches.append(p)
        pitches = sorted(set(pitches))
        if self.plan.figures.spread > 0.5 and len(pitches) >= 3:
            pitches = [p + 12 if i % 2 else p for i, p in enumerate(pitches)]
            if max(pitches) - centre > 12:
                pitches = [p - 12 for p in pitches]
            pitches = sorted(pitches)
        return pitches

    def nearest_chord_degree(self, bar: int, degree: int, centre: float) -> int:
        tones = {d % 7 for d in self.chord_degrees(bar)[:3]}
        candidates = [d for d in range(degree - 4, degree + 5) if d % 7 in tones]
        return min(candidates, key=lambda c: (abs(c - degree), abs(self.pitch(c) - centre)))

    def degree_near(self, target: float, allowed: set[int] | None = None) -> int:
        """The scale degree (restricted to `allowed` degrees mod 7) whose pitch is nearest `target`."""
        return min((d for d in range(7, 70) if allowed is None or d % 7 in allowed),
                   key=lambda d: abs(self.pitch(d) - target))

"""The band of the built-in composer: each part (pads, bass, keys, melody, drums) renders a plan into the mixer.

A `Band` holds what every part shares: the mood, the plan, its harmony, the mixer and the dynamics
(velocity, accents and small human timing, all following arousal). Each part plays the voice the plan's
orchestra gives it; `compose` leaves out the parts the orchestra has no voice for.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..mood import Mood
from .harmony import Harmony
from .instruments import (SAMPLE_RATE, drum_kit, envelope, harmonic_table, keys_tables, lead_player, osc,
                          pad_tables, pad_voice, pluck)
from .mixer import Mixer
from .plan import BASS_FIGURES, Note, Plan, motif_rhythm


@dataclass
class Band:
    mood: Mood
    plan: Plan
    harmony: Harmony
    mixer: Mixer

    @property
    def bar(self) -> float:
        return 4 * self.plan.beat

    @property
    def end(self) -> float:
        return self.mixer.n / SAMPLE_RATE

    @property
    def richness(self) -> float:          # 0 dull .. 1 bright timbres
        return min(1.0, 0.25 + 1.6 * self.mood.saturation)

    @property
    def loudness(self) -> float:          # dynamics follow arousal
        return 0.55 + 0.4 * self.mood.arousal

    @property
    def register(self) -> int:            # semitones up for bright images
        return int(round(12 * (self.mood.brightness - 0.5) * 1.6))

    def velocity(self, beat_in_bar: float, rng, base: float = 1.0) -> float:
        accent = 0.05 + 0.15 * self.mood.arousal
        accent = accent if beat_in_bar == 0 else accent * 0.4 if beat_in_bar == 2 else 0.0
        offbeat = -0.08 if beat_in_bar % 1 else 0.0
        return float(np.clip(base * (self.loudness + accent + offbeat + rng.normal(0, 0.03)), 0.1, 1.0))

    @staticmethod
    def humanise(rng) -> float:
        return float(rng.normal(0, 0.006))


def pads(band: Band, rng) -> None:
    calm = 1 - band.mood.arousal
    attack, release = 0.3 + 1.1 * calm, 0.5 + 1.3 * calm
    centre = 57 + band.register // 2
    dull, bright = pad_tables(band.plan.orchestra.pad, band.richness)
    for bar in range(band.plan.bars):
        start = bar * band.bar
        length = band.bar if bar < band.plan.bars - 1 else band.end - start - release
        for i, p in enumerate(band.harmony.voicing(bar, centre)):
            note = Note(start, max(length, 0.2), p, 0.8, pan=(-0.5 if i % 2 else 0.5))
            band.mixer.add(pad_voice(note, dull, bright, attack, release, bar), note, 0.10, 0.9)


def bass(band: Band, rng) -> None:
    """Calm: a tonic pedal under every chord. Medium: the image's bass figure. Busy: driving eighths."""
    table = harmonic_table((1.0, 0.35, 0.12, 0.05))
    plan = band.plan
    beat, energy = plan.beat, plan.energy
    for bar in range(plan.bars):
        root = band.harmony.pitch(0 if energy == "calm" else plan.chords[bar])
        root = 34 + (root - 34) % 12
        if energy == "calm" or bar == plan.bars - 1:
            hits = [(0, 4, root)]
        elif energy == "medium":
            hits = [(pos, beats, root + up) for pos, beats, up in BASS_FIGURES[plan.figures.bass_figure]]
        else:
            hits = [(b * 0.5, 0.45, root + (12 if b in (3, 7) else 0)) for b in range(8)]
        for pos, beats, pitch in hits:
            start = bar * band.bar + pos * beat
            length = min(beats * beat, band.end - start - 0.15)
            if length <= 0.05:
                continue
            note = Note(start, length, pitch, band.velocity(pos, rng))
            release = 0.08 if energy == "busy" else 0.25
            voice = osc(table, note.pitch, length + release) * envelope(length + release, 0.012, release,
                                                                        decay=1.5 + 2 * (energy == "calm"))
            band.mixer.add(voice, note, 0.22 if energy == "busy" else 0.28, 0.1)


def keys(band: Band, rng) -> None:
    plan = band.plan
    step = {"calm": 1.0, "medium": 0.5, "busy": 0.5 if band.mood.arousal < 0.82 else 0.25}[plan.energy]
    body, tine = keys_tables(plan.orchestra.keys, band.richness)
    centre = 64 + band.register
    pattern = plan.figures.arpeggio
    decay = 0.35 + 0.9 * (1 - band.mood.arousal)
    first_bar = 0 if plan.bars <= 3 or plan.energy == "busy" else 1
    k = 0
    for bar in range(first_bar, plan.bars - 1):
        chord = band.harmony.voicing(bar, centre)
        for i in range(int(round(4 / step))):
            pos = i * step
            start = bar * band.bar + pos * plan.beat + band.humanise(rng)
            length = min(step * plan.beat * 1.6, band.end - start - 0.3)
            if length <= 0.05 or start < 0:
                continue
            pitch = chord[pattern[k % len(pattern)] % len(chord)]
            k += 1
            note = Note(start, length, pitch, band.velocity(pos, rng, 0.9), pan=0.35 if k % 2 else -0.35)
            band.mixer.add(pluck(note, body, tine, decay), note, 0.22 if step >= 1 else 0.16, 0.6)


def melody(band: Band, rng) -> None:
    """Two-bar motifs in the form A A B A: A follows the image's contour where its detail is; B is A's
    retrograde (the picture read right to left); the last bar closes on the tonic."""
    plan = band.plan
    if plan.bars < 2:
        return
    centre = 69 + band.register + 12 * plan.orchestra.octave
    lead = lead_player(plan.orchestra.lead, band.richness, band.mood.arousal)
    motif_a = motif_rhythm(plan.figures, plan.energy, rng)
    heights = [h for _, _, h in motif_a]
    motif_b = [(pos, length, h) for (pos, length, _), h in zip(motif_a, heights[::-1])]
    bar, phrase = (1 if plan.bars >= 4 else 0), 0
    while bar < plan.bars - 1:
        kind = phrase % 4
        play_motif(band, rng, motif_b if kind == 2 else motif_a, bar, centre, lead, vary=(kind == 3))
        bar += 2
        phrase += 1
    start = (plan.bars - 1) * band.bar
    length = band.end - start - 0.6
    if length > 0.3:
        note = Note(start, min(length, 2 * band.bar), band.harmony.pitch(band.harmony.degree_near(centre, {0})),
                    band.velocity(0, rng, 0.9), 0.15)
        band.mixer.add(lead(note), note, 0.22, 0.5)


def play_motif(band: Band, rng, motif, bar, centre, play, vary=False) -> None:
    """Heights 0..1 span three or four scale degrees either side of the register's centre; strong beats,
    long notes and the phrase's end sit on the chord. `vary` lifts the last note (an answering phrase)."""
    harmony, beat, last_bar = band.harmony, band.plan.beat, band.plan.bars - 1
    home = harmony.degree_near(centre)
    for i, (pos, length, height) in enumerate(motif):
        this_bar = bar + int(pos // 4)
        if this_bar >= last_bar:
            break
        in_bar = pos % 4
        degree = home + int(round((height - 0.5) * 7)) + (2 if vary and i == len(motif) - 1 else 0)
        if in_bar in (0, 2) or length >= 1 or i == len(motif) - 1:
            degree = harmony.nearest_chord_degree(this_bar, degree, centre)
        start = bar * band.bar + pos * beat + band.humanise(rng)
        dur = min(length * beat * 0.92, band.end - start - 0.4)
        if dur <= 0.05 or start < 0:
            continue
        note = Note(start, dur, harmony.pitch(degree), band.velocity(in_bar, rng, 0.95), pan=0.15)
        band.mixer.add(play(note), note, 0.22, 0.5)


def drums(band: Band, rng) -> None:
    """Kick on the strong beats (every beat when intense), clap on the back beats when lively; the hats
    lean on the offbeats where the image has the most detail."""
    a, plan = band.mood.arousal, band.plan
    kit = drum_kit(plan.tonic, rng)
    beat = plan.beat
    hat_step = 0.25 if a > 0.85 else 0.5
    hats = int(4 / hat_step)
    pulse = np.asarray(plan.figures.pulse)[np.linspace(0, len(plan.figures.pulse) - 1e-9, hats).astype(int)]
    for bar in range(1 if plan.bars > 2 else 0, plan.bars - 1):
        t0 = bar * band.bar
        bridge = plan.sections[bar] == 1
        for b in range(4):
            if not bridge and (b in (0, 2) or a > 0.75):
                level = (0.42 if b == 0 else 0.36) * band.loudness    # steady: accents would pump the mix
                band.mixer.hit(kit["kick"], t0 + b * beat, level, 0.0, 0.05)
            if b in (1, 3) and a > 0.68:
                band.mixer.hit(kit["clap"], t0 + b * beat, 0.22 * band.loudness, 0.1, 0.3)
        for i in range(hats):
            pos = i * hat_step
            level = 0.09 * (0.55 + 0.45 * pulse[i] if pos % 1 else 0.5) * band.velocity(pos, rng)
            band.mixer.hit(kit["hat"], t0 + pos * beat + band.humanise(rng), level, -0.35, 0.15)

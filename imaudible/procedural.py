"""The built-in procedural composer: deterministic music from a mood, with no model weights.

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

The rest is seeded by the artwork's content hash and the music seed: the progression, the melody's
two-bar motif (stated, restated over the next chords, contrasted, restated) and small human timing.
Output: float32 stereo at 48 kHz (the rate Opus works at, so finishing needs no resampling), exactly
the requested duration, peak at about -2 dBFS, no DC. Every note starts and ends at zero amplitude.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft as sfft
from scipy import signal

from .mood import Mood, dominant_hue, is_major, mode_name, tempo_bpm, timbre_family

SAMPLE_RATE = 48000
TABLE_SIZE = 16384          # large enough that reading it without interpolation stays ~60 dB clean
PEAK = 0.8

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
MELODY_CELLS = {  # one bar of note lengths in beats, by energy
    "calm": ((4,), (2, 2), (3, 1), (2, 1, 1), (1, 1, 2)),
    "medium": ((1, 1, 2), (2, 1, 1), (1.5, 0.5, 2), (1, 1, 1, 1), (1, 0.5, 0.5, 2), (3, 1)),
    "busy": ((0.5, 0.5, 1, 2), (1, 0.5, 0.5, 1, 1), (0.5, 0.5, 0.5, 0.5, 2), (1.5, 0.5, 1, 1), (1, 1, 0.5, 0.5, 1)),
}


@dataclass(frozen=True)
class Note:
    start: float      # seconds
    length: float     # seconds, before the release
    pitch: float      # MIDI note number
    velocity: float   # 0..1
    pan: float = 0.0  # -1 left .. 1 right


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


def seed_for(content_hash: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{content_hash}:{seed}".encode()).digest()[:8], "little")


def compose(mood: Mood, duration: float, seed: int) -> np.ndarray:
    """Stereo float32 samples, shape (2, round(duration * SAMPLE_RATE))."""
    rng = np.random.default_rng(seed)
    n = max(1, int(round(duration * SAMPLE_RATE)))
    plan = make_plan(mood, duration, rng)
    mix = np.zeros((2, n), np.float32)
    send = np.zeros(n, np.float32)
    voices = Voices(mood, plan, n)
    voices.pads(mix, send, rng)
    voices.bass(mix, send, rng)
    voices.keys(mix, send, rng)
    voices.melody(mix, send, rng)
    if mood.arousal > 0.55:
        voices.drums(mix, send, rng)
    mix += reverb(send, mood, rng)
    return master(mix)


def make_plan(mood: Mood, duration: float, rng: np.random.Generator) -> Plan:
    bpm = tempo_bpm(mood)
    beat = 60.0 / bpm
    bars = max(1, math.ceil(duration / (4 * beat) - 0.15))
    mode = mode_name(mood)
    order = rng.permutation(len(PROGRESSIONS[mode]))
    verse, bridge = (PROGRESSIONS[mode][i] for i in (order[0], order[1 % len(order)]))
    # Long pieces alternate eight-bar sections: verse, verse, bridge, verse, ...
    sections = tuple(1 if bars > 12 and (i // 8) % 4 == 2 else 0 for i in range(bars))
    chords = [(bridge if sections[i] else verse)[i % 4] for i in range(bars)]
    chords[-1] = 0
    energy = "calm" if mood.arousal < 0.38 else "medium" if mood.arousal < 0.62 else "busy"
    return Plan(bpm=bpm, tonic=tonic_for(mood, rng), mode=mode, scale=MODES[mode], chords=tuple(chords),
                family=timbre_family(mood), energy=energy, beat=beat, bars=bars, sections=sections)


def tonic_for(mood: Mood, rng: np.random.Generator) -> int:
    hue = dominant_hue(mood)
    if hue is None or mood.saturation < 0.12:
        return int(rng.choice([0, 2, 5, 7, 9]))
    return min(SCRIABIN, key=lambda anchor: abs((hue - anchor[0] + 180) % 360 - 180))[1]


class Voices:
    """The band: renders each part of a plan into the stereo mix and the mono reverb send."""

    def __init__(self, mood: Mood, plan: Plan, n: int):
        self.mood, self.plan, self.n = mood, plan, n
        self.bar = 4 * plan.beat
        self.end = n / SAMPLE_RATE
        sat = mood.saturation
        self.richness = min(1.0, 0.25 + 1.6 * sat)        # 0 dull .. 1 bright timbres
        self.loudness = 0.55 + 0.4 * mood.arousal          # dynamics follow arousal
        self.accent = 0.05 + 0.15 * mood.arousal
        self.register = int(round(12 * (mood.brightness - 0.5) * 1.6))   # semitones up for bright images

    # -- harmony helpers --
    def pitch(self, degree: int) -> int:
        """MIDI pitch of a scale degree: degree 0 is the tonic in octave -1 (MIDI 0..11), 7 an octave up."""
        return self.plan.tonic + self.plan.scale[degree % 7] + 12 * (degree // 7)

    def chord_degrees(self, bar: int) -> list[int]:
        root = self.plan.chords[min(bar, self.plan.bars - 1)]
        degrees = [root, root + 2, root + 4]
        if root == 0:
            return degrees                      # a plain tonic triad states the mode
        if self.mood.arousal < 0.45:
            degrees.append(root + 8)            # added ninth: calm, open colour
        elif 0.35 < self.mood.valence < 0.65:
            degrees.append(root + 6)            # seventh in the ambivalent middle
        return degrees

    def voicing(self, bar: int, centre: int) -> list[int]:
        """Close voicing of the bar's chord around `centre` (keeps voices moving by small steps)."""
        pitches = []
        for d in self.chord_degrees(bar):
            p = self.pitch(d)
            p += 12 * round((centre - p) / 12)
            pitches.append(p)
        return sorted(set(pitches))

    def velocity(self, beat_in_bar: float, rng, base: float = 1.0) -> float:
        accent = self.accent if beat_in_bar == 0 else self.accent * 0.4 if beat_in_bar == 2 else 0.0
        offbeat = -0.08 if beat_in_bar % 1 else 0.0
        return float(np.clip(base * (self.loudness + accent + offbeat + rng.normal(0, 0.03)), 0.1, 1.0))

    def humanise(self, rng) -> float:
        return float(rng.normal(0, 0.006))

    # -- parts --
    def pads(self, mix, send, rng):
        calm = 1 - self.mood.arousal
        attack, release = 0.3 + 1.1 * calm, 0.5 + 1.3 * calm
        centre = 57 + self.register // 2
        dull, bright = pad_tables(self.plan.family, self.richness)
        gain = 0.10
        for bar in range(self.plan.bars):
            start = bar * self.bar
            length = self.bar if bar < self.plan.bars - 1 else self.end - start - release
            for i, p in enumerate(self.voicing(bar, centre)):
                note = Note(start, max(length, 0.2), p, 0.8, pan=(-0.5 if i % 2 else 0.5))
                self.add(mix, send, pad_voice(note, dull, bright, attack, release, bar), note, gain, 0.9)

    def bass(self, mix, send, rng):
        """Calm: a tonic pedal under every chord. Medium: root, root, octave. Busy: driving eighths."""
        table = harmonic_table((1.0, 0.35, 0.12, 0.05))
        beat, energy = self.plan.beat, self.plan.energy
        for bar in range(self.plan.bars):
            root = self.pitch(0 if energy == "calm" else self.plan.chords[bar])
            root = 34 + (root - 34) % 12
            if energy == "calm" or bar == self.plan.bars - 1:
                hits = [(0, 4, root)]
            elif energy == "medium":
                hits = [(0, 2.5, root), (2.5, 0.5, root), (3, 1, root + 12)]
            else:
                hits = [(b * 0.5, 0.45, root + (12 if b in (3, 7) else 0)) for b in range(8)]
            for pos, beats, pitch in hits:
                start = bar * self.bar + pos * beat
                length = min(beats * beat, self.end - start - 0.15)
                if length <= 0.05:
                    continue
                note = Note(start, length, pitch, self.velocity(pos, rng))
                release = 0.08 if energy == "busy" else 0.25
                voice = osc(table, note.pitch, length + release) * envelope(length + release, 0.012, release,
                                                                            decay=1.5 + 2 * (energy == "calm"))
                self.add(mix, send, voice, note, 0.22 if energy == "busy" else 0.28, 0.1)

    def keys(self, mix, send, rng):
        step = {"calm": 1.0, "medium": 0.5, "busy": 0.5 if self.mood.arousal < 0.82 else 0.25}[self.plan.energy]
        body, tine = keys_tables(self.plan.family, self.richness)
        centre = 64 + self.register
        patterns = ((0, 1, 2, 3, 2, 1), (0, 2, 1, 3, 1, 2), (0, 1, 2, 1), (3, 2, 1, 0, 1, 2))
        pattern = patterns[rng.integers(len(patterns))]
        decay = 0.35 + 0.9 * (1 - self.mood.arousal)
        first_bar = 0 if self.plan.bars <= 3 or self.plan.energy == "busy" else 1
        k = 0
        for bar in range(first_bar, self.plan.bars - 1):
            chord = self.voicing(bar, centre)
            for i in range(int(round(4 / step))):
                pos = i * step
                start = bar * self.bar + pos * self.plan.beat + self.humanise(rng)
                length = min(step * self.plan.beat * 1.6, self.end - start - 0.3)
                if length <= 0.05 or start < 0:
                    continue
                pitch = chord[pattern[k % len(pattern)] % len(chord)]
                k += 1
                note = Note(start, length, pitch, self.velocity(pos, rng, 0.9), pan=0.35 if k % 2 else -0.35)
                self.add(mix, send, pluck(note, body, tine, decay), note, 0.22 if step >= 1 else 0.16, 0.6)

    def melody(self, mix, send, rng):
        """Two-bar motifs in the form A A B A (A restated over new chords), closing on the tonic."""
        plan = self.plan
        if plan.bars < 2:
            return
        centre = 69 + self.register
        lead = lead_table(plan.family, self.richness)
        motif_a = self.new_motif(rng)
        bar, phrase = (1 if plan.bars >= 4 else 0), 0
        while bar < plan.bars - 1:
            kind = phrase % 4
            motif = self.new_motif(rng) if kind == 2 else motif_a
            self.play_motif(mix, send, rng, motif, bar, centre, lead, vary=(kind == 3))
            bar += 2
            phrase += 1
        start = (plan.bars - 1) * self.bar
        length = self.end - start - 0.6
        if length > 0.3:
            note = Note(start, min(length, 2 * self.bar), self.pitch(self.degree_near(centre, {0})),
                        self.velocity(0, rng, 0.9), 0.15)
            self.add(mix, send, lead_voice(note, lead, self.mood.arousal), note, 0.22, 0.5)

    def new_motif(self, rng) -> list[tuple[float, float, int]]:
        """Two bars of (position in beats, length in beats, scale step from the previous note)."""
        cells = MELODY_CELLS[self.plan.energy]
        rhythm = list(cells[rng.integers(len(cells))]) + list(cells[rng.integers(len(cells))])
        steps = rng.choice([-3, -2, -1, -1, -1, 1, 1, 1, 2, 3], size=len(rhythm))
        steps[0] = rng.choice([0, 2, 4])        # where the motif starts, above the chord's nearest root
        notes, pos = [], 0.0
        for length, step in zip(rhythm, steps):
            notes.append((pos, length, int(step)))
            pos += length
        return notes

    def play_motif(self, mix, send, rng, motif, bar, centre, table, vary=False):
        beat, last_bar = self.plan.beat, self.plan.bars - 1
        degree = self.degree_near(centre)
        for i, (pos, length, step) in enumerate(motif):
            this_bar = bar + int(pos // 4)
            if this_bar >= last_bar:
                break
            in_bar = pos % 4
            if vary and i == len(motif) - 1:
                step = -step
            moved = degree + step
            if abs(self.pitch(moved) - centre) > 7:          # turn back towards the register's centre
                moved = degree - step
            degree = moved
            if in_bar in (0, 2) or i == len(motif) - 1:      # strong beats and phrase ends sit on the chord
                degree = self.nearest_chord_degree(this_bar, degree, centre)
            start = bar * self.bar + pos * beat + self.humanise(rng)
            dur = min(length * beat * 0.92, self.end - start - 0.4)
            if dur <= 0.05 or start < 0:
                continue
            note = Note(start, dur, self.pitch(degree), self.velocity(in_bar, rng, 0.95), pan=0.15)
            self.add(mix, send, lead_voice(note, table, self.mood.arousal), note, 0.22, 0.5)

    def nearest_chord_degree(self, bar, degree, centre):
        tones = {d % 7 for d in self.chord_degrees(bar)[:3]}
        candidates = [d for d in range(degree - 4, degree + 5) if d % 7 in tones]
        return min(candidates, key=lambda c: (abs(c - degree), abs(self.pitch(c) - centre)))

    def degree_near(self, target: float, allowed: set[int] | None = None) -> int:
        """The scale degree (restricted to `allowed` degrees mod 7) whose pitch is nearest `target`."""
        return min((d for d in range(7, 70) if allowed is None or d % 7 in allowed),
                   key=lambda d: abs(self.pitch(d) - target))

    def drums(self, mix, send, rng):
        a = self.mood.arousal
        kit = drum_kit(self.plan.tonic, rng)
        beat = self.plan.beat
        every_beat_kick = a > 0.75
        for bar in range(1 if self.plan.bars > 2 else 0, self.plan.bars - 1):
            t0 = bar * self.bar
            bridge = self.plan.sections[bar] == 1
            for b in range(4):
                if not bridge and (b in (0, 2) or every_beat_kick):
                    level = (0.42 if b == 0 else 0.36) * self.loudness    # steady: accents would pump the mix
                    self.hit(mix, send, kit["kick"], t0 + b * beat, level, 0.0, 0.05)
                if b in (1, 3) and a > 0.68:
                    self.hit(mix, send, kit["clap"], t0 + b * beat, 0.22 * self.loudness, 0.1, 0.3)
            hat_step = 0.25 if a > 0.85 else 0.5
            for i in range(int(4 / hat_step)):
                pos = i * hat_step
                level = 0.09 * (1.0 if pos % 1 == 0.5 else 0.6) * self.velocity(pos, rng)
                self.hit(mix, send, kit["hat"], t0 + pos * beat + self.humanise(rng), level, -0.35, 0.15)

    # -- mixing --
    def add(self, mix, send, voice, note: Note, gain: float, send_level: float):
        i0 = int(round(note.start * SAMPLE_RATE))
        if i0 >= self.n or i0 < 0:
            return
        v = voice[..., : self.n - i0] * np.float32(gain * note.velocity)
        if v.ndim == 2:          # already stereo (pads carry their own width)
            left, right = v[0], v[1]
        else:
            theta = (note.pan + 1) * math.pi / 4
            left, right = v * math.cos(theta), v * math.sin(theta)
        end = i0 + left.shape[-1]
        mix[0, i0:end] += left
        mix[1, i0:end] += right
        send[i0:end] += (left + right) * (0.5 * send_level)

    def hit(self, mix, send, sample, start, level, pan, send_level):
        self.add(mix, send, sample, Note(max(start, 0.0), 0.0, 0, 1.0, pan), level, send_level)


# --- sound sources -------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def harmonic_table(amplitudes: tuple[float, ...]) -> np.ndarray:
    """One cycle of a waveform with the given harmonic amplitudes, peak 1."""
    phase = np.arange(TABLE_SIZE) * (2 * math.pi / TABLE_SIZE)
    wave = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amplitudes) if a)
    return (wave / np.abs(wave).max()).astype(np.float32)


def spectrum(partials: int, slope: float, odd_only: bool = False, second: float = 0.0) -> tuple[float, ...]:
    amps = []
    for k in range(1, partials + 1):
        a = 0.0 if (odd_only and k % 2 == 0) else 1.0 / k ** slope
        if odd_only and k == 2:
            a = second
        amps.append(round(a, 4))
    return tuple(amps)


def pad_tables(family: str, richness: float):
    """(dull, bright) tables the pad sweeps between. Richness steepens or flattens the spectral slope; the
    partials always reach a few kHz (quietly when dull) so no timbre sounds as if heard through a wall."""
    slope = 2.4 - 0.9 * richness              # never flatter than 1/k^1.5: a bare sawtooth buzzes
    shapes = {
        "warm": spectrum(24, slope),                                        # string-like: all harmonics
        "cool": spectrum(23, slope - 0.2, odd_only=True, second=0.15),      # hollow, glassy
        "green": spectrum(21, slope + 0.1, odd_only=True, second=0.3),      # reedy
        "muted": spectrum(16, slope + 0.3),                                 # soft organ
    }
    return harmonic_table(spectrum(8, 2.6)), harmonic_table(shapes[family])


def keys_tables(family: str, richness: float):
    """(body, tine): the body rings, the tine gives the attack its brightness and decays fast."""
    if family == "green":                       # marimba: the fourth partial is the bar's first overtone
        return harmonic_table((1.0, 0.0, 0.02)), harmonic_table((0.0,) * 3 + (1.0,) + (0.0,) * 5 + (0.3,))
    if family == "cool":                        # electric piano: a bell-like tine over a round body
        return harmonic_table((1.0, 0.2, 0.05)), harmonic_table((0.2,) + (0.0,) * 5 + (1.0,) + (0.0,) * 6 + (0.4,))
    return harmonic_table((1.0, 0.3, 0.1, 0.05)), harmonic_table(spectrum(16, 1.9 - 0.6 * richness))


def lead_table(family: str, richness: float):
    if family == "warm":                        # soft brass
        return harmonic_table(spectrum(12, 2.0 - 0.6 * richness))
    if family == "green":                       # clarinet-like: odd harmonics
        return harmonic_table(spectrum(11, 1.7 - 0.3 * richness, odd_only=True, second=0.1))
    if family == "cool":                        # vibraphone-like
        return harmonic_table((1.0, 0.1, 0.25, 0.0, 0.06, 0.0, 0.03))
    return harmonic_table(spectrum(8, 2.6 - 0.6 * richness))   # flute-like


def midi_hz(pitch: float) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)


def phase_index(pitch: float, n: int, cents: float = 0.0, vibrato: np.ndarray | None = None,
                phase0: float = 0.0) -> np.ndarray:
    """Wavetable indices for `n` samples of a note; fixed-point phase keeps pitch exact over long notes."""
    f = midi_hz(pitch) * 2 ** (cents / 1200) / SAMPLE_RATE
    if vibrato is not None:
        phase = np.cumsum(f * (1 + vibrato[:n])) + phase0
        return (phase * TABLE_SIZE).astype(np.int64) & (TABLE_SIZE - 1)
    step = int(round(f * TABLE_SIZE * _FRACTION))
    start = int(round(phase0 * TABLE_SIZE * _FRACTION))
    return ((np.arange(n, dtype=np.int64) * step + start) >> _FRACTION_BITS) & (TABLE_SIZE - 1)


_FRACTION_BITS = 20
_FRACTION = 1 << _FRACTION_BITS


def osc(table: np.ndarray, pitch: float, seconds: float, cents: float = 0.0, vibrato: np.ndarray | None = None,
        phase0: float = 0.0) -> np.ndarray:
    return table[phase_index(pitch, max(1, int(seconds * SAMPLE_RATE)), cents, vibrato, phase0)]


def envelope(seconds: float, attack: float, release: float, decay: float | None = None) -> np.ndarray:
    """Raised-cosine attack and release (zero at both ends), optional exponential decay of time constant `decay`."""
    n = max(2, int(seconds * SAMPLE_RATE))
    env = np.ones(n, np.float32)
    a = min(max(int(attack * SAMPLE_RATE), 2), n // 2)
    r = min(max(int(release * SAMPLE_RATE), 2), n - a)
    env[:a] = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, a, dtype=np.float32))
    env[n - r:] *= 0.5 + 0.5 * np.cos(np.linspace(0, math.pi, r, dtype=np.float32))
    if decay:
        env *= np.exp(-np.arange(n, dtype=np.float32) / np.float32(decay * SAMPLE_RATE))
    return env


def pad_voice(note: Note, dull, bright, attack, release, bar_index) -> np.ndarray:
    """Two detuned oscillators (one per side) whose tone slowly opens and closes."""
    seconds = note.length + release
    env = envelope(seconds, attack, release)
    n = env.shape[0]
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    sweep = (0.45 + 0.35 * np.sin(2 * math.pi * t / 7.0 + bar_index)).astype(np.float32)
    out = np.empty((2, n), np.float32)
    for side, cents in enumerate((-6.0, 6.0)):
        phase0 = 0.37 * side + 0.11 * note.pitch
        idx = phase_index(note.pitch, n, cents, phase0=phase0)
        a = dull[idx]
        out[side] = (a + (bright[idx] - a) * sweep) * env
    return out * 0.7


def pluck(note: Note, body, tine, decay) -> np.ndarray:
    seconds = note.length + 0.12
    ring = osc(body, note.pitch, seconds) * envelope(seconds, 0.006, 0.12, decay=decay)
    strike = osc(tine, note.pitch, seconds) * envelope(seconds, 0.005, 0.12, decay=0.09)
    n = min(len(ring), len(strike))
    return ring[:n] + 0.45 * strike[:n]


def lead_voice(note: Note, table, arousal: float) -> np.ndarray:
    release = 0.18 - 0.1 * arousal
    seconds = note.length + release
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    depth = np.clip((t - 0.25) / 0.4, 0, 1) * 0.0035          # vibrato grows in after the attack
    vibrato = depth * np.sin(2 * math.pi * 5.2 * t)
    attack = 0.06 - 0.045 * arousal
    return osc(table, note.pitch, seconds, vibrato=vibrato)[:n] * envelope(seconds, attack, release)[:n]


def drum_kit(tonic: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Kick, hat and clap. The kick is tuned: its pitch glides down onto the tonic (41..78 Hz)."""
    sr = SAMPLE_RATE
    t = np.arange(int(0.45 * sr)) / sr
    tau, low = 0.01, midi_hz(28 + (tonic - 4) % 12)
    phase = 2 * math.pi * (low * t + 0.8 * low * tau * (1 - np.exp(-t / tau)))    # from 1.8x down to `low`
    kick = np.sin(phase) * envelope(0.45, 0.002, 0.05, decay=0.12)[: len(t)]
    noise = rng.standard_normal(int(0.3 * sr))
    hat = signal.sosfilt(signal.butter(4, 7000, "highpass", fs=sr, output="sos"), noise)[: int(0.12 * sr)]
    hat = hat / np.abs(hat).max() * envelope(0.12, 0.001, 0.03, decay=0.025)[: len(hat)]
    clap = signal.sosfilt(signal.butter(2, (900, 3500), "bandpass", fs=sr, output="sos"), noise)
    clap = clap / np.abs(clap).max() * envelope(0.3, 0.002, 0.08, decay=0.07)[: len(clap)]
    body = np.sin(2 * math.pi * 185 * np.arange(len(clap)) / sr) * envelope(0.3, 0.002, 0.08, decay=0.04)[: len(clap)]
    return {"kick": kick.astype(np.float32), "hat": hat.astype(np.float32),
            "clap": (0.8 * clap + 0.4 * body).astype(np.float32)}


# --- space and master -------------------------------------------------------------------------------------

def reverb(send: np.ndarray, mood: Mood, rng: np.random.Generator) -> np.ndarray:
    """Convolution with decorrelated decaying noise per side: a simple, dense hall; calm moods ring longer."""
    calm = 1 - mood.arousal
    t60 = 1.3 + 1.8 * calm
    length = int(min(t60 * 0.8, 2.4) * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    decay = np.exp(-6.91 * t / t60)
    onset = np.clip((t - 0.012) / 0.01, 0, 1)          # pre-delay, then a smooth start
    lowpass = signal.butter(1, 4000 + 4000 * mood.brightness, fs=SAMPLE_RATE, output="sos")
    wet_level = 0.22 + 0.3 * calm
    out = np.empty((2, len(send)), np.float32)
    nfft = sfft.next_fast_len(len(send) + length, real=True)
    spectrum_in = sfft.rfft(send.astype(np.float32), nfft)
    for side in range(2):
        ir = signal.sosfilt(lowpass, rng.standard_normal(length)) * decay * onset
        ir *= wet_level / math.sqrt(float(np.sum(ir ** 2)))
        out[side] = sfft.irfft(spectrum_in * sfft.rfft(ir.astype(np.float32), nfft), nfft)[: len(send)]
    return out


def master(mix: np.ndarray) -> np.ndarray:
    """Remove DC and rumble, smooth the clip's edges, set the peak."""
    sos = signal.butter(2, 30, "highpass", fs=SAMPLE_RATE, output="sos")
    mix = signal.sosfilt(sos, mix, axis=1).astype(np.float32)
    mix -= mix.mean(axis=1, keepdims=True)
    edge = min(int(0.02 * SAMPLE_RATE), mix.shape[1] // 4)
    if edge > 1:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, math.pi, edge))).astype(np.float32)
        mix[:, :edge] *= ramp
        mix[:, -edge:] *= ramp[::-1]
    peak = float(np.abs(mix).max())
    if peak > 0:
        mix *= PEAK / peak
    return mix


def describe_plan(mood: Mood, content_hash: str, seed: int, duration: float = 20.0) -> dict:
    """The musical choices for a mood (for reports and debugging)."""
    plan = make_plan(mood, duration, np.random.default_rng(seed_for(content_hash, seed)))
    names = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
    return {"bpm": plan.bpm, "key": f"{names[plan.tonic]} {plan.mode}", "major": is_major(plan.mode),
            "chords": list(plan.chords), "family": plan.family, "energy": plan.energy}

"""Sound sources of the built-in composer: wavetables, oscillators, envelopes and the instruments' voices."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import signal

from .plan import Note

SAMPLE_RATE = 48000
TABLE_SIZE = 16384          # large enough that reading it without interpolation stays ~60 dB clean


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


def pad_tables(voice: str, richness: float):
    """(dull, bright) tables the pad sweeps between. Richness steepens or flattens the spectral slope; the
    partials always reach a few kHz (quietly when dull) so no timbre sounds as if heard through a wall."""
    slope = 2.4 - 0.9 * richness              # never flatter than 1/k^1.5: a bare sawtooth buzzes
    shapes = {
        "strings": lambda: spectrum(24, slope),                                   # all harmonics
        "glass": lambda: spectrum(23, slope - 0.2, odd_only=True, second=0.15),   # hollow, glassy
        "reeds": lambda: spectrum(21, slope + 0.1, odd_only=True, second=0.3),    # reedy
        "organ": lambda: spectrum(16, slope + 0.3),                               # soft organ
        "brass": lambda: spectrum(12, slope),                                     # a darker section
    }
    return harmonic_table(spectrum(8, 2.6)), harmonic_table(shapes[voice]())


KEYS_VOICES = ("piano", "electric piano", "marimba", "guitar")


def keys_tables(voice: str, richness: float):
    """(body, tine): the body rings, the tine gives the attack its brightness and decays fast."""
    if voice == "marimba":                      # the fourth partial is the bar's first overtone
        return harmonic_table((1.0, 0.0, 0.02)), harmonic_table((0.0,) * 3 + (1.0,) + (0.0,) * 5 + (0.3,))
    if voice == "electric piano":               # a bell-like tine over a round body
        return harmonic_table((1.0, 0.2, 0.05)), harmonic_table((0.2,) + (0.0,) * 5 + (1.0,) + (0.0,) * 6 + (0.4,))
    if voice == "guitar":                       # a string plucked at a fifth of its length: no 5th, 10th partial
        body = tuple(round(abs(math.sin(math.pi * k / 5)) / k ** 1.6, 4) for k in range(1, 15))
        return harmonic_table(body), harmonic_table(spectrum(18, 1.6 - 0.4 * richness))
    return harmonic_table((1.0, 0.3, 0.1, 0.05)), harmonic_table(spectrum(16, 1.9 - 0.6 * richness))


def lead_table(voice: str, richness: float):
    if voice == "brass":
        return harmonic_table(spectrum(12, 2.0 - 0.6 * richness))
    if voice == "clarinet":                     # odd harmonics
        return harmonic_table(spectrum(11, 1.7 - 0.3 * richness, odd_only=True, second=0.1))
    if voice == "vibraphone":
        return harmonic_table((1.0, 0.1, 0.25, 0.0, 0.06, 0.0, 0.03))
    if voice == "strings":                      # bowed: every harmonic, sawtooth-like but not bare
        return harmonic_table(spectrum(20, 1.9 - 0.4 * richness))
    return harmonic_table(spectrum(8, 2.6 - 0.6 * richness))   # flute-like


def lead_player(voice: str, richness: float, arousal: float):
    """The melody's instrument: note -> mono samples. A keys voice strikes the melody; the others sustain."""
    if voice in KEYS_VOICES:
        body, tine = keys_tables(voice, richness)
        decay = 0.5 + 0.9 * (1 - arousal)
        return lambda note: pluck(note, body, tine, decay)
    table = lead_table(voice, richness)
    return lambda note: lead_voice(note, table, arousal, bowed=voice == "strings")


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


def lead_voice(note: Note, table, arousal: float, bowed: bool = False) -> np.ndarray:
    release = 0.18 - 0.1 * arousal + 0.12 * bowed             # a bow speaks and lets go more slowly
    seconds = note.length + release
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    depth = np.clip((t - 0.25) / 0.4, 0, 1) * 0.0035          # vibrato grows in after the attack
    vibrato = depth * np.sin(2 * math.pi * 5.2 * t)
    attack = 0.06 - 0.045 * arousal + 0.08 * bowed
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

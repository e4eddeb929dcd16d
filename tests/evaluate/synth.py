"""Clips whose musical character is known by construction (for the measures' tests)."""
from __future__ import annotations

import numpy as np

RATE = 32000


def notes(midi: list[int], bpm: float, seconds: float, *, harmonics: int, decay: float, level: float = 0.3,
          rate: int = RATE) -> np.ndarray:
    """A sequence of plucked notes cycling through `midi`, one per beat, with `harmonics` partials."""
    beat = 60.0 / bpm
    n = int(seconds * rate)
    out = np.zeros(n)
    t_note = np.arange(int(beat * rate)) / rate
    env = np.exp(-t_note / decay)
    for i, start in enumerate(np.arange(0, seconds - 1e-9, beat)):
        f = 440.0 * 2 ** ((midi[i % len(midi)] - 69) / 12)
        tone = sum(np.sin(2 * np.pi * f * h * t_note) / h for h in range(1, harmonics + 1) if f * h < rate / 2)
        s = int(start * rate)
        seg = (tone * env)[: n - s]
        out[s:s + len(seg)] += seg
    return (level * out / max(np.abs(out).max(), 1e-9)).astype(np.float32)


def bright_fast_major(seconds: float = 8.0) -> np.ndarray:
    # C major triad arpeggio, high register, 4 notes per beat at 150 BPM, many partials
    return notes([72, 76, 79, 84, 79, 76], bpm=600, seconds=seconds, harmonics=6, decay=0.08, level=0.5)


def dark_slow_minor(seconds: float = 8.0) -> np.ndarray:
    # A minor triad, low register, one soft note per beat at 50 BPM, almost pure tones
    return notes([45, 48, 52, 48], bpm=50, seconds=seconds, harmonics=1, decay=0.8, level=0.1)


def looping(seconds: float = 12.0, period: float = 0.5, rate: int = RATE) -> np.ndarray:
    """Half a second of noise-like music repeated exactly."""
    rng = np.random.default_rng(1)
    cell = rng.normal(0, 0.1, int(period * rate))
    return np.tile(cell, int(np.ceil(seconds / period)))[: int(seconds * rate)].astype(np.float32)


def varied(seconds: float = 12.0, rate: int = RATE, seed: int = 2) -> np.ndarray:
    """A melody that never repeats: random pitches and durations."""
    rng = np.random.default_rng(seed)
    midi = list(rng.integers(55, 80, 200))
    return notes(midi, bpm=float(rng.uniform(90, 130)), seconds=seconds, harmonics=4, decay=0.3, rate=rate) + \
        rng.normal(0, 0.01, int(seconds * rate)).astype(np.float32)

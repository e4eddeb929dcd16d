"""The tempo of a clip, and whether its octave is in doubt.

Onset strength: the positive frame-to-frame change of a 40-band mel spectrum in dB, averaged over the bands
(the onset envelope of Ellis 2007, "Beat tracking by dynamic programming", J. New Music Research 36(1)). On a
mel scale the bass and the chord changes, which mark the beat, weigh as much as hi-hats and arpeggios, which
subdivide it; a flux summed over linear FFT bins is dominated by its many high bins.

Periodicity: the autocorrelation of that envelope. A lag L scores its own autocorrelation plus half that of
2L, since beats group in twos (the duple-meter score of the same paper), times a preference for tempi near
120 bpm (log-Gaussian, one octave wide: Ellis' and librosa's defaults, not a fit to our clips).

Octave errors: music pulses at several levels at once (beats, their halves, bars), and a kick/clap pattern
repeats every two beats, so the score at half or double the tempo can come close to the best. When the
octave neighbour scores at least AMBIGUOUS_SHARE of the best, it is returned as `alternative`: the reading
is then "this tempo, or that one", not a silent guess. Checked against the built-in composer's planned tempi
(tests/evaluate/test_tempo.py): from 8 s on, every estimate is within 4%, or an octave off with the planned
tempo as its alternative.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MEL_BANDS, MEL_LOW_HZ, MEL_HIGH_HZ = 40, 30.0, 8000.0
DYNAMIC_RANGE_DB = 80.0
PREFERRED_BPM, PREFERENCE_OCTAVES = 120.0, 1.0
BPM_RANGE = (40.0, 220.0)
AMBIGUOUS_SHARE = 0.75
OCTAVE_SLACK = 0.05          # how far (relative) from exactly half or double lag the neighbour is sought


@dataclass(frozen=True)
class Tempo:
    bpm: float                      # 0.0 when the clip shows no periodicity
    alternative: float | None = None  # half or double, when it scores nearly as well


@lru_cache(maxsize=4)
def mel_bank(frame: int, rate: int) -> np.ndarray:
    """(MEL_BANDS, frame // 2 + 1) triangular filters, evenly spaced on the mel scale."""
    def mel(hz):
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    edges = 700.0 * (10 ** (np.linspace(mel(MEL_LOW_HZ), mel(min(MEL_HIGH_HZ, rate / 2)), MEL_BANDS + 2) / 2595.0) - 1)
    freqs = np.fft.rfftfreq(frame, 1.0 / rate)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - low) / (centre - low)
    falling = (high - freqs[None, :]) / (high - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def onset_strength(spectrum: np.ndarray, frame: int, rate: int) -> np.ndarray:
    """Per frame step: the mean over mel bands of the rise in level (dB), from magnitude frames (n, bins)."""
    if len(spectrum) < 2:
        return np.zeros(1)
    bands = (spectrum ** 2) @ mel_bank(frame, rate).T
    db = 10.0 * np.log10(np.maximum(bands, 1e-10))
    db = np.maximum(db, db.max() - DYNAMIC_RANGE_DB)
    return np.maximum(np.diff(db, axis=0), 0.0).mean(axis=1)


def estimate(spectrum: np.ndarray, frame: int, hop: int, rate: int) -> Tempo:
    """The tempo of magnitude frames `spectrum` (n, frame // 2 + 1) taken every `hop` samples at `rate`."""
    envelope = onset_strength(spectrum, frame, rate)
    f = envelope - envelope.mean()
    n = len(f)
    if n < 8 or not f.any():
        return Tempo(0.0)
    ac = np.fft.irfft(np.abs(np.fft.rfft(f, 2 * n)) ** 2)[:n]
    lags = np.arange(n)
    doubled = np.zeros(n)
    doubled[: (n + 1) // 2] = ac[::2][: (n + 1) // 2]
    frames_per_minute = 60.0 * rate / hop
    bpm = np.where(lags > 0, frames_per_minute / np.maximum(lags, 1), 0.0)
    valid = (bpm >= BPM_RANGE[0]) & (bpm <= BPM_RANGE[1])
    if not valid.any():
        return Tempo(0.0)
    preference = np.exp(-0.5 * (np.log2(np.maximum(bpm, 1e-9) / PREFERRED_BPM) / PREFERENCE_OCTAVES) ** 2)
    score = np.where(valid, (ac + 0.5 * doubled) * preference, -np.inf)
    best = int(np.argmax(score))
    alternative, rival = None, -np.inf
    for factor in (0.5, 2.0):
        lo = max(1, math.floor(best * factor * (1 - OCTAVE_SLACK)))
        hi = min(n - 1, math.ceil(best * factor * (1 + OCTAVE_SLACK)))
        if lo > hi:
            continue
        j = lo + int(np.argmax(score[lo:hi + 1]))
        if np.isfinite(score[j]) and score[best] > 0 and score[j] >= AMBIGUOUS_SHARE * score[best] and score[j] > rival:
            alternative, rival = frames_per_minute / _peak(score, j), score[j]
    return Tempo(frames_per_minute / _peak(score, best), alternative)


def _peak(score: np.ndarray, i: int) -> float:
    """The lag of the peak at `i`, between frames (a parabola through it and its neighbours)."""
    if 0 < i < len(score) - 1 and np.isfinite(score[i - 1]) and np.isfinite(score[i + 1]):
        a, b, c = score[i - 1], score[i], score[i + 1]
        bend = a - 2 * b + c
        if bend < 0:
            return i + float(np.clip(0.5 * (a - c) / bend, -0.5, 0.5))
    return float(i)

"""Audio health: the checks that reject a take, and the numbers a curator sees for every clip.

One implementation serves both the take chooser (`backends/takes.py`) and `evaluate`:
- near-silence: overall level under SILENT_DBFS, or more than half of the 100 ms blocks under BLOCK_SILENT_DBFS;
- clipping: more than CLIPPED_SHARE of the samples at or beyond full scale (|x| >= 0.999);
- collapse into a short loop: the log-spectrogram of the second half (its last 20 s at most) correlates
  above LOOP_CORRELATION with itself shifted by some lag between 0.1 and 2 s (ordinary music repeats bars,
  but never that exactly). The same correlation is the clip's repetition score (1.0 = a perfect short loop).
Loudness (BS.1770 integrated, LUFS) and true peak (dBTP, 4x oversampled) are added by `measures` (audio.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SILENT_DBFS = -45.0
BLOCK_SILENT_DBFS = -50.0
CLIPPED_SHARE = 0.001
LOOP_CORRELATION = 0.95
LOOP_LAGS_S = (0.1, 2.0)


def mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    return samples.mean(axis=0) if samples.ndim == 2 else samples


def dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0, 1e-12))


def loop_correlation(samples: np.ndarray, sample_rate: int) -> float:
    """How exactly the second half repeats itself at a lag of 0.1-2 s (1.0 = a perfect short loop)."""
    x = mono(samples)
    hop = max(1, sample_rate // 100)
    frame = 4 * hop
    half = x[len(x) // 2:] if len(x) >= 6 * sample_rate else x
    half = half[-20 * sample_rate:]  # the last 20 s at most: enough to see a loop, bounded memory
    if len(half) < frame * 4:
        return 0.0
    n = 1 + (len(half) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(half[idx] * np.hanning(frame), axis=1))
    bands = np.array_split(np.arange(1, spec.shape[1]), 48)  # pooled bands keep it fast
    logspec = np.log(np.stack([spec[:, b].mean(axis=1) for b in bands], axis=1) + 1e-6)
    z = (logspec - logspec.mean(axis=0)) / (logspec.std(axis=0) + 1e-9)
    best = 0.0
    lo, hi = (int(round(s * sample_rate / hop)) for s in LOOP_LAGS_S)
    for lag in range(max(1, lo), min(hi, n // 2) + 1):  # at least two repetitions must be visible
        a, b = z[:-lag].ravel(), z[lag:].ravel()
        denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
        if denom > 0:
            best = max(best, float(np.dot(a, b) / denom))
    return best


def silent_share(x: np.ndarray, sample_rate: int) -> float:
    """Share of 100 ms blocks quieter than BLOCK_SILENT_DBFS (1.0 for a clip shorter than one block)."""
    block = max(1, sample_rate // 10)
    n = len(x) // block
    if n == 0:
        return 1.0
    rms = np.sqrt(np.mean(np.square(x[: n * block].reshape(n, block)), axis=1))
    return float(np.mean(20 * np.log10(np.maximum(rms, 1e-12)) < BLOCK_SILENT_DBFS))


def clipped_share(samples: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(samples)) >= 0.999)) if np.size(samples) else 0.0


@dataclass
class Health:
    level_dbfs: float
    silent_share: float
    clipped_share: float
    repetition: float
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        def num(v):
            return None if v is None or not math.isfinite(v) else round(float(v), 4)
        return {"level_dbfs": num(self.level_dbfs), "silent_share": num(self.silent_share),
                "clipped_share": num(self.clipped_share), "repetition": num(self.repetition),
                "loudness_lufs": num(self.loudness_lufs), "true_peak_dbtp": num(self.true_peak_dbtp),
                "problems": list(self.problems)}


def problems_of(level: float, quiet: float, clipped: float, loop: float) -> list[str]:
    problems = []
    if level < SILENT_DBFS or quiet > 0.5:
        problems.append(f"near-silent ({level:.0f} dBFS, {quiet:.0%} of it silent)")
    if clipped > CLIPPED_SHARE:
        problems.append(f"clipping ({clipped:.2%} of samples at full scale)")
    if loop > LOOP_CORRELATION:
        problems.append(f"collapsed into a short loop (self-similarity {loop:.3f})")
    return problems


def check(samples: np.ndarray, sample_rate: int) -> Health:
    """The take-rejection numbers of a clip (loudness and true peak are added by `measures`)."""
    x = mono(samples)
    level, quiet, clipped = dbfs(x), silent_share(x, sample_rate), clipped_share(samples)
    loop = loop_correlation(samples, sample_rate)
    return Health(level, quiet, clipped, loop, problems=problems_of(level, quiet, clipped, loop))


def take_problems(samples: np.ndarray, sample_rate: int) -> list[str]:
    """What is wrong with a take, in words; empty when it is healthy."""
    return check(samples, sample_rate).problems

"""Loudness and true peak as ITU-R BS.1770-4 measures them, fast enough to run several times per clip.

Both run at 48 kHz on (channels, samples) arrays. scipy is imported inside the functions, so a rebuild
from cache never loads it. Not pyloudnorm, which the tests measure against: it has no true peak.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 48000
OVERSAMPLE = 4                # true peak: 4x oversampling at 48 kHz (BS.1770-4, Annex 2)
TP_TAPS = 49                  # its interpolation filter: 12 taps a phase, like the standard's 48-tap example
TP_BLOCK = 2048               # samples: true peak is interpolated only in blocks loud enough to matter

# K-weighting at 48 kHz (BS.1770-4, Tables 1 and 2): a high-shelf "head" filter, then the RLB high-pass.
_K_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_K_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])


def integrated_loudness(x: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Gated integrated loudness in LUFS (BS.1770-4): 400 ms blocks, 75 % overlap, -70 LUFS and -10 LU gates."""
    from scipy import signal
    x = np.atleast_2d(np.asarray(x, np.float64))
    if sample_rate != SAMPLE_RATE:
        g = math.gcd(SAMPLE_RATE, sample_rate)
        x = signal.resample_poly(x, SAMPLE_RATE // g, sample_rate // g, axis=1)
    y = signal.lfilter(*_k_weighting(), x, axis=1)
    block, step = int(0.4 * SAMPLE_RATE), int(0.1 * SAMPLE_RATE)
    n = y.shape[1]
    if n < block:
        power = (y * y).mean(axis=1).sum(keepdims=True) if n else np.zeros(1)
    else:   # mean square of each 400 ms block (four 100 ms steps), summed over channels
        steps = n // step
        per_step = np.einsum("cij,cij->i", *(y[:, :steps * step].reshape(y.shape[0], steps, step),) * 2)
        power = sum(per_step[i:steps - 3 + i] for i in range(4)) / block
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(power)
    kept = loud > -70
    if not kept.any():
        return -math.inf
    relative = -0.691 + 10 * math.log10(power[kept].mean()) - 10
    kept &= loud > relative
    return float(-0.691 + 10 * math.log10(power[kept].mean()))


@lru_cache(maxsize=1)
def _k_weighting() -> tuple[np.ndarray, np.ndarray]:
    """Both K-weighting stages as one 4th-order filter: one pass over the samples, a quarter faster than as
    second-order sections and within 1e-10 of them in float64 (its poles stay well inside the unit circle)."""
    return np.convolve(_K_SHELF[0], _K_HIGHPASS[0]), np.convolve(_K_SHELF[1], _K_HIGHPASS[1])


@lru_cache(maxsize=1)
def _interpolators() -> tuple[np.ndarray, int, float]:
    """The 4x oversampling FIR split into its three in-between phases (phase 0 is the sample itself), as
    correlation kernels (one row each) over the samples n + first .. n + last, the `origin` that places
    them so in `ndimage.correlate1d`, and the largest sum of |taps| of a phase: no interpolated value can
    exceed that times the largest sample within reach."""
    from scipy import signal
    taps = signal.firwin(TP_TAPS, 1 / OVERSAMPLE, window=("kaiser", 8.0)) * OVERSAMPLE
    half = TP_TAPS // 2                       # taps[half + j] weighs the point j/4 samples away
    phases = range(1, OVERSAMPLE)
    # value at n + phase/4 = sum over m of taps[half + phase - 4m] * x[n + m], where that tap exists
    first = min(-((TP_TAPS - 1 - half - phase) // OVERSAMPLE) for phase in phases)
    last = max((half + phase) // OVERSAMPLE for phase in phases)
    kernels = np.array([[taps[half + phase - OVERSAMPLE * m] if 0 <= half + phase - OVERSAMPLE * m < TP_TAPS
                         else 0.0 for m in range(first, last + 1)] for phase in phases], np.float32)
    origin = -first - kernels.shape[1] // 2
    return kernels, origin, float(np.abs(kernels).sum(axis=1).max())


def true_peak_envelope(x: np.ndarray, floor: float = 0.0, circular: bool = False) -> np.ndarray:
    """Per-sample maximum of |x| over channels and the 4x oversampled points after each sample.

    Only stretches where an in-between point could pass `floor` are interpolated (the bound is the
    phases' largest sum of |taps| times the local sample peak); elsewhere the sample peak is returned,
    which tells a caller that only cares about values above `floor` all it needs.
    """
    from scipy import ndimage
    x32 = np.atleast_2d(np.asarray(x, np.float32))
    sample = np.abs(x32).max(axis=0)
    kernels, origin, gain = _interpolators()
    margin = kernels.shape[1]
    n = sample.size
    blocks = -(-n // TP_BLOCK)
    padded = np.zeros(blocks * TP_BLOCK, np.float32)
    padded[:n] = sample
    block_peak = padded.reshape(blocks, TP_BLOCK).max(axis=1)
    near = block_peak.copy()                  # the kernel reaches a few samples into the neighbouring blocks
    near[1:] = np.maximum(near[1:], block_peak[:-1])
    near[:-1] = np.maximum(near[:-1], block_peak[1:])
    if circular and blocks > 1:
        near[0], near[-1] = max(near[0], block_peak[-1]), max(near[-1], block_peak[0])
    hot = near * gain > floor
    if not hot.any():
        return sample
    ext = np.pad(x32, ((0, 0), (margin, margin)), mode="wrap" if circular else "constant")
    envelope = sample.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]])))
    for first, last in zip(edges[::2], edges[1::2]):
        start, stop = first * TP_BLOCK, min(last * TP_BLOCK, n)
        piece = ext[:, start:stop + 2 * margin]
        for kernel in kernels:
            values = ndimage.correlate1d(piece, kernel, axis=1, mode="constant", origin=origin)
            values = values[:, margin:margin + stop - start]
            np.maximum(envelope[start:stop], np.abs(values).max(axis=0), out=envelope[start:stop])
    return envelope


def true_peak(x: np.ndarray, circular: bool = False) -> float:
    sample_peak = float(np.abs(x).max()) if np.size(x) else 0.0
    return float(true_peak_envelope(x, floor=sample_peak, circular=circular).max())

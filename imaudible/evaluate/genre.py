"""The thesis' genre-KL proxy: KL divergence between the genre distributions an audio classifier predicts
for the generated clips and for the reference set.

The thesis found this proxy unreliable (0.79 for MusicGen, with no clear relation to listeners' ratings), and
every report labels it so: it measures whether the gallery's music lands in the reference's genres, not fit.
"""
from __future__ import annotations

import math

import numpy as np

LABEL = "genre-KL (a proxy the thesis found unreliable)"
SMOOTHING = 1e-3


def mean_distribution(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities, np.float64).mean(axis=0) + SMOOTHING
    return p / p.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats over the classifier's labels (both smoothed, so it stays finite)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.shape != q.shape:
        raise ValueError("genre-KL: the two distributions cover different labels")
    return float(np.sum(p * np.log(p / q)))


def genre_kl(generated: np.ndarray, reference: np.ndarray) -> float:
    value = kl_divergence(mean_distribution(generated), mean_distribution(reference))
    return value if math.isfinite(value) else math.nan

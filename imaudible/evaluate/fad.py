"""Fréchet audio distance (Kilgour et al. 2019) between Gaussian fits of two sets of embeddings.

FAD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the Fréchet (2-Wasserstein) distance between
N(mu_a, S_a) and N(mu_b, S_b) (Dowson & Landau 1982). Embeddings come from windows of the audio:
`cut_windows` follows the thesis' recipe, which cut the FMA reference tracks and the generated clips alike
into non-overlapping windows of the embedding model's length (10 s for CLAP) and dropped a final window
shorter than half of that. Each side's window count is reported, since FAD is biased for small sets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_SECONDS = 10.0
MIN_WINDOW_SHARE = 0.5


@dataclass(frozen=True)
class GaussianFit:
    mean: np.ndarray
    cov: np.ndarray
    count: int


def fit(embeddings: np.ndarray) -> GaussianFit:
    e = np.asarray(embeddings, np.float64)
    if e.ndim != 2 or len(e) < 2:
        raise ValueError(f"FAD needs at least two embeddings per side, got {len(e) if e.ndim == 2 else 0}")
    return GaussianFit(e.mean(axis=0), np.cov(e, rowvar=False), len(e))


def frechet_distance(a: GaussianFit, b: GaussianFit) -> float:
    from scipy import linalg

    diff = a.mean - b.mean
    covmean = linalg.sqrtm(a.cov @ b.cov)
    if not np.isfinite(covmean).all():  # near-singular product: regularise both covariances slightly
        eps = np.eye(a.cov.shape[0]) * 1e-6
        covmean = linalg.sqrtm((a.cov + eps) @ (b.cov + eps))
    covmean = np.real(covmean)
    value = float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2 * np.trace(covmean))
    return max(value, 0.0)


def fad(embeddings_a: np.ndarray, embeddings_b: np.ndarray) -> float:
    return frechet_distance(fit(embeddings_a), fit(embeddings_b))


def cut_windows(x: np.ndarray, rate: int, seconds: float = WINDOW_SECONDS) -> list[np.ndarray]:
    """Non-overlapping windows of `seconds`; a last window shorter than half of that is dropped, and a clip
    shorter than half a window gives none."""
    size = int(round(seconds * rate))
    out = [x[i:i + size] for i in range(0, len(x), size)]
    return [w for w in out if len(w) >= MIN_WINDOW_SHARE * size]

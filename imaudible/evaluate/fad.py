"""Fréchet audio distance (Kilgour et al. 2019) between Gaussian fits of two sets of embeddings.

FAD = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the Fréchet (2-Wasserstein) distance between
N(mu_a, S_a) and N(mu_b, S_b) (Dowson & Landau 1982). Embeddings come from windows of the audio:
`cut_windows` follows the thesis' recipe, which cut the FMA reference tracks and the generated clips alike
into non-overlapping windows of the embedding model's length (10 s for CLAP) and dropped a final window
shorter than half of that. Each side's window count is reported, since FAD is biased for small sets.

With n windows in d embedding dimensions the sample covariance has rank at most n - 1, so with n <= d it is
singular and the distance says more about the window count than about the music. `assess` then fits both
sides with the Ledoit-Wolf shrinkage covariance (Ledoit & Wolf 2004, scikit-learn's `LedoitWolf`), which is
well conditioned for any n, names the estimator, and flags the figure as unreliable with the reason: it is not
comparable to published FAD figures, which use the sample covariance of thousands of windows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_SECONDS = 10.0
MIN_WINDOW_SHARE = 0.5


SAMPLE = "sample covariance"
LEDOIT_WOLF = "Ledoit-Wolf shrinkage covariance"


@dataclass(frozen=True)
class GaussianFit:
    mean: np.ndarray
    cov: np.ndarray
    count: int


def fit(embeddings: np.ndarray, estimator: str = SAMPLE) -> GaussianFit:
    e = np.asarray(embeddings, np.float64)
    if e.ndim != 2 or len(e) < 2:
        raise ValueError(f"FAD needs at least two embeddings per side, got {len(e) if e.ndim == 2 else 0}")
    if estimator == LEDOIT_WOLF:
        from sklearn.covariance import LedoitWolf

        return GaussianFit(e.mean(axis=0), LedoitWolf().fit(e).covariance_, len(e))
    return GaussianFit(e.mean(axis=0), np.cov(e, rowvar=False), len(e))


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((m + m.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a: GaussianFit, b: GaussianFit) -> float:
    """tr((S_a S_b)^(1/2)) as tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), the same value from symmetric
    eigendecompositions: no complex round-off and no warning when a covariance is singular."""
    diff = a.mean - b.mean
    root_a = _psd_sqrt(a.cov)
    inner = np.linalg.eigvalsh(root_a @ b.cov @ root_a)
    trace_covmean = float(np.sum(np.sqrt(np.clip(inner, 0.0, None))))
    value = float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2 * trace_covmean)
    return max(value, 0.0)


def fad(embeddings_a: np.ndarray, embeddings_b: np.ndarray, estimator: str = SAMPLE) -> float:
    return frechet_distance(fit(embeddings_a, estimator), fit(embeddings_b, estimator))


def assess(embeddings_a: np.ndarray, embeddings_b: np.ndarray) -> dict:
    """{"fad", "dimensions", "covariance", "reliable", and "warning" when it is not}: the sample covariance
    when both sides have more windows than dimensions, else Ledoit-Wolf on both sides, flagged."""
    a, b = np.asarray(embeddings_a, np.float64), np.asarray(embeddings_b, np.float64)
    dims, fewest = a.shape[1], min(len(a), len(b))
    if fewest > dims:
        return {"fad": round(fad(a, b), 4), "dimensions": dims, "covariance": SAMPLE, "reliable": True}
    return {"fad": round(fad(a, b, LEDOIT_WOLF), 4), "dimensions": dims, "covariance": LEDOIT_WOLF,
            "reliable": False,
            "warning": f"unreliable: {fewest} windows but {dims} embedding dimensions, so the sample covariance "
                       f"is singular; fitted with {LEDOIT_WOLF} instead, not comparable to published FAD figures "
                       f"(more than {dims} windows per side are needed)"}


def cut_windows(x: np.ndarray, rate: int, seconds: float = WINDOW_SECONDS) -> list[np.ndarray]:
    """Non-overlapping windows of `seconds`; a last window shorter than half of that is dropped, and a clip
    shorter than half a window gives none."""
    size = int(round(seconds * rate))
    out = [x[i:i + size] for i in range(0, len(x), size)]
    return [w for w in out if len(w) >= MIN_WINDOW_SHARE * size]

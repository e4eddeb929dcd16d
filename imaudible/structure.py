"""The image's structure, read from its lightness: texture measures for arousal and a small fingerprint that
the built-in composer plays, so two images with the same mood still get different music.

All measures are taken on the image at a fixed size (`mood.STATISTICS_EDGE`), so they do not depend
on resolution. The fingerprint reads the picture left to right like a score:

- `contour` (8): mean lightness of eight vertical strips, rescaled to 0..1 over the strips (flat 0.5 when the
  strips differ by under 2 L*): the melody's rise and fall;
- `pulse` (8): mean gradient strength of the same strips, rescaled by the strongest strip: where the
  detail is, the rhythm has onsets;
- `rows` (4): mean lightness of four horizontal bands, top to bottom, rescaled like the contour: the voicing;
- `orientation`: share of the gradient energy that runs horizontally (vertical edges), 0.5 when isotropic;
- `grain`: share of the gradient energy at the finest scale (fine texture) against a 4x coarser one;
- `centre_x`, `centre_y`: the lightness-weighted centre of the picture.
"""
from __future__ import annotations

import numpy as np

EDGE_THRESHOLD = 6.0         # L* units per pixel (Sobel magnitude) that counts as an edge at the analysis size
STRIPS, BANDS = 8, 4
FINGERPRINT_LENGTH = STRIPS + STRIPS + BANDS + 4
FLAT_RANGE = 2.0             # L*: strips closer than this read as one flat level


def gradients(lightness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients (L* per pixel) along x and y."""
    from scipy import ndimage

    gx = ndimage.sobel(lightness, axis=1, mode="nearest") / 8
    gy = ndimage.sobel(lightness, axis=0, mode="nearest") / 8
    return gx, gy


def edge_density(magnitude: np.ndarray) -> float:
    """Share of pixels on a strong edge."""
    return float((magnitude > EDGE_THRESHOLD).mean())


def contrast(lightness: np.ndarray) -> float:
    """RMS lightness contrast (Peli 1990), L* std / 50, capped at 1."""
    return float(min(lightness.std() / 50.0, 1.0))


def fingerprint(lightness: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> tuple[float, ...]:
    """The FINGERPRINT_LENGTH numbers described in the module docstring, each in 0..1, rounded."""
    h, w = lightness.shape
    magnitude = np.hypot(gx, gy)
    columns = np.array_split(np.arange(w), STRIPS)
    rows = np.array_split(np.arange(h), BANDS)
    contour = _rescale([lightness[:, c].mean() if len(c) else 0.0 for c in columns])
    strength = np.array([magnitude[:, c].mean() if len(c) else 0.0 for c in columns])
    pulse = strength / strength.max() if strength.max() > 0.05 else np.zeros(STRIPS)
    bands = _rescale([lightness[r, :].mean() if len(r) else 0.0 for r in rows])
    energy_x, energy_y = float(np.abs(gx).sum()), float(np.abs(gy).sum())
    orientation = energy_x / (energy_x + energy_y) if energy_x + energy_y > 1e-6 else 0.5
    coarse = _coarse_gradient(lightness)
    grain = float(magnitude.mean()) / (float(magnitude.mean()) + coarse) if magnitude.mean() + coarse > 1e-6 else 0.5
    weight = lightness + 1.0
    total = float(weight.sum())
    centre_x = float(weight.sum(axis=0) @ np.arange(w)) / total / max(w - 1, 1)
    centre_y = float(weight.sum(axis=1) @ np.arange(h)) / total / max(h - 1, 1)
    values = [*contour, *pulse, *bands, orientation, grain, centre_x, centre_y]
    return tuple(round(float(min(max(v, 0.0), 1.0)), 3) for v in values)


def _rescale(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    span = values.max() - values.min()
    return (values - values.min()) / span if span > FLAT_RANGE else np.full(len(values), 0.5)


def _coarse_gradient(lightness: np.ndarray) -> float:
    """Mean gradient (per original pixel) of the 4x box-downsampled lightness."""
    h, w = (lightness.shape[0] // 4) * 4, (lightness.shape[1] // 4) * 4
    if h < 8 or w < 8:
        return 0.0
    small = lightness[:h, :w].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
    gx, gy = gradients(small)
    return float(np.hypot(gx, gy).mean()) / 4

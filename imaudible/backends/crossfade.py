"""Joining generation windows: an equal-power crossfade, corrected for how alike the two sides are."""
from __future__ import annotations

import numpy as np


def crossfade_join(head: np.ndarray, tail: np.ndarray, overlap: int) -> np.ndarray:
    """`head` (channels, n) and `tail` (channels, m), whose first `overlap` samples cover the same time as the
    last `overlap` samples of `head`, joined into (channels, n + m - overlap).

    Sine/cosine gains keep the power constant when the two sides are uncorrelated; a window continued
    from an audio prompt starts with a re-decoded copy of that prompt, strongly correlated with `head`, so
    the gains are divided by sqrt(1 + 2·r·sin·cos) (r = their correlation, >= 0), which keeps the power
    constant for any r: no +3 dB swell for identical sides, no dip for unrelated ones.
    """
    overlap = int(min(overlap, head.shape[1], tail.shape[1]))
    if overlap <= 0:
        return np.concatenate([head, tail], axis=1)
    a, b = head[:, -overlap:].astype(np.float64), tail[:, :overlap].astype(np.float64)
    denom = np.sqrt(np.sum(a * a) * np.sum(b * b))
    r = float(np.clip(np.sum(a * b) / denom, 0.0, 1.0)) if denom > 0 else 0.0
    phase = (np.arange(overlap) + 0.5) / overlap * (np.pi / 2)
    fade_out, fade_in = np.cos(phase), np.sin(phase)
    norm = np.sqrt(1.0 + 2.0 * r * fade_out * fade_in)
    middle = (a * (fade_out / norm) + b * (fade_in / norm)).astype(head.dtype)
    return np.concatenate([head[:, :-overlap], middle, tail[:, overlap:]], axis=1)

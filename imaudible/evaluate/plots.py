"""Static SVG plots for the report: they read without JavaScript (each point has a <title>), and carry
data-* attributes that `report.js` turns into hover cards and click-to-play.

Maps: the valence-arousal plane (each artwork's image point and music point joined by a line), and PCA
maps (scikit-learn) of the prompt embeddings (the thesis' figure 5.15) and of the audio embeddings.
"""
from __future__ import annotations

from html import escape

import numpy as np

SIZE, PAD = 420, 40


def pca_2d(vectors) -> np.ndarray:
    """First two principal components (scikit-learn), zero-padded for fewer than two points or dimensions."""
    from sklearn.decomposition import PCA

    x = np.asarray(vectors, np.float64)
    if len(x) == 0:
        return np.zeros((0, 2))
    if len(x) < 2 or x.shape[1] < 1 or np.allclose(x, x[0]):
        return np.zeros((len(x), 2))
    k = min(2, len(x), x.shape[1])
    out = PCA(n_components=k, random_state=0).fit_transform(x)
    return np.pad(out, ((0, 0), (0, 2 - k)))


def text_vectors(texts: list[str]) -> np.ndarray:
    """TF-IDF vectors of the prompts: the weight-free stand-in for CLAP text embeddings."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(t.strip() for t in texts):
        return np.zeros((len(texts), 1))
    return TfidfVectorizer(token_pattern=r"(?u)\b\w+\b").fit_transform(texts).toarray()


def _scale(points: np.ndarray, lo=None, hi=None) -> np.ndarray:
    lo = points.min(axis=0) if lo is None else np.asarray(lo, float)
    hi = points.max(axis=0) if hi is None else np.asarray(hi, float)
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    unit = (points - lo) / span
    return np.column_stack([PAD + unit[:, 0] * (SIZE - 2 * PAD), SIZE - PAD - unit[:, 1] * (SIZE - 2 * PAD)])


def _point(item: dict, x: float, y: float, kind: str, label: str) -> str:
    audio = item.get("audio") or {}
    data = (f' data-id="{escape(item["id"])}" data-title="{escape(item["title"])}"'
            f' data-thumb="{escape(item.get("thumb") or "")}" data-webm="{escape(audio.get("webm", ""))}"'
            f' data-m4a="{escape(audio.get("m4a", ""))}"')
    shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6"/>' if kind != "image" else
             f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10"/>')
    return (f'<g class="pt pt-{kind}" tabindex="0" role="button"{data}><title>{escape(item["title"])} '
            f'({escape(label)})</title>{shape}</g>')


def _frame(title: str, x_label: str, y_label: str, body: str, legend: str = "") -> str:
    return (f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<rect class="frame" x="{PAD}" y="{PAD}" width="{SIZE - 2 * PAD}" height="{SIZE - 2 * PAD}"/>'
            f'<text class="axis" x="{SIZE / 2}" y="{SIZE - 10}" text-anchor="middle">{escape(x_label)}</text>'
            f'<text class="axis" x="14" y="{SIZE / 2}" text-anchor="middle" '
            f'transform="rotate(-90 14 {SIZE / 2})">{escape(y_label)}</text>{legend}{body}</svg>')


def mood_map(items: list[dict]) -> str:
    """Image point (square) and music point (circle) of each artwork on valence x arousal, joined by a line.
    Music too short for a mood reading has no circle (the image's square stays)."""
    if not items:
        return _frame("Valence-arousal map (no artworks)", "valence", "arousal", "")
    image = _scale(np.array([[i["image_mood"]["valence"], i["image_mood"]["arousal"]] for i in items]), (0, 0), (1, 1))
    music = _scale(np.array([[_or_nan(i["music_mood"]["valence"]), _or_nan(i["music_mood"]["arousal"])] for i in items]),
                   (0, 0), (1, 1))
    body = []
    for item, (ix, iy), (mx, my) in zip(items, image, music):
        measured = np.isfinite(mx) and np.isfinite(my)
        if measured:
            body.append(f'<line class="link" x1="{ix:.1f}" y1="{iy:.1f}" x2="{mx:.1f}" y2="{my:.1f}"/>')
        body.append(_point(item, ix, iy, "image", "image mood" if measured else "image mood; music too short to measure"))
        if measured:
            body.append(_point(item, mx, my, "music", "music mood"))
    legend = (f'<g class="legend"><rect class="pt-image" x="{PAD}" y="12" width="10" height="10"/>'
              f'<text x="{PAD + 16}" y="21">image</text><circle class="pt-music" cx="{PAD + 85}" cy="17" r="5"/>'
              f'<text x="{PAD + 96}" y="21">music</text></g>')
    return _frame("Valence-arousal map: image (square) and music (circle) of each artwork", "valence (negative to positive)",
                  "arousal (calm to intense)", "".join(body), legend)


def _or_nan(value) -> float:
    return float("nan") if value is None else float(value)


def pca_map(items: list[dict], points, title: str) -> str:
    """Items at their PCA coordinates (`pca_2d`), scaled to the frame."""
    points = _scale(np.asarray(points, np.float64)) if len(items) else np.zeros((0, 2))
    body = "".join(_point(item, x, y, "music", title) for item, (x, y) in zip(items, points))
    return _frame(title, "principal component 1", "principal component 2", body)

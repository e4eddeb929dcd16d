"""Mood from colour: valence/arousal, palette and mood words, estimated from an image's colour statistics.

The core is the colour-emotion regression of Valdez & Mehrabian (1994, "Effects of color on emotions",
J. Exp. Psychol. General 123(4)), whose standardised coefficients are

    pleasure = 0.69 * brightness + 0.22 * saturation
    arousal  = -0.31 * brightness + 0.60 * saturation

with brightness and saturation as Munsell value and chroma, here CIELAB L* and C* (their perceptual
analogues), each turned into a z-score against reference means and spreads (`REFERENCE`, set by hand to
centre typical paintings and photographs; not fitted to ratings) and squashed into 0..1 by a logistic.
Refinements, each a small standardised weight on top of that:

- colourfulness (Hasler & Süsstrunk 2003, "Measuring colourfulness in natural images", SPIE 5007) adds a
  little pleasure: more colourful renderings of a scene tend to be preferred (e.g. Yendrikhovskij,
  Blommaert & de Ridder 1998, "Perceptually optimal color reproduction", SPIE 3299);
- hue warmth, the warm-cool index of Ou, Luo, Woodcock & Wright (2004, "A study of colour emotion and
  colour preference, Part I", Color Res. Appl. 29(3)), adds arousal: warm hues are judged more active
  (also Wilms & Oberfeld 2018, "Color and emotion: effects of hue, saturation, and brightness");
- lightness contrast (RMS contrast, Peli 1990) and edge density (share of strong Sobel edges) stand for
  visual complexity, which raises arousal (Berlyne 1971, "Aesthetics and Psychobiology").

Arousal follows texture first: edge density and contrast carry most of its weight and colour only shades
it, so a smooth, low-contrast image reads calm whatever its hue or saturation (a flat maroon field, a
dark-blue gradient), while a busy, contrasty one reads intense. Valence stays with colour.
The mood also carries the image's structural fingerprint (`structure.fingerprint`), which the built-in
composer plays so that images of equal mood still sound different.

The palette is k-means (SciPy's `kmeans2`, k-means++ seeding) on a fixed sample of pixels in CIELAB, a roughly perceptually uniform space, each
centre named after the nearest entry of a fixed table of everyday colour names.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from . import structure
from .mood_music import (_LINEAR, _RGB_TO_XYZ_ROWS, _WHITE_D65_TUPLE, dominant_hue, hex_to_lab, is_major,  # noqa: F401
                         mode_name, tempo_bpm, timbre_family)
from .types import LOW, MOOD_WORDS, Mood, PaletteColour, mood_words  # noqa: F401 - the mood vocabulary

# This module's code version is versions.MOOD: bump it there when the same inputs give other output.

STATISTICS_EDGE = 256        # statistics are taken at a fixed size so edge density does not depend on resolution
PALETTE_SIZE = 5
PALETTE_SAMPLE = 1500       # pixels k-means sees: shares are within ~2% of the full image's, at 1/40 the time

# (mean, spread) of each feature for typical paintings and photographs, set by hand: the z-score reference.
REFERENCE = {
    "brightness": (0.50, 0.14),
    "saturation": (0.22, 0.10),
    "colourfulness": (0.40, 0.18),
    "warmth": (0.55, 0.12),
    "contrast": (0.45, 0.12),
    "edge_density": (0.30, 0.16),
}
VALENCE_WEIGHTS = {"brightness": 0.69, "saturation": 0.22, "colourfulness": 0.12}
# Texture (edges, contrast) dominates arousal; colour shades it (Valdez & Mehrabian's signs, smaller weights).
AROUSAL_WEIGHTS = {"edge_density": 0.62, "contrast": 0.40, "saturation": 0.26, "brightness": -0.12, "warmth": 0.05}
SQUASH = 1.4                 # logistic slope: about +-1.5 standard units span 0.1 .. 0.9


# Everyday colour names for palette entries (sRGB hex).
NAMED_COLOURS = {
    "black": "#101010", "charcoal": "#36454f", "dark grey": "#555555", "grey": "#8a8a8a", "silver": "#c0c0c0",
    "white": "#f5f5f5", "ivory": "#fffff0", "cream": "#f3e9c6", "beige": "#d9c8a5", "sand": "#c2b280",
    "tan": "#b48c5e", "khaki": "#a99a61", "brown": "#7b4a26", "dark brown": "#4a2c17", "umber": "#635147",
    "rust": "#a8461c", "terracotta": "#c65d3b", "ochre": "#cc8a1e", "mustard": "#d2a82a", "gold": "#e0b32c",
    "yellow": "#f2d92b", "lemon": "#f6ef7a", "orange": "#ee7f1b", "peach": "#f7b98b", "coral": "#f0735a",
    "salmon": "#e98a78", "red": "#cc2427", "crimson": "#9e1b32", "maroon": "#6b1a22", "pink": "#f2a0b5",
    "rose": "#d35d7e", "magenta": "#c0268e", "plum": "#6e2e5e", "purple": "#6a3d9a", "violet": "#8a5cc7",
    "lavender": "#b9a6dc", "indigo": "#33306e", "navy": "#1b2650", "blue": "#2a5cb8", "cobalt": "#1f4fa3",
    "royal blue": "#3550e0", "ultramarine": "#2b2fa8", "azure": "#3b8fe0", "sky blue": "#86bde6",
    "pale blue": "#bcd6ea", "slate blue": "#5a6f99", "steel blue": "#4a7090", "lilac": "#c8a2c8",
    "mauve": "#a7849d", "dusty blue": "#6c8ba6", "slate grey": "#6e7f8a", "dark slate": "#2f3f4f",
    "grey green": "#7a8c78", "forest green": "#2f5a36", "teal": "#1f7a7a", "turquoise": "#3cbcb4",
    "aqua": "#8fd6d0", "sea green": "#3b8f6e", "green": "#3a8a3a", "dark green": "#1f4a2a", "olive": "#6b6b2a",
    "moss": "#7a8a3e", "sage": "#9cae88", "lime": "#a6cf3c", "mint": "#b8e3c1",
}


def estimate_mood(image: Image.Image) -> Mood:
    """Read the mood of an RGB image (any size) from its colour statistics and texture."""
    rgb8 = _statistics_pixels(image)
    rgb = rgb8.astype(np.float32) / np.float32(255)
    lab = _lab_from_8bit(rgb8)
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    hue = np.arctan2(b, a)
    gx, gy = structure.gradients(lightness)

    features = {
        "brightness": float(lightness.mean() / 100.0),
        "saturation": float(min(chroma.mean() / 100.0, 1.0)),
        "colourfulness": _colourfulness(rgb),
        "warmth": _warmth(chroma, hue),
        "contrast": structure.contrast(lightness),
        "edge_density": structure.edge_density(np.hypot(gx, gy)),
    }
    valence = _squash(_weighted_z(features, VALENCE_WEIGHTS))
    arousal = _squash(_weighted_z(features, AROUSAL_WEIGHTS))
    f = {k: round(v, 4) for k, v in features.items()}
    return Mood(valence=round(valence, 4), arousal=round(arousal, 4), words=mood_words(valence, arousal),
                palette=extract_palette(lab), structure=structure.fingerprint(lightness, gx, gy), **f)


def extract_palette(lab: np.ndarray, k: int = PALETTE_SIZE) -> tuple[PaletteColour, ...]:
    """Dominant colours by k-means in CIELAB, largest share first; centres with the same name are merged."""
    import warnings

    from scipy.cluster.vq import kmeans2

    pixels = lab.reshape(-1, 3)
    if len(pixels) > PALETTE_SAMPLE:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), PALETTE_SAMPLE, replace=False)]
    distinct = np.unique(np.round(pixels, 1), axis=0)
    k = max(1, min(k, len(distinct)))
    if k == 1:
        centres, labels = pixels.mean(axis=0, keepdims=True), np.zeros(len(pixels), int)
    else:
        with warnings.catch_warnings():      # an empty cluster is dropped below
            warnings.simplefilter("ignore")
            centres, labels = kmeans2(pixels, k, iter=20, minit="++", seed=np.random.default_rng(0))
    counts = np.bincount(labels, minlength=k).astype(float)
    merged: dict[str, list] = {}
    for centre, count in zip(centres, counts):
        if count == 0:
            continue
        name = nearest_colour_name(centre)
        if name in merged:
            total = merged[name][1] + count
            merged[name] = [(merged[name][0] * merged[name][1] + centre * count) / total, total]
        else:
            merged[name] = [centre, count]
    entries = sorted(merged.items(), key=lambda item: -item[1][1])
    return tuple(PaletteColour(lab_to_hex(centre), name, round(float(count / counts.sum()), 4))
                 for name, (centre, count) in entries)


def nearest_colour_name(lab_colour: np.ndarray) -> str:
    """Closest name by the CIE94 colour difference (textile weights, kL = 2): hue matters more than lightness."""
    names, table = _named_table()
    c1 = math.hypot(lab_colour[1], lab_colour[2])
    c2 = np.hypot(table[:, 1], table[:, 2])
    d_l = table[:, 0] - lab_colour[0]
    d_c = c2 - c1
    d_h2 = np.maximum(((table[:, 1:] - lab_colour[1:]) ** 2).sum(axis=1) - d_c ** 2, 0.0)
    delta = ((d_l / 2) ** 2 + (d_c / (1 + 0.045 * c1)) ** 2 + d_h2 / (1 + 0.015 * c1) ** 2)
    return names[int(np.argmin(delta))]


# --- colour science ---------------------------------------------------------------------------------------

_WHITE_D65 = np.array(_WHITE_D65_TUPLE)
_RGB_TO_XYZ = np.array(_RGB_TO_XYZ_ROWS)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 (any shape ending in 3) to CIELAB (D65)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE_D65
    linear = np.clip(xyz @ np.linalg.inv(_RGB_TO_XYZ).T, 0, 1)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def lab_to_hex(lab: np.ndarray) -> str:
    r, g, b = (int(round(c * 255)) for c in np.clip(lab_to_srgb(np.asarray(lab, float)), 0, 1))
    return f"#{r:02x}{g:02x}{b:02x}"


# --- helpers ------------------------------------------------------------------------------------------------

def _statistics_pixels(image: Image.Image) -> np.ndarray:
    img = image.convert("RGB")
    w, h = img.size
    scale = STATISTICS_EDGE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = img.resize(size, Image.Resampling.BILINEAR if scale > 1 else Image.Resampling.BOX)
    return np.asarray(img, dtype=np.uint8)


_LINEAR_8BIT = np.array(_LINEAR, dtype=np.float32)   # the sRGB curve per 8-bit level, as `hex_to_lab` reads it


def _lab_from_8bit(rgb8: np.ndarray) -> np.ndarray:
    """CIELAB of 8-bit sRGB pixels in float32 (the sRGB curve read from a 256-entry table): the same numbers
    as `srgb_to_lab` to ~1e-4 L*, several times faster on a whole image."""
    linear = _LINEAR_8BIT[rgb8]
    xyz = linear @ (_RGB_TO_XYZ.T / _WHITE_D65).astype(np.float32)
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / np.float32(3 * (6 / 29) ** 2) + np.float32(4 / 29))
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk's M on 0..255 sRGB, divided by 110 (their 'extremely colourful') and capped at 1."""
    r, g, b = (rgb[..., i].astype(np.float64) * 255 for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    m = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    return float(min(m / 110.0, 1.0))


def _warmth(chroma: np.ndarray, hue: np.ndarray) -> float:
    """Ou et al.'s warm-cool index 0.02 C*^1.07 cos(h - 50°), averaged, without its constant (so grey is 0.5)."""
    wc = 0.02 * chroma ** 1.07 * np.cos(hue - math.radians(50))
    return float(0.5 + 0.5 * math.tanh(wc.mean()))


def _weighted_z(features: dict, weights: dict) -> float:
    return sum(w * (features[k] - REFERENCE[k][0]) / REFERENCE[k][1] for k, w in weights.items())


def _squash(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-SQUASH * z))


_NAMED_CACHE: tuple[list[str], np.ndarray] | None = None


def _named_table() -> tuple[list[str], np.ndarray]:
    global _NAMED_CACHE
    if _NAMED_CACHE is None:
        names = list(NAMED_COLOURS)
        _NAMED_CACHE = (names, np.array([hex_to_lab(NAMED_COLOURS[n]) for n in names]))
    return _NAMED_CACHE

"""Mood from colour: orderings on synthetic images and on demo paintings, palette, words, serialisation."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imaudible.mood import (LOW, MOOD_WORDS, NAMED_COLOURS, Mood, estimate_mood, lab_to_srgb, mood_words,
                            srgb_to_lab, tempo_bpm)
from imaudible.structure import FINGERPRINT_LENGTH

ART = Path(__file__).resolve().parents[1] / "demo" / "art"


def image_of(rgb, size=(240, 160), noise=0.03, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(rgb, float) + rng.normal(0, noise, (size[1], size[0], 3)), 0, 1)
    return Image.fromarray((pixels * 255).round().astype(np.uint8))


def lab_image(lightness, chroma, hue_deg, **kw) -> Image.Image:
    h = np.radians(hue_deg)
    rgb = lab_to_srgb(np.array([lightness, chroma * np.cos(h), chroma * np.sin(h)]))
    return image_of(rgb, **kw)


def checker(rgb_a, rgb_b, size=(240, 160), cell=8) -> Image.Image:
    """A textured image: a checkerboard of two colours (edges everywhere, contrast from their lightness)."""
    w, h = size
    on = (((np.arange(w) // cell)[None, :] + (np.arange(h) // cell)[:, None]) % 2 == 0)[..., None]
    return Image.fromarray((np.where(on, rgb_a, rgb_b) * 255).round().astype(np.uint8))


def gradient(top, bottom, size=(240, 160)) -> Image.Image:
    w, h = size
    t = np.linspace(0, 1, h)[:, None, None]
    pixels = np.array(top, float) * (1 - t) + np.array(bottom, float) * t + np.zeros((h, w, 3))
    return Image.fromarray((pixels * 255).round().astype(np.uint8))


def painting(name: str) -> Mood:
    img = Image.open(ART / name).convert("RGB")
    img.thumbnail((512, 512))          # what the pipeline hands over: the <= 512 px analysis image
    return estimate_mood(img)


def test_bright_saturated_warm_busy_beats_dark_desaturated_smooth():
    lively = estimate_mood(checker((1.0, 0.75, 0.1), (0.8, 0.25, 0.05)))
    gloomy = estimate_mood(image_of((0.15, 0.18, 0.25)))
    assert lively.arousal > gloomy.arousal + 0.3
    assert lively.valence > gloomy.valence + 0.5
    assert lively.words == MOOD_WORDS[("high", "high")]
    assert gloomy.words[0] in {w for (v, _), words in MOOD_WORDS.items() if v == "low" for w in words}


def lab_rgb(lightness, chroma, hue_deg):
    h = np.radians(hue_deg)
    return lab_to_srgb(np.array([lightness, chroma * np.cos(h), chroma * np.sin(h)]))


def test_saturation_raises_arousal_at_equal_lightness_and_texture():
    grey = estimate_mood(checker(lab_rgb(45, 0, 0), lab_rgb(65, 0, 0)))
    vivid = estimate_mood(checker(lab_rgb(45, 60, 30), lab_rgb(65, 60, 30)))
    assert vivid.brightness == pytest.approx(grey.brightness, abs=0.03)
    assert vivid.edge_density == pytest.approx(grey.edge_density, abs=0.02)
    assert vivid.saturation > grey.saturation + 0.4
    assert vivid.arousal > grey.arousal + 0.15


SMOOTH_FIELDS = {   # what a curator tried: each must read calm, whatever its colour
    "dark-blue low-contrast gradient": lambda: gradient((0.05, 0.08, 0.22), (0.11, 0.16, 0.38)),
    "flat maroon field": lambda: image_of((0.42, 0.10, 0.13), noise=0.0),
    "pure red field": lambda: image_of((1.0, 0.0, 0.0), noise=0.0),
    "grainy orange field": lambda: image_of((1.0, 0.6, 0.1)),
    "pale green gradient": lambda: gradient((0.6, 0.9, 0.6), (0.4, 0.8, 0.5)),
    "grey field": lambda: image_of((0.5, 0.5, 0.5)),
}


@pytest.mark.parametrize("name", list(SMOOTH_FIELDS))
def test_smooth_low_contrast_images_read_calm_whatever_their_colour(name):
    mood = estimate_mood(SMOOTH_FIELDS[name]())
    assert mood.contrast < 0.1 and mood.edge_density < 0.02
    assert mood.arousal < LOW, mood.arousal
    calm_words = {w for (_, a), words in MOOD_WORDS.items() if a == "low" for w in words}
    assert set(mood.words) <= calm_words
    assert tempo_bpm(mood) < 90


def test_texture_outweighs_hue_for_arousal():
    """A colourless checkerboard is more arousing than the most saturated, warmest flat field."""
    busy_grey = estimate_mood(checker((0.25, 0.25, 0.25), (0.75, 0.75, 0.75), cell=4))
    flat_red = estimate_mood(image_of((1.0, 0.0, 0.0), noise=0.0))
    assert flat_red.saturation > 0.9 and flat_red.warmth > 0.8 and busy_grey.saturation < 0.02
    assert busy_grey.arousal > flat_red.arousal + 0.3
    assert busy_grey.words[0] in {w for (_, a), words in MOOD_WORDS.items() if a == "high" for w in words}


def test_structure_fingerprint_reads_layout():
    """The fingerprint follows where light and detail are: a left-to-right ramp rises, a top-down one does not."""
    w, h = 240, 160
    ramp_x = Image.fromarray((np.tile(np.linspace(0, 255, w), (h, 1))).astype(np.uint8)).convert("RGB")
    ramp_y = ramp_x.rotate(90, expand=True)
    sx, sy = estimate_mood(ramp_x).structure, estimate_mood(ramp_y).structure
    assert len(sx) == len(sy) == FINGERPRINT_LENGTH
    contour_x, contour_y = sx[:8], sy[:8]
    assert list(contour_x) == sorted(contour_x) and contour_x[0] == 0.0 and contour_x[-1] == 1.0
    assert set(contour_y) == {0.5}                         # flat: every strip has the same lightness
    rows_y = sy[16:20]
    assert list(rows_y) == sorted(rows_y, reverse=True) or list(rows_y) == sorted(rows_y)
    assert sx[-2] > 0.6 and abs(sy[-2] - 0.5) < 0.05       # light sits on the right of the horizontal ramp
    assert estimate_mood(ramp_x).structure == sx          # deterministic


def test_lightness_raises_valence_at_equal_chroma():
    dark, light = estimate_mood(lab_image(30, 30, 140)), estimate_mood(lab_image(80, 30, 140))
    assert light.saturation == pytest.approx(dark.saturation, abs=0.03)
    assert light.valence > dark.valence + 0.3
    assert light.arousal < dark.arousal          # Valdez & Mehrabian: brightness lowers arousal


def test_warm_hue_raises_arousal_at_equal_lightness_and_chroma():
    warm, cool = estimate_mood(lab_image(60, 40, 50)), estimate_mood(lab_image(60, 40, 230))
    assert warm.warmth > 0.6 > 0.4 > cool.warmth
    assert warm.arousal > cool.arousal


def test_edges_and_contrast_raise_arousal():
    flat = image_of((0.5, 0.5, 0.5), noise=0.0)
    stripes = np.zeros((160, 240, 3))
    stripes[:, (np.arange(240) // 3) % 2 == 0] = 0.75
    stripes[:, (np.arange(240) // 3) % 2 == 1] = 0.25
    busy = Image.fromarray((stripes * 255).astype(np.uint8))
    calm, lively = estimate_mood(flat), estimate_mood(busy)
    assert lively.edge_density > 0.3 > calm.edge_density
    assert lively.contrast > calm.contrast + 0.3
    assert lively.arousal > calm.arousal + 0.5


def test_uncontroversial_orderings_on_paintings():
    lilies, shipwreck = painting("water_lilies.jpg"), painting("shipwreck_of_the_minotaur.jpg")
    kandinsky, scream = painting("composition_vii.jpg"), painting("the_scream.jpg")
    assert lilies.valence > shipwreck.valence         # calm pond over a storm-wrecked ship
    assert kandinsky.arousal > lilies.arousal         # an explosion of colour over still water
    assert scream.arousal > lilies.arousal


def test_palette_names_dominant_colours_with_shares():
    red, navy = np.array(Image.new("RGB", (1, 1), NAMED_COLOURS["red"]).getpixel((0, 0))) / 255, \
        np.array(Image.new("RGB", (1, 1), NAMED_COLOURS["navy"]).getpixel((0, 0))) / 255
    pixels = np.zeros((100, 100, 3))
    pixels[:, :70] = red
    pixels[:, 70:] = navy
    mood = estimate_mood(Image.fromarray((pixels * 255).round().astype(np.uint8)))
    names = [p.name for p in mood.palette]
    assert names[:2] == ["red", "navy"]
    assert mood.palette[0].share == pytest.approx(0.7, abs=0.03)
    assert sum(p.share for p in mood.palette) == pytest.approx(1.0, abs=1e-3)
    assert all(p.hex.startswith("#") and len(p.hex) == 7 for p in mood.palette)


def test_colour_conversion_round_trip():
    rgb = np.random.default_rng(3).random((50, 3))
    assert np.allclose(lab_to_srgb(srgb_to_lab(rgb)), rgb, atol=1e-6)


def test_deterministic_and_size_independent():
    img = Image.open(ART / "starry_night.jpg").convert("RGB")
    small, large = img.copy(), img.copy()
    small.thumbnail((300, 300))
    large.thumbnail((512, 512))
    a, b = estimate_mood(large), estimate_mood(large)
    assert a == b
    c = estimate_mood(small)
    assert abs(a.valence - c.valence) < 0.05 and abs(a.arousal - c.arousal) < 0.08


@pytest.mark.parametrize("mode,size", [("RGB", (1, 1)), ("L", (64, 48)), ("RGBA", (30, 90)), ("P", (20, 20))])
def test_odd_images_are_read(mode, size):
    mood = estimate_mood(Image.new(mode, size))
    assert 0 <= mood.valence <= 1 and 0 <= mood.arousal <= 1
    assert len(mood.palette) >= 1 and mood.words


def test_every_number_in_range_and_json_round_trip():
    mood = painting("the_scream.jpg")
    for name in ("valence", "arousal", "brightness", "saturation", "warmth", "contrast", "colourfulness",
                 "edge_density"):
        assert 0.0 <= getattr(mood, name) <= 1.0, name
    data = json.loads(json.dumps(mood.to_dict()))
    assert Mood.from_dict(data) == mood
    assert data["palette"][0].keys() == {"hex", "name", "share"}
    del data["arousal"]
    with pytest.raises(ValueError, match="mood: missing arousal"):
        Mood.from_dict(data)


def test_override_rederives_words():
    mood = painting("water_lilies.jpg")
    tense = mood.with_override(valence=0.1, arousal=0.9)
    assert (tense.valence, tense.arousal) == (0.1, 0.9)
    assert tense.words == mood_words(0.1, 0.9) == MOOD_WORDS[("low", "high")]
    assert tense.palette == mood.palette and tense.brightness == mood.brightness
    assert mood.with_override() == mood
    assert mood.with_override(arousal=0.05).valence == mood.valence

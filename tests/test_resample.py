"""resample.lanczos: the derivatives' Lanczos resize on libvips, Pillow's result to within rounding."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from imaudible import images, resample
from imaudible.settings import ImageSettings


def painting(width: int, height: int, seed: int = 0) -> Image.Image:
    """Gradients, hard edges and grain: what a resize can get wrong shows."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([255 * x / max(1, width - 1), 255 * y / max(1, height - 1),
                    np.where((x // 37 + y // 23) % 2 == 0, 220.0, 30.0)], axis=-1)
    rgb += rng.normal(0, 12, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def test_pyvips_loads_from_its_wheel():
    # a base dependency: without it every build would quietly take the slower path
    assert resample._loaded(), "pyvips (with pyvips-binary) should be installed with imaudible"


@pytest.mark.parametrize("shape, target, gap, tolerance", [
    ((1500, 1000), (1024, 683), 3.0, 0.5),
    ((1500, 1000), (720, 480), 3.0, 0.5),
    ((720, 480), (320, 213), 1.5, 0.5),
    ((1023, 1025), (719, 720), 3.0, 0.5),
    ((4000, 300), (1024, 77), 3.0, 0.5),
    ((1500, 1), (320, 1), 1.5, 0.5),
    ((1, 900), (1, 720), 3.0, 0.5),
    # every pixel of a 2 px wide result is an edge pixel, and the two extend edges differently
    ((3, 1500), (2, 1024), 3.0, 2.0),
])
def test_lanczos_is_pillows_to_within_rounding(shape, target, gap, tolerance):
    source = painting(*shape)
    ours, pillows = resample.lanczos(source, target, gap), resample.pillow_lanczos(source, target, gap)
    assert ours.size == target and ours.mode == "RGB"
    assert mean_difference(ours, pillows) < tolerance
    assert np.abs(np.asarray(ours, np.int16) - np.asarray(pillows, np.int16)).max() <= 16


@pytest.mark.parametrize("shape, target, gap", [
    ((7000, 4000), (1024, 585), 3.0),
    ((6001, 3001), (719, 360), 3.0),      # partial blocks at the edges, which libvips would stretch
    ((2000, 1301), (320, 208), 1.5),      # the thumbnail's gap
])
def test_a_resize_that_box_reduces_first_is_pillows_exactly(shape, target, gap):
    source = painting(*shape, seed=5)
    assert resample.lanczos(source, target, gap).tobytes() == resample.pillow_lanczos(source, target, gap).tobytes()


def test_every_size_a_build_asks_for_comes_out_exact():
    rng = np.random.default_rng(7)
    for _ in range(200):
        width, height = (int(v) for v in rng.integers(1, 2500, 2))
        edge = int(rng.integers(1, max(width, height) + 1))
        target = images._target_size(width, height, edge)
        assert resample.lanczos(Image.new("RGB", (width, height)), target, 3.0).size == target


def test_without_pyvips_pillow_does_it(monkeypatch):
    source = painting(900, 600, seed=3)
    monkeypatch.setattr(resample, "_vips", False)   # what _loaded() leaves when pyvips cannot be imported
    assert resample.lanczos(source, (300, 200), 3.0).tobytes() == \
        resample.pillow_lanczos(source, (300, 200), 3.0).tobytes()


def test_a_pyvips_too_old_to_set_up_leaves_it_to_pillow(monkeypatch):
    """pyvips before 3.2 has no concurrency_set: every artwork failed at derive with an AttributeError."""
    import sys
    import types
    old = types.ModuleType("pyvips")
    old.cache_set_max = lambda n: None
    monkeypatch.setitem(sys.modules, "pyvips", old)
    monkeypatch.setattr(resample, "_vips", None)
    source = painting(900, 600, seed=4)
    assert resample.lanczos(source, (300, 200), 3.0).tobytes() == \
        resample.pillow_lanczos(source, (300, 200), 3.0).tobytes()
    assert resample._vips is False


def test_other_modes_go_to_pillow():
    grey = painting(800, 400).convert("L")
    out = resample.lanczos(grey, (400, 200), 3.0)
    assert out.mode == "L" and out.tobytes() == resample.pillow_lanczos(grey, (400, 200), 3.0).tobytes()


def test_threads_get_the_same_pixels():
    sources = [painting(1200, 800, seed=s) for s in range(6)]
    alone = [resample.lanczos(s, (720, 480), 3.0).tobytes() for s in sources]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(lambda s: resample.lanczos(s, (720, 480), 3.0).tobytes(), sources))
    assert together == alone


def test_derivatives_are_resized_by_it_and_the_analysis_copy_is_not(monkeypatch):
    calls = []
    real = resample.lanczos
    monkeypatch.setattr(resample, "lanczos", lambda image, size, gap: calls.append(size) or real(image, size, gap))
    source = painting(1500, 1000)
    derived = images.derive(_jpeg(source), "a.jpg", ImageSettings())
    textures = {(d.width, d.height) for d in derived}
    assert set(calls) == textures - {(1500, 1000)}            # every resized derivative, nothing else
    calls.clear()
    images.analyse(_jpeg(source), "a.jpg", ImageSettings())
    assert calls == []       # its pixels enter the mood and music keys: Pillow's resize, unchanged


def _jpeg(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()

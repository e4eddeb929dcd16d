"""Lanczos downscaling of the web derivatives with libvips (pyvips, whose wheels carry libvips).

The same Lanczos-3 as Pillow's to within rounding: on the benchmark's and the demo's art both are 0.3 levels
(mean) from an exact floating-point resize, and libvips takes ~40% less CPU for it, so derive went from 53
to 44 ms per artwork (ARCHITECTURE.md, "The cold image path"). Encoding stays Pillow's, which is faster
at WebP. Only the derivatives use it: the analysis copy stays Pillow's, because its pixels enter the mood
and music keys. Pillow still does the resizes that start with a box reduction (a source at least twice
`reducing_gap` times the size: a PNG or TIFF far bigger than its texture; with the default sizes a JPEG is
decoded at reduced scale and never is), and every resize where pyvips cannot be loaded.
"""
from __future__ import annotations

import threading

from PIL import Image

_SETUP_LOCK = threading.Lock()
_vips = None     # the pyvips module once set up, False when it cannot be loaded


def lanczos(image: Image.Image, size: tuple[int, int], reducing_gap: float) -> Image.Image:
    """`image` (RGB) resized to `size` with Lanczos-3, first box-reduced by whole factors while it stays
    `reducing_gap` times the size (as Pillow's `reducing_gap`)."""
    vips = _loaded()
    if not vips or image.mode != "RGB" or _box_reduces(image, size, reducing_gap):
        # A source that big is reduced by Pillow, which maps the reduced pixels back exactly (libvips
        # cannot, where the factor leaves a partial block at an edge) and never copies the big source.
        return pillow_lanczos(image, size, reducing_gap)
    source = vips.Image.new_from_memory(image.tobytes(), image.width, image.height, 3, "uchar")
    out = source.resize(size[0] / image.width, vscale=size[1] / image.height, kernel="lanczos3", gap=0.0)
    if (out.width, out.height) == tuple(size):
        return Image.frombytes("RGB", size, out.write_to_memory())
    return pillow_lanczos(image, size, reducing_gap)


def _box_reduces(image: Image.Image, size: tuple[int, int], reducing_gap: float) -> bool:
    return image.width >= 2 * reducing_gap * size[0] or image.height >= 2 * reducing_gap * size[1]


def pillow_lanczos(image: Image.Image, size: tuple[int, int], reducing_gap: float) -> Image.Image:
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _loaded():
    global _vips
    if _vips is None:
        with _SETUP_LOCK:
            if _vips is None:
                try:
                    import pyvips
                    pyvips.cache_set_max(0)     # each image is resized once: a cache of operations only holds memory
                    pyvips.concurrency_set(1)   # one core per build worker, as --jobs promises
                except (ImportError, OSError, AttributeError):   # AttributeError: a pyvips older than 3.2
                    _vips = False
                else:
                    _vips = pyvips
    return _vips

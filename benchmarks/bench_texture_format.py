"""Bytes, SSIM and encode CPU of the web derivatives as WebP (today's setting) and as JPEG variants, per size.

Backs the decision in ARCHITECTURE.md ("The cold image path"): WebP up to 720 px, where it wins on bytes
for a given SSIM, and JPEG (Huffman-optimised) above, which is sharper than WebP q82 at the same quality
setting for about as many bytes (3% more on the demo, and sharper still at equal bytes) and 3.6x faster. Each source is decoded as a build decodes it and
resized (Lanczos) to every derivative the build makes (`texture_plan` at the default sizes, and the
thumbnail); SSIM is Wang et al.'s (Gaussian window, sigma 1.5) on luma, against that resized image.

    python benchmarks/bench_texture_format.py [FOLDER] [N]    (default: demo/art, every *.jpg below it)
"""
from __future__ import annotations

import io
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from imaudible import images
from imaudible.settings import ImageSettings

VARIANTS = [("webp q82 m0", "WEBP", dict(quality=82, method=0))] + [
    (f"jpeg q{q}{' opt' if opt else ''}{' prog' if prog else ''}", "JPEG",
     dict(quality=q, optimize=opt, progressive=prog))
    for q, opt, prog in ((82, False, False), (82, True, False), (82, True, True), (84, False, False),
                         (84, True, True), (86, True, True))]


def luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: gaussian_filter(x, 1.5, truncate=3.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2, blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def encode(image: Image.Image, fmt: str, options: dict) -> tuple[bytes, float]:
    out = io.BytesIO()
    start = time.process_time()
    image.save(out, fmt, **options)
    return out.getvalue(), time.process_time() - start


def size_class(edge: int, settings: ImageSettings) -> str:
    return "thumb" if edge == settings.thumbnail else ("720" if edge <= 720 else ">720")


def measure(paths: list[Path], settings: ImageSettings) -> dict:
    rows = defaultdict(lambda: [0, [], 0.0])  # (class, variant) -> bytes, SSIMs, CPU seconds
    for path in paths:
        decoded = images.decode(path.read_bytes(), path.name, settings, max(settings.sizes))
        edges = [e for _, e in images.texture_plan(max(decoded.width, decoded.height), settings.sizes)]
        for edge in edges + [settings.thumbnail]:
            ref = decoded.image.resize(images._target_size(decoded.width, decoded.height, edge), Image.LANCZOS)
            ref_luma = luma(ref)
            for name, fmt, options in VARIANTS:
                data, seconds = encode(ref, fmt, options)
                for group in (size_class(edge, settings), "all"):
                    row = rows[group, name]
                    row[0] += len(data)
                    row[1].append(ssim(ref_luma, luma(Image.open(io.BytesIO(data)))))
                    row[2] += seconds
    return rows


def main(folder: str = "demo/art", count: str = "0") -> None:
    settings = ImageSettings()
    paths = sorted(Path(folder).rglob("*.jpg"))[:int(count) or None]
    rows = measure(paths, settings)
    print(f"{len(paths)} sources from {folder}, sizes {settings.sizes} + thumbnail {settings.thumbnail}")
    print(f"{'size':6} {'variant':20} {'KB':>7} {'vs webp':>8} {'SSIM':>7} {'CPU ms/artwork':>15}")
    for group in ("thumb", "720", ">720", "all"):
        webp_bytes, webp_ssims, _ = rows[group, VARIANTS[0][0]]
        for name, _, _ in VARIANTS:
            size, ssims, seconds = rows[group, name]
            wins = name != VARIANTS[0][0] and size <= webp_bytes and np.mean(ssims) >= np.mean(webp_ssims)
            print(f"{group:6} {name:20} {size / 1000:7.0f} {size / webp_bytes:8.3f} {np.mean(ssims):7.4f} "
                  f"{1000 * seconds / len(paths):15.1f}{'  <- no larger and no worse than WebP' if wins else ''}")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Mood read per image after warm-up (target: <= 30 ms), against the previous palette step in this process.

    .venv/bin/python benchmarks/bench_mood.py

The images are the demo's eight paintings at the pipeline's analysis size (<= 512 px). The baseline is
the palette as it was before (scikit-learn KMeans, 3 inits, on 6000 sampled pixels), which took most of
the ~0.5 s per image; the mood now clusters a 1500-pixel sample with SciPy's kmeans2 (k-means++ seeding).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def old_palette(lab):
    import numpy as np
    from sklearn.cluster import KMeans

    pixels = lab.reshape(-1, 3)
    if len(pixels) > 6000:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), 6000, replace=False)]
    return KMeans(n_clusters=5, n_init=3, random_state=0).fit(pixels)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for benchmarks/run; the run is short anyway")
    parser.parse_args()
    from PIL import Image

    from imaudible import mood

    images = []
    for path in sorted((REPO / "demo" / "art").glob("*.jpg")):
        img = Image.open(path).convert("RGB")
        img.thumbnail((512, 512))
        images.append((path.stem, img))
    mood.estimate_mood(images[0][1])                       # warm-up: imports, colour-name table
    old_palette(mood.srgb_to_lab(mood._statistics_pixels(images[0][1]) / 255.0))
    now, before = [], []
    for name, img in images:
        best = min(_timed(lambda: mood.estimate_mood(img)) for _ in range(3))
        lab = mood.srgb_to_lab(mood._statistics_pixels(img) / 255.0)
        old = min(_timed(lambda: old_palette(lab)) for _ in range(3))
        now.append(best)
        before.append(old)
        print(f"{name:30s} mood {best * 1000:6.1f} ms   (old palette step alone {old * 1000:6.1f} ms)")
    print(f"median mood {statistics.median(now) * 1000:.1f} ms/image, max {max(now) * 1000:.1f} ms "
          f"(target <= 30 ms); old palette step alone {statistics.median(before) * 1000:.1f} ms: "
          f"{statistics.median(before) / statistics.median(now):.1f}x the whole new mood read")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()

"""Benchmark: build a synthetic 500-image gallery with imaudible-site and with sigal, cold and no-op.

    .venv/bin/python benchmarks/bench_build.py [--count 500] [--duration 2] [--jobs N] [--workdir DIR]

Both tools run as subprocesses (start-up included) with their default parallelism (one worker per
CPU), on the same JPEGs. Printed: wall times, our/sigal ratios for the cold build and the no-op
rebuild, and our time without the music stages, which sigal does not have:
  - estimated from `--report` (wall time minus the music and audio stage seconds / jobs), and
  - measured: a rebuild after changing `images.quality`, which recomputes every image-derived stage
    and the site but finds the music and audio in the cache (their keys do not depend on the
    derivatives' encoding).
The work differs: per image we write WebP and JPEG at two texture sizes plus a thumbnail, estimate
the mood, describe it, compose and encode music, and render pages; sigal (configured in
SIGAL_CONF below) writes one JPEG of at most 1024 px and a 320 px thumbnail.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIGAL_CONF = """\
source = {source!r}
destination = {destination!r}
img_size = (1024, 1024)
thumb_size = (320, 320)
"""
MUSIC_STAGES = ("music", "audio")


def make_image(index: int) -> Image.Image:
    """A deterministic 'painting': gradient ground, soft shapes, strokes and grain; 300 to 1500 px long edge."""
    rng = random.Random(index)
    long_edge = rng.randint(300, 1500)
    aspect = rng.uniform(0.55, 1.8)
    width, height = (long_edge, max(16, round(long_edge / aspect))) if aspect >= 1 else \
        (max(16, round(long_edge * aspect)), long_edge)
    top = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    bottom = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    ground = np.broadcast_to(top * (1 - t) + bottom * t, (height, width, 3))
    image = Image.fromarray(ground.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(5, 25)):
        x0, y0 = rng.randint(-width // 4, width), rng.randint(-height // 4, height)
        x1, y1 = x0 + rng.randint(8, width // 2 + 8), y0 + rng.randint(8, height // 2 + 8)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    for _ in range(rng.randint(10, 60)):
        points = [(rng.randint(0, width), rng.randint(0, height)) for _ in range(3)]
        draw.line(points, fill=tuple(rng.randint(0, 255) for _ in range(3)), width=rng.randint(1, 12))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 2.0)))
    grain = np.random.default_rng(index).normal(0, rng.uniform(2, 14), (height, width, 1))
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8))


def make_gallery(folder: Path, count: int, duration: float) -> None:
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    lines = ["title: Benchmark gallery", "caption: {model: builtin}",
             f"music: {{model: builtin, duration: {duration}}}", "audio: {fade_in: 0.1, fade_out: 0.5}",
             "artworks:"]
    for index in range(count):
        name = f"work-{index:04d}.jpg"
        if not (images / name).exists():
            make_image(index).save(images / name, quality=88)
        lines += [f"  - file: images/{name}", f"    title: Study number {index}"]
    (folder / "gallery.yaml").write_text("\n".join(lines) + "\n")


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench_build: cannot find the '{name}' command (install it into this environment)")
    return found


def timed(command: list[str], label: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_build: {label} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    print(f"  {label:<34} {seconds:8.2f} s", flush=True)
    return seconds


def ours(gallery: Path, out: Path, report: Path, jobs: int | None, label: str) -> tuple[float, dict]:
    command = [tool("imaudible-site"), "build", str(gallery), "--out", str(out), "--report", str(report), "--quiet"]
    if jobs:
        command += ["--jobs", str(jobs)]
    seconds = timed(command, label)
    return seconds, json.loads(report.read_text())


def best_of(repeat: int, run):
    """The fastest of `repeat` runs (no-op builds are short, so other load on the machine shows)."""
    return min((run() for _ in range(max(1, repeat))), key=lambda result: result[0])


def stage_counts(report: dict) -> str:
    by_stage = report["totals"]["by_stage"]
    order = ("ingest", "mood", "caption", "music", "audio")
    stages = sorted(by_stage, key=lambda s: order.index(s) if s in order else len(order))
    return "computed/cached: " + ", ".join(f"{s} {by_stage[s]['computed']}/{by_stage[s]['cached']}" for s in stages)


def music_seconds(report: dict) -> float:
    return sum(report["totals"]["by_stage"].get(stage, {}).get("seconds", 0.0) for stage in MUSIC_STAGES)


def rebuild_images_only(gallery: Path, out: Path, report: Path, jobs: int | None) -> tuple[float, bool]:
    """Change only the derivatives' quality: every image stage and the site recompute, music comes from the cache."""
    manifest = gallery / "gallery.yaml"
    original = manifest.read_text()
    manifest.write_text(original.replace("artworks:\n", "images: {quality: 81}\nartworks:\n", 1))
    try:
        seconds, images_report = ours(gallery, out, report, jobs, "imaudible images-only rebuild")
    finally:
        manifest.write_text(original)
    by_stage = images_report["totals"]["by_stage"]
    comparable = all(by_stage[s]["computed"] == 0 for s in MUSIC_STAGES) and by_stage["ingest"]["cached"] == 0
    print(f"    {stage_counts(images_report)}" + ("" if comparable else "  <- music recomputed: not comparable"))
    return seconds, comparable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="images in the synthetic gallery (default 500)")
    parser.add_argument("--duration", type=float, default=2.0, help="music seconds per artwork (default 2)")
    parser.add_argument("--jobs", type=int, default=None, help="our --jobs (default: the tool's, one per CPU)")
    parser.add_argument("--workdir", type=Path, help="keep the gallery here (images are reused between runs)")
    parser.add_argument("--repeat", type=int, default=3, help="no-op rebuilds per tool, best kept (default 3)")
    parser.add_argument("--no-images-only", action="store_true",
                        help="skip the images-only rebuild that measures our time without music")
    parser.add_argument("--skip-sigal", action="store_true", help="build with imaudible only")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="imaudible-bench-"))
    gallery, out, report = work / "gallery", work / "out-imaudible", work / "report.json"
    started = time.perf_counter()
    make_gallery(gallery, args.count, args.duration)
    print(f"{args.count} images in {gallery / 'images'} ({time.perf_counter() - started:.1f} s to make); "
          f"music {args.duration:g} s per artwork; {os.cpu_count()} CPUs")
    for stale in (out, gallery / ".imaudible-cache", work / "out-sigal"):
        shutil.rmtree(stale, ignore_errors=True)

    cold, cold_report = ours(gallery, out, report, args.jobs, "imaudible cold build")
    print(f"    {stage_counts(cold_report)}")
    noop, noop_report = best_of(args.repeat, lambda: ours(gallery, out, report, args.jobs, "imaudible no-op rebuild"))
    computed = noop_report["totals"]["computed"]
    print(f"    {stage_counts(noop_report)}" + ("" if computed == 0 else f"  <- {computed} computed: NOT a no-op"))

    jobs = args.jobs or os.cpu_count() or 1
    estimated = cold - music_seconds(cold_report) / jobs
    images_only, music_cached = 0.0, False
    if not args.no_images_only:
        images_only, music_cached = rebuild_images_only(gallery, out, report, args.jobs)
    print(f"  music+audio stage seconds (summed over workers): {music_seconds(cold_report):.1f} s "
          f"-> cold build without music, estimated: {estimated:.2f} s")

    if args.skip_sigal:
        return
    conf = work / "sigal.conf.py"
    conf.write_text(SIGAL_CONF.format(source=str(gallery / "images"), destination=str(work / "out-sigal")))
    sigal = [tool("sigal"), "build", "-c", str(conf), str(gallery / "images"), str(work / "out-sigal")]
    sigal_cold = timed(sigal, "sigal cold build")
    sigal_noop = best_of(args.repeat, lambda: (timed(sigal, "sigal no-op rebuild"), None))[0]

    print("\nratios (imaudible / sigal, lower is faster):")
    print(f"  cold build                     {cold / sigal_cold:6.2f}x   ({cold:.1f} s / {sigal_cold:.1f} s)")
    print(f"  no-op rebuild                  {noop / sigal_noop:6.2f}x   ({noop:.2f} s / {sigal_noop:.2f} s)")
    print(f"  cold without music, estimated  {estimated / sigal_cold:6.2f}x   ({estimated:.1f} s / {sigal_cold:.1f} s)")
    if music_cached:
        print(f"  cold without music, measured   {images_only / sigal_cold:6.2f}x   "
              f"({images_only:.1f} s / {sigal_cold:.1f} s; images-only rebuild)")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: build a synthetic 500-image gallery with imaudible-site and with sigal, cold and no-op.

    .venv/bin/python benchmarks/bench_build.py [--count 500] [--duration 2] [--jobs N] [--workdir DIR]

Both tools run as subprocesses (start-up included) with their default parallelism (one worker per
CPU; ours on its default executor, `auto`, named in the lines of counts), on the same JPEGs. Printed:
wall times, our/sigal ratios for the cold build and the no-op rebuild (the first one after the cold
build plans every stage and leaves the build stamp; the best of the later ones, which replay it, is the
no-op figure, each followed at once by a sigal no-op, whose best is its figure), and our time without
the music stages, which
sigal does not have:
  - estimated from `--report` (wall time minus the music and audio stage seconds / jobs);
  - measured: a cold build with only the music and audio results left in the cache (the others and the
    stat cache moved aside) into an empty out folder, the best of `--rounds`, each followed at once by a
    cold sigal build (the machine's speed drifts over minutes; each round's ratio is printed too): every
    image stage (ingest, derive, mood, caption, prompt) and the whole site computed again, the music found
    by its unchanged key. This is the fair figure: the same work as the cold build but music; and
  - derivatives only: a rebuild after changing `images.quality`, which recomputes the web derivatives
    (stage `derive`: decoding and encoding, sigal's work) and the site and finds everything else in the
    cache (no key but derive's depends on the derivatives' settings).
Nothing is deleted until every figure is taken: what a measurement must not find (the last run's site,
results to compute again) is moved aside into `trash/` and deleted at the end. On ext4 without a journal
(this machine's disk), creating a file within minutes of many deletions scans past the recently freed
inodes (the kernel's `recently_deleted`): 0.3-0.9 ms a file instead of 0.03 ms, for about six minutes. A
build measured right after the benchmark deleted 8,000 results paid for that deletion, ten times sigal's
share since it creates ten times the files. Each line shows what creating a file cost just before it ran.
The work differs: per image we write a texture per size it fills (720 px as WebP, 1024 px and the source's
own size as JPEG) plus a WebP thumbnail, estimate the mood, describe it, compose and encode music, and
render a page; sigal (configured in
SIGAL_CONF below) writes one JPEG of at most 1024 px and a 320 px thumbnail.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))      # this checkout's imaudible, here and in the builds it runs

SIGAL_CONF = """\
source = {source!r}
destination = {destination!r}
img_size = (1024, 1024)
thumb_size = (320, 320)
"""
MUSIC_STAGES = ("music", "audio")
# Targets (issue 9): ratios against sigal in the same run, and per-item costs.
NOOP_TARGET, COLD_IMAGES_TARGET = 1.0, 2.0
AUDIO_TARGET_S, AUDIO_CLIP_S = 0.3, 20.0      # finishing + web encoding of one 20 s clip
MOOD_TARGET_MS = 30.0                          # mood of one image, after warm-up


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


CPU_SECONDS: dict[str, float] = {}   # label -> CPU seconds of its last run (what other load distorts least)
TRASH: list[Path] = []                # where discarded folders go; [trash folder] once main() set it


def discard(path: Path) -> None:
    """Move `path` out of the way, to be deleted once every figure is taken (see the docstring)."""
    if os.path.lexists(path):
        os.rename(path, TRASH[0] / f"{len(os.listdir(TRASH[0]))}-{path.name}")


def file_creation_ms(count: int = 100) -> float:
    """What creating a small file costs the file system now (in the trash: nothing is deleted before the end)."""
    probe = TRASH[0] / f"probe-{len(os.listdir(TRASH[0]))}"
    probe.mkdir()
    started = time.perf_counter()
    for index in range(count):
        (probe / str(index)).write_bytes(b"x" * 1000)
    return (time.perf_counter() - started) / count * 1000


def timed(command: list[str], label: str, env: dict | None = None) -> float:
    creation = file_creation_ms() if TRASH else 0.0
    started, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_build: {label} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    CPU_SECONDS[label] = cpu_seconds() - cpu
    print(f"  {label:<34} {seconds:8.2f} s   CPU {CPU_SECONDS[label]:6.2f} s   load {os.getloadavg()[0]:.1f}   "
          f"a file {creation:.2f} ms", flush=True)
    return seconds


def ours(gallery: Path, out: Path, report: Path, jobs: int | None, label: str) -> tuple[float, dict]:
    command = [sys.executable, "-m", "imaudible", "build", str(gallery), "--out", str(out), "--report", str(report),
               "--quiet"]
    if jobs:
        command += ["--jobs", str(jobs)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    # An installed tool (like sigal here) runs from compiled bytecode; a checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module again on every run (~0.25 s), which no user's no-op pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    seconds = timed(command, label, env)
    return seconds, json.loads(report.read_text())


def best_of(repeat: int, run):
    """The fastest of `repeat` runs (no-op builds are short, so other load on the machine shows)."""
    return min((run() for _ in range(max(1, repeat))), key=lambda result: result[0])


def stage_counts(report: dict) -> str:
    by_stage = report["totals"]["by_stage"]
    order = ("ingest", "derive", "mood", "caption", "prompt", "music", "audio")
    stages = sorted(by_stage, key=lambda s: order.index(s) if s in order else len(order))
    return "computed/cached: " + ", ".join(f"{s} {by_stage[s]['computed']}/{by_stage[s]['cached']}" for s in stages) \
        + f"; executor {report.get('executor', '?')}"


def music_seconds(report: dict) -> float:
    return sum(report["totals"]["by_stage"].get(stage, {}).get("seconds", 0.0) for stage in MUSIC_STAGES)


def rebuild_images_only(gallery: Path, out: Path, report: Path, jobs: int | None) -> tuple[float, bool]:
    """Change only the derivatives' quality: the derivatives and the site recompute, the rest comes from the cache."""
    manifest = gallery / "gallery.yaml"
    original = manifest.read_text()
    manifest.write_text(original.replace("artworks:\n", "images: {quality: 81}\nartworks:\n", 1))
    try:
        seconds, images_report = ours(gallery, out, report, jobs, "imaudible images-only rebuild")
    finally:
        manifest.write_text(original)
    by_stage = images_report["totals"]["by_stage"]
    comparable = all(by_stage[s]["computed"] == 0 for s in MUSIC_STAGES) and by_stage["derive"]["cached"] == 0
    print(f"    {stage_counts(images_report)}" + ("" if comparable else "  <- music recomputed: not comparable"))
    return seconds, comparable


def rebuild_without_music(gallery: Path, work: Path, report: Path, jobs: int | None) -> tuple[float, bool]:
    """Everything but music and audio from cold: their cached results are all that is kept, the site is new."""
    cache = gallery / ".imaudible-cache"
    for stage_dir in (cache / "objects").iterdir():
        if stage_dir.name not in MUSIC_STAGES:
            discard(stage_dir)
    (cache / "stat-cache.json").unlink(missing_ok=True)
    out = work / "out-without-music"
    discard(out)
    seconds, cold_report = ours(gallery, out, report, jobs, "imaudible cold build, music cached")
    discard(out)
    by_stage = cold_report["totals"]["by_stage"]
    comparable = all(by_stage[s]["computed"] == 0 for s in MUSIC_STAGES) and \
        all(v["cached"] == 0 for s, v in by_stage.items() if s not in MUSIC_STAGES)
    print(f"    {stage_counts(cold_report)}" + ("" if comparable else "  <- not comparable"))
    return seconds, comparable


def per_item(report: dict, stage: str) -> float:
    """Seconds per computed item of a stage, summed over workers (as the build report counts them)."""
    by_stage = report["totals"]["by_stage"].get(stage, {})
    return by_stage.get("seconds", 0.0) / max(1, by_stage.get("computed", 0))


def audio_per_clip(formats: tuple[str, ...] | None = None, repeat: int = 3,
                   encoders_only: bool = False) -> tuple[float, float]:
    """Finishing and web encoding of one 20 s built-in clip into `formats` (default: the default
    `audio.formats`), in this process: (wall, CPU) seconds, best of `repeat`. `encoders_only`: the encode of
    the finished clip alone (ffmpeg's encoders: the floor no finishing code can go under)."""
    from imaudible import audio
    from imaudible.compose import MusicRequest, ProceduralComposer
    from imaudible.mood import Mood, PaletteColour, mood_words
    from imaudible.settings import AudioSettings, MusicSettings

    mood = Mood(valence=0.5, arousal=0.5, brightness=0.5, saturation=0.3, warmth=0.5, contrast=0.4,
                colourfulness=0.5, edge_density=0.3, words=mood_words(0.5, 0.5),
                palette=(PaletteColour("#3a8a3a", "green", 0.5), PaletteColour("#8a8a8a", "grey", 0.5)))
    request = MusicRequest("", mood, MusicSettings(duration=AUDIO_CLIP_S), "bench")
    clip = ProceduralComposer().generate([request])[0]
    settings = AudioSettings(**({"formats": formats} if formats else {}))
    finished = audio.finish(clip, settings)
    audio.encode(finished, settings)                                          # warm-up (imports, ffmpeg)
    if encoders_only:
        return best_wall_and_cpu(lambda: audio.encode(finished, settings), repeat)
    return best_wall_and_cpu(lambda: audio.finish_for_web(clip, settings), repeat)   # what the audio stage does


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg): what a busy shared machine distorts least."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def best_wall_and_cpu(work, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), cpu_seconds()
        work()
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu)
    return min(walls), min(cpus)


def mood_per_image(images: Path, count: int = 20) -> tuple[float, float]:
    """Mood of one image (the ingest stage's 512 px analysis copy), after warm-up: median (wall, CPU) seconds."""
    from imaudible import images as ingest_images
    from imaudible.mood import estimate_mood
    from imaudible.settings import ImageSettings

    copies = [ingest_images.ingest(path, ImageSettings()).analysis for path in sorted(images.glob("*.jpg"))[:count]]
    estimate_mood(copies[0])
    walls, cpus = zip(*(best_wall_and_cpu(lambda c=copy: estimate_mood(c), 1) for copy in copies))
    return float(np.median(walls)), float(np.median(cpus))


def verdict(value: float, target: float) -> str:
    return "meets" if value <= target else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="images in the synthetic gallery (default 500)")
    parser.add_argument("--duration", type=float, default=2.0, help="music seconds per artwork (default 2)")
    parser.add_argument("--jobs", type=int, default=None, help="our --jobs (default: the tool's, one per CPU)")
    parser.add_argument("--workdir", type=Path, help="keep the gallery here (images are reused between runs)")
    parser.add_argument("--repeat", type=int, default=5, help="no-op rebuilds per tool, best kept (default 5)")
    parser.add_argument("--no-images-only", action="store_true",
                        help="skip the rebuilds that measure our time without music")
    parser.add_argument("--skip-sigal", action="store_true", help="build with imaudible only")
    parser.add_argument("--rounds", type=int, default=3,
                        help="cold builds without music, each followed by a cold sigal build; the best of each is "
                             "compared, and each round's pair (default 3)")
    parser.add_argument("--quick", action="store_true", help="40 images, one no-op rebuild per tool")
    args = parser.parse_args()
    if args.quick:
        args.count, args.repeat, args.rounds = min(args.count, 40), 1, 1

    work = args.workdir or Path(tempfile.mkdtemp(prefix="imaudible-bench-"))
    gallery, out, report = work / "gallery", work / "out-imaudible", work / "report.json"
    started = time.perf_counter()
    make_gallery(gallery, args.count, args.duration)
    print(f"{args.count} images in {gallery / 'images'} ({time.perf_counter() - started:.1f} s to make); "
          f"music {args.duration:g} s per artwork; {os.cpu_count()} CPUs")
    shutil.rmtree(work / "trash", ignore_errors=True)    # a killed run's
    (work / "trash").mkdir()
    TRASH.append(work / "trash")
    try:
        for stale in (out, gallery / ".imaudible-cache", work / "out-sigal"):
            discard(stale)
        measure(args, work, gallery, out, report)
    finally:
        started = time.perf_counter()
        shutil.rmtree(work / "trash", ignore_errors=True)
        print(f"(deleted what the runs left aside in {time.perf_counter() - started:.1f} s)")


def sigal_command(work: Path, gallery: Path) -> list[str]:
    conf = work / "sigal.conf.py"
    conf.write_text(SIGAL_CONF.format(source=str(gallery / "images"), destination=str(work / "out-sigal")))
    return [tool("sigal"), "build", "-c", str(conf), str(gallery / "images"), str(work / "out-sigal")]


def measure(args, work: Path, gallery: Path, out: Path, report: Path) -> None:
    cold, cold_report = ours(gallery, out, report, args.jobs, "imaudible cold build")
    print(f"    {stage_counts(cold_report)}")
    # The first rebuild after one that computed plans every stage and checks every result; finding nothing to
    # do, it leaves the build stamp, and the rebuilds after it replay that (engine/stamp.py).
    first_noop, first_report = ours(gallery, out, report, args.jobs, "imaudible first no-op (full check)")
    stamp_file = gallery / ".imaudible-cache" / "build-stamp"
    stamped = stamp_file.stat() if stamp_file.exists() else None
    sigal = None if args.skip_sigal else sigal_command(work, gallery)
    sigal_colds: list[float] = []
    noop_pairs: list[tuple[float, float]] = []
    if sigal is None:
        noop, noop_report = best_of(args.repeat, lambda: ours(gallery, out, report, args.jobs, "imaudible no-op rebuild"))
    else:
        # Each no-op of ours is followed at once by one of sigal's (the machine's speed drifts over minutes, and
        # the minutes after a cold build differ from those at the end of the run).
        discard(work / "out-sigal")
        sigal_colds.append(timed(sigal, "sigal cold build"))
        noop_runs = []
        for _ in range(max(1, args.repeat)):
            noop_runs.append(ours(gallery, out, report, args.jobs, "imaudible no-op rebuild"))
            noop_pairs.append((noop_runs[-1][0], timed(sigal, "sigal no-op rebuild")))
        noop, noop_report = min(noop_runs, key=lambda run: run[0])
    for label, data in (("first", first_report), ("later", noop_report)):
        computed = data["totals"]["computed"]
        print(f"    {label}: {stage_counts(data)}" + ("" if computed == 0 else f"  <- {computed} computed: NOT a no-op"))
    after = stamp_file.stat() if stamp_file.exists() else None
    replayed = stamped is not None and after is not None and \
        (stamped.st_ino, stamped.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    print("    the later rebuilds " + ("replayed the stamp" if replayed else "did NOT replay a stamp (planned in full)"))

    jobs = args.jobs or os.cpu_count() or 1
    estimated = cold - music_seconds(cold_report) / jobs
    images_only, music_cached = 0.0, False
    without_music, without_music_ok = 0.0, False
    pairs: list[tuple[float, float, float, float]] = []    # (ours, sigal) wall and CPU seconds of each round
    if not args.no_images_only:
        # On a shared machine the speed of the whole machine drifts over minutes: each cold build without music
        # is followed at once by a cold sigal build, and each round's ratio is shown with the best of each.
        runs = []
        for _ in range(max(1, args.rounds)):
            runs.append(rebuild_without_music(gallery, work, report, args.jobs))
            if sigal is not None:
                discard(work / "out-sigal")
                sigal_colds.append(timed(sigal, "sigal cold build"))
                pairs.append((runs[-1][0], sigal_colds[-1], CPU_SECONDS["imaudible cold build, music cached"],
                              CPU_SECONDS["sigal cold build"]))
        without_music, without_music_ok = min(seconds for seconds, _ in runs), all(ok for _, ok in runs)
        images_only, music_cached = rebuild_images_only(gallery, out, report, args.jobs)
    print(f"  music+audio stage seconds (summed over workers): {music_seconds(cold_report):.1f} s "
          f"-> cold build without music, estimated: {estimated:.2f} s")
    print(f"  per item in the cold build (summed over workers): ingest {per_item(cold_report, 'ingest') * 1000:.0f} ms, "
          f"mood {per_item(cold_report, 'mood') * 1000:.0f} ms, audio {per_item(cold_report, 'audio'):.3f} s "
          f"per {args.duration:g} s clip")
    mood_wall, mood_cpu = (seconds * 1000 for seconds in mood_per_image(gallery / "images"))
    print("\nper item, measured in this process (wall; CPU incl. ffmpeg):")
    for formats, label in ((None, "webm + m4a (default)"), (("webm",), "webm only")):
        clip_wall, clip_cpu = audio_per_clip(formats)
        # The figure is stage seconds (wall in a worker); ffmpeg runs the two encoders on two threads,
        # so with both formats the CPU is higher than the wall, and a build with every core busy sees the CPU.
        print(f"  audio finishing + encoding, {AUDIO_CLIP_S:g} s clip, {label:20s} {clip_wall:6.3f} s; CPU {clip_cpu:.3f} s   "
              f"target {AUDIO_TARGET_S:g} s: wall {clip_wall / AUDIO_TARGET_S:4.2f}x ({verdict(clip_wall, AUDIO_TARGET_S)}), "
              f"CPU {clip_cpu / AUDIO_TARGET_S:4.2f}x ({verdict(clip_cpu, AUDIO_TARGET_S)})")
        floor_wall, floor_cpu = audio_per_clip(formats, encoders_only=True)
        # The same run's baseline: what the codecs alone cost on this machine, and the share that is ours.
        print(f"    of which ffmpeg's encoders alone {floor_wall:6.3f} s; CPU {floor_cpu:.3f} s   "
              f"(finishing and hand-over: wall {clip_wall / floor_wall:4.2f}x, CPU {clip_cpu / floor_cpu:4.2f}x "
              "of the encoders alone)")
    print(f"  mood per image (after warm-up)         {mood_wall:6.1f} ms; CPU {mood_cpu:.1f} ms   "
          f"target {MOOD_TARGET_MS:g} ms: {mood_cpu / MOOD_TARGET_MS:4.2f}x of it ({verdict(mood_cpu, MOOD_TARGET_MS)})")

    if sigal is None:
        return
    sigal_cold = min(sigal_colds)
    sigal_noop = min(sigal for _, sigal in noop_pairs)

    print("\nratios (imaudible / sigal, lower is faster):")
    print(f"  cold build                     {cold / sigal_cold:6.2f}x   ({cold:.1f} s / {sigal_cold:.1f} s)")
    print(f"  no-op rebuild                  {noop / sigal_noop:6.2f}x   ({noop:.2f} s / {sigal_noop:.2f} s)   "
          f"target {NOOP_TARGET:g}x ({verdict(noop / sigal_noop, NOOP_TARGET)})"
          + ("" if replayed else "  <- no stamp replayed"))
    print("    each pair, back to back      " + ", ".join(f"{o / g:.2f}x ({o:.2f} s / {g:.2f} s)" for o, g in noop_pairs))
    print(f"    first no-op, full check      {first_noop / sigal_noop:6.2f}x   ({first_noop:.2f} s / {sigal_noop:.2f} s; "
          "plans every stage, leaves the stamp)")
    print(f"  cold without music, estimated  {estimated / sigal_cold:6.2f}x   ({estimated:.1f} s / {sigal_cold:.1f} s)   "
          f"target {COLD_IMAGES_TARGET:g}x ({verdict(estimated / sigal_cold, COLD_IMAGES_TARGET)})")
    if without_music_ok:
        print(f"  cold without music, measured   {without_music / sigal_cold:6.2f}x   "
              f"({without_music:.1f} s / {sigal_cold:.1f} s; cold build, music cached)   "
              f"target {COLD_IMAGES_TARGET:g}x ({verdict(without_music / sigal_cold, COLD_IMAGES_TARGET)})")
        ours_cpu, sigal_cpu = min(p[2] for p in pairs), min(p[3] for p in pairs)
        print(f"    the same in CPU seconds      {ours_cpu / sigal_cpu:6.2f}x   ({ours_cpu:.1f} s / {sigal_cpu:.1f} s; "
              "the least of each)")
        print("    each round, back to back     " + ", ".join(f"{o / g:.2f}x ({o:.1f} s / {g:.1f} s)" for o, g, _, _ in pairs))
    if music_cached:
        print(f"  derivatives only, measured     {images_only / sigal_cold:6.2f}x   "
              f"({images_only:.1f} s / {sigal_cold:.1f} s; images-only rebuild)")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

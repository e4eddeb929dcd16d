"""Benchmark: `imaudible-site evaluate` with the weight-free measures against a cold build of the same gallery.

    .venv/bin/python benchmarks/bench_evaluate.py [--count 500] [--duration 2] [--jobs N] [--workdir DIR]
    BENCH_QUICK=1 ... (40 artworks)

Same synthetic gallery as bench_build.py (built-in describer and composer, no weights). Printed: the cold
build, the first evaluate (it runs a no-op build first, then measures every clip and writes the report), a
second evaluate (everything from the cache: it must measure no clip), and evaluate / cold build.
Target: the first evaluate takes at most 20% of the cold build; the second measures nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import make_gallery, tool  # noqa: E402

TARGET = 0.20


def run(command: list[str], label: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_evaluate: {label} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    print(f"  {label:<34} {seconds:8.2f} s", flush=True)
    return seconds, done.stderr


def main() -> None:
    quick = os.environ.get("BENCH_QUICK") == "1" or "--quick" in sys.argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 artworks (as BENCH_QUICK=1)")
    parser.add_argument("--count", type=int, default=40 if quick else 500, help="artworks (default 500; 40 quick)")
    parser.add_argument("--duration", type=float, default=2.0, help="music seconds per artwork (default 2)")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for both commands (default: one per CPU)")
    parser.add_argument("--workdir", type=Path, help="keep the gallery here (images are reused between runs)")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="imaudible-bench-eval-"))
    gallery, out = work / "gallery", work / "out"
    make_gallery(gallery, args.count, args.duration)
    for stale in (out, gallery / ".imaudible-cache", gallery / "report"):
        shutil.rmtree(stale, ignore_errors=True)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"{args.count} artworks, music {args.duration:g} s each, {os.cpu_count()} CPUs")

    cold, _ = run([tool("imaudible-site"), "build", str(gallery), "--out", str(out), "-q", *jobs], "cold build")
    evaluate = [tool("imaudible-site"), "evaluate", str(gallery), "--out", str(out), *jobs]
    first, first_log = run(evaluate, "evaluate (first run)")
    second, second_log = run(evaluate, "evaluate (second run)")

    def measured(log: str) -> tuple[int, int]:
        found = re.search(r"\((\d+) clips measured, (\d+) from cache\)", log)
        return (int(found.group(1)), int(found.group(2))) if found else (-1, -1)

    print(f"    first run: {measured(first_log)[0]} clips measured; second run: {measured(second_log)[0]} measured, "
          f"{measured(second_log)[1]} from cache")
    ratio = first / cold
    print(f"\nevaluate / cold build: {ratio:.3f} (target <= {TARGET:.2f}: {'met' if ratio <= TARGET else 'NOT met'})")
    print(f"second evaluate recomputes nothing: {'yes' if measured(second_log)[0] == 0 else 'NO'} "
          f"({second:.2f} s, {second / cold:.3f} of the cold build)")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: the same cold build on each executor of this machine: threads, processes, and a local Ray.

    .venv/bin/python benchmarks/bench_scale.py [--count 500] [--duration 2] [--jobs N] [--quick]
                                               [--executors threads,processes,ray]

A synthetic gallery (bench_build's images, built-in caption and music) is built cold by each executor in
turn, as a subprocess (start-up included), the cache emptied before each. Printed: the wall time of each
build, the build's own time (from `--report`: without the interpreter's start-up, with Ray's), how much the
stages overlapped (the sum of their wall times over the build's time: above 1 when stages stream), and the
ratios against the process pool. The goal for Ray on one machine: at most 1.3x the process pool. The outputs must
be byte-identical; the benchmark checks that too.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import make_gallery  # noqa: E402

EXECUTORS = ("threads", "processes", "ray")
GOAL = 1.3


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cold_build(gallery: Path, executor: str, jobs: int) -> dict:
    shutil.rmtree(gallery / ".imaudible-cache", ignore_errors=True)
    out, report = gallery / f"build-{executor}", gallery / f"report-{executor}.json"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "imaudible", "build", str(gallery), "--out", str(out), "-q",
                           "--jobs", str(jobs), "--executor", executor, "--report", str(report)],
                          stderr=subprocess.PIPE, text=True)   # its warnings (small sources) are expected
    if done.returncode not in (0, 1):
        sys.exit(f"bench_scale: the {executor} build failed:\n{done.stderr}")
    wall = time.perf_counter() - started
    data = json.loads(report.read_text())
    stages = sum(s.get("wall_seconds", 0.0) for s in data["totals"]["by_stage"].values())
    return {"wall": wall, "build": data["seconds"], "overlap": stages / max(data["seconds"], 1e-9),
            "digest": tree_digest(out), "failed": data["totals"]["failed"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quick", action="store_true", help="40 artworks (also BENCH_QUICK=1)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--executors", default=",".join(EXECUTORS), help="a comma-separated subset, in order")
    args = parser.parse_args()
    if args.quick or os.environ.get("BENCH_QUICK") == "1":
        args.count = min(args.count, 40)
    try:
        import ray  # noqa: F401
    except ImportError:
        print("bench_scale: the 'ray' extra is not installed (pip install 'imaudible[ray]'); skipped")
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="imaudible-bench-scale-"))
    gallery = work / "gallery"
    make_gallery(gallery, args.count, args.duration)
    print(f"{args.count} artworks, {args.duration:g} s built-in music, --jobs {args.jobs}, cold builds")
    chosen = [e for e in args.executors.split(",") if e in EXECUTORS]
    results = {}
    for executor in chosen:
        results[executor] = r = cold_build(gallery, executor, args.jobs)
        load = os.getloadavg()[1]  # the machine's other work: the figures are only as steady as this
        print(f"  {executor:<10} wall {r['wall']:7.1f} s   build {r['build']:7.1f} s   "
              f"stages overlap {r['overlap']:.1f}x   load average (5 min) {load:.1f} on {os.cpu_count()} cores",
              flush=True)
    base = results.get("processes")
    for executor in chosen if base else ():
        r = results[executor]
        print(f"  {executor:<10} / processes: wall {r['wall'] / base['wall']:.2f}x   build {r['build'] / base['build']:.2f}x")
    if base and "ray" in results:
        ratio = results["ray"]["wall"] / base["wall"]
        print(f"ray overhead: {ratio:.2f}x the process pool (goal <= {GOAL}x): {'met' if ratio <= GOAL else 'NOT met'}")
    identical = len({r["digest"] for r in results.values()}) == 1
    print(f"outputs byte-identical across executors: {identical}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if identical and not any(r["failed"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

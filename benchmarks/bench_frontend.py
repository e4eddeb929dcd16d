"""Benchmark: the 3D gallery's first view, in Debian's headless Chromium, against baselines from the same run.

    .venv/bin/python benchmarks/bench_frontend.py [--runs 3] [--gallery DIR] [--no-lighthouse]
                                                  [--lighthouse-dir DIR] [--quick]
                                                  [--only PAGE:FORM ...] [--no-timings]

Builds the demo gallery (the repository's gallery.yaml and art/, with the built-in caption and music
models: the benchmark is about the front end) with `imaudible-site build` into a temporary folder and
serves it from localhost with a server that counts the bytes of every response. Printed:

  - first-view transfer of the 3D gallery (until `imaudible.state.ready`: the first room is drawn with
    its paintings' thumbnails), split into HTML, JS, CSS, textures and other, raw and gzip-compressed
    (what a CDN such as Netlify sends for text); the 250 KB gzip budget for initial JavaScript; and
    what follows the first view (full-size textures of the first room, the next room's prefetch);
  - time to the first rendered frame (bare rooms), to "ready" and to "sharp" (full-size textures in
    the first room): performance marks set by the page, median of runs;
  - the same for two baselines: the plain list view (time to its load event), and the gallery with an
    un-minified bundle of the same sources (esbuild without --minify) -> ratios;
  - Lighthouse 12.x performance, accessibility and best-practices scores for the gallery and the list
    view, desktop and mobile presets (`npm install lighthouse@12` into a temporary folder, run against
    /usr/bin/chromium), against issue 13's targets (index >= 90 desktop / 80 mobile, list 100,
    accessibility and best practices 100), with total blocking time, LCP, bytes and failing audits.

Software WebGL (SwiftShader) on a 2-core machine renders a few frames per second; the frame times are
for comparing runs on the same machine, not a prediction for a laptop GPU.

`--only list.html:mobile` (repeatable) restricts Lighthouse to the named page and form factor;
`--no-timings` skips the Playwright loads and prints only the bundle size and the Lighthouse figures.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JS_BUDGET_GZIP = 250 * 1024
LAZY = ("closeup-", "xr-")  # chunks loaded only when the visitor asks for them
KINDS = {".html": "html", ".js": "js", ".css": "css", ".webp": "textures", ".jpg": "textures", ".png": "textures"}


def kind(path: str) -> str:
    return KINDS.get(os.path.splitext(path.split("?")[0])[1], "other")


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".webm": "audio/webm", ".m4a": "audio/mp4", ".webp": "image/webp", ".svg": "image/svg+xml"}
    log: list = []

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def copyfile(self, source, outputfile):
        data = source.read()
        try:
            outputfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the browser went away (Lighthouse closes early)
            return
        self.log.append((self.path, len(data)))

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, folder: Path):
        self.log: list = []
        handler = type("Handler", (CountingHandler,), {"log": self.log})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        self.httpd.daemon_threads = True
        self.folder = folder
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"

    def take(self) -> list:
        out = list(self.log)
        self.log.clear()
        return out

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def build_demo(gallery: Path, work: Path) -> Path:
    folder = work / "gallery"
    manifest = yaml.safe_load((gallery / "gallery.yaml").read_text())
    manifest.setdefault("caption", {})["model"] = "builtin"
    manifest.setdefault("music", {})["model"] = "builtin"
    folder.mkdir()
    for art in manifest["artworks"]:
        target = folder / art["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(gallery / art["file"], target)
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    out = work / "site"
    subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--out", str(out), "-q"], check=True)
    return out


def summarise(site: Path, log: list, first_room: set[str]) -> dict:
    """Bytes per kind of file. Images are split into what the first view needs (the first room's
    thumbnails; full size where there is no smaller thumbnail) and what is fetched after it is drawn."""
    sizes: dict[str, list[int]] = {}
    for path, n in log:
        rel = path.split("?")[0].lstrip("/") or "index.html"
        file = site / rel
        if file.is_dir():
            file = file / "index.html"
        k = kind(file.name)
        if k == "textures":
            art_id, _, variant = file.name.split(".")[0].rpartition("-")
            if art_id not in first_room:
                k = "prefetch"
            elif variant != "thumb" and f"{art_id}-thumb" in {Path(p).name.split(".")[0] for p, _ in log}:
                k = "sharpen"
        raw, packed = sizes.get(k, [0, 0])
        compressible = k in ("html", "js", "css") or file.suffix in (".json", ".svg")
        packed_n = len(gzip.compress(file.read_bytes(), 9)) if compressible and file.is_file() else n
        sizes[k] = [raw + n, packed + packed_n]
    return sizes


def measure(browser, server: Server, page_name: str, until: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    server.take()
    page.goto(server.url + page_name)
    if until == "ready":
        page.wait_for_function("() => window.imaudible && window.imaudible.state.sharp", timeout=120_000)
        names = {"first frame": "imaudible:first-frame", "ready": "imaudible:ready", "sharp": "imaudible:sharp"}
        times = page.evaluate("names => Object.fromEntries(Object.entries(names).map("
                              "([k, n]) => [k, performance.getEntriesByName(n)[0]?.startTime]))", names)
    else:
        page.wait_for_load_state("load")
        times = {"load": page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")}
    time.sleep(0.5)  # let late responses (the next room's prefetch) finish counting
    first_room = set(json.loads((server.folder / "gallery.json").read_text())["layout"]["rooms"][0])
    sizes = summarise(server.folder, server.take(), first_room)
    context.close()
    return {"times": times, "sizes": sizes}


def interleaved(browser, jobs: dict, runs: int) -> dict:
    """Median times of `runs` loads per job, the jobs taking turns so drift affects them alike."""
    results = {name: [] for name in jobs}
    for _ in range(runs):
        for name, (server, page_name, until) in jobs.items():
            results[name].append(measure(browser, server, page_name, until))
    return {name: {"times": {k: statistics.median(r["times"][k] for r in rs) for k in rs[0]["times"]},
                   "sizes": rs[-1]["sizes"]} for name, rs in results.items()}


def kb(n: float) -> str:
    return f"{n / 1024:8.1f} KB"


def print_sizes(title: str, sizes: dict, images: str = "textures, first room"):
    print(f"  {title}: transfer, raw / gzip")
    total = [0, 0]
    for k in ("html", "js", "css", "textures", "other"):
        if k in sizes:
            raw, packed = sizes[k]
            total[0] += raw
            total[1] += packed
            print(f"    {images if k == 'textures' else k:28s}{kb(raw)} / {kb(packed)}")
    print(f"    {'first view total':28s}{kb(total[0])} / {kb(total[1])}")
    later = {"sharpen": "after: full-size, first room", "prefetch": "after: next room, prefetched"}
    for k, label in later.items():
        if k in sizes:
            print(f"    {label:28s}{kb(sizes[k][0])}")
    return total


def unminified_site(site: Path, work: Path) -> Path | None:
    esbuild = REPO / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        print("  (no node_modules/.bin/esbuild: run `npm ci` for the un-minified baseline)")
        return None
    copy = work / "site-unminified"
    shutil.copytree(site, copy)
    bundle = next((copy / "assets").glob("gallery.*.js"))
    subprocess.run([str(esbuild), str(REPO / "frontend/src/main.js"), "--bundle", "--format=iife", "--target=es2020",
                    f"--outfile={bundle}", "--log-level=warning"], check=True)
    return copy


# Issue 13's targets: performance per page and form factor, accessibility and best practices everywhere.
TARGETS = {("index.html", "desktop"): 90, ("index.html", "mobile"): 80, ("list.html", "desktop"): 100,
           ("list.html", "mobile"): 100}


def lighthouse(url: str, tool_dir: Path, form: str = "desktop") -> dict:
    cli = tool_dir / "node_modules" / "lighthouse" / "cli" / "index.js"
    preset = ["--preset=desktop"] if form == "desktop" else []
    done = subprocess.run(["node", str(cli), url, *preset, f"--chrome-path={CHROMIUM}",
                           f"--chrome-flags={' '.join(FLAGS)}",
                           "--only-categories=performance,accessibility,best-practices", "--output=json",
                           "--output-path=stdout", "--quiet", "--max-wait-for-load=90000"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "lighthouse failed")
    report = json.loads(done.stdout)
    scores = {k: round(v["score"] * 100) for k, v in report["categories"].items() if v["score"] is not None}
    failing = sorted({a["title"] for cat in report["categories"].values() for ref in cat["auditRefs"]
                      if (a := report["audits"][ref["id"]])["score"] is not None and a["score"] < 1 and ref["weight"] > 0})
    metrics = {k: report["audits"][k]["displayValue"] for k in ("first-contentful-paint", "largest-contentful-paint",
                                                                 "total-blocking-time", "speed-index",
                                                                 "cumulative-layout-shift", "total-byte-weight")
               if k in report["audits"]}
    long_tasks = report["audits"].get("long-tasks", {}).get("details", {}).get("items", [])
    metrics["long tasks"] = f"{len(long_tasks)} ({', '.join(str(round(t['duration'])) for t in long_tasks[:6])} ms)"
    return {"scores": scores, "failing": failing, "metrics": metrics}


def install_lighthouse(target: Path) -> Path:
    if not (target / "node_modules" / "lighthouse").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(target), "--no-save", "--no-audit", "--no-fund",
                        "--loglevel=error", "lighthouse@12"], check=True)
    return target


def lighthouse_target(text: str) -> tuple[str, str]:
    page, _, form = text.partition(":")
    if (page, form) not in TARGETS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(f'{p}:{f}' for p, f in TARGETS)}")
    return page, form


def timings(site: Path, work: Path, server: Server, runs: int) -> None:
    """First-view bytes and times of the gallery, against the list view and an un-minified bundle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        plain_site = unminified_site(site, work)
        plain_server = Server(plain_site) if plain_site else None
        jobs = {"gallery": (server, "index.html", "ready"), "list": (server, "list.html", "load")}
        if plain_server:
            jobs["plain"] = (plain_server, "index.html", "ready")
        interleaved(browser, jobs, 1)  # warm-up: the browser's first page pays its start-up
        res = interleaved(browser, jobs, runs)
        gallery, listing = res["gallery"], res["list"]

        print(f"\n3D gallery, first view (median of {runs} loads):")
        g_total = print_sizes("index.html", gallery["sizes"], "textures, first room thumbs")
        for k, v in gallery["times"].items():
            print(f"  time to {k}: {v:8.0f} ms")

        print("\nbaseline: list view (plain HTML):")
        l_total = print_sizes("list.html", listing["sizes"], "images (eager + in view)")
        print(f"  time to load event: {listing['times']['load']:8.0f} ms")
        print(f"  ratio gallery/list: transfer (gzip) {g_total[1] / l_total[1]:.2f}x, "
              f"time (ready vs load) {gallery['times']['ready'] / listing['times']['load']:.2f}x")

        if plain_server:
            plain = res["plain"]
            print("\nbaseline: the same gallery with an un-minified bundle:")
            p_total = print_sizes("index.html", plain["sizes"], "textures, first room thumbs")
            for k, v in plain["times"].items():
                print(f"  time to {k}: {v:8.0f} ms")
            pj, gj = plain["sizes"]["js"], gallery["sizes"]["js"]
            print(f"  ratio minified/un-minified: JS raw {gj[0] / pj[0]:.2f}x, JS gzip {gj[1] / pj[1]:.2f}x, "
                  f"first view gzip {g_total[1] / p_total[1]:.2f}x, first frame "
                  f"{gallery['times']['first frame'] / plain['times']['first frame']:.2f}x, ready "
                  f"{gallery['times']['ready'] / plain['times']['ready']:.2f}x")
            plain_server.close()
        browser.close()


def lighthouse_report(server: Server, tool: Path, pairs: list[tuple[str, str]]) -> None:
    print("\nLighthouse 12 (performance, accessibility, best practices) against issue 13's targets:")
    for name, form in pairs:
        result = lighthouse(server.url + name, tool, form)
        scores = result["scores"]
        perf = scores.get("performance", 0)
        others_ok = all(scores.get(k, 0) == 100 for k in ("accessibility", "best-practices"))
        verdict = "ok" if perf >= TARGETS[(name, form)] and others_ok else "BELOW TARGET"
        print(f"  {name} ({form}): " + ", ".join(f"{k} {v}" for k, v in scores.items())
              + f"  [performance target {TARGETS[(name, form)]}, others 100: {verdict}]")
        print("    " + ", ".join(f"{k} {v}" for k, v in result["metrics"].items()))
        for title in result["failing"]:
            print(f"    not passed: {title}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="page loads per measurement (median)")
    ap.add_argument("--gallery", type=Path, default=REPO / "demo", help="folder with gallery.yaml (default: the demo)")
    ap.add_argument("--no-lighthouse", action="store_true")
    ap.add_argument("--lighthouse-dir", type=Path, help="reuse a folder with lighthouse@12 installed")
    ap.add_argument("--quick", action="store_true", help="one run each, Lighthouse on the gallery page only")
    ap.add_argument("--only", action="append", type=lighthouse_target, metavar="PAGE:FORM",
                    help="Lighthouse on this page and form factor only (repeatable), e.g. list.html:mobile")
    ap.add_argument("--no-timings", action="store_true", help="skip the Playwright loads (bytes and times)")
    args = ap.parse_args(argv)
    runs = 1 if args.quick else args.runs

    with tempfile.TemporaryDirectory(prefix="imaudible-bench-frontend-") as tmp:
        work = Path(tmp)
        site = build_demo(args.gallery, work)
        # The entry script and the chunks it loads to draw the first room; close-up and XR load when used.
        bundle = next((site / "assets").glob("gallery.*.js"))
        first_js = [bundle, *(p for p in (site / "assets" / "chunks").glob("*.js") if not p.name.startswith(LAZY))]
        js_raw = sum(p.stat().st_size for p in first_js)
        js_gzip = sum(len(gzip.compress(p.read_bytes(), 9)) for p in first_js)
        print(f"first-view JavaScript ({bundle.name} and {len(first_js) - 1} chunks): {kb(js_raw)} raw, {kb(js_gzip)} gzip "
              f"(budget {kb(JS_BUDGET_GZIP)}: {'ok' if js_gzip <= JS_BUDGET_GZIP else 'OVER'})")
        server = Server(site)
        if not args.no_timings:
            timings(site, work, server, runs)
        if not args.no_lighthouse:
            pairs = args.only or ([("index.html", "desktop")] if args.quick else list(TARGETS))
            try:
                lighthouse_report(server, install_lighthouse(args.lighthouse_dir or work / "lighthouse"), pairs)
            except (subprocess.CalledProcessError, RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                print(f"  lighthouse could not run: {exc}")
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

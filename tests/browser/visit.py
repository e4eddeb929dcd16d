"""Helpers shared by the browser tests of the visitor experience."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

WAIT = 60_000  # ms; generous: two cores, software rendering, other tests running
PANELS = [".site-title", ".topnav", "#plaque-panel", "#player", ".stepper", ".hint-slot"]


def site_data(built_site) -> dict:
    return json.loads((built_site / "gallery.json").read_text())


def wait_ready(page):
    page.wait_for_function("() => window.imaudible && window.imaudible.state.ready", timeout=WAIT)


def play_first(page, site_url: str, built_site) -> str:
    """Open the gallery and play the first work's music until 0.3 s of it has played; the selector of its <audio>."""
    page.goto(site_url + "index.html")
    wait_ready(page)
    art = site_data(built_site)["artworks"][0]["id"]
    audio = f"audio[data-art='{art}']"
    page.evaluate("id => window.imaudible.play(id)", art)
    page.wait_for_function("sel => document.querySelector(sel).currentTime > 0.3", arg=audio, timeout=WAIT)
    return audio


def settle(page):
    page.evaluate("window.imaudible.debug.settle()")


def aim(page, art_id: str):
    page.evaluate("id => window.imaudible.debug.aimAt(id)", art_id)
    settle(page)


def screenshot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(np.float32)


def crop(pixels: np.ndarray, box: dict, grow: float = 0.0) -> np.ndarray:
    w, h = box["right"] - box["left"], box["bottom"] - box["top"]
    top, bottom = max(0, round(box["top"] - grow * h)), min(pixels.shape[0], round(box["bottom"] + grow * h))
    left, right = max(0, round(box["left"] - grow * w)), min(pixels.shape[1], round(box["right"] + grow * w))
    return pixels[top:bottom, left:right]


def rects(page, selectors=PANELS) -> dict:
    """Visible on-screen boxes of the given elements, by selector."""
    return page.evaluate("""sels => Object.fromEntries(sels.map(s => {
        const el = document.querySelector(s);
        if (!el || el.hidden || el.closest('[hidden]')) return [s, null];
        const r = el.getBoundingClientRect();
        return [s, r.width && r.height ? {left: r.left, top: r.top, right: r.right, bottom: r.bottom} : null];
    }).filter(([, r]) => r))""", selectors)


def rects_as_painted(page, selectors, frames: int = 6) -> list[dict]:
    """`rects` as each of the next `frames` frames showed them. Measured in a task just after a frame, never
    between a change to the page and the frame that lays it out: the panels' places come from heights a
    ResizeObserver publishes at that frame, so a box read in between (a line of the player set by a task
    while the tour starts its music) is one no visitor ever sees."""
    return page.evaluate("""async ([sels, frames]) => {
        const seen = [];
        for (let i = 0; i < frames; i++) {
            await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
            seen.push(Object.fromEntries(sels.map(s => {
                const el = document.querySelector(s);
                if (!el || el.hidden || el.closest('[hidden]')) return [s, null];
                const r = el.getBoundingClientRect();
                return [s, r.width && r.height ? {left: r.left, top: r.top, right: r.right, bottom: r.bottom} : null];
            }).filter(([, r]) => r)));
        }
        return seen;
    }""", [selectors, frames])


def overlap(a: dict, b: dict) -> float:
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(0.0, w) * max(0.0, h)


# WCAG contrast of every text-bearing control in a container, composited over black and over white (the
# top bar floats over the 3D view, so either may be behind it); returns [{name, ratio}].
CONTRAST_JS = """root => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const over = (top, below) => top.slice(0, 3).map((v, i) => v * top[3] + below[i] * (1 - top[3]));
  const lum = rgb => { const f = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2]; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const out = [];
  for (const el of document.querySelector(root).querySelectorAll('h1, button, a')) {
    if (!el.getClientRects().length) continue;
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let worst = Infinity;
    for (const backdrop of [[0, 0, 0], [255, 255, 255]]) {
      let bg = backdrop, opacity = 1;
      for (const e of chain) { const cs = getComputedStyle(e); bg = over(parse(cs.backgroundColor), bg); opacity *= Number(cs.opacity); }
      const fg = parse(getComputedStyle(el).color);
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      worst = Math.min(worst, ratio(text, bg));
    }
    out.push({ name: (el.id || el.className || el.tagName) + ': ' + el.textContent.trim(), ratio: worst });
  }
  return out;
}"""


def serve_gallery(folder):
    """`imaudible-site serve` on a free port: the process, its url and every stderr line it writes (kept, so a
    test can look for tracebacks; drained on a thread, so the server never blocks on a full pipe)."""
    process = subprocess.Popen([sys.executable, "-m", "imaudible.cli", "serve", str(folder), "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True).start()
            return process, found.group(1), lines
    process.kill()
    pytest.fail("serve did not start:\n" + "".join(lines))

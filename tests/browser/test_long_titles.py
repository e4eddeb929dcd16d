"""A long unbroken title or name (a file name `add` titled an artwork with, a URL-like credit) breaks inside
the 3-D page's plaque panel, site title, room label and index instead of running out of its box."""
from __future__ import annotations

import functools
import subprocess
import sys
import threading

import pytest

from tests.conftest import write_gallery

from .conftest import QuietServer, SiteHandler, site_csp
from .visit import wait_ready

pytestmark = pytest.mark.browser

LONG = "Untitled_" + "x" * 150


def test_a_long_unbroken_title_stays_inside_its_boxes(tmp_path, browser):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": LONG, "id": "long"}],
                           title="Gallery_" + "y" * 120, music={"duration": 1},
                           layout={"rooms": [{"title": "Room_" + "z" * 120, "artworks": ["long"]}]})
    out = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--out", str(out), "-q"],
                   check=True, capture_output=True, timeout=300)
    handler = type("Handler", (SiteHandler,), {"csp": site_csp(out)})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(f"http://127.0.0.1:{server.server_port}/art/long/")
        wait_ready(page)
        page.evaluate("document.getElementById('index-button').click()")   # the index lists the title too
        overflowing = page.evaluate("""() => ['#plaque-panel', '.site-title', '#room-name', '#index-list span']
            .map((sel) => document.querySelector(sel))
            .filter((el) => el && el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.id || el.className || el.tagName)""")
        assert overflowing == []
    finally:
        server.shutdown()
        server.server_close()

"""A show that fits in one room (no doorway at all), of works of extreme shape (10:1 and 1:10): the visit is
clean (no console error or warning) and each work hangs at its own aspect ratio."""
from __future__ import annotations

import functools
import subprocess
import sys
import threading

import pytest
from PIL import Image, ImageDraw

from .conftest import QuietServer, SiteHandler, site_csp
from .visit import aim, wait_ready

pytestmark = pytest.mark.browser

SHAPES = {"banner": (1000, 100), "pillar": (100, 1000)}


@pytest.fixture(scope="module")
def one_room_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one-room")
    (folder / "art").mkdir()
    for name, size in SHAPES.items():
        image = Image.new("RGB", size, (40, 90, 160))
        ImageDraw.Draw(image).rectangle([0, 0, size[0] // 3, size[1] // 3], fill=(230, 200, 60))
        image.save(folder / "art" / f"{name}.jpg", quality=85)
    artworks = "".join(f"  - {{file: art/{name}.jpg, title: {name.title()}}}\n" for name in SHAPES)
    (folder / "gallery.yaml").write_text("title: One room\ncaption: {model: builtin}\n"
                                         f"music: {{model: builtin, duration: 1}}\nartworks:\n{artworks}")
    site = folder / "site"
    done = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--out", str(site), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    handler = type("Handler", (SiteHandler,), {"csp": site_csp(site)})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_a_one_room_show_of_extreme_shapes_visits_cleanly(watched, one_room_url):
    page = watched.page
    page.goto(one_room_url + "index.html")
    wait_ready(page)
    assert page.evaluate("window.imaudible.debug.plan().rooms.length") == 1
    for name, (width, height) in SHAPES.items():
        aim(page, name)
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", name)
        shown = (box["right"] - box["left"]) / (box["bottom"] - box["top"])
        assert shown == pytest.approx(width / height, rel=0.25), (name, box)
    watched.assert_clean()

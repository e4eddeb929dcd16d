"""A long unbroken title or name (a file name `add` titled an artwork with, a URL-like credit) breaks inside
the 3-D page's plaque panel, site title, room label and index instead of running out of its box."""
from __future__ import annotations


import pytest

from tests.conftest import write_gallery

from .conftest import build_site, served
from .visit import wait_ready

pytestmark = pytest.mark.browser

LONG = "Untitled_" + "x" * 150


def test_a_long_unbroken_title_stays_inside_its_boxes(tmp_path, browser):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": LONG, "id": "long"}],
                           title="Gallery_" + "y" * 120, music={"duration": 1},
                           layout={"rooms": [{"title": "Room_" + "z" * 120, "artworks": ["long"]}]})
    with served(build_site(folder, tmp_path / "site")) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(url + "art/long/")
        wait_ready(page)
        page.evaluate("document.getElementById('index-button').click()")   # the index lists the title too
        overflowing = page.evaluate("""() => ['#plaque-panel', '.site-title', '#room-name', '#index-list span']
            .map((sel) => document.querySelector(sel))
            .filter((el) => el && el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.id || el.className || el.tagName)""")
        assert overflowing == []

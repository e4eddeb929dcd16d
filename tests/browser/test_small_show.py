"""A show that fits in one room (no doorway at all), of works of extreme shape (10:1 and 1:10): the visit is
clean (no console error or warning), each work hangs at its own aspect ratio, and on a phone turned sideways
and back the wide one is framed whole again."""
from __future__ import annotations


import pytest
from PIL import Image, ImageDraw

from .conftest import build_site, open_page, served
from .visit import WAIT, aim, settle, wait_ready

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
    with served(build_site(folder, folder / "site")) as url:
        yield url


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


def test_turning_a_phone_and_back_frames_the_work_as_at_first(browser, one_room_url):
    """The panels settle in steps after a turn of the phone, each step framing the view again; a step that
    came while the visitor glided to the previous framing was lost, leaving the banner wider than the screen."""
    watched = open_page(browser, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = watched.page
    try:
        page.goto(one_room_url + "index.html#banner")
        wait_ready(page)
        settle(page)
        first = page.evaluate("window.imaudible.debug.bounds('banner')")
        assert 0 <= first["left"] and first["right"] <= 390
        for size in ({"width": 844, "height": 390}, {"width": 390, "height": 844}):
            page.set_viewport_size(size)
            page.wait_for_function("n => window.imaudible.state.framings > n", arg=page.evaluate(
                "window.imaudible.state.framings"), timeout=WAIT)
            page.wait_for_timeout(1000)  # the panels' own resizes, each framing again
            settle(page)
            box = page.evaluate("window.imaudible.debug.bounds('banner')")
            assert 0 <= box["left"] and box["right"] <= size["width"], (size, box)
        assert box == pytest.approx(first, abs=2)
        watched.assert_clean()
    finally:
        page.context.close()

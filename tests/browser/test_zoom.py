"""A desktop browser zoomed to 200% or more: the gallery's viewport is a phone's size, but its visitor has a
mouse and keyboard, and no phone's volume keys."""
from __future__ import annotations

import contextlib

import pytest

from .conftest import open_page
from .visit import settle, wait_ready

pytestmark = pytest.mark.browser

PLAYER = ["#play-toggle", "#play-next", "#mute-toggle", "#volume", "#spatial-toggle", "#seek"]
# The selectors whose control is hidden, off screen, or covered at its centre by something else
OUT_OF_REACH = """selectors => selectors.filter(s => { const e = document.querySelector(s);
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !(r.width && r.right <= innerWidth && r.bottom <= innerHeight && e.contains(hit)); })"""


@contextlib.contextmanager
def zoomed_gallery(browser, site_url, width, height):
    """The gallery, ready and settled, in a desktop window of `width` x `height` CSS px (a zoomed one)."""
    w = open_page(browser, viewport={"width": width, "height": height}, device_scale_factor=1)
    try:
        w.page.goto(site_url + "index.html")
        wait_ready(w.page)
        settle(w.page)
        yield w
        w.assert_clean()
    finally:
        w.page.context.close()


@contextlib.contextmanager
def facing_the_first_work(browser, site_url, width, height):
    """(page, id): the zoomed gallery facing its first work, checked for panels over each other."""
    from .test_visitor import overlaps_between_panels, plaque_title_is_on_top

    with zoomed_gallery(browser, site_url, width, height) as w:
        first = w.page.evaluate("window.imaudible.order")[0]
        w.page.evaluate("id => window.imaudible.debug.aimAt(id)", first)
        settle(w.page)
        assert overlaps_between_panels(w.page) == [] and plaque_title_is_on_top(w.page) == ""
        yield w.page, first


# 1366x768 and 1536x864 laptops at 200%, and 1280x720 at 300%
@pytest.mark.parametrize("width,height", [(683, 384), (768, 432), (427, 240)])
def test_a_zoomed_desktop_keeps_every_control_of_the_player(browser, site_url, width, height):
    """Volume, Spatial sound and Play next were display: none on any viewport under 40rem wide or 30rem high,
    meant for phones; zoomed in, a desktop visitor lost them, out of sight and out of the tab order."""
    with zoomed_gallery(browser, site_url, width, height) as w:
        assert w.page.evaluate(OUT_OF_REACH, PLAYER) == [], f"at {width}x{height}"


def test_a_phone_still_leaves_volume_to_its_own_keys(browser, site_url):
    w = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = w.page
    try:
        page.goto(site_url + "index.html")
        wait_ready(page)
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        assert not page.locator("#volume").is_visible() and not page.locator("#play-next").is_visible()
    finally:
        page.context.close()


# 1280x720 at 200%: at most 40rem wide and 30rem high at once
@pytest.mark.parametrize("width,height", [(640, 360)])
def test_a_laptop_zoomed_to_200_percent_gets_panels_that_never_cover_its_controls(browser, site_url, width, height):
    """At 40rem wide or less the phone's upright layout applied even when the window was also short, so at
    1280x720 zoomed to 200% the plaque (38% of the height below a two-row top bar) lay over Previous and
    Next: a click hit the plaque, and a keyboard user's focus ring went under it."""
    with facing_the_first_work(browser, site_url, width, height) as (page, first):
        assert page.evaluate(OUT_OF_REACH, ["#prev-button", "#next-button", "#plaque-play"]) == []
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", first)
        assert box["left"] >= 0 and box["right"] <= width and box["bottom"] <= height, "the painting is off screen"


# 1280x720 at 300%, 1920x1080 at 400%; 1280x720 at 400% as the last resort (checked for overlaps only)
@pytest.mark.parametrize("width,height,strict", [(427, 240, True), (480, 270, True), (320, 180, False)])
def test_a_laptop_zoomed_past_300_percent_keeps_the_plaque_and_the_controls_apart(browser, site_url, width, height,
                                                                                   strict):
    """Under 20rem of height the player took three rows, the hint lay over the top bar and the room's name
    under Previous, and the plaque kept a sliver with its Play button cut off."""
    with facing_the_first_work(browser, site_url, width, height) as (page, first):
        # the player is one row: no control of it lies over another
        boxes = page.evaluate("""() => [...document.querySelectorAll('#player > *')].filter(e => e.offsetWidth)
            .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; })""")
        for a, b in zip(boxes, boxes[1:]):
            assert a[1] <= b[0] + 0.5, (a, b)
        assert max(b[3] for b in boxes) - min(b[2] for b in boxes) < height / 5
        if strict:
            assert page.evaluate(OUT_OF_REACH, [*PLAYER, "#prev-button", "#next-button", "#plaque-play"]) == []
            box = page.evaluate("id => window.imaudible.debug.bounds(id)", first)
            assert box["left"] >= 0 and box["right"] <= width and box["top"] >= 0 and box["bottom"] <= height


@pytest.mark.parametrize("size", [(640, 512), (320, 256)])  # 1280x1024 at 200% and 400%
def test_the_offline_line_is_whole_on_screen_when_zoomed(browser, site_url, size):
    """It began above a short screen, under the top bar, and wrapped in half the width (left: 50%)."""
    page = open_page(browser, viewport={"width": size[0], "height": size[1]}).page
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.context.set_offline(True)
    try:
        page.wait_for_selector("#error-line:not([hidden])")
        line, bar = (page.locator(s).bounding_box() for s in ("#error-line", ".topbar"))
        assert line["y"] >= bar["y"] + bar["height"] and line["y"] + line["height"] <= size[1], (line, bar)
        assert line["width"] >= 0.8 * size[0] or line["height"] < 40, line  # not squeezed to half the screen
    finally:
        page.context.set_offline(False)

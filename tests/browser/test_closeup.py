"""Looking closer (issue 13): a click on the selected, playing painting glides up to it until it fills the
view, with its largest texture (loaded only then); the wheel zooms; Esc steps back."""
from __future__ import annotations

import pytest

from .conftest import open_page
from .visit import WAIT, aim, settle, site_data, wait_ready

pytestmark = pytest.mark.browser


def largest(art: dict) -> set[str]:
    sized = [im for name, im in art["images"].items() if name != "thumb"]
    top = max(sized, key=lambda im: im["width"])
    return {top.get("webp"), top.get("jpg")}


def free_rect(page) -> dict:
    return page.evaluate("""() => { const r = document.querySelector('.crosshair').getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2}; }""")


def test_close_up_fills_the_view_with_the_largest_texture_and_steps_back(browser, site_url, built_site):
    w = open_page(browser, viewport={"width": 960, "height": 600})
    page = w.page
    try:
        page.goto(site_url + "index.html")
        wait_ready(page)
        page.wait_for_function("() => window.imaudible.state.sharp", timeout=WAIT)
        art = site_data(built_site)["artworks"][0]  # 1024 x 640 px: its two sizes differ
        aim(page, art["id"])
        # From its viewpoint a smaller size is enough; the largest is kept for the close-up.
        assert page.evaluate("id => window.imaudible.debug.texture(id)", art["id"]) not in largest(art)
        before = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
        centre = ((before["left"] + before["right"]) / 2, (before["top"] + before["bottom"]) / 2)
        page.mouse.click(*centre)  # first click: plays
        page.wait_for_function("id => window.imaudible.state.playingId === id && !window.imaudible.state.paused",
                               arg=art["id"], timeout=WAIT)
        settle(page)
        page.mouse.click(*centre)  # second click on the playing work: close-up
        page.wait_for_function("id => window.imaudible.state.closeUp === id && window.imaudible.state.closeUpReady"
                               " && window.imaudible.state.closeUpSharp", arg=art["id"], timeout=WAIT)
        settle(page)
        assert page.evaluate("id => window.imaudible.debug.texture(id)", art["id"]) in largest(art)
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
        view = page.viewport_size
        width, height = box["right"] - box["left"], box["bottom"] - box["top"]
        assert box["left"] >= -1 and box["right"] <= view["width"] + 1 and box["top"] >= -1
        # It fills most of the view between the top bar and the close-up buttons.
        top = page.locator(".topnav").bounding_box()
        bar = page.locator("#closeup-bar").bounding_box()
        free_height = bar["y"] - (top["y"] + top["height"])
        assert width > 0.85 * view["width"] or height > 0.85 * free_height, (box, free_height)
        assert box["top"] >= top["y"] + top["height"] - 1 and box["bottom"] <= bar["y"] + 1
        assert width > 2 * (before["right"] - before["left"])
        w.screenshot("closeup")
        # The wheel zooms in further.
        page.mouse.move(*centre)
        page.mouse.wheel(0, -600)
        page.wait_for_function("() => window.imaudible.state.zoom > 1.5", timeout=WAIT)
        page.evaluate("window.imaudible.debug.rendered()")
        zoomed = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
        assert zoomed["right"] - zoomed["left"] > 1.4 * width
        # Esc steps back to where the visitor stood.
        page.keyboard.press("Escape")
        page.wait_for_function("() => !window.imaudible.state.closeUp && !window.imaudible.state.navigating", timeout=WAIT)
        settle(page)
        after = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
        assert abs((after["right"] - after["left"]) - (before["right"] - before["left"])) < 3
        assert page.evaluate("window.imaudible.state.zoom") == 1
        w.assert_clean()
    finally:
        page.context.close()


@pytest.mark.parametrize("leave", ["Escape", "click"])
def test_leaving_the_close_up_keeps_keyboard_focus_in_the_gallery(watched, site_url, leave):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    aim(page, page.evaluate("window.imaudible.order[0]"))
    page.focus("#gallery-canvas")
    page.keyboard.press("c")
    page.wait_for_function("() => window.imaudible.state.closeUp && "
                           "document.activeElement.id === 'closeup-back'", timeout=WAIT)
    if leave == "Escape":
        page.keyboard.press("Escape")
    else:
        page.click("#closeup-back")
    page.wait_for_function("() => !window.imaudible.state.closeUp", timeout=WAIT)
    assert page.evaluate("document.activeElement.id") == "gallery-canvas"
    watched.assert_clean()


def _close_up_with_largest_held(page, site_url, built_site, held: list | None):
    """Open the first work's close-up with requests for its largest texture held in `held` (not answered), or
    refused (`held` None: every retry too)."""
    art = site_data(built_site)["artworks"][0]
    names = {name.rsplit("/", 1)[-1] for name in largest(art) if name}
    page.route(lambda url: url.rsplit("/", 1)[-1] in names,
               lambda route: route.abort() if held is None else held.append(route))
    page.goto(site_url + "index.html")
    wait_ready(page)
    aim(page, art["id"])
    page.focus("#gallery-canvas")
    page.keyboard.press("c")
    page.wait_for_function("() => window.imaudible.state.closeUpReady", timeout=WAIT)
    return art


def test_a_close_up_says_while_its_full_size_image_loads(watched, site_url, built_site):
    """On a slow network the close-up first enlarges a smaller texture: the bar says the full size is coming,
    and says nothing once it shows."""
    page, held = watched.page, []
    _close_up_with_largest_held(page, site_url, built_site, held)
    assert page.inner_text("#closeup-detail") == "Loading the full-size image…"
    assert held and not page.evaluate("window.imaudible.state.closeUpSharp")
    for route in held:
        route.continue_()
    page.wait_for_function("() => window.imaudible.state.closeUpSharp", timeout=WAIT)
    assert page.inner_text("#closeup-detail") == "" and not page.locator("#closeup-detail").is_visible()
    watched.assert_clean()


def test_a_close_up_whose_full_size_image_fails_says_it_shows_a_smaller_one(watched, site_url, built_site):
    page = watched.page
    _close_up_with_largest_held(page, site_url, built_site, None)
    page.wait_for_function("() => window.imaudible.state.closeUpBlurred", timeout=WAIT)
    assert not page.evaluate("window.imaudible.state.closeUpSharp")
    assert page.inner_text("#closeup-detail") == "The full-size image did not load: shown smaller"

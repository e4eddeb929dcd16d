"""The 3D gallery in real headless Chromium (software WebGL): it renders the paintings, plays their music,
falls back to the list view without WebGL, and can be visited by keyboard, touch and artwork URL.

Software GL draws a few frames per second here, so every wait is on a state flag the page exposes
(`window.imaudible.state`), never on a frame count."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from .conftest import NO_WEBGL_FLAGS, CHROMIUM, CHROMIUM_FLAGS, open_page

pytestmark = pytest.mark.browser

WAIT = 60_000  # ms; generous: two cores, software rendering, other tests running


def site_data(built_site) -> dict:
    return json.loads((built_site / "gallery.json").read_text())


def wait_ready(page):
    page.wait_for_function("() => window.imaudible && window.imaudible.state.ready", timeout=WAIT)


def state(page) -> dict:
    return page.evaluate("window.imaudible.state")


def screenshot_array(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(np.float32)


def shows_painting(page, built_site, art: dict) -> float:
    """Correlation between the painting's pixels on screen and its image file (1.0: identical)."""
    box = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
    shot = Image.fromarray(screenshot_array(page).astype(np.uint8))
    inset = 3  # stay inside the canvas edge (filtering blends in the frame)
    crop = shot.crop((round(box["left"]) + inset, round(box["top"]) + inset,
                      round(box["right"]) - inset, round(box["bottom"]) - inset))
    source = Image.open(built_site / art["images"]["thumb"]["webp"]).convert("RGB")
    a = np.asarray(crop.convert("L").resize((24, 24), Image.BILINEAR), dtype=np.float32).ravel()
    b = np.asarray(source.convert("L").resize((24, 24), Image.BILINEAR), dtype=np.float32).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def audio_time(page, art_id: str) -> float:
    return page.evaluate("id => document.querySelector(`audio[data-art='${id}']`).currentTime", art_id)


def test_gallery_loads_cleanly_and_shows_the_paintings(watched, site_url, built_site):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    st = state(page)
    assert st["webgl"] is True and st["loading"]["loaded"] == st["loading"]["total"] > 0
    assert 0 in st["roomsLoaded"]
    assert page.locator("#loader").is_hidden()
    # Thumbnails first, then the full-size textures.
    page.wait_for_function("() => window.imaudible.state.sharp", timeout=WAIT)
    pixels = screenshot_array(page)
    watched.screenshot("gallery-entrance")
    # A lit room, not a blank or single-colour canvas.
    assert pixels.std() > 25
    assert len(np.unique(pixels[::4, ::4].astype(np.uint8).reshape(-1, 3), axis=0)) > 500
    # From the entrance, paintings of the first room are in view...
    data = site_data(built_site)
    first_room = data["layout"]["rooms"][0]
    in_view = [i for i in first_room if page.evaluate("id => window.imaudible.debug.project(id).inView", i)]
    assert in_view, "no painting of the first room is in view from the entrance"
    # ...and, standing in front of each, its own image is on the wall (textured, upright, not a placeholder).
    for art in data["artworks"]:
        page.evaluate("id => window.imaudible.debug.aimAt(id)", art["id"])
        assert page.evaluate("window.imaudible.debug.facing()") == art["id"]
        assert shows_painting(page, built_site, art) > 0.8, art["id"]
    watched.screenshot("gallery-painting-close")
    watched.assert_clean()


def test_clicking_a_painting_plays_its_music_and_the_next_stops_it(watched, site_url, built_site):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    first, second = [a["id"] for a in site_data(built_site)["artworks"][:2]]
    for art_id in (first, second):
        page.evaluate("id => window.imaudible.debug.aimAt(id)", art_id)
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", art_id)
        page.mouse.click((box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2)
        page.wait_for_function("id => window.imaudible.state.playingId === id", arg=art_id, timeout=WAIT)
        page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).currentTime > 0.3",
                               arg=art_id, timeout=WAIT)
    # The first one faded out and stopped; the second one goes on.
    page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).paused", arg=first, timeout=WAIT)
    before = audio_time(page, first), audio_time(page, second)
    page.wait_for_timeout(600)
    after = audio_time(page, first), audio_time(page, second)
    assert after[0] == before[0] and after[1] > before[1]
    assert page.locator("#now-playing").inner_text().startswith("Now playing")
    watched.screenshot("gallery-playing")
    # Spatial sound re-routes the playing piece through a panner; it keeps playing.
    page.click("#spatial-toggle")
    page.wait_for_function("() => window.imaudible.state.spatial === true", timeout=WAIT)
    assert page.get_attribute("#spatial-toggle", "aria-pressed") == "true"
    t0 = audio_time(page, second)
    page.wait_for_function("([id, t]) => document.querySelector(`audio[data-art='${id}']`).currentTime > t + 0.2",
                           arg=[second, t0], timeout=WAIT)
    # The play/pause button pauses the piece.
    page.click("#play-toggle")
    page.wait_for_function("() => window.imaudible.state.paused === true", timeout=WAIT)
    page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).paused", arg=second, timeout=WAIT)
    watched.assert_clean()


def test_keyboard_reaches_every_painting_in_order(watched, site_url, built_site):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    order = page.evaluate("window.imaudible.order")
    rooms = site_data(built_site)["layout"]["rooms"]
    assert order == [i for room in rooms for i in room]
    page.focus("#gallery-canvas")
    for art_id in order:
        page.keyboard.press("n")
        page.wait_for_function("id => window.imaudible.state.focusedId === id && !window.imaudible.state.navigating",
                               arg=art_id, timeout=WAIT)
        assert page.evaluate("window.imaudible.debug.facing()") == art_id
    assert page.evaluate("window.imaudible.state.currentRoom") == len(rooms) - 1
    assert sorted(page.evaluate("window.imaudible.state.roomsLoaded")) == list(range(len(rooms)))
    page.keyboard.press("Enter")
    page.wait_for_function("id => window.imaudible.state.playingId === id", arg=order[-1], timeout=WAIT)
    page.keyboard.press("p")
    page.wait_for_function("id => window.imaudible.state.focusedId === id && !window.imaudible.state.navigating",
                           arg=order[-2], timeout=WAIT)
    assert page.locator("#plaque-title").inner_text() == site_data(built_site)["artworks"][order.index(order[-2])]["title"]
    watched.screenshot("gallery-keyboard")
    page.keyboard.press("h")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('help').open", timeout=WAIT)
    watched.assert_clean()


def hold_key_until(page, key: str, condition: str, then_ms: int = 0):
    page.keyboard.down(key)
    try:
        page.wait_for_function(f"() => {condition}", timeout=WAIT)
        page.wait_for_timeout(then_ms)
    finally:
        page.keyboard.up(key)


def test_walking_stops_at_walls_and_passes_through_doorways(watched, site_url):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    plan = page.evaluate("window.imaudible.debug.plan()")
    room, radius = plan["rooms"][0], 0.35
    north = room["z0"]
    door = plan["doors"][0]
    assert door["between"] == [0, 1] and door["axis"] == "x"  # two rooms side by side, a doorway in the east wall
    view = "window.imaudible.debug.view()"
    place = "v => window.imaudible.debug.place(v)"
    # Facing the north wall (-z) two metres away: walk into it and keep pushing.
    page.evaluate(place, {"x": (room["x0"] + room["x1"]) / 2, "z": north + 2, "yaw": 0, "pitch": 0})
    hold_key_until(page, "w", f"{view}.z < {north + 0.6}", then_ms=1500)
    assert page.evaluate(view)["z"] >= north + radius - 1e-6
    # Facing the wall beside the doorway: blocked too.
    page.evaluate(place, {"x": room["x1"] - 2, "z": north + 1.2, "yaw": -math.pi / 2, "pitch": 0})
    hold_key_until(page, "ArrowUp", f"{view}.x > {room['x1'] - 0.6}", then_ms=1500)
    assert page.evaluate(view)["x"] <= room["x1"] - radius + 1e-6
    assert page.evaluate("window.imaudible.state.currentRoom") == 0
    # Through the doorway: the next room.
    page.evaluate(place, {"x": room["x1"] - 2, "z": door["z"], "yaw": -math.pi / 2, "pitch": 0})
    hold_key_until(page, "w", f"{view}.x > {plan['rooms'][1]['x0'] + 0.5}")
    assert page.evaluate("window.imaudible.state.currentRoom") == 1
    # A click on a wall asks for pointer lock (mouse look); refused or granted, nothing breaks.
    page.mouse.click(640, 250)
    page.wait_for_timeout(300)
    watched.assert_clean()


def test_artwork_url_opens_facing_that_artwork(watched, site_url, built_site):
    page = watched.page
    art = site_data(built_site)["artworks"][-1]  # in the second room
    page.goto(site_url + art["page"])
    wait_ready(page)
    assert state(page)["focusedId"] == art["id"]
    assert page.evaluate("window.imaudible.debug.facing()") == art["id"]
    assert shows_painting(page, built_site, art) > 0.8
    assert page.locator("#plaque-title").inner_text() == art["title"]
    assert page.title().startswith(art["title"])
    watched.screenshot("gallery-artwork-url")
    watched.assert_clean()


def test_guided_tour_walks_on_to_the_next_painting_when_the_music_ends(watched, site_url):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    order = page.evaluate("window.imaudible.order")
    # The tour starts at the painting in focus: the third, whose music is short.
    page.evaluate("id => window.imaudible.debug.aimAt(id)", order[2])
    page.click("#tour-button")
    page.wait_for_function("id => window.imaudible.state.touring && window.imaudible.state.playingId === id",
                           arg=order[2], timeout=WAIT)
    assert page.evaluate("window.imaudible.debug.facing()") == order[2]
    page.wait_for_function("id => window.imaudible.state.playingId === id", arg=order[3], timeout=WAIT)
    assert page.evaluate("window.imaudible.debug.facing()") == order[3]
    page.keyboard.press("t")
    page.wait_for_function("() => !window.imaudible.state.touring", timeout=WAIT)
    watched.assert_clean()


def test_touch_tap_on_a_painting_walks_there_and_plays(browser, site_url, built_site):
    w = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                  device_scale_factor=1)
    page = w.page
    try:
        page.goto(site_url + "index.html")
        wait_ready(page)
        assert page.locator("#joystick").is_visible()
        target = site_data(built_site)["artworks"][1]["id"]
        page.evaluate("id => window.imaudible.debug.aimAt(id)", target)
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", target)
        page.touchscreen.tap((box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2)
        page.wait_for_function("id => window.imaudible.state.playingId === id", arg=target, timeout=WAIT)
        page.wait_for_function("id => document.querySelector(`audio[data-art='${id}']`).currentTime > 0.3",
                               arg=target, timeout=WAIT)
        w.screenshot("gallery-phone")
        w.assert_clean()
    finally:
        page.context.close()


def test_without_webgl_the_list_view_appears_and_plays(playwright_driver, site_url, built_site):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + NO_WEBGL_FLAGS)
    try:
        w = open_page(browser)
        page = w.page
        art = site_data(built_site)["artworks"][1]
        page.goto(site_url + art["page"])
        page.wait_for_url("**/list.html?nowebgl=1#" + art["id"], timeout=WAIT)
        assert page.locator("#nowebgl-notice").is_visible()
        assert page.locator("li.artwork").count() == len(site_data(built_site)["artworks"])
        img = page.locator(f"#{art['id']} img")
        assert img.get_attribute("alt") == art["caption"]
        page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle(), timeout=WAIT)
        first, second = page.locator("audio").nth(0), page.locator(f"audio[data-art='{art['id']}']")
        first.evaluate("el => el.play()")
        page.wait_for_function("el => el.currentTime > 0.3", arg=first.element_handle(), timeout=WAIT)
        second.evaluate("el => el.play()")
        page.wait_for_function("el => el.currentTime > 0.3", arg=second.element_handle(), timeout=WAIT)
        assert first.evaluate("el => el.paused"), "starting one piece should pause the other"
        assert second.evaluate("el => el.currentSrc").endswith(".webm")  # Opus/WebM first where supported
        w.screenshot("list-view-no-webgl")
        w.assert_clean()
    finally:
        browser.close()


def test_on_a_narrow_phone_the_top_bar_strip_shows_it_has_more(browser, site_url):
    """At 320 px the nav scrolls sideways; the clipped end fades, and the fade follows the scroll."""
    w = open_page(browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page = w.page
    try:
        page.goto(site_url + "index.html")
        wait_ready(page)
        nav = ".topnav"
        assert page.eval_on_selector(nav, "el => el.scrollWidth > el.clientWidth")
        assert page.eval_on_selector(nav, "el => el.dataset.more") == "end"
        assert "gradient" in page.eval_on_selector(nav, "el => getComputedStyle(el).maskImage")
        page.eval_on_selector(nav, "el => { el.scrollLeft = el.scrollWidth; }")
        page.wait_for_function("() => document.querySelector('.topnav').dataset.more === 'start'", timeout=WAIT)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_function("() => document.querySelector('.topnav').dataset.more === ''", timeout=WAIT)
        assert page.eval_on_selector(nav, "el => getComputedStyle(el).maskImage") == "none"
        w.assert_clean()
    finally:
        page.context.close()



def test_a_painting_whose_images_fail_once_is_shown_when_they_are_tried_again(watched, site_url, built_site):
    """A dropped request (a phone between cells) must not leave a painting blank while its room stays: each
    of the first work's images fails the first time it is asked for."""
    page = watched.page
    art = site_data(built_site)["artworks"][0]
    failed = set()

    def flaky(route):
        name = route.request.url.split("/")[-1]
        if name.startswith(art["id"] + "-") and name not in failed:
            failed.add(name)
            return route.abort()
        return route.continue_()

    page.route("**/assets/img/*", flaky)
    page.goto(site_url + "index.html")
    wait_ready(page)
    assert page.evaluate("id => window.imaudible.debug.texture(id)", art["id"]), "blank when the room was shown"
    page.wait_for_function("() => window.imaudible.state.sharp", timeout=WAIT)
    assert failed, "no image of the first work was asked for"
    shown = page.evaluate("id => window.imaudible.debug.texture(id)", art["id"])
    assert shown and shown.split("/")[-1] in failed, (shown, failed)
    assert not [e for e in watched.errors if "could not load" in e], watched.errors

"""Finding your way (issue 13): room names from the manifest on screen and at the door, a minimap whose
click walks you there, and an index drawer whose search jumps to a work."""
from __future__ import annotations

import pytest

from .visit import WAIT, settle, site_data, wait_ready

pytestmark = pytest.mark.browser


def test_room_names_minimap_and_index_take_the_visitor_around(watched, site_url, built_site):
    page = watched.page
    data = site_data(built_site)
    # The manifest names the first room; the rest follow in rooms of per_room, unnamed (manifest order).
    assert data["layout"]["titles"] == ["Night and fear", ""]
    assert data["layout"]["rooms"][0] == ["starry-night", "the-scream"]
    page.goto(site_url + "index.html")
    wait_ready(page)
    assert page.locator("#room-name").inner_text() == "Room 1 of 2 · \u2068Night and fear\u2069"
    # A click on the second room of the minimap walks there.
    plan = page.evaluate("window.imaudible.debug.plan()")
    room = plan["rooms"][1]
    point = page.evaluate("xz => window.imaudible.debug.minimapPoint(xz)", [(room["x0"] + room["x1"]) / 2, (room["z0"] + room["z1"]) / 2])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => window.imaudible.state.currentRoom === 1 && !window.imaudible.state.navigating",
                           timeout=WAIT)
    view = page.evaluate("window.imaudible.debug.view()")
    assert room["x0"] < view["x"] < room["x1"] and room["z0"] < view["z"] < room["z1"]
    assert page.locator("#room-name").inner_text() == "Room 2 of 2"
    # The index lists every work; a search narrows it to one, and choosing it takes you there.
    page.click("#index-button")
    assert page.locator("#index-drawer").is_visible()
    assert page.locator("#index-list li:not([hidden])").count() == len(data["artworks"])
    page.fill("#index-search", "munch")
    assert page.locator("#index-list li:not([hidden])").count() == 1
    assert page.locator("#index-count").inner_text() == f"1 of {len(data['artworks'])} works"
    for typed in ("AMERICAINE", "fille  américaine picabia"):     # accents and case aside, in any order
        page.fill("#index-search", typed)
        shown = page.locator("#index-list li:not([hidden])").all_inner_texts()
        assert len(shown) == 1 and "Udnie" in shown[0], (typed, shown)
    page.fill("#index-search", "munch")
    page.click("#index-list li:not([hidden]) button")
    page.wait_for_function("() => window.imaudible.state.focusedId === 'the-scream' && !window.imaudible.state.navigating",
                           timeout=WAIT)
    settle(page)
    assert not page.locator("#index-drawer").is_visible()
    assert page.evaluate("window.imaudible.debug.facing()") == "the-scream"
    assert page.locator("#room-name").inner_text() == "Room 1 of 2 · \u2068Night and fear\u2069"
    watched.screenshot("wayfinding")
    watched.assert_clean()


def test_the_minimap_rooms_are_buttons_a_keyboard_reaches_and_walks_to(watched, site_url):
    """The minimap was a canvas only a pointer could use: its rooms are buttons now, one Tab stop whose arrow
    keys move along the plan (not the visitor), Enter walks there, and the room you are in says so."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    rooms = page.locator("#minimap-rooms button")
    assert rooms.count() == 2
    assert rooms.nth(0).get_attribute("aria-label") == "Room 1 of 2 · \u2068Night and fear\u2069, you are here"
    assert rooms.nth(0).get_attribute("aria-current") == "location"
    assert [rooms.nth(i).get_attribute("tabindex") for i in range(2)] == ["0", "-1"]
    # Each button lies over its room as the map draws it.
    plan = page.evaluate("window.imaudible.debug.plan()")
    for i, room in enumerate(plan["rooms"]):
        box = rooms.nth(i).bounding_box()
        for corner, (x, z) in (("top-left", (room["x0"], room["z0"])), ("bottom-right", (room["x1"], room["z1"]))):
            drawn = page.evaluate("xz => window.imaudible.debug.minimapPoint(xz)", [x, z])
            at = (box["x"], box["y"]) if corner == "top-left" else (box["x"] + box["width"], box["y"] + box["height"])
            assert abs(at[0] - drawn["x"]) < 1.5 and abs(at[1] - drawn["y"]) < 1.5, (i, corner, at, drawn)
    before = page.evaluate("window.imaudible.debug.view()")
    page.focus("#minimap-rooms button[tabindex='0']")
    page.keyboard.press("ArrowLeft")                 # no room that way: focus stays
    assert page.evaluate("document.activeElement.dataset.room") == "0"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.room") == "1"
    assert [rooms.nth(i).get_attribute("tabindex") for i in range(2)] == ["-1", "0"]
    settle(page)
    after = page.evaluate("window.imaudible.debug.view()")
    assert (after["x"], after["z"], after["yaw"]) == (before["x"], before["z"], before["yaw"])   # the visitor stayed
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.imaudible.state.currentRoom === 1 && !window.imaudible.state.navigating",
                           timeout=WAIT)
    assert rooms.nth(1).get_attribute("aria-current") == "location"
    assert rooms.nth(1).get_attribute("aria-label") == "Room 2 of 2, you are here"
    assert rooms.nth(0).get_attribute("aria-current") is None
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.dataset.room") == "0"
    watched.assert_clean()

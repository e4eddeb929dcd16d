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
    assert page.locator("#room-name").inner_text() == "Room 1 of 2 · Night and fear"
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
    page.click("#index-list li:not([hidden]) button")
    page.wait_for_function("() => window.imaudible.state.focusedId === 'the-scream' && !window.imaudible.state.navigating",
                           timeout=WAIT)
    settle(page)
    assert not page.locator("#index-drawer").is_visible()
    assert page.evaluate("window.imaudible.debug.facing()") == "the-scream"
    assert page.locator("#room-name").inner_text() == "Room 1 of 2 · Night and fear"
    watched.screenshot("wayfinding")
    watched.assert_clean()

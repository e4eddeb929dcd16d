"""A visitor on the keyboard alone: the gallery's single keys act on the room, never through an open dialog."""
from __future__ import annotations

import pytest

from .visit import WAIT, settle, wait_ready

pytestmark = pytest.mark.browser

STATE = "() => { const s = window.imaudible.state; return {focused: s.focusedId, touring: s.touring}; }"


def test_keys_pressed_in_the_help_or_the_index_stay_in_that_dialog(watched, site_url):
    """N, T or an arrow pressed while Help or the Index was open walked, moved on or started the tour in the
    room hidden behind the modal dialog, and the Escape that closed Help also stopped a running tour."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.focus("#gallery-canvas")
    page.keyboard.press("n")
    page.wait_for_function("() => window.imaudible.state.focusedId", timeout=WAIT)
    settle(page)
    before = page.evaluate(STATE)
    view = page.evaluate("id => window.imaudible.debug.bounds(id)", before["focused"])

    page.keyboard.press("h")
    page.wait_for_function("() => document.getElementById('help').open", timeout=WAIT)
    page.keyboard.press("n")
    page.keyboard.press("t")
    page.keyboard.down("ArrowUp")
    page.wait_for_timeout(600)
    page.keyboard.up("ArrowUp")
    settle(page)
    assert page.evaluate(STATE) == before
    assert page.evaluate("id => window.imaudible.debug.bounds(id)", before["focused"]) == view
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('help').open", timeout=WAIT)

    page.click("#tour-button")
    page.wait_for_function("() => window.imaudible.state.touring", timeout=WAIT)
    page.click("#help-button")
    page.wait_for_function("() => document.getElementById('help').open", timeout=WAIT)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('help').open", timeout=WAIT)
    assert page.evaluate("window.imaudible.state.touring"), "closing Help stopped the tour"
    page.click("#tour-button")
    page.wait_for_function("() => !window.imaudible.state.touring", timeout=WAIT)

    page.click("#index-button")
    page.wait_for_function("() => document.getElementById('index-drawer').open", timeout=WAIT)
    page.focus("#index-drawer li button")
    focused = page.evaluate("window.imaudible.state.focusedId")
    page.keyboard.press("t")
    page.keyboard.press("n")
    page.wait_for_timeout(300)
    assert page.evaluate(STATE) == {"focused": focused, "touring": False}
    assert page.evaluate("document.getElementById('index-drawer').open")
    watched.assert_clean()

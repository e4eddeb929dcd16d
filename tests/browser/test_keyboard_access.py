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


def test_letter_keys_can_be_kept_to_the_3d_view_and_the_choice_is_remembered(watched, site_url):
    """WCAG 2.1.4: a single-letter shortcut must be possible to turn off or keep to its component. Speech input
    types words, so with the focus on a link, "m" muted the music. Help's box keeps them to the 3D view."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    muted = "() => window.imaudible.state.muted"
    page.focus("#list-link")
    page.keyboard.press("m")                           # the default: letter keys act everywhere
    page.wait_for_function(muted, timeout=WAIT)
    page.keyboard.press("m")
    page.wait_for_function("() => !window.imaudible.state.muted", timeout=WAIT)

    page.click("#help-button")
    page.wait_for_function("() => document.getElementById('help').open", timeout=WAIT)
    page.uncheck("#letter-keys")
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('help').open", timeout=WAIT)
    for _ in range(2):                                 # this page, then the next visit
        page.focus("#list-link")
        page.keyboard.press("m")
        page.wait_for_timeout(300)
        assert not page.evaluate(muted), "a letter key acted outside the 3D view"
        page.focus("#gallery-canvas")
        page.keyboard.press("m")
        page.wait_for_function(muted, timeout=WAIT)
        page.keyboard.press("m")
        page.wait_for_function("() => !window.imaudible.state.muted", timeout=WAIT)
        page.reload()
        wait_ready(page)
    assert not page.is_checked("#letter-keys")
    watched.assert_clean()

"""What a screen reader hears about where the visitor is and what went wrong: the room's name (drawn on the
screen and on the door signs, where it cannot hear it) when the visitor walks or is walked into a room, and
an error before the first view said once (the loader and the alert line both said it)."""
from __future__ import annotations

import pytest

from .test_start_failures import LOSE_THE_GALLERYS_CONTEXT
from .visit import WAIT, wait_ready

pytestmark = pytest.mark.browser

SECOND_ROOM = "Room 2 of 2"
SAID = "() => document.getElementById('announcer').textContent"


def said(page, words):
    page.wait_for_function(f"w => ({SAID})().includes(w)", arg=words, timeout=WAIT)


def test_the_room_walked_into_is_said_with_its_name(watched, site_url):
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    # The keyboard's way: the floor plan's room buttons; the name is said on arrival.
    page.focus("#minimap-rooms button[aria-current]")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    said(page, SECOND_ROOM)
    # On foot, back through the door into the named room.
    room = page.evaluate("window.imaudible.debug.plan()")["rooms"][0]
    page.evaluate("r => window.imaudible.debug.place({x: (r.x0 + r.x1) / 2, z: (r.z0 + r.z1) / 2, yaw: 0})", room)
    said(page, "Room 1 of 2 \u00b7 \u2068Night and fear\u2069")
    # A painting reached with N says its room by name too, not by a number alone.
    page.focus("#gallery-canvas")
    page.evaluate("() => document.getElementById('announcer').textContent = ''")
    page.keyboard.press("n")
    said(page, ", in Room ")
    watched.assert_clean()


def test_an_error_before_the_first_view_is_said_once(watched, site_url):
    page = watched.page
    page.add_init_script(LOSE_THE_GALLERYS_CONTEXT)
    page.goto(site_url + "index.html")
    page.wait_for_function("() => document.body.classList.contains('failed')", timeout=WAIT)
    page.wait_for_timeout(500)
    tree = page.locator("body").aria_snapshot()
    assert tree.count("graphics card stopped drawing") == 1, tree


def test_the_loader_counts_the_paintings_without_saying_each_count(watched, site_url):
    """The loader is a live region: each "Hanging the paintings… N of M" would be spoken. It is busy (held
    back by screen readers) for as long as it counts, and not busy once it has an error to say."""
    page = watched.page
    page.add_init_script("""
        window.loaderTexts = [];
        new MutationObserver(() => {
            const loader = document.getElementById('loader'), text = document.getElementById('loader-text');
            if (loader && text) window.loaderTexts.push([loader.getAttribute('aria-busy'), text.textContent]);
        }).observe(document, {subtree: true, childList: true, characterData: true});
    """)
    page.goto(site_url + "index.html")
    wait_ready(page)
    counted = [busy for busy, text in page.evaluate("window.loaderTexts") if " of " in text]
    assert counted and set(counted) == {"true"}


def test_an_error_in_the_loader_is_not_held_back(watched, site_url):
    page = watched.page
    page.add_init_script(LOSE_THE_GALLERYS_CONTEXT)
    page.goto(site_url + "index.html")
    page.wait_for_function("() => document.body.classList.contains('failed')", timeout=WAIT)
    assert page.get_attribute("#loader", "aria-busy") == "false"

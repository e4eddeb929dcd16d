"""The address follows the visitor (issue 13): `index.html#id` opens facing that work, moving on updates
the URL, and the share button copies a work's link where the browser has no share sheet."""
from __future__ import annotations

import pytest

from .visit import WAIT, settle, site_data, wait_ready

pytestmark = pytest.mark.browser


def test_hash_deep_link_opens_facing_its_work_and_the_url_follows(watched, site_url, built_site):
    page = watched.page
    arts = site_data(built_site)["artworks"]
    target = arts[-1]  # in the second room
    page.goto(f"{site_url}index.html#{target['id']}")
    wait_ready(page)
    settle(page)
    assert page.evaluate("window.imaudible.state.focusedId") == target["id"]
    assert page.evaluate("window.imaudible.debug.facing()") == target["id"]
    assert page.locator("#plaque-title").inner_text() == target["title"]
    # Moving to another work rewrites the hash (no new history entry) and the title.
    page.focus("#gallery-canvas")
    page.keyboard.press("p")
    previous = page.evaluate("window.imaudible.order")[-2]
    page.wait_for_function("id => location.hash === '#' + id", arg=previous, timeout=WAIT)
    assert page.title().startswith(next(a["title"] for a in arts if a["id"] == previous))
    # Typing another hash walks there.
    page.evaluate("id => { location.hash = id; }", arts[0]["id"])
    page.wait_for_function("id => window.imaudible.state.focusedId === id && !window.imaudible.state.navigating",
                           arg=arts[0]["id"], timeout=WAIT)
    # An unknown hash is ignored: the gallery opens at its entrance.
    page.goto(f"{site_url}index.html#no-such-work")
    wait_ready(page)
    assert page.evaluate("window.imaudible.state.focusedId") != "no-such-work"
    watched.assert_clean()


def test_on_an_artwork_page_the_address_becomes_the_next_works_page(watched, site_url, built_site):
    page = watched.page
    arts = site_data(built_site)["artworks"]
    page.goto(site_url + arts[0]["page"])
    wait_ready(page)
    page.evaluate("id => window.imaudible.goTo(id)", arts[1]["id"])
    page.wait_for_function("p => location.pathname.endsWith('/' + p)", arg=arts[1]["page"], timeout=WAIT)
    watched.assert_clean()


def test_share_falls_back_to_copying_the_link(browser, site_url, built_site):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
        context.add_init_script("delete Navigator.prototype.share; delete navigator.share;")
        page = context.new_page()
        art = site_data(built_site)["artworks"][1]
        page.goto(f"{site_url}index.html#{art['id']}")
        wait_ready(page)
        page.click("#plaque-share")
        page.wait_for_function("() => window.imaudible.state.shared === 'copied'", timeout=WAIT)
        assert page.evaluate("navigator.clipboard.readText()") == site_url + art["page"]
        assert "copied" in page.locator("#hint").inner_text()
    finally:
        context.close()


# Safari's own rule: a page that changes its address more than 100 times in 30 s gets a SecurityError.
SAFARI_HISTORY_LIMIT = """(() => {
  const replace = History.prototype.replaceState, calls = [];
  History.prototype.replaceState = function (...args) {
    const now = performance.now();
    while (calls.length && now - calls[0] > 30000) calls.shift();
    if (calls.length >= 100) {
      throw new DOMException('Attempt to use history.replaceState() more than 100 times per 30 seconds', 'SecurityError');
    }
    calls.push(now);
    return replace.apply(this, args);
  };
})()"""


def test_many_quick_moves_keep_the_address_and_the_plaque_on_the_work_in_front(watched, site_url, built_site):
    """Each move rewrote the address: N held down (or a look around the room) did that many times a second,
    and Safari refused the 101st within 30 s with an error that stopped the plaque following the visitor."""
    page = watched.page
    page.add_init_script(SAFARI_HISTORY_LIMIT)
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.focus("#gallery-canvas")
    for _ in range(120):
        page.keyboard.press("n")
    focused = page.evaluate("window.imaudible.state.focusedId")
    title = next(a["title"] for a in site_data(built_site)["artworks"] if a["id"] == focused)
    assert page.locator("#plaque-title").inner_text() == title
    page.wait_for_function("id => location.hash === '#' + id", arg=focused, timeout=WAIT)
    assert page.title().startswith(title)
    watched.assert_clean()

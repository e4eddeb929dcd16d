"""A visitor whose page was opened before the site was deployed again: the lazily loaded chunks and music it asks
for then (the close-up, VR, a piece made again) may be gone from the host, replaced under new hashed names."""
from __future__ import annotations

import json

import pytest

from .conftest import open_page
from .visit import WAIT, aim, settle, site_data, wait_ready

pytestmark = pytest.mark.browser

RELOAD = "reload the page"


def test_a_close_up_whose_chunk_is_gone_since_a_redeploy_says_to_reload(browser, site_url, built_site):
    w = open_page(browser, viewport={"width": 960, "height": 600})
    page = w.page
    try:
        # The close-up's chunk answers 404, as on a host where a newer deploy replaced it.
        page.route("**/assets/chunks/closeup-*.js", lambda route: route.fulfill(status=404, body="Not Found"))
        page.goto(site_url + "index.html")
        wait_ready(page)
        art = site_data(built_site)["artworks"][0]
        aim(page, art["id"])
        box = page.evaluate("id => window.imaudible.debug.bounds(id)", art["id"])
        centre = ((box["left"] + box["right"]) / 2, (box["top"] + box["bottom"]) / 2)
        page.mouse.click(*centre)  # plays
        page.wait_for_function("id => window.imaudible.state.playingId === id", arg=art["id"], timeout=WAIT)
        settle(page)
        page.mouse.click(*centre)  # looks closer: the chunk cannot be fetched
        page.wait_for_function(f"() => (window.imaudible.state.error || '').includes('{RELOAD}')", timeout=WAIT)
        assert page.locator("#error-line").is_visible()
        assert RELOAD in page.locator("#error-line").inner_text()
        assert page.evaluate("window.imaudible.state.closeUp") in (None, False, "")
        # The browser's own line about the 404 is expected; nothing else (no unhandled rejection).
        w.errors = [e for e in w.errors if "status of 404" not in e]
        w.assert_clean()
    finally:
        page.context.close()


def test_music_replaced_since_a_redeploy_says_to_reload_not_that_its_file_is_damaged(watched, site_url, built_site):
    """A piece whose music was made again and deployed while the page was open: its old file answers 404.
    'The file is missing or damaged' sent the visitor away; the site's gallery.json now names another file,
    so the page says to reload. (A file missing from a site that still names it keeps the first line:
    tests/browser/test_audio_errors.py.)"""
    page = watched.page
    art = site_data(built_site)["artworks"][0]
    published = json.loads((built_site / "gallery.json").read_text())
    for fmt in ("webm", "m4a"):
        published["artworks"][0]["audio"][fmt] = art["audio"][fmt].replace(".", ".0", 1)   # another hashed name
    page.route(f"**/assets/audio/{art['id']}.*", lambda route: route.fulfill(status=404, body="Not Found"))
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.route("**/gallery.json", lambda route: route.fulfill(status=200, body=json.dumps(published),
                                                              content_type="application/json"))
    page.evaluate("id => window.imaudible.play(id)", art["id"])
    page.wait_for_function(f"() => (window.imaudible.state.error || '').includes('{RELOAD}')", timeout=WAIT)
    line = page.locator("#error-line").inner_text()
    assert "replaced since this page opened" in line and "damaged" not in line, line
    assert page.evaluate("window.imaudible.state.playingId") is None
    watched.errors = [e for e in watched.errors if "status of 404" not in e]
    watched.assert_clean()


def test_a_painting_whose_image_a_redeploy_replaced_says_to_reload(watched, site_url, built_site):
    """A painting in the next room, whose image the curator replaced and deployed while the page was open:
    its old texture answers 404 and the painting stayed blank without a word."""
    page = watched.page
    art = site_data(built_site)["artworks"][-1]
    published = json.loads((built_site / "gallery.json").read_text())
    published["artworks"][-1]["images"] = {size: {**image, **{fmt: url.replace(".", ".0", 1) for fmt, url in image.items()
                                                              if fmt in ("webp", "jpg")}}
                                           for size, image in art["images"].items()}
    page.route(f"**/assets/img/{art['id']}-*", lambda route: route.fulfill(status=404, body="Not Found"))
    page.route("**/gallery.json", lambda route: route.fulfill(status=200, body=json.dumps(published),
                                                              content_type="application/json"))
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.wait_for_function(f"() => (window.imaudible.state.error || '').includes('{RELOAD}')", timeout=WAIT)
    line = page.locator("#error-line").inner_text()
    assert "The picture of" in line and art["title"] in line and "replaced since this page opened" in line, line
    watched.errors = [e for e in watched.errors if "status of 404" not in e and "could not load" not in e]
    watched.assert_clean()


@pytest.mark.parametrize("gone", ["**/assets/chunks/app-*.js", "**/assets/gallery-data.*.json"])
def test_a_page_whose_code_or_data_a_redeploy_replaced_says_to_reload(watched, site_url, gone):
    """A page kept from before a redeploy (a restored tab, a page fetched as the deploy went live) asks for the
    3D code or the site data by their old hashed names: the error line said 'Failed to fetch dynamically
    imported module: <url>' or 'site data ...: HTTP 404'."""
    page = watched.page
    page.route(gone, lambda route: route.fulfill(status=404, body="Not Found"))
    page.goto(site_url + "art/starry-night/")
    page.wait_for_function("() => document.body.classList.contains('failed')", timeout=WAIT)
    line = page.evaluate("window.imaudible.state.error")
    assert RELOAD in line and "may have been updated since this page opened" in line, line
    # ...and the visitor reads it: no HUD exists yet to show the error line, so the loader says it, and a
    # live region marked busy is not read out.
    shown = page.inner_text("#loader-text")
    assert RELOAD in shown and "may have been updated since this page opened" in shown, shown
    assert page.get_attribute("#loader", "aria-busy") == "false"
    assert page.is_visible(".loader-fallback a")

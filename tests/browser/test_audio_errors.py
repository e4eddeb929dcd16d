"""Music whose file is missing (404) or damaged: the visitor is told so, in the 3D gallery and in the list
view, instead of a player that waits forever or blames the browser; a piece whose first format fails plays
its other one."""
from __future__ import annotations

import pytest

from .visit import WAIT, wait_ready

pytestmark = pytest.mark.browser

FAILED = "could not be played: the file is missing or damaged"


def break_audio(page):
    """starry-night's files answer 404, the-scream's are noise, water-lilies has no WebM: its M4A must play."""
    page.route("**/assets/audio/starry-night.*", lambda route: route.fulfill(status=404, body="not found"))
    page.route("**/assets/audio/the-scream.*",
               lambda route: route.fulfill(status=200, body=bytes(range(256)) * 40, content_type="audio/webm"))
    page.route("**/assets/audio/water-lilies.*.webm", lambda route: route.fulfill(status=404, body="not found"))


def console_errors(watched):
    return [e for e in watched.errors if "Failed to load resource" not in e]


def play_in_gallery(page, site_url, art_id):
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.evaluate("id => window.imaudible.play(id)", art_id)


def list_view_error(page, art_id) -> str:
    """Play `art_id` in the list view (already open) and wait for the line under its player that says why not."""
    player = f"audio[data-art='{art_id}']"
    page.eval_on_selector(player, "el => { el.play().catch(() => {}); }")
    page.wait_for_selector(f"{player} + .audio-error", timeout=WAIT)
    return page.locator(f"{player} + .audio-error").inner_text()


@pytest.mark.parametrize("art_id", ["starry-night", "the-scream"])
def test_the_gallery_says_when_a_pieces_file_is_missing_or_damaged(watched, site_url, art_id):
    page = watched.page
    break_audio(page)
    play_in_gallery(page, site_url, art_id)
    page.wait_for_function("() => (window.imaudible.state.error || '').includes('could not be played')", timeout=WAIT)
    assert page.evaluate("window.imaudible.state.playingId") is None
    line = page.locator("#error-line")
    assert line.is_visible() and FAILED in line.inner_text() and "blocked" not in line.inner_text()
    assert "music for" not in page.locator("#now-playing").inner_text()
    assert not console_errors(watched), console_errors(watched)


def test_the_gallery_plays_the_other_format_when_one_fails(watched, site_url):
    page = watched.page
    break_audio(page)
    play_in_gallery(page, site_url, "water-lilies")
    page.wait_for_function("() => window.imaudible.debug.audio().some(c => c.art === 'water-lilies' && "
                           "c.src.endsWith('.m4a') && c.currentTime > 0.2)", timeout=WAIT)
    assert page.evaluate("window.imaudible.state.error") is None
    assert page.evaluate("window.imaudible.state.playingId") == "water-lilies"


def test_the_list_view_says_when_a_pieces_file_is_missing_or_damaged(watched, site_url):
    page = watched.page
    break_audio(page)
    page.goto(site_url + "list.html")
    for art_id in ["starry-night", "the-scream"]:
        assert FAILED in list_view_error(page, art_id)
    page.eval_on_selector("audio[data-art='water-lilies']", "el => { el.play().catch(() => {}); }")
    page.wait_for_function("() => document.querySelector(\"audio[data-art='water-lilies']\").currentTime > 0.2",
                           timeout=WAIT)
    assert page.locator("audio[data-art='water-lilies'] + .audio-error").count() == 0
    assert page.locator(".audio-error").count() == 2
    assert not console_errors(watched), console_errors(watched)


UNPLAYABLE = "This browser cannot play"


def browser_without_the_formats(page):
    """A browser that plays neither Opus in WebM nor AAC (as Safari 16 and older with a gallery published with
    audio.formats: [webm]): it says so through canPlayType, and the files fail to decode."""
    page.add_init_script("HTMLMediaElement.prototype.canPlayType = () => '';")
    page.route("**/assets/audio/*", lambda route: route.fulfill(status=200, body=b"\0" * 4096,
                                                                content_type="application/octet-stream"))


def test_a_browser_that_lacks_the_format_is_told_so_not_that_the_file_is_damaged(watched, site_url):
    page = watched.page
    browser_without_the_formats(page)
    play_in_gallery(page, site_url, "starry-night")
    page.wait_for_function("() => (window.imaudible.state.error || '').includes('cannot play')", timeout=WAIT)
    assert UNPLAYABLE in page.locator("#error-line").inner_text()
    assert FAILED not in page.locator("#error-line").inner_text()
    page.goto(site_url + "list.html")
    assert UNPLAYABLE in list_view_error(page, "starry-night")


def test_a_piece_held_up_by_the_network_says_it_is_loading_until_it_plays(watched, site_url):
    """A slow or stalled network: the player must not claim "Now playing" at 0:00 while nothing is heard."""
    page = watched.page
    held, release = [], []

    def hold(route):
        (route.continue_() if release else held.append(route))

    page.route("**/assets/audio/starry-night.*", hold)
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.evaluate("window.imaudible.debug.select('starry-night')")
    page.evaluate("window.imaudible.play('starry-night')")
    page.wait_for_function("() => window.imaudible.state.buffering === true", timeout=WAIT)
    page.wait_for_timeout(1500)  # the file is still held back: the page must go on saying so
    line = page.locator("#now-playing").inner_text()
    assert line.startswith("Loading") and "The Starry Night" in line, line
    assert "loading" in page.locator("#plaque-relation").inner_text()
    assert held, "the piece's file was never asked for"
    release.append(True)
    for route in held:
        route.continue_()
    page.wait_for_function("() => document.querySelector(\"audio[data-art='starry-night']\").currentTime > 0.2",
                           timeout=WAIT)
    page.wait_for_function("() => !window.imaudible.state.buffering", timeout=WAIT)
    assert page.locator("#now-playing").inner_text().startswith("Now playing")
    assert "is playing" in page.locator("#plaque-relation").inner_text()
    watched.assert_clean()


OFFLINE = "this device is offline"


def test_music_that_fails_while_offline_says_so_not_that_the_file_is_damaged(watched, site_url):
    """A phone that lost its connection: the visitor is told to try again online, not that the site is broken."""
    page = watched.page
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.context.set_offline(True)
    try:
        page.evaluate("window.imaudible.play('starry-night')")
        page.wait_for_function("() => window.imaudible.state.error", timeout=WAIT)
        line = page.locator("#error-line").inner_text()
        assert OFFLINE in line and FAILED not in line, line
        page.context.set_offline(False)
        page.evaluate("window.imaudible.play('starry-night')")  # as the line says: again, once back online
        page.wait_for_function("() => window.imaudible.debug.audio().some(c => c.art === 'starry-night' && "
                               "c.currentTime > 0.2)", timeout=WAIT)
        page.goto(site_url + "list.html")
        page.context.set_offline(True)
        assert OFFLINE in list_view_error(page, "starry-night")
    finally:
        page.context.set_offline(False)
    # Back online, the line goes and the player plays again: a failed <audio> stayed failed, play did nothing.
    player = "audio[data-art='starry-night']"
    page.wait_for_selector(f"{player} + .audio-error", state="detached", timeout=WAIT)
    page.eval_on_selector(player, "el => { el.play().catch(() => {}); }")
    page.wait_for_function(f"() => document.querySelector(\"{player}\").currentTime > 0.2", timeout=WAIT)
    assert not console_errors(watched), console_errors(watched)

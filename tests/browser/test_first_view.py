"""The first view: the page paints a picture of the first work before the 3D code is even requested, and
the 3D scene then starts without holding the page: no frame is drawn under the loader, and a software
renderer (SwiftShader here) draws a capped number of pixels without multisampling."""
from __future__ import annotations

import json

import pytest

from .conftest import open_page

pytestmark = pytest.mark.browser

WAIT = 60_000  # ms: two cores, software rendering

FIRST_VIEW = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const poster = document.querySelector('.loader-poster img');
    const painted = list.getEntries().filter((e) => e.element === poster).map((e) => e.startTime);
    const app = performance.getEntriesByType('resource').find((r) => r.name.includes('/chunks/app-'));
    const mark = (name) => performance.getEntriesByName(name)[0]?.startTime;
    const gl = document.getElementById('gallery-canvas').getContext('webgl2');
    resolve({ posterPainted: painted[0] ?? null, appRequested: app ? app.startTime : null,
              firstFrame: mark('imaudible:first-frame'), ready: mark('imaudible:ready'),
              poster: poster.currentSrc, antialias: gl.getContextAttributes().antialias,
              pixels: gl.drawingBufferWidth * gl.drawingBufferHeight });
  }).observe({ type: 'largest-contentful-paint', buffered: true });
})"""


def test_poster_paints_first_and_the_3d_starts_without_holding_the_page(watched, site_url, built_site):
    page = watched.page
    page.goto(site_url + "index.html")
    page.wait_for_function("() => window.imaudible && window.imaudible.state.ready", timeout=WAIT)
    view = page.evaluate(FIRST_VIEW)
    data = json.loads((built_site / "gallery.json").read_text())
    first = next(a for a in data["artworks"] if a["id"] == data["layout"]["rooms"][0][0])
    # The poster is the work the visitor faces first, and the browser reported it painted...
    assert any(view["poster"].endswith(im.get("webp") or im["jpg"]) for im in first["images"].values()), \
        view["poster"]
    assert view["posterPainted"] is not None
    # ...before the 3D code (three.js and the gallery) was requested.
    assert view["appRequested"] is not None and view["posterPainted"] <= view["appRequested"]
    # The loader (and its poster) give way to the room; the first frame drawn is the hung room itself.
    assert page.locator("#loader").is_hidden()
    # (both marks are set in one frame; a bare-rooms frame first would be at least a frame, 16 ms, earlier)
    assert 0 <= view["ready"] - view["firstFrame"] < 10
    # SwiftShader is a CPU renderer: it is recognised, and draws at most 400 000 pixels, without MSAA.
    assert page.evaluate("window.imaudible.state.drawing") == "software"
    assert view["antialias"] is False and 0 < view["pixels"] <= 400_000
    watched.assert_clean()


def test_phone_first_view_faces_the_first_work_with_its_poster(browser, site_url, built_site):
    w = open_page(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = w.page
        page.goto(site_url + "index.html")
        page.wait_for_function("() => window.imaudible && window.imaudible.state.sharp", timeout=WAIT)
        data = json.loads((built_site / "gallery.json").read_text())
        state = page.evaluate("window.imaudible.state")
        assert state["focusedId"] == data["layout"]["rooms"][0][0]
        # One pixel per CSS pixel on a software renderer, whatever the screen's density.
        size = page.evaluate("(() => { const c = document.getElementById('gallery-canvas'); return [c.width, c.height]; })()")
        assert size[0] <= 390 and size[1] <= 844
        w.assert_clean()
    finally:
        w.page.context.close()


@pytest.mark.parametrize("page_path", ["index.html", "art/starry-night/index.html"])
def test_a_gallery_opened_from_a_file_says_why_the_3d_cannot_start_and_what_to_do(browser, built_site, page_path):
    """A double-click on build/index.html opens it as file://, where browsers refuse module scripts: the loader
    waited for ever with 'Opening the gallery…'. It says what happened and what to do; the list view (a plain
    page) works from a file."""
    watched = open_page(browser)
    page = watched.page
    page.goto((built_site / page_path).as_uri())
    page.wait_for_function("() => document.body.classList.contains('opened-from-file')", timeout=WAIT)
    text = page.inner_text("#loader-text")
    assert "cannot open from a file" in text and "imaudible-site serve" in text, text
    assert page.get_attribute("#loader", "aria-busy") == "false"   # a busy live region is not read out
    assert not page.is_visible(".loader progress")
    page.click(".loader-fallback a")
    page.wait_for_load_state()
    assert page.url.startswith("file://") and "/list.html" in page.url
    assert page.locator("audio").count() >= 1
    watched.page.context.close()


NEEDS_THE_APP = ["#index-button", "#tour-button", "#help-button", "#prev-button", "#next-button", "#play-toggle",
                 "#mute-toggle"]


def test_controls_show_they_are_not_ready_while_the_3d_code_loads(watched, site_url):
    """On a slow network the page shows its buttons seconds before the 3D code that answers them arrives: a
    tap then did nothing, unseen. They are disabled until they are wired, and work at once after."""
    page = watched.page
    held = []
    page.route("**/chunks/app-*.js", lambda route: held.append(route))
    page.goto(site_url + "index.html", wait_until="domcontentloaded")
    deadline = 200
    while not held and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert held, "the 3D code was never asked for"
    for selector in NEEDS_THE_APP:
        assert page.locator(selector).is_disabled(), f"{selector} looks usable while nothing answers it"
    # Nothing to count yet: the bar shows work under way (no value), not a stall at 0 (16 s of it at 400 kbps).
    assert page.eval_on_selector("#loader-progress", "el => el.position") == -1
    for route in held:
        route.continue_()
    page.wait_for_function("() => window.imaudible && window.imaudible.state.ready", timeout=WAIT)
    for selector in NEEDS_THE_APP:
        assert page.locator(selector).is_enabled(), selector
    page.click("#help-button")
    page.wait_for_function("() => document.getElementById('help').open", timeout=WAIT)
    watched.assert_clean()

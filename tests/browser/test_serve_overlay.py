"""`imaudible-site serve`: a rebuild that fails (a broken manifest) is shown in the open page as an overlay
with the one-line error, under the site's own Content-Security-Policy, and is gone after the next good build."""
from __future__ import annotations

import re

import pytest

from tests.conftest import write_gallery

from .conftest import CHROMIUM_FLAGS, site_csp
from .visit import serve_gallery

pytestmark = pytest.mark.browser


def test_failed_rebuild_shows_an_overlay_until_the_next_good_build(tmp_path, playwright_driver):
    from .conftest import CHROMIUM

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2})
    manifest = folder / "gallery.yaml"
    good = manifest.read_text()
    process, url, _ = serve_gallery(folder)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        csp = site_csp(folder / "build")
        page = browser.new_context().new_page()
        violations = []
        page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))

        def with_csp(route):
            response = route.fetch()
            route.fulfill(response=response, headers={**response.headers, "content-security-policy": csp})

        page.route("**/*", with_csp)
        page.goto(url + "list.html")
        page.wait_for_function("() => !!document.querySelector('script[src=\"/__imaudible/livereload.js\"]')")
        assert page.locator("#imaudible-build-error").count() == 0

        manifest.write_text(good.replace("title: Udnie", "title Udnie"))
        overlay = page.locator("#imaudible-build-error")
        overlay.wait_for(state="visible", timeout=60_000)
        text = overlay.inner_text()
        assert "the rebuild failed" in text
        assert re.search(r"gallery\.yaml:\d+:\d+: missing ':' after 'title'\?", text), text
        assert overlay.evaluate("el => getComputedStyle(el).position") == "fixed"  # styled despite the CSP

        manifest.write_text(good.replace("title: Udnie", "title: Udnie, fixed"))
        page.wait_for_function("() => document.body.innerText.includes('Udnie, fixed')", timeout=120_000)
        assert page.locator("#imaudible-build-error").count() == 0
        assert not violations, violations
    finally:
        browser.close()
        process.terminate()
        process.wait(timeout=20)


def test_a_rebuild_with_a_failed_artwork_reloads_and_names_it_until_it_is_fixed(tmp_path, playwright_driver):
    from .conftest import CHROMIUM

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"},
                                            {"file": "art/the_scream.jpg", "title": "The Scream"}], music={"duration": 2})
    image = folder / "art" / "the_scream.jpg"
    good = image.read_bytes()
    process, url, _ = serve_gallery(folder)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_context().new_page()
        page.goto(url + "list.html")
        page.wait_for_function("() => !!document.querySelector('script[src=\"/__imaudible/livereload.js\"]')")
        image.write_bytes(b"a text file saved over the image")
        overlay = page.locator("#imaudible-build-error")
        overlay.wait_for(state="visible", timeout=60_000)
        text = overlay.inner_text()
        assert "some artworks failed" in text and "the rebuild failed" not in text
        assert "artwork 'the-scream' (art/the_scream.jpg) failed at ingest" in text
        assert page.locator("#the-scream").count() == 0          # the page was reloaded with the rebuilt site
        image.write_bytes(good)
        page.wait_for_function("() => !!document.getElementById('the-scream')", timeout=120_000)
        assert page.locator("#imaudible-build-error").count() == 0
    finally:
        browser.close()
        process.terminate()
        process.wait(timeout=20)

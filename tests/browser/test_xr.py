"""WebXR (issue 13): the "Enter VR" button shows only where the browser reports immersive-vr support, and the
XR code is a chunk fetched on the first press, never on a first view."""
from __future__ import annotations

import pytest

from .conftest import open_page
from .visit import WAIT, wait_ready

pytestmark = pytest.mark.browser

# A browser that says it supports immersive-vr; there is no headset, so requestSession fails as a real
# browser's does when none is connected.
XR_STUB = """
Object.defineProperty(navigator, "xr", { configurable: true, value: {
  isSessionSupported: async (mode) => mode === "immersive-vr",
  requestSession: async (mode, options) => {
    window.__xrRequested = { mode, options };
    throw new DOMException("no headset is connected", "NotSupportedError");
  },
}});
"""


def xr_chunks(requests: list[str]) -> list[str]:
    return [u for u in requests if "/chunks/xr-" in u]


def test_no_vr_button_and_no_xr_code_without_webxr(watched, site_url):
    page = watched.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "index.html")
    wait_ready(page)
    assert page.evaluate("navigator.xr ? navigator.xr.isSessionSupported('immersive-vr') : false") is False
    assert page.locator("#vr-button").is_hidden()
    assert any("/assets/gallery." in u and u.endswith(".js") for u in requests)
    assert xr_chunks(requests) == []
    watched.assert_clean()


def test_vr_button_appears_with_webxr_and_loads_xr_code_on_press(browser, site_url):
    watched = open_page(browser)
    page = watched.page
    try:
        page.add_init_script(XR_STUB)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(site_url + "index.html")
        wait_ready(page)
        button = page.locator("#vr-button")
        button.wait_for(state="visible", timeout=WAIT)
        assert button.inner_text() == "Enter VR"
        assert xr_chunks(requests) == []  # supported, but not pressed: still nothing fetched
        button.click()
        page.wait_for_function("() => window.__xrRequested", timeout=WAIT)
        assert len(xr_chunks(requests)) == 1
        asked = page.evaluate("window.__xrRequested")
        assert asked["mode"] == "immersive-vr"
        assert "local-floor" in asked["options"]["optionalFeatures"]
        page.wait_for_function("() => document.getElementById('hint').textContent.startsWith('VR could not start')",
                               timeout=WAIT)
        assert "no headset is connected" in page.locator("#hint").inner_text()
        assert button.is_enabled() and button.inner_text() == "Enter VR"
        watched.assert_clean()
    finally:
        page.context.close()

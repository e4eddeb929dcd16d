"""A visitor whose phone loses its connection mid-visit: the gallery says so without stopping the visit, and
the paintings of a room entered offline appear once it is back online (they stayed blank for as long as the
room stayed loaded, with nothing said)."""
from __future__ import annotations

import pytest

from .visit import WAIT, site_data, wait_ready

pytestmark = pytest.mark.browser

OFFLINE = "This device is offline"


def test_paintings_missed_offline_appear_once_back_online(watched, site_url, built_site):
    page = watched.page
    rooms = site_data(built_site)["layout"]["rooms"]
    later = rooms[1][0]  # the second room: fetched ahead after the first view, so while the connection drops
    cut = []
    page.route("**/assets/img/*", lambda route: route.abort("internetdisconnected") if cut and later in route.request.url
               else route.continue_())
    cut.append(True)
    page.goto(site_url + "index.html")
    wait_ready(page)
    page.context.set_offline(True)
    try:
        page.evaluate("id => window.imaudible.debug.aimAt(id)", later)
        assert page.evaluate("id => window.imaudible.debug.texture(id)", later) is None
        line = page.locator("#error-line")
        assert line.is_visible() and OFFLINE in line.inner_text()
        assert page.locator("#next-button").is_enabled()  # a line, not a wall: the visit goes on
    finally:
        cut.clear()
        page.context.set_offline(False)
    page.wait_for_function("id => window.imaudible.debug.texture(id)", arg=later, timeout=WAIT)
    page.wait_for_function("() => document.getElementById('error-line').hidden", timeout=WAIT)
    unexpected = [e for e in watched.errors if "Failed to load resource" not in e]
    assert not unexpected, unexpected

"""When the 3D gallery cannot start, the loader says so and points to the list view instead of counting on
for ever: a static host that sends scripts as application/octet-stream (no `_headers` support; browsers
refuse to run such a module), and a graphics card that stops drawing before the first view."""
from __future__ import annotations

import functools
import threading

import pytest

from .conftest import QuietServer, SiteHandler, site_csp
from .visit import WAIT

pytestmark = pytest.mark.browser


class OctetStreamHandler(SiteHandler):
    """A host that knows no JavaScript type (some object stores and bare servers)."""
    extensions_map = {**SiteHandler.extensions_map, ".js": "application/octet-stream"}


@pytest.fixture
def octet_stream_url(built_site):
    handler = type("Handler", (OctetStreamHandler,), {"csp": site_csp(built_site)})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(built_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def assert_the_loader_gave_up(page, words):
    text = page.inner_text("#loader-text")
    assert words in text, text
    assert page.get_attribute("#loader", "aria-busy") == "false"   # a busy live region is not read out
    assert not page.is_visible(".loader progress")
    assert page.is_visible(".loader-fallback a")


def test_a_module_the_host_sends_as_octet_stream_is_said_not_to_load(watched, octet_stream_url):
    page = watched.page
    page.goto(octet_stream_url + "index.html")
    page.wait_for_function("() => document.body.classList.contains('code-not-loaded')", timeout=WAIT)
    assert_the_loader_gave_up(page, "could not load its code")
    page.click(".loader-fallback a")
    page.wait_for_url("**/list.html", timeout=WAIT)
    assert page.locator("audio").count() >= 1


# The gallery canvas's WebGL context is lost as soon as it is made (a GPU process that crashes or resets
# while the gallery loads); the probe's own context is left alone.
LOSE_THE_GALLERYS_CONTEXT = """(() => {
  const make = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, options) {
    const gl = make.call(this, kind, options);
    if (gl && kind === 'webgl2' && this.id === 'gallery-canvas' && !this.dataset.lost) {
      this.dataset.lost = '1';
      setTimeout(() => gl.getExtension('WEBGL_lose_context').loseContext(), 0);
    }
    return gl;
  };
})()"""


def test_graphics_lost_before_the_first_view_are_said_in_the_loader(watched, site_url):
    page = watched.page
    page.add_init_script(LOSE_THE_GALLERYS_CONTEXT)
    page.goto(site_url + "index.html")
    page.wait_for_function("() => window.imaudible && window.imaudible.state.error", timeout=WAIT)
    page.wait_for_function("() => document.body.classList.contains('failed')", timeout=WAIT)
    page.wait_for_timeout(1000)  # the rooms go on loading: their count must not take the loader's words back
    assert_the_loader_gave_up(page, "graphics card stopped drawing")
    assert page.evaluate("window.imaudible.state.ready") is False

"""Browser-test fixtures: a small demo site built once with the real CLI, served from localhost with the
site's own Content-Security-Policy, and Debian's headless Chromium driven by Playwright."""
from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import write_gallery

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
BUNDLE = REPO / "static" / "gallery.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Software WebGL (SwiftShader) needs --enable-unsafe-swiftshader; audio may start without a gesture.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
NO_WEBGL_FLAGS = ["--disable-3d-apis", "--disable-webgl", "--disable-webgl2"]

# Four demo paintings (landscape, portrait, tiny square, square), two per room: two rooms and a doorway.
# The first two get longer music, so a piece is still playing while a test checks it; the other two
# end soon, so the guided tour moves on quickly.
ARTWORKS = [
    {"file": "art/starry_night.jpg", "title": "The Starry Night", "artist": "Vincent van Gogh", "year": "1889",
     "size_cm": [92.1, 73.7], "music": {"duration": 12}, "description": "Painted from memory, by day.",
     "credit": "Museum of Modern Art, New York", "license": "Public domain",
     "source_url": "https://example.org/starry-night"},
    {"file": "art/the_scream.jpg", "title": "The Scream", "artist": "Edvard Munch", "year": "1893",
     "music": {"duration": 12}},
    {"file": "art/water_lilies.jpg", "title": "Water Lilies (detail)", "artist": "Claude Monet", "year": "c. 1916"},
    {"file": "art/udnie.jpg", "title": "Udnie (Jeune fille américaine)", "artist": "Francis Picabia", "year": "1913"},
]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The demo site, built once per session by `imaudible-site build` with short built-in music."""
    if not BUNDLE.is_file():
        pytest.fail("the front end is not built: run `npm ci && npm run build` in the repository root")
    folder = write_gallery(tmp_path_factory.mktemp("browser-gallery"), ARTWORKS, title="Browser test gallery",
                           music={"duration": 4}, audio={},
                           layout={"per_room": 2, "rooms": [{"title": "Night and fear",
                                                              "artworks": ["starry-night", "the-scream"]}]},
                           # Sizes other than the defaults: the front end must use whatever sizes exist.
                           images={"sizes": [600, 1400]})
    out = tmp_path_factory.mktemp("browser-site")    # its own folder: beside the gallery is the basetemp, shared
    done = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"imaudible-site build failed ({done.returncode}): {done.stderr.strip()}")
    return out


def site_csp(site: Path) -> str:
    """The Content-Security-Policy the build wrote for every page into Netlify's _headers file."""
    for line in (site / "_headers").read_text().splitlines():
        name, _, value = line.strip().partition(":")
        if name == "Content-Security-Policy":
            return value.strip()
    raise AssertionError("_headers has no Content-Security-Policy")


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".webm": "audio/webm", ".m4a": "audio/mp4", ".webp": "image/webp", ".svg": "image/svg+xml",
                      ".json": "application/json"}
    csp = ""

    def end_headers(self):
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The browser drops media connections it no longer needs; that is not a test failure.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def build_site(folder: Path, out: Path) -> Path:
    """`imaudible-site build folder --out out`, as a curator runs it; the test fails on a failed build."""
    done = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


@contextlib.contextmanager
def served(folder: Path, csp: str | None = None, host=None, path: str = "/"):
    """The URL ("http://127.0.0.1:PORT/") of `folder` served on localhost with `csp`, by default the
    Content-Security-Policy the build wrote into the site's _headers; `host`: another handler class than
    SiteHandler (one that plays another kind of host), answering under `path`."""
    handler = type("Handler", (host or SiteHandler,), {"csp": site_csp(folder) if csp is None else csp})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    with served(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


# Chromium's own notes on the software renderer's speed ("GPU stall due to ReadPixels"): not the site's doing.
GL_DRIVER_NOTE = "GL Driver Message ("


class Watched:
    """A page plus every console error or warning and uncaught exception it produced."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg):
        if msg.type == "error" or (msg.type == "warning" and GL_DRIVER_NOTE not in msg.text):
            self.errors.append(f"console {msg.type}: {msg.text}")

    def assert_clean(self):
        assert not self.errors, "\n".join(self.errors)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def open_page(browser, **context_options) -> Watched:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 720}, **context_options})
    return Watched(context.new_page())


@pytest.fixture
def watched(browser):
    w = open_page(browser)
    yield w
    w.page.context.close()

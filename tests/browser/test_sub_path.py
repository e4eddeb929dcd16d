"""A site published in a folder of its host (a GitHub Pages project site: https://user.github.io/museum/) by
a plain static server: no `_headers` (Python's own guesses at content types, no CSP unless the test adds the
site's), no HTTP Range, the host's 404 answered with the site's 404.html at any depth. Every address a page,
script, texture, piece of music, the data file, the link previews and the 404 page use must resolve there."""
from __future__ import annotations

import http.server
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import write_gallery

from .conftest import build_site, open_page, served, site_csp
from .visit import wait_ready

pytestmark = pytest.mark.browser

PREFIX = "/museum/"
URL = "https://user.github.io/museum/"
# Listens from the first script on: a Content-Security-Policy violation is a page event, not always a console line.
VIOLATIONS = """(() => { window.__violations = [];
  document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
})()"""


class FolderHost(http.server.SimpleHTTPRequestHandler):
    """Answers only under PREFIX, with nothing but Python's own content types; a missing file gets 404.html."""
    extensions_map = {}   # no .webp, .m4a, .map: Python's mimetypes guesses, as a bare server would
    csp = ""

    def translate_path(self, path):
        inside = path.startswith(PREFIX)
        return super().translate_path("/" + path[len(PREFIX):] if inside else "/.outside-the-site")

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self):
        if self.csp:
            self.send_header("Content-Security-Policy", self.csp)
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def folder_site(tmp_path_factory):
    arts = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}, {"file": "art/the_scream.jpg", "title": "The Scream"}]
    folder = write_gallery(tmp_path_factory.mktemp("sub-path"), arts, url=URL, music={"duration": 3})
    return build_site(folder, tmp_path_factory.mktemp("sub-path-site"))   # not beside it: the session's site is


def hosted(site, csp=""):
    return served(Path(site), csp, host=FolderHost, path=PREFIX)


def visit(browser, url, ready=False):
    """Opens `url`; returns the page and every failed request and CSP violation it made."""
    watched = open_page(browser)
    page = watched.page
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
    page.add_init_script(VIOLATIONS)
    page.goto(url)
    if ready:
        wait_ready(page)
    page.wait_for_load_state("networkidle")
    return page, failed


@pytest.mark.parametrize("csp", [False, True], ids=["no headers", "the site's CSP"])
def test_every_page_works_from_a_folder_of_a_plain_host(browser, folder_site, csp):
    with hosted(folder_site, site_csp(folder_site) if csp else "") as base:
        for path in ["", "index.html", "art/starry-night/", "art/the-scream"]:
            page, failed = visit(browser, base + path, ready=True)
            try:
                assert page.url.startswith(base), page.url
                assert page.evaluate("window.imaudible.state.error") in (None, "", False)
                assert not failed, (path, failed)
                assert page.evaluate("window.__violations") == [], path
            finally:
                page.context.close()

        page, failed = visit(browser, base + "list.html")
        try:
            played = page.evaluate("""async () => { const a = document.querySelector('audio');
                await a.play(); await new Promise(r => setTimeout(r, 1200)); return a.currentTime; }""")
            assert played > 0.3   # plays with no Range support and the host's guess at its type
            page.click(".artwork .more a")
            wait_ready(page)
            assert page.url == base + "art/starry-night/"
            assert not failed and page.evaluate("window.__violations") == []
        finally:
            page.context.close()

        # A missing page at any depth: the host answers with 404.html, styled, whose links lead into the site.
        page, failed = visit(browser, base + "rooms/gone/away")
        try:
            assert [f for f in failed if not f.endswith("/rooms/gone/away")] == []
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") not in ("rgba(0, 0, 0, 0)", "")
            page.click("a.button-link")
            wait_ready(page)
            assert page.url == base + "index.html"
        finally:
            page.context.close()


def test_link_previews_and_canonical_links_name_files_of_the_site(folder_site):
    """og:image, og:url and the canonical link are absolute (crawlers take no relative ones) and, read as
    paths under the published folder, name files the build wrote."""
    for page in [folder_site / "index.html", folder_site / "list.html", *folder_site.glob("art/*/index.html")]:
        text = page.read_text()
        for prop in ("og:image", "og:url"):
            value = re.search(rf'<meta property="{prop}" content="([^"]+)"', text).group(1)
            assert value.startswith(URL), (page, prop, value)
            target = folder_site / urlsplit(value).path[len(PREFIX):]
            assert (target / "index.html" if target.is_dir() else target).is_file(), (page, prop, value)
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', text).group(1)
        assert canonical == re.search(r'<meta property="og:url" content="([^"]+)"', text).group(1)

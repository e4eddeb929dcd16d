"""The rendered pages as HTML (no browser): CSP-safe markup, the list view's contents, artwork pages' tags."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path


class Page(HTMLParser):
    """Collects the elements of a page as (tag, attrs, text of script/noscript bodies)."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._body: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "script":
            self._script, self._body = attrs, []

    def handle_data(self, data):
        if self._script is not None:
            self._body.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._body)))
            self._script = None

    def find(self, tag, **want) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in want.items())]


def pages(site: Path) -> dict[str, Page]:
    return {p.relative_to(site).as_posix(): Page(p.read_text()) for p in sorted(site.rglob("*.html"))}


def test_pages_obey_the_content_security_policy(built_site):
    for name, page in pages(built_site).items():
        for attrs, body in page.scripts:
            assert attrs.get("src") or attrs.get("type") == "application/json", f"{name}: inline script code"
        assert not [t for t, _ in page.elements if t == "style"], f"{name}: <style> element"
        assert not [a for _, a in page.elements if "style" in a], f"{name}: inline style attribute"
        assert not [a for _, a in page.elements if any(k.startswith("on") for k in a)], f"{name}: inline handler"


def test_every_local_reference_exists(built_site):
    for name, page in pages(built_site).items():
        if name == "404.html":  # served at any depth, so it links from the site root ("/...")
            continue
        base = (built_site / name).parent
        for tag, attrs in page.elements:
            for key in ("src", "href"):
                ref = attrs.get(key)
                if not ref or ref.startswith(("http:", "https:", "#", "data:")):
                    continue
                target = (base / ref.split("#")[0]).resolve()
                if target.is_dir():
                    target = target / "index.html"
                assert target.is_file(), f"{name}: <{tag} {key}={ref}> points nowhere"


def test_list_view_has_every_artwork_with_image_plaque_and_audio(built_site):
    data = json.loads((built_site / "gallery.json").read_text())
    page = Page((built_site / "list.html").read_text())
    for art in data["artworks"]:
        assert page.find("li", id=art["id"]), art["id"]
        imgs = [a for a in page.find("img") if art["id"] in a.get("src", "")]
        assert len(imgs) == 1 and imgs[0]["alt"] == art["caption"] and imgs[0]["alt"]
        audio = page.find("audio", data_art=art["id"])
        assert audio and audio[0]["preload"] == "none" and "controls" in audio[0]
    # Each <audio> offers Opus/WebM first, then AAC.
    sources = [a for t, a in page.elements if t == "source" and a.get("type", "").startswith("audio/")]
    assert [s["type"] for s in sources[:2]] == ['audio/webm; codecs="opus"', "audio/mp4"]
    assert len(sources) == 2 * len(data["artworks"])
    text = (built_site / "list.html").read_text()
    assert "draft: built-in composer" in text and "draft: built-in describer" in text


def test_artwork_pages_open_on_their_artwork_with_opengraph_tags(built_site):
    data = json.loads((built_site / "gallery.json").read_text())
    for art in data["artworks"]:
        page = Page((built_site / art["page"] / "index.html").read_text())
        body = page.find("body")[0]
        assert body["data-start-art"] == art["id"] and body["data-root"] == "../../"
        og = {a["property"]: a["content"] for a in page.find("meta") if "property" in a}
        assert og["og:title"].startswith(art["title"])
        # og:image: the smallest JPEG texture of at least 1000 px, else the largest (textures above 720 px are
        # JPEG; a smaller one gets a JPEG twin when it is the largest)
        jpegs = sorted((im for name, im in art["images"].items() if name != "thumb" and "jpg" in im),
                       key=lambda im: max(im["width"], im["height"]))
        shared = next((im for im in jpegs if max(im["width"], im["height"]) >= 1000), jpegs[-1])
        assert og["og:image"].endswith(shared["jpg"])
        assert (built_site / art["page"] / og["og:image"]).is_file()
        data_el = [attrs for attrs, body in page.scripts if attrs.get("id") == "gallery-data"]
        assert json.loads((built_site / art["page"] / data_el[0]["data-src"]).read_text()) == data
    index = Page((built_site / "index.html").read_text())
    inline = [body for attrs, body in index.scripts if attrs.get("id") == "gallery-data"]
    assert json.loads(inline[0]) == data


def test_gallery_page_links_the_list_view_and_loads_the_bundle(built_site):
    page = Page((built_site / "index.html").read_text())
    assert page.find("a", href="list.html")
    bundle = [a["src"] for a, _ in page.scripts if a.get("type") == "module"]
    assert len(bundle) == 1 and bundle[0].startswith("assets/gallery.")
    # besides it, only the classic script that explains why it never ran, if it does not (deferred: never blocks)
    classic = [a for a, _ in page.scripts if a.get("src", "").endswith(".js") and a.get("type") != "module"]
    assert [a["src"].split(".")[0] for a in classic] == ["assets/opened-from-file"] and "defer" in classic[0]
    # The entry script is small; it imports the gallery with three.js bundled (not fetched from a CDN).
    entry = (built_site / bundle[0]).read_text()
    app = re.search(r'"\./chunks/(app-[0-9A-Z]{8}\.js)"', entry).group(1)
    assert (built_site / "assets" / "chunks" / app).stat().st_size > 100_000
    assert "http" not in entry
    assert page.find("canvas", id="gallery-canvas")

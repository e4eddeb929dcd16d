"""Site output: theme overrides, hashed assets, Netlify files, layout by mood."""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from .conftest import DEMO, write_gallery


def test_gallery_templates_and_static_override_the_theme(tmp_path, cli):
    folder = write_gallery(tmp_path / "g")
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(
        "<!doctype html><title>{{ gallery.title }}</title>{% for a in gallery.artworks %}<p id='{{ a.id }}'>"
        "{{ a.title }}</p>{% endfor %}<link rel=stylesheet href='{{ root }}{{ asset('gallery.css') }}'>")
    (folder / "static").mkdir()
    (folder / "static" / "gallery.css").write_text("body { background: hotpink; }")
    assert cli("build", folder).exit_code == 0
    out = folder / "build"
    page = (out / "list.html").read_text()
    assert "<p id='the-scream'>The Scream</p>" in page
    css = re.search(r"href='(assets/gallery\.[0-9a-f]{10}\.css)'", page).group(1)
    assert (out / css).read_text() == "body { background: hotpink; }"
    assert re.search(r"assets/gallery\.[0-9a-f]{10}\.js", (out / "index.html").read_text())  # rest of the theme


def test_template_error_is_one_line(tmp_path, cli):
    folder = write_gallery(tmp_path / "g")
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text("{% for a in gallery.artworks %}")
    result = cli("build", folder)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: template")
    assert "Traceback" not in result.output


def test_netlify_files_and_hashed_assets(gallery, cli):
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    headers = (out / "_headers").read_text()
    assert "Content-Security-Policy: default-src 'self'" in headers
    assert re.search(r"/assets/\*\n  Cache-Control: public, max-age=31536000, immutable", headers)
    assert re.search(r"/index.html\n  Cache-Control: public, max-age=0, must-revalidate", headers)
    data = json.loads((out / "gallery.json").read_text())
    for art in data["artworks"]:
        assert re.fullmatch(r"assets/audio/[a-z-]+\.[0-9a-f]{10}\.webm", art["audio"]["webm"])
        assert f"/{art['audio']['webm']}\n  Content-Type: audio/webm" in headers
        assert f"/{art['audio']['m4a']}\n  Content-Type: audio/mp4" in headers
        for im in art["images"].values():
            if "webp" in im:   # the type hosts guess wrong; every host knows .jpg
                assert f"/{im['webp']}\n  Content-Type: image/webp" in headers
    assert 'publish = "."' in (out / "netlify.toml").read_text()
    assert (out / "404.html").is_file()
    for asset in out.joinpath("assets").iterdir():
        if asset.is_file() and not asset.name.endswith(".map"):  # a source map: gallery.js.<hash>.map
            assert re.fullmatch(r"[a-z0-9_-]+\.[0-9a-f]{10}\.[a-z0-9]+", asset.name), asset.name
    # The bundle's lazily loaded chunks keep esbuild's hashed names, next to the script that imports them.
    chunks = [p.name for p in (out / "assets" / "chunks").glob("*.js")]
    assert any(name.startswith("closeup-") for name in chunks)
    assert all(re.fullmatch(r"[a-z]+-[0-9A-Z]{8}\.js", name) for name in chunks), chunks
    # every page references only files that exist
    for page in list(out.glob("*.html")) + list(out.glob("art/*/index.html")):
        for ref in re.findall(r'(?:src|href)="([^"#?:]+)"', page.read_text()):
            if page.name == "404.html" or ref.startswith("/__imaudible"):
                continue
            assert (page.parent / ref).resolve().exists(), f"{page.relative_to(out)} -> {ref}"


@pytest.mark.parametrize("url, prefix", [(None, "/"), ("https://example.org/", "/"),
                                         ("https://user.github.io/our%20museum", "/our%20museum/")])
def test_the_404_page_links_from_where_the_site_is_served(tmp_path, cli, url, prefix):
    """Hosts answer a missing page at any depth with 404.html: its links start at the site's own path."""
    folder = write_gallery(tmp_path / "g", **({"url": url} if url else {}))
    assert cli("build", folder).exit_code == 0
    out = folder / "build"
    refs = re.findall(r'(?:src|href)="([^"#?]+)"', (out / "404.html").read_text())
    local = [ref for ref in refs if not ref.startswith(("http://", "https://"))]
    assert len(local) >= 4 and all(ref.startswith(prefix) for ref in local), refs
    for ref in local:
        assert (out / unquote(ref[len(prefix):])).is_file(), ref


def test_layout_by_mood_orders_rooms_calm_to_intense(tmp_path, cli):
    arts = [{"file": f"art/{f}", "title": t} for f, t, _, _ in DEMO]
    folder = write_gallery(tmp_path / "g", artworks=arts, layout={"order": "mood", "per_room": 2})
    assert cli("build", folder).exit_code == 0
    data = json.loads((folder / "build" / "gallery.json").read_text())
    rooms = data["layout"]["rooms"]
    assert [len(r) for r in rooms] == [2, 2]
    arousal = {a["id"]: a["mood"]["arousal"] for a in data["artworks"]}
    walk = [i for room in rooms for i in room]
    assert sorted(walk) == sorted(arousal)
    assert [arousal[i] for i in walk] == sorted(arousal[i] for i in walk)
    # Rooms hung by mood are named after it ("Calm blues", "Intense reds").
    titles = data["layout"]["titles"]
    assert len(titles) == 2 and all(t.split()[0] in ("Calm", "Gentle", "Lively", "Intense") for t in titles)


def test_named_rooms_credits_and_music_descriptions_reach_the_pages(tmp_path, cli):
    arts = [{"file": f"art/{f}", "title": t, "credit": f"Credit for {t}", "license": "Public domain",
             "source_url": f"https://example.org/{i}"} for i, (f, t, _, _) in enumerate(DEMO[:3])]
    folder = write_gallery(tmp_path / "g", artworks=arts, layout={
        "per_room": 2, "rooms": [{"title": "The last room first", "artworks": ["the-scream"]}]})
    assert cli("build", folder).exit_code == 0
    out = folder / "build"
    data = json.loads((out / "gallery.json").read_text())
    assert data["layout"]["rooms"] == [["the-scream"], ["starry-night", "water-lilies"]]
    assert data["layout"]["titles"] == ["The last room first", ""]
    listing = (out / "list.html").read_text()
    for art in data["artworks"]:
        assert art["credit"].startswith("Credit for") and art["license"] == "Public domain"
        assert " bpm" in art["music_description"] and "key" in art["music_description"]
        page = (out / art["page"] / "index.html").read_text()
        for text in (art["credit"], art["source_url"], art["music_description"]):
            assert text in listing and text in page
    # What made the plaque text stays behind a disclosure.
    assert listing.count("<summary>How this was made</summary>") == len(data["artworks"])


def test_curator_overrides_reach_the_site(tmp_path, cli):
    arts = [{"file": "art/starry_night.jpg", "title": "Starry", "caption": "a village under a swirling sky",
             "mood": {"valence": 0.9, "arousal": 0.1}},
            {"file": "art/the_scream.jpg", "title": "Scream", "prompt": "solo cello, slow, grieving"}]
    folder = write_gallery(tmp_path / "g", artworks=arts)
    result = cli("build", folder, "--report", folder / "r.json")
    assert result.exit_code == 0
    data = {a["id"]: a for a in json.loads((folder / "build" / "gallery.json").read_text())["artworks"]}
    starry, scream = data["starry-night"], data["the-scream"]
    assert starry["caption"] == "a village under a swirling sky" and starry["models"]["caption"] == "curator"
    assert "swirling sky" in starry["prompt"]
    assert (starry["mood"]["valence"], starry["mood"]["arousal"]) == (0.9, 0.1)
    assert scream["prompt"] == "solo cello, slow, grieving"
    report = json.loads((folder / "r.json").read_text())
    assert report["artworks"]["starry-night"]["stages"]["caption"]["status"] == "skipped"


def test_unchanged_pages_are_not_rendered_again_but_changes_are_seen(gallery, cli):
    out = gallery / "build"
    assert cli("build", gallery).exit_code == 0
    before = (out / "list.html").read_text()
    (out / "list.html").unlink()  # a page lost by hand comes back
    assert cli("build", gallery).exit_code == 0
    assert (out / "list.html").read_text() == before
    (gallery / "templates").mkdir()
    (gallery / "templates" / "list.html").write_text("<!doctype html><title>{{ gallery.title }} (list)</title>")
    assert cli("build", gallery).exit_code == 0
    assert (out / "list.html").read_text() == "<!doctype html><title>Test gallery (list)</title>"


def test_looping_audio_is_marked_for_the_players(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", audio={"loop": True})
    assert cli("build", folder).exit_code == 0
    data = json.loads((folder / "build" / "gallery.json").read_text())
    assert all(a["audio"]["loop"] for a in data["artworks"])
    assert (folder / "build" / "list.html").read_text().count("<audio controls preload=\"none\" loop") == 3


def test_first_view_markup(gallery, cli):
    """The gallery page paints a picture of the work the visitor will face before any script; the list view
    fetches its first image first and the others only as they come near."""
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    data = json.loads((out / "gallery.json").read_text())
    by_id = {a["id"]: a for a in data["artworks"]}
    index = (out / "index.html").read_text()
    # The bundle is a module (it never blocks parsing) fetched at low priority.
    assert re.search(r'<script type="module" src="assets/gallery\.[0-9a-f]{10}\.js" fetchpriority="low">', index)
    poster = re.search(r'<figure class="loader-poster">(.*?)</figure>', index, re.S).group(1)
    first = by_id[data["layout"]["rooms"][0][0]]
    files = lambda art: [f for im in art["images"].values() for f in (im.get("webp"), im.get("jpg")) if f]  # noqa: E731
    assert any(f in poster for f in files(first)) and 'fetchpriority="high"' in poster
    assert 'loading="eager"' in poster and re.search(r'width="\d+" height="\d+"', poster)
    # An artwork page's poster is that artwork.
    art = data["artworks"][-1]
    page = (out / "art" / art["id"] / "index.html").read_text()
    page_poster = re.search(r'<figure class="loader-poster">(.*?)</figure>', page, re.S).group(1)
    assert any(f'../../{f}' in page_poster for f in files(art))
    assert not any(f in page_poster for f in files(first))
    # The list view: one eager, high-priority image (the first), every other one lazy; all sized.
    listing = (out / "list.html").read_text()
    imgs = re.findall(r"<img [^>]*>", listing)
    assert len(imgs) == len(data["artworks"]) > 1
    assert 'loading="eager"' in imgs[0] and 'fetchpriority="high"' in imgs[0]
    assert all('loading="lazy"' in i and "fetchpriority" not in i for i in imgs[1:])
    assert all(re.search(r'width="\d+" height="\d+"', i) for i in imgs)


def test_pictures_offer_each_size_in_its_format_and_jpegs_to_the_rest(tmp_path, cli):
    """WebP up to 720 px, JPEG above: a browser that reads WebP gets every size from the WebP <source>
    (each in its own format); one that does not gets the <img>, which names JPEGs only."""
    artworks = [{"file": f"art/{f}", "title": t} for f, t, _, _ in DEMO]  # 1528, 1024, 192 and 512 px long
    folder = write_gallery(tmp_path / "gallery", artworks)
    assert cli("build", folder).exit_code == 0
    out = folder / "build"
    data = json.loads((out / "gallery.json").read_text())
    listing = (out / "list.html").read_text()
    pictures = re.findall(r"<picture>(.*?)</picture>", listing, re.S)
    assert len(pictures) == len(data["artworks"])
    for art, picture in zip(data["artworks"], pictures):
        by_width = {}
        for im in sorted(art["images"].values(), key=lambda im: im["width"]):
            by_width.setdefault(im["width"], im)
        webp_source = re.search(r'<source type="image/webp" sizes="[^"]*" srcset="([^"]*)"', picture).group(1)
        offered = {entry.split()[0]: int(entry.split()[1][:-1]) for entry in webp_source.split(", ")}
        assert offered == {im.get("webp") or im["jpg"]: w for w, im in by_width.items()}, art["id"]
        for url, width in offered.items():
            assert url.endswith(".webp") == (max(by_width[width]["width"], by_width[width]["height"]) <= 720)
        img = re.search(r"<img ([^>]*)>", picture).group(1)
        src, srcset = re.search(r'src="([^"]*)"', img).group(1), re.search(r'srcset="([^"]*)"', img).group(1)
        assert src.endswith(".jpg") and all(entry.split()[0].endswith(".jpg") for entry in srcset.split(", "))


def test_a_draft_plaque_says_what_the_built_in_composer_played(tmp_path, cli):
    """The plaque showed a description made from the mood next to a curator's prompt it contradicted
    ('electric piano, pads and bells' under 'slow solo cello')."""
    import json

    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "U", "prompt": "slow solo cello"},
                                            {"file": "art/the_scream.jpg", "title": "S"}])
    assert cli("build", folder, "-q").exit_code == 0
    by_id = {a["id"]: a for a in json.loads((folder / "build" / "gallery.json").read_text())["artworks"]}
    assert "'cello'" in by_id["udnie"]["music_description"] and "solo cello" in by_id["udnie"]["music_description"]
    assert by_id["the-scream"]["music_description"].startswith("built-in draft from the mood")


def test_right_to_left_titles_read_in_their_own_direction(tmp_path, cli):
    """A title in Hebrew or Arabic set in a left-to-right page put its '?' or '(1893)' at the wrong end:
    the curator's text gets dir="auto" (or <bdi> inside a sentence of ours)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "מה?", "artist": "ناجي العلي",
                                             "year": "1893", "description": "لوحة (1893).", "credit": "מוזיאון"}],
                           title="גלריה", music={"duration": 1})
    assert cli("build", folder).exit_code == 0
    for page in ("list.html", "art/udnie/index.html"):
        html = (folder / "build" / page).read_text()
        assert '<h2 id="title-udnie" dir="auto">מה?</h2>' in html, page
        assert '<p class="artist" dir="auto">ناجي العلي, 1893</p>' in html, page
        assert '<p class="description" dir="auto">لوحة (1893).</p>' in html, page
        assert '<bdi>מוזיאון</bdi>' in html, page
    assert '<h1 dir="auto">גלריה</h1>' in (folder / "build" / "list.html").read_text()
    index = (folder / "build" / "index.html").read_text()
    assert '<h1 class="site-title" dir="auto">גלריה</h1>' in index and '<h2 id="plaque-title" dir="auto">' in index
    assert 'in <bdi>גלריה</bdi>.' in (folder / "build" / "404.html").read_text()


def test_a_page_gone_since_the_last_build_is_said_once_with_how_to_keep_its_address(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"},
                                            {"file": "art/the_scream.jpg", "title": "The Scream"}], music={"duration": 1})
    assert cli("build", folder).exit_code == 0
    (folder / "art" / "the_scream.jpg").rename(folder / "art" / "scream final.jpg")
    manifest = folder / "gallery.yaml"
    manifest.write_text(manifest.read_text().replace("art/the_scream.jpg", "art/scream final.jpg"))
    result = cli("build", folder)
    assert result.exit_code == 0
    assert ("warning: 1 artwork page of the last build is gone: art/the-scream/; links to it now reach the 404 page "
            "(if an image file was renamed, give its artwork its old id to keep the address, e.g. `id: the-scream`)"
            ) in result.output.splitlines()
    assert "is gone" not in cli("build", folder).output
    (folder / "art" / "udnie.jpg").write_bytes(b"broken")    # a failed artwork's page goes too: its failure says why
    result = cli("build", folder)
    assert result.exit_code == 1 and "is gone" not in result.output


def test_a_named_room_of_more_than_24_works_is_hung_across_adjoining_rooms_of_its_name():
    """A named room of 150 works was one 93 m hall whose 150 textures all loaded as the visitor entered."""
    from types import SimpleNamespace

    from imaudible.site.layout import rooms_and_titles
    ids = [f"a{i}" for i in range(160)]
    layout = SimpleNamespace(rooms=[SimpleNamespace(title="Everything", artworks=tuple(ids[:150])),
                                    SimpleNamespace(title="Small", artworks=tuple(ids[150:155]))],
                             order="manifest", per_room=6)
    rooms, titles = rooms_and_titles(SimpleNamespace(layout=layout), [{"id": i} for i in ids], {})
    assert [len(r) for r in rooms] == [22, 22, 22, 21, 21, 21, 21, 5, 5]
    assert titles == ["Everything"] * 7 + ["Small", ""]
    assert [i for room in rooms for i in room] == ids

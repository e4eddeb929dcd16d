"""The built site as hosts serve it: what `_headers` tells browsers to keep for a year must be named by its bytes."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from imaudible.engine.cache import CACHE_DIR_NAME, Cache

HASHED = re.compile(r".+\.([0-9a-f]{10})\.[a-z0-9]+")


def _immutable_prefixes(out: Path) -> list[str]:
    """The folders `_headers` serves with `immutable` (a rule `/folder/*` followed by that Cache-Control)."""
    text = (out / "_headers").read_text()
    return [m.group(1) for m in re.finditer(r"^/(\S*)\*\n(?:  .*\n)*?  Cache-Control: [^\n]*immutable", text, re.M)]


def test_every_file_served_as_immutable_is_named_by_its_bytes(gallery, cli):
    """A browser keeps an `immutable` file for a year without asking again: a file whose bytes change must
    change its name, else returning visitors get the old bytes (and a media cache may splice old and new)."""
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    prefixes = _immutable_prefixes(out)
    assert prefixes == ["assets/"]
    for path in sorted((out / "assets").rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith("assets/chunks/"):
            continue   # esbuild's chunk names hash each chunk with its source map (the bundler's own rule)
        match = HASHED.fullmatch(path.name)
        assert match, f"{rel} is served as immutable but its name carries no content hash"
        assert match.group(1) == hashlib.sha256(path.read_bytes()).hexdigest()[:10], rel


def test_the_bundle_names_its_source_map_by_the_map_s_hashed_name(gallery, cli):
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    script = re.search(r'src="(assets/gallery\.[0-9a-f]{10}\.js)"', (out / "index.html").read_text()).group(1)
    named = re.search(rb"//# sourceMappingURL=(\S+)\s*$", (out / script).read_bytes()).group(1).decode()
    source_map = out / "assets" / named
    assert source_map.is_file() and json.loads(source_map.read_text())["mappings"]
    assert not (out / "assets" / "gallery.js.map").exists()


def _audio_result(gallery: Path, published: bytes) -> tuple[str, dict]:
    """The key and meta of the cached audio result whose WebM is the published one."""
    for record in (gallery / CACHE_DIR_NAME / "objects" / "audio").glob("*/*/result.json"):
        if (record.parent / "audio.webm").read_bytes() == published:
            return record.parent.name, json.loads(record.read_text())["meta"]
    raise AssertionError("no cached audio result holds the published clip")


def test_a_clip_recomputed_with_other_bytes_is_published_under_a_new_address(gallery, cli):
    """`build --force` with a model whose takes differ run to run (MusicGen on a GPU) stores other bytes under
    the same cache key; the site must not publish them at the address browsers already keep for a year."""
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    arts = json.loads((out / "gallery.json").read_text())["artworks"]
    first, other = arts[0]["audio"], arts[1]["audio"]
    key, meta = _audio_result(gallery, (out / first["webm"]).read_bytes())
    new = {f"audio.{fmt}": (out / other[fmt]).read_bytes() for fmt in ("webm", "m4a")}
    Cache(gallery / CACHE_DIR_NAME).put("audio", key, meta, new, replace=True)   # what the recompute stores

    assert cli("build", gallery).exit_code == 0
    now = json.loads((out / "gallery.json").read_text())["artworks"][0]["audio"]
    for fmt in ("webm", "m4a"):
        assert now[fmt] != first[fmt], f"new {fmt} bytes published at the old address"
        assert (out / now[fmt]).read_bytes() == new[f"audio.{fmt}"]
        assert not (out / first[fmt]).exists()


def test_github_pages_publishes_the_site_as_it_is_and_clean_takes_its_marker_back(gallery, cli):
    """GitHub Pages runs a folder without `.nojekyll` through Jekyll, which drops every file whose name starts
    with '_' (a gallery's own static/_font.woff2 here): the site carries the marker, owned like its other files."""
    (gallery / "static").mkdir(exist_ok=True)
    (gallery / "static" / "_font.woff2").write_bytes(b"wOF2 font bytes")
    assert cli("build", gallery).exit_code == 0
    out = gallery / "build"
    assert (out / ".nojekyll").is_file() and (out / ".nojekyll").read_bytes() == b""
    owned = json.loads((out / ".imaudible-build.json").read_text())
    assert ".nojekyll" in owned["files"]
    assert any(p.name.startswith("_font") for p in out.rglob("*"))
    assert cli("clean", gallery).exit_code == 0
    assert not (out / ".nojekyll").exists()

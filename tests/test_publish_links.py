"""Hashed assets are published as hard links to the cached files they come from (no second copy of the
images and audio), and everything the copies promised still holds: a file changed through build/ is found
damaged in the cache and computed again, and another file system gets copies."""
from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.site import output_folder

from .test_build import build


def cached_files(gallery: Path) -> dict[int, Path]:
    return {p.stat().st_ino: p for p in (gallery / CACHE_DIR_NAME / "objects").rglob("*") if p.is_file()}


def assets(out: Path) -> list[Path]:
    return sorted(p for sub in ("img", "audio") for p in (out / "assets" / sub).iterdir())


def test_images_and_audio_are_links_to_the_cache_and_pages_are_not(gallery, cli):
    result, _ = build(cli, gallery)
    assert result.exit_code == 0, result.output
    out, cached = gallery / "build", cached_files(gallery)
    published = assets(out)
    assert len(published) >= 3 * 4
    for path in published:
        assert path.stat().st_ino in cached, path           # the cached file itself, not a copy
        assert path.stat().st_nlink == 2
        assert path.read_bytes() == cached[path.stat().st_ino].read_bytes()
    for page in ("index.html", "gallery.json", "art/starry-night/index.html"):
        assert (out / page).stat().st_nlink == 1 and (out / page).stat().st_ino not in cached


def test_another_file_system_gets_copies(gallery, cli, monkeypatch):
    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(output_folder.os, "link", cross_device)
    result, _ = build(cli, gallery)
    assert result.exit_code == 0, result.output
    cached = cached_files(gallery)
    by_digest = {hashlib.sha256(p.read_bytes()).hexdigest() for p in cached.values()}
    for path in assets(gallery / "build"):
        assert path.stat().st_nlink == 1 and path.stat().st_ino not in cached
        assert hashlib.sha256(path.read_bytes()).hexdigest() in by_digest
    assert not [p for p in (gallery / "build").rglob("*.tmp")]


def test_a_file_changed_through_build_is_computed_again_not_published(gallery, cli):
    build(cli, gallery)
    out = gallery / "build"
    texture = next(p for p in assets(out) if p.suffix == ".webp")
    original = texture.read_bytes()
    with open(texture, "r+b") as fh:                 # an editor that writes in place, same size
        fh.seek(len(original) // 2)
        fh.write(b"\0" * 64)
    tampered = texture.read_bytes()
    assert tampered != original
    os.unlink(out / "gallery.json")                   # any change to the site makes the build write it again
    for path in assets(out):
        path.unlink()
    result, report = build(cli, gallery)
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output and report["totals"]["by_stage"]["derive"]["computed"] == 1
    assert texture.read_bytes() == original           # computed again: the same bytes as first made
    assert all(p.read_bytes() != tampered for p in assets(out))

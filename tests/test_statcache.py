"""The stat cache: an untouched source is not read again; any change to its stat means it is re-hashed."""
from __future__ import annotations

import hashlib
import json
import os
import time

from imaudible.statcache import FILE_NAME, StatCache

from .conftest import write_gallery
from .test_build import build, statuses


def settle(path, seconds_ago: float = 60.0) -> None:
    """Give the file an mtime outside the racy window, as any source not edited this very second has."""
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def test_untouched_files_are_not_read_again(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"first version")
    settle(source)
    cache_dir = tmp_path / "cache"
    first = StatCache(cache_dir)
    assert first.sha256(source) == hashlib.sha256(b"first version").hexdigest() and first.hashed == 1
    first.save()

    again = StatCache(cache_dir)
    assert again.sha256(source) == hashlib.sha256(b"first version").hexdigest()
    assert again.hashed == 0

    # touched, same bytes: the stat changed, so it is read again, and gives the same hash
    settle(source, 30.0)
    touched = StatCache(cache_dir)
    assert touched.sha256(source) == hashlib.sha256(b"first version").hexdigest() and touched.hashed == 1
    touched.save()

    # same size, new bytes, new mtime: re-hashed, new hash
    source.write_bytes(b"other version")
    settle(source, 10.0)
    changed = StatCache(cache_dir)
    assert changed.sha256(source) == hashlib.sha256(b"other version").hexdigest() and changed.hashed == 1


def test_an_edit_in_place_that_puts_the_mtime_back_is_seen(tmp_path, cli):
    """Same inode, same size, the old mtime restored (`touch -r`, some editors and sync tools): only the
    ctime, which the kernel alone sets, tells. It was missed, and then `build --force` failed for good."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/the_scream.jpg", "title": "S"}])
    image = folder / "art" / "the_scream.jpg"
    settle(image)
    assert build(cli, folder)[0].exit_code == 0
    before = image.stat()
    flipped = bytearray(image.read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF                  # one byte inside the JPEG's scan data
    with open(image, "r+b") as fh:                      # written in place: same inode and size
        fh.write(flipped)
    os.utime(image, ns=(before.st_atime_ns, before.st_mtime_ns))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert statuses(report, "ingest")["the-scream"] == "computed"
    assert cli("build", folder, "--force", "-q").exit_code == 0


def test_a_file_changed_within_the_racy_window_is_not_remembered(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"just written")
    cache = StatCache(tmp_path / "cache")
    cache.sha256(source)
    cache.save()
    later = StatCache(tmp_path / "cache")
    later.sha256(source)
    assert later.hashed == 1


def test_a_damaged_table_is_ignored(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"bytes")
    settle(source)
    (tmp_path / "cache").mkdir()
    for damage in (b"{not json", b"[]", json.dumps({"format": 1, "files": {str(source): [[1], "x"]}}).encode(),
                   json.dumps({"format": 1, "files": {str(source): [[0, 0, 5, 0], "0" * 64]}}).encode()):
        (tmp_path / "cache" / FILE_NAME).write_bytes(damage)
        cache = StatCache(tmp_path / "cache")
        assert cache.sha256(source) == hashlib.sha256(b"bytes").hexdigest() and cache.hashed == 1


def test_builds_use_it_and_still_see_changes(tmp_path, cli):
    folder = write_gallery(tmp_path / "gallery")
    for path in (folder / "art").iterdir():
        settle(path)
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    table = json.loads((folder / ".imaudible-cache" / FILE_NAME).read_text())
    assert len(table["files"]) == 3

    scream = folder / "art" / "the_scream.jpg"
    settle(scream, 20.0)                                    # touched, same bytes: every stage still hits
    result, report = build(cli, folder)
    assert report["totals"]["computed"] == 0

    data = bytearray(scream.read_bytes())                   # same size, other bytes, new mtime
    data[-3] ^= 0xFF
    scream.write_bytes(bytes(data))
    settle(scream, 10.0)
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert statuses(report, "ingest") == {"starry-night": "cached", "the-scream": "computed",
                                          "water-lilies": "cached"}

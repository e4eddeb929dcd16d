"""What keeps a no-op rebuild cheap, and what it must not cost.

The index of result.json texts (engine/result_index.py) saves reading, never checking: an entry stands for
a file only while the file's stat is unchanged, what it gives is verified like the file, and a damaged or
half-written index is ignored. A rebuild from cache imports no numpy, Pillow, Jinja or multiprocessing, and
the report is written by the C JSON encoder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME, Cache, meta_digest
from imaudible.engine.report import report_json
from imaudible.engine.result_index import FILE_NAME, ResultIndex

from .conftest import write_gallery
from .test_build import build, statuses, tree

KEY = "ab" * 32
SHAPES = {"audio": lambda meta, files: None if isinstance(meta.get("formats"), list) else "formats"}


def age(path: Path, seconds: float = 60.0) -> None:
    """Make a file look written `seconds` ago (older than the racy window, so the index may remember it)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def stored_result(root: Path, meta: dict | None = None) -> Path:
    """A cache with one audio result whose result.json is old enough to be indexed; returns result.json."""
    entry = Cache(root, shapes=SHAPES).put("audio", KEY, meta or {"formats": ["webm"]}, {"audio.webm": b"abc"})
    age(entry.path / "result.json")
    return entry.path / "result.json"


def index_after_one_build(root: Path) -> None:
    cache = Cache(root, shapes=SHAPES)
    assert cache.get("audio", KEY) is not None
    cache.save_index()


def test_unchanged_result_json_is_not_read_again(tmp_path):
    root = tmp_path / "c"
    meta = {"formats": ["webm"], "caption": "two\nlines,\ta tab \u00e9 \\n"}
    stored_result(root, meta)
    index_after_one_build(root)
    cache = Cache(root, shapes=SHAPES)
    entry = cache.get("audio", KEY)
    assert entry.meta == meta and entry.read("audio.webm") == b"abc"
    assert cache.index.read_files == 0


def test_an_entry_that_disagrees_with_the_file_is_not_trusted(tmp_path):
    root = tmp_path / "c"
    result_json = stored_result(root)
    index_after_one_build(root)
    stored = json.loads(result_json.read_text())
    stored["meta"]["formats"] = ["webm", "m4a"]
    stored["meta_sha256"] = meta_digest(stored["meta"])               # a well-formed edit, digest and all
    result_json.write_text(json.dumps(stored))
    age(result_json)
    cache = Cache(root, shapes=SHAPES)
    assert cache.get("audio", KEY).meta["formats"] == ["webm", "m4a"]   # the file's, not the index's
    assert cache.index.read_files == 1
    stored["meta"]["formats"] = "webm"                                  # and it is checked as always
    stored["meta_sha256"] = meta_digest(stored["meta"])
    result_json.write_text(json.dumps(stored))
    age(result_json)
    warnings = []
    assert Cache(root, warn=warnings.append, shapes=SHAPES).get("audio", KEY) is None
    assert warnings and "formats" in warnings[0]


def test_same_size_edit_in_place_is_seen(tmp_path):
    """An edit that keeps the size changes the mtime: the file is read again."""
    root = tmp_path / "c"
    result_json = stored_result(root, {"formats": ["webm"], "note": "aaaa"})
    index_after_one_build(root)
    text = result_json.read_text()
    stored = json.loads(text)
    edited = {**stored["meta"], "note": "bbbb"}
    result_json.write_text(text.replace("aaaa", "bbbb").replace(stored["meta_sha256"], meta_digest(edited)))
    cache = Cache(root, shapes=SHAPES)
    assert cache.get("audio", KEY).meta["note"] == "bbbb" and cache.index.read_files == 1


def test_an_index_entry_is_verified_like_the_file(tmp_path):
    """A crafted index whose entry matches the file's stat but holds another text: that text still goes
    through the shape and size checks, so it can do no more than a crafted result.json could."""
    root = tmp_path / "c"
    stored_result(root)
    index_after_one_build(root)
    index = root / FILE_NAME
    signature, text = ResultIndex(root).entries()[f"audio/{KEY}"]
    bad = json.loads(text)
    bad["files"]["audio.webm"]["size"] = 999
    index.write_text(index.read_text().replace(text, json.dumps(bad)))
    assert ResultIndex(root).entries()[f"audio/{KEY}"] == (signature, json.dumps(bad))
    warnings = []
    assert Cache(root, warn=warnings.append, shapes=SHAPES).get("audio", KEY) is None
    assert warnings and "999" in warnings[0]


def test_a_fresh_result_json_is_not_remembered(tmp_path):
    """Like git's index: a file modified within the racy window could change again in the same tick."""
    root = tmp_path / "c"
    Cache(root, shapes=SHAPES).put("audio", KEY, {"formats": ["webm"]}, {"audio.webm": b"abc"})
    index_after_one_build(root)
    cache = Cache(root, shapes=SHAPES)
    assert cache.get("audio", KEY) is not None and cache.index.read_files == 1


def test_discarded_or_replaced_result_leaves_no_entry(tmp_path):
    root = tmp_path / "c"
    stored_result(root)
    cache = Cache(root, shapes=SHAPES)
    cache.get("audio", KEY)
    cache.put("audio", KEY, {"formats": ["m4a"]}, {"audio.m4a": b"xyz"}, replace=True)
    cache.save_index()
    assert f"audio/{KEY}" not in ResultIndex(root).entries()
    assert Cache(root, shapes=SHAPES).get("audio", KEY).meta == {"formats": ["m4a"]}


def test_damaged_or_half_written_index_is_ignored(tmp_path):
    root = tmp_path / "c"
    stored_result(root)
    index_after_one_build(root)
    whole = (root / FILE_NAME).read_bytes()
    assert whole.endswith(b"\nend 1\n")
    for damaged in (whole[: len(whole) // 2], whole[:-4], whole.replace(b"end 1", b"end 2"), b"\xff\xfe garbage",
                    whole.replace(b"index 1", b"index 9"), b""):
        (root / FILE_NAME).write_bytes(damaged)
        assert ResultIndex(root).entries() == {}
        cache = Cache(root, shapes=SHAPES)
        assert cache.get("audio", KEY).meta == {"formats": ["webm"]} and cache.index.read_files == 1
        cache.save_index()                                   # rewritten whole
        assert (root / FILE_NAME).read_bytes() == whole


def test_killed_index_write_is_harmless(tmp_path):
    """A write killed midway leaves the old index and a temporary file; the next build sweeps it."""
    root = tmp_path / "c"
    stored_result(root)
    index_after_one_build(root)
    leftover = root / f".{FILE_NAME}.a1b2c3d4.tmp"
    leftover.write_bytes(b"imaudible results index 1\naudio/")
    cache = Cache(root, shapes=SHAPES)
    with cache.lock():
        assert not leftover.exists()
        assert cache.get("audio", KEY).meta == {"formats": ["webm"]} and cache.index.read_files == 0


def test_index_keeps_only_what_a_build_looked_up_and_is_written_only_on_change(tmp_path):
    root = tmp_path / "c"
    stored_result(root)
    index_after_one_build(root)
    before = os.stat(root / FILE_NAME)
    index_after_one_build(root)                              # nothing new: not rewritten
    assert os.stat(root / FILE_NAME).st_ino == before.st_ino
    cache = Cache(root, shapes=SHAPES)
    other = "cd" * 32
    age(cache.put("audio", other, {"formats": ["webm"]}, {"audio.webm": b"x"}).path / "result.json")
    cache.get("audio", other)                                # this build uses another result only
    cache.save_index()
    assert list(ResultIndex(root).entries()) == [f"audio/{other}"]


def test_no_op_rebuild_opens_no_result_json(tmp_path, cli, monkeypatch):
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    build(cli, folder)
    good = tree(folder / "build")
    for path in (folder / CACHE_DIR_NAME / "objects").rglob("result.json"):
        age(path)
    build(cli, folder)                                       # reads every result.json and indexes it
    opened = []
    original = ResultIndex.save
    monkeypatch.setattr(ResultIndex, "save", lambda self, write: opened.append(self.read_files) or original(self, write))
    result, report = build(cli, folder)
    assert result.exit_code == 0 and report["totals"]["computed"] == 0
    assert opened == [0] and tree(folder / "build") == good


def _edit(path: Path) -> None:
    path.write_text(path.read_text().replace("The Starry Night", "The Starry Nite"))   # an edit, any size


def _truncate(path: Path) -> None:
    with open(path, "r+b") as stream:                                                  # a power cut's short file
        stream.truncate(10)


def _replace_by_link(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "elsewhere")


@pytest.mark.parametrize("change, pick", [(_edit, "index.html"), (_truncate, "*.webm"), (_replace_by_link, "*.jpg")])
def test_a_site_file_edited_truncated_or_replaced_since_the_build_is_written_again(tmp_path, cli, change, pick):
    """Written again from the cache; a clip is a hard link to its cached file, so cut short in place it
    damaged that result too, which is computed again (from the raw clip: no model runs)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    build(cli, folder)
    good = tree(folder / "build")
    target = next(p for p in (folder / "build").rglob(pick) if not p.is_symlink())
    shared = target.stat().st_nlink > 1
    assert shared == (pick != "index.html")
    change(target)
    result, report = build(cli, folder)
    assert result.exit_code == 0
    assert report["totals"]["computed"] == (1 if change is _truncate else 0), result.output
    assert change is not _truncate or statuses(report, "audio") == {"starry-night": "computed"}
    assert tree(folder / "build") == good and not target.is_symlink()


def test_changed_artwork_is_recomputed_with_an_index(tmp_path, cli):
    arts = [{"file": "art/starry_night.jpg", "title": "The Starry Night"},
            {"file": "art/the_scream.jpg", "title": "The Scream"}]
    folder = write_gallery(tmp_path / "g", arts)
    build(cli, folder)
    for path in (folder / CACHE_DIR_NAME / "objects").rglob("result.json"):
        age(path)
    build(cli, folder)
    assert (folder / CACHE_DIR_NAME / FILE_NAME).is_file()
    image = folder / "art" / "the_scream.jpg"
    image.write_bytes(image.read_bytes() + b"\0")            # new bytes: a new source hash
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert statuses(report, "ingest") == {"starry-night": "cached", "the-scream": "computed"}
    assert statuses(report, "audio") == {"starry-night": "cached", "the-scream": "computed"}


def test_no_op_rebuild_imports_nothing_heavy(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    build(cli, folder)
    probe = ("import runpy, sys\n"
             "sys.argv = ['imaudible', 'build', sys.argv[1], '--quiet', '--report', sys.argv[2]]\n"
             "try:\n    runpy.run_module('imaudible', run_name='__main__')\n"
             "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "print(sorted(m for m in ('numpy', 'PIL', 'jinja2', 'multiprocessing', 'scipy', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe, str(folder), str(tmp_path / "r.json")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["computed"] == 0
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_report_json_is_the_report():
    data = {"artworks": {"b": {"stages": {"mood": {"status": "cached", "seconds": 0.0}}, "error": None},
                         "a": {"stages": {}, "error": "no such file: 'x\n.jpg'"}},
            "warnings": ["one", "two"], "totals": {"computed": 0, "by_stage": {"mood": {"cached": 1}}}, "seconds": 0.25}
    text = report_json(data)
    assert json.loads(text) == data
    assert text.index('"a"') < text.index('"b"') and len(text.splitlines()) == 9   # a line per field and per artwork
    assert json.loads(report_json({"artworks": {}, "failed": []})) == {"artworks": {}, "failed": []}


def test_resolved_with_stat_is_resolve_and_stat(tmp_path):
    """The manifest's check of artwork files resolves each folder once; it must name what `resolve` names."""
    from imaudible.image_checks import resolved_with_stat

    root, outside = tmp_path / "g", tmp_path / "elsewhere"
    (root / "art" / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "art" / "a.jpg").write_bytes(b"a")
    (outside / "b.jpg").write_bytes(b"b")
    (root / "art" / "link-in.jpg").symlink_to(root / "art" / "a.jpg")
    (root / "art" / "link-out.jpg").symlink_to(outside / "b.jpg")
    (root / "art" / "dangling.jpg").symlink_to(root / "nothing.jpg")
    (root / "linked-folder").symlink_to(outside)
    real_folders: dict = {}
    for rel in ("art/a.jpg", "art/link-in.jpg", "art/link-out.jpg", "art/dangling.jpg", "art/missing.jpg",
                "art/sub/../a.jpg", "art/..", "linked-folder/b.jpg", "art/sub", "art/./a.jpg"):
        path = root / rel
        target, info = resolved_with_stat(path, real_folders)
        assert target == path.resolve(), rel
        assert (info is None) == (not path.exists()), rel
        if info is not None:
            assert (info.st_ino, info.st_mode) == (os.stat(path).st_ino, os.stat(path).st_mode), rel

"""The build stamp (engine/stamp.py): a rebuild with nothing changed is recognised by stat and replayed, and
any change to what a build depends on makes the next build run in full.

"Replayed" is observed, not assumed: the runner is made to fail if it is asked to plan anything."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from imaudible import build as build_module
from imaudible.engine import stamp
from imaudible.engine.atomic import atomic_write
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.engine.runner import Runner
from imaudible.engine.stat_rule import FINE_RACY_SECONDS
from imaudible.manifest import load_manifest

from .conftest import ART
from .test_build import build, edit, tree


class Planned(Exception):
    """Raised by the runner in a test that expects the build to be replayed."""


def settle() -> None:
    """Let what the last build wrote age past the racy window, as it has by the time anyone rebuilds."""
    time.sleep(FINE_RACY_SECONDS + 0.1)


def stamped(cli, gallery: Path, *extra) -> dict:
    """Build twice (cold, then a rebuild that changes nothing and leaves the stamp); the second report."""
    result, _ = build(cli, gallery, *extra)
    assert result.exit_code == 0, result.output
    settle()
    result, report = build(cli, gallery, *extra)
    assert result.exit_code == 0, result.output
    assert report["totals"]["computed"] == 0
    assert (gallery / CACHE_DIR_NAME / stamp.FILE_NAME).is_file()
    return report


@pytest.fixture
def no_planning(monkeypatch):
    def refuse(self, plan, states):
        raise Planned
    monkeypatch.setattr(Runner, "run", refuse)


def planned(cli, gallery: Path, *extra, exit_code: int = 0) -> bool:
    """Whether a build planned its stages (ran in full) rather than replaying the stamp."""
    calls = []
    original = Runner.run

    def run(self, plan, states):
        calls.append(1)
        return original(self, plan, states)

    Runner.run = run
    try:
        result, _ = build(cli, gallery, *extra)
    finally:
        Runner.run = original
    assert result.exit_code == exit_code, result.output
    return bool(calls)


def strip_times(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "seconds"}


def test_an_unchanged_rebuild_is_replayed_word_for_word(gallery, cli, monkeypatch):
    """Same warnings, same report (but the seconds), same site; the runner is never asked."""
    edit(gallery, lambda m: m["artworks"].append({"file": "art/small.jpg", "title": "Small", "artist": "A",
                                                   "year": "2000"}))
    Image.open(ART / "udnie.jpg").convert("RGB").resize((300, 240)).save(gallery / "art" / "small.jpg")
    slow = stamped(cli, gallery)
    out = gallery / "build"
    site_before = tree(out)
    warnings_before = build(cli, gallery)[0].output   # replayed once already: the CLI's own output
    monkeypatch.setattr(Runner, "run", lambda self, plan, states: (_ for _ in ()).throw(Planned()))
    result, fast = build(cli, gallery)
    assert result.exit_code == 0, result.output
    assert strip_times(fast) == strip_times(slow)
    assert "small" in result.output and result.output == warnings_before
    assert tree(out) == site_before


def test_the_first_rebuild_after_work_runs_in_full(gallery, cli):
    """A stamp is left only by a build that changed nothing, so the build after one that computed, plans."""
    build(cli, gallery)
    assert not (gallery / CACHE_DIR_NAME / stamp.FILE_NAME).exists()
    settle()
    assert planned(cli, gallery)
    assert not planned(cli, gallery)


CHANGES = {
    "a manifest edit": lambda g: edit(g, lambda m: m.update(title="Renamed")),
    "a source replaced": lambda g: shutil.copyfile(ART / "udnie.jpg", g / "art" / "the_scream.jpg"),
    "a source touched": lambda g: os.utime(g / "art" / "the_scream.jpg"),
    "a file added to the gallery's static/": lambda g: (g / "static").mkdir() or (g / "static" / "x.css").write_text("a{}"),
    "a page template added": lambda g: (g / "templates").mkdir() or (g / "templates" / "404.html").write_text("gone"),
    "a site file edited": lambda g: (g / "build" / "index.html").write_text("defaced"),
    "a site file deleted": lambda g: (g / "build" / "gallery.json").unlink(),
    "a cached result deleted": lambda g: shutil.rmtree(next((g / CACHE_DIR_NAME / "objects" / "mood").glob("*/*"))),
    "a cached file truncated": lambda g: next((g / CACHE_DIR_NAME / "objects" / "derive").glob("*/*/*.jpg")).write_bytes(b""),
    "the stamp damaged": lambda g: (g / CACHE_DIR_NAME / stamp.FILE_NAME).write_text("imaudible build stamp 1\n"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_to_what_the_build_read_or_wrote_runs_it_in_full(gallery, cli, change):
    stamped(cli, gallery)
    CHANGES[change](gallery)
    assert planned(cli, gallery)
    result, report = build(cli, gallery)          # and the full build put everything right
    assert result.exit_code == 0 and report["totals"]["failed"] == 0
    assert (gallery / "build" / "index.html").read_text() != "defaced"
    assert (gallery / "build" / "gallery.json").is_file()


def test_a_change_behind_a_symlink_in_the_gallery_runs_it_in_full(gallery, cli):
    """templates/ may be a link to a folder elsewhere in the gallery, even a hidden one: the stamp follows it."""
    hidden = gallery / ".theme-templates"
    hidden.mkdir()
    (hidden / "404.html").write_text("<p>gone</p>")
    (gallery / "templates").symlink_to(hidden)
    stamped(cli, gallery)
    assert not planned(cli, gallery)
    (hidden / "404.html").write_text("<p>moved</p>")
    assert planned(cli, gallery)
    assert (gallery / "build" / "404.html").read_text().count("moved") == 1


def test_what_the_full_build_repairs_is_repaired(gallery, cli):
    stamped(cli, gallery)
    shutil.rmtree(next((gallery / CACHE_DIR_NAME / "objects" / "mood").glob("*/*")))
    result, report = build(cli, gallery)
    assert report["totals"]["by_stage"]["mood"]["computed"] == 1


@pytest.mark.parametrize("shape", ["folder", "symlink"])
def test_a_stamp_that_is_not_a_file_is_ignored_and_left_alone(gallery, cli, tmp_path, shape):
    stamped(cli, gallery)
    path = gallery / CACHE_DIR_NAME / stamp.FILE_NAME
    path.unlink()
    target = tmp_path / "elsewhere"
    target.write_text("imaudible build stamp 1\nnot ours\n")
    if shape == "folder":
        path.mkdir()
    else:
        path.symlink_to(target)
    assert planned(cli, gallery)
    assert target.read_text() == "imaudible build stamp 1\nnot ours\n"     # never written through
    result, _ = build(cli, gallery)
    assert result.exit_code == 0, result.output


def test_force_and_another_output_folder_run_in_full(gallery, cli, tmp_path):
    stamped(cli, gallery)
    assert planned(cli, gallery, "--force")
    assert planned(cli, gallery, "--out", tmp_path / "elsewhere")


def test_a_stage_version_change_runs_in_full(gallery, cli, monkeypatch):
    from imaudible import versions

    stamped(cli, gallery)
    monkeypatch.setattr(versions, "IMAGES", versions.IMAGES + "-next")
    assert planned(cli, gallery)


def test_a_failed_build_leaves_no_stamp(gallery, cli):
    (gallery / "art" / "broken.jpg").write_bytes(b"not a jpeg")
    edit(gallery, lambda m: m["artworks"].append({"file": "art/broken.jpg", "title": "Broken", "artist": "A",
                                                   "year": "2000"}))
    build(cli, gallery)
    settle()
    result, report = build(cli, gallery)
    assert result.exit_code == 1 and report["totals"]["failed"] == 1 and report["totals"]["computed"] == 0
    assert not (gallery / CACHE_DIR_NAME / stamp.FILE_NAME).exists()
    settle()
    assert planned(cli, gallery, exit_code=1)


def test_a_full_build_removes_the_stamp_before_it_changes_anything(gallery, cli, monkeypatch):
    stamped(cli, gallery)
    seen = []
    original = Runner.run

    def run(self, plan, states):
        seen.append((gallery / CACHE_DIR_NAME / stamp.FILE_NAME).exists())
        return original(self, plan, states)

    monkeypatch.setattr(Runner, "run", run)
    edit(gallery, lambda m: m.update(title="Renamed"))
    build(cli, gallery)
    assert seen == [False]


def test_the_report_file_inside_the_gallery_is_no_input(gallery, cli):
    """The tests' own helper writes --report into the gallery folder; rewriting it must not defeat the stamp,
    while any other new file there does."""
    stamped(cli, gallery)
    assert not planned(cli, gallery)
    (gallery / "notes.txt").write_text("a curator's note")
    assert planned(cli, gallery)


def test_the_python_api_plans_unless_asked(gallery, cli):
    """`build_gallery` returns real views (evaluate reads them), so it replays only with skip_unchanged."""
    stamped(cli, gallery)
    loaded, _ = load_manifest(gallery)
    report = build_module.build_gallery(loaded, gallery / "build")
    assert report.runs[0].views["derive"].images        # a real view, not a replayed mark
    stamped_again = build_module.build_gallery(loaded, gallery / "build", skip_unchanged=True)
    assert all(r.status == "cached" for run in stamped_again.runs for r in run.records.values())


# --- the stamp itself ---------------------------------------------------------------------------------------
def aged(path: Path, seconds: float = 60.0) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def aged_file(path: Path) -> Path:
    path.write_text(path.name)
    return aged(path)


@pytest.fixture
def watched(tmp_path):
    """A watched folder (two files, one in a subfolder), a single watched file and an output, all settled."""
    folder = tmp_path / "watched"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt"):
        aged_file(folder / name)
    for d in (folder / "sub", folder):
        aged(d)
    single, out = aged_file(tmp_path / "single.txt"), aged_file(tmp_path / "out.txt")
    return stamp.Watched([str(folder)], [str(single)]), [str(out)], tmp_path


def test_a_recorded_stamp_holds_until_anything_in_it_changes(watched):
    what, outputs, root = watched
    cache = root / "cache"
    cache.mkdir()
    assert stamp.record(cache, "id", what, outputs, {"said": 1}, atomic_write)
    assert stamp.check(cache, "id", what) == {"said": 1}
    assert stamp.check(cache, "other id", what) is None
    changes = [
        lambda: (root / "watched" / "new.txt").write_text("added"),
        lambda: (root / "watched" / "sub" / "b.txt").unlink(),
        lambda: (root / "watched" / "a.txt").write_text("a.tx!"),     # same size
        lambda: (root / "single.txt").write_text("moved on"),
        lambda: (root / "out.txt").write_text("o"),
    ]
    for change in changes:
        before = {p: p.read_bytes() for p in root.rglob("*.txt")}
        change()
        assert stamp.check(cache, "id", what) is None, change
        for p in list(root.rglob("*.txt")):
            if p not in before:
                p.unlink()
        for p, data in before.items():
            p.write_bytes(data)
            aged(p)
        for d in (root / "watched" / "sub", root / "watched"):
            aged(d)
        assert stamp.record(cache, "id", what, outputs, {"said": 1}, atomic_write)


def test_dot_entries_and_skipped_paths_are_not_watched(watched):
    what, outputs, root = watched
    cache = root / "cache"
    cache.mkdir()
    skipped, hidden = root / "watched" / "build", root / "watched" / ".hidden"
    skipped.mkdir()
    hidden.mkdir()
    aged(root / "watched")
    what.skip = {str(skipped)}
    assert stamp.record(cache, "id", what, outputs, {}, atomic_write)
    (skipped / "page.html").write_text("written by the build")
    (hidden / "notes.txt").write_text("the curator's")
    assert stamp.check(cache, "id", what) == {}
    (root / "watched" / "seen").mkdir()
    assert stamp.check(cache, "id", what) is None


def test_fresh_files_are_not_stamped(watched):
    """Within the racy window a file could change again with the same signature: no stamp then."""
    what, outputs, root = watched
    (root / "single.txt").write_text("just written")
    cache = root / "cache"
    cache.mkdir()
    assert not stamp.record(cache, "id", what, outputs, {}, atomic_write)
    assert not (cache / stamp.FILE_NAME).exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "count", "header", "empty", "payload"])
def test_a_damaged_stamp_is_a_miss(watched, damage):
    what, outputs, root = watched
    cache = root / "cache"
    cache.mkdir()
    assert stamp.record(cache, "id", what, outputs, {"x": 1}, atomic_write)
    path = cache / stamp.FILE_NAME
    whole = path.read_bytes()
    path.write_bytes({"truncate": whole[: len(whole) // 2], "garbage": b"\xff\xfe\x00",
                      "count": whole.replace(b"\nend ", b"\nend 1"), "header": whole.replace(b"stamp 1", b"stamp 9"),
                      "empty": b"", "payload": whole.replace(b'{"x":1}', b'{"x":')}[damage])
    assert stamp.check(cache, "id", what) is None


def test_a_walk_beyond_the_limit_records_nothing(watched, monkeypatch):
    what, outputs, root = watched
    monkeypatch.setattr(stamp, "WALK_LIMIT", 2)
    cache = root / "cache"
    cache.mkdir()
    assert not stamp.record(cache, "id", what, outputs, {}, atomic_write)



def test_a_replayed_report_names_the_executor_this_build_was_given(gallery, cli):
    """A rebuild that changed nothing runs no executor; its report said the stamped build's ("threads")
    even for `--executor processes`, which a CI check of its executor took for a wrong setting."""
    stamped(cli, gallery)
    for executor in ("processes", "threads", "auto"):
        result, report = build(cli, gallery, "--executor", executor)
        assert result.exit_code == 0 and report["totals"]["computed"] == 0, result.output
        assert report["executor"].split(" ")[0] == executor

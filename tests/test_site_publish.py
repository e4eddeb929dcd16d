"""The site's assets are written while its pages render, under temporary names, and put in place only once
every page rendered: a build that fails on the way leaves the out folder as it was, with no temporary file."""
from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.site import publish

from .conftest import write_gallery
from .test_build import build, edit

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]
SCREAM = {"file": "art/the_scream.jpg", "title": "The Scream"}
FAILING = "{{ gallery.artworks[0].no_such_thing.deeper }}"


def one_of_two(tmp_path: Path) -> Path:
    """A gallery of one artwork, with a second's image beside it to add."""
    folder = write_gallery(tmp_path / "g", [*ONE, SCREAM])
    edit(folder, lambda m: m["artworks"].pop())
    return folder


def files_and_folders(folder: Path) -> tuple[dict[str, bytes], set[str]]:
    return ({p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()},
            {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()})


def test_a_template_that_fails_leaves_the_site_as_it_was(tmp_path, cli):
    """A new artwork's textures and clip are staged while the pages render; the gallery's broken template
    then stops the build, and neither they, nor their folders, nor the list changed."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    before = files_and_folders(folder / "build")
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(FAILING)
    result, _ = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith("error: template list.html"), result.output
    assert files_and_folders(folder / "build") == before

    (folder / "templates" / "list.html").unlink()
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert any(p.name.startswith("the-scream") for p in (folder / "build" / "assets").rglob("*"))
    assert not [p for p in (folder / "build").rglob("*.tmp")]


def test_a_first_build_whose_template_fails_writes_no_file(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(FAILING)
    result, _ = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert files_and_folders(folder / "build") == ({}, set())


@pytest.mark.parametrize("links", ["hard links", "no hard links"])
def test_a_disk_error_while_staging_an_asset_is_one_line_and_leaves_no_temporary_file(tmp_path, cli, monkeypatch,
                                                                                      links):
    """A full disk: a cached file's hard link fails (the copy it falls back to too), or its copy does."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    before = files_and_folders(folder / "build")
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    real, calls = publish.write_beside, []
    real_link = os.link

    def full_disk(target: Path, data: bytes, durable: bool = True) -> str:
        calls.append(target.name)
        if len(calls) == 2:        # one asset staged before it, which must go too
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target, data, durable)

    def link(source, name, **kwargs):
        if links == "no hard links":
            raise OSError(errno.EPERM, "Operation not permitted", name)
        if calls:                  # the first one linked, the second is refused for want of room
            raise OSError(errno.ENOSPC, "No space left on device", name)
        calls.append(Path(name).name)
        return real_link(source, name, **kwargs)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(publish, "write_beside", full_disk)
    result, _ = build(cli, folder)
    assert result.exit_code == 3, result.output
    last = result.output.strip().splitlines()[-1]
    assert "No space left on device" in last and calls[1] in last, result.output
    assert links == "no hard links" or calls[0].startswith(".") and calls[0].endswith(".tmp")   # a link was staged
    assert "Traceback" not in result.output
    assert files_and_folders(folder / "build") == before


def test_a_build_interrupted_while_it_puts_pages_in_place_leaves_no_temporary_file(tmp_path, cli, monkeypatch):
    """Ctrl-C after the staged assets were renamed into place and while a page was written: the next build
    finds no temporary file to sweep, and builds the site whole."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    real_write = publish.atomic_write

    def interrupted(target, data, **kwargs):
        if Path(target).name == "index.html":
            raise KeyboardInterrupt
        return real_write(target, data, **kwargs)

    monkeypatch.setattr(publish, "atomic_write", interrupted)
    assert build(cli, folder)[0].exit_code == 130
    assert not [p for p in (folder / "build").rglob("*.tmp")]
    monkeypatch.setattr(publish, "atomic_write", real_write)
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "kept" not in result.output, result.output
    assert (folder / "build" / "art" / "the-scream" / "index.html").is_file()


def test_a_first_build_killed_while_staging_does_not_lock_the_next_out(tmp_path, cli, monkeypatch):
    """A first build killed (SIGKILL, a power cut: no `stop`) with assets staged: the next build took the out
    folder, holding only temporary files, for one imaudible did not make, and refused it."""
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(FAILING)
    monkeypatch.setattr(publish.SiteWrite, "stop", lambda self: self._join())   # killed: nothing cleaned
    assert build(cli, folder)[0].exit_code == 2
    assert [p for p in (folder / "build").rglob("*.tmp")]
    monkeypatch.undo()
    (folder / "templates" / "list.html").unlink()
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert not [p for p in (folder / "build").rglob("*.tmp")]


def test_an_interrupt_while_finish_waits_for_the_stagers_leaves_no_temporary_file(tmp_path, cli, monkeypatch):
    """Ctrl-C (or SIGTERM) while `finish` joins the staging threads, or writes the list: the staged files go."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    before = files_and_folders(folder / "build")
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    real = publish.folder.write_owned

    def interrupted(out, owned):
        if any("the-scream" in rel for rel in owned.files):    # the list that names what this build writes
            raise KeyboardInterrupt
        return real(out, owned)

    monkeypatch.setattr(publish.folder, "write_owned", interrupted)
    assert build(cli, folder)[0].exit_code == 130
    assert files_and_folders(folder / "build") == before


def test_stop_removes_every_folder_it_made_whatever_order_the_stagers_made_them(tmp_path, monkeypatch):
    """Two stagers: one makes `assets/`, the other (before the first records it) `assets/deeper/`."""
    out = tmp_path / "out"
    out.mkdir()
    write = publish.SiteWrite(out, lambda m: None, None)
    real_mkdir = publish.os.mkdir

    def racing(path, mode=0o777):
        real_mkdir(path, mode)
        if Path(path) == out / "assets":
            write._stage("assets/deeper/b.js", b"b")     # the other thread, between mkdir and its record
    monkeypatch.setattr(publish.os, "mkdir", racing)
    write._stage("assets/a.js", b"a")
    write.stop()
    assert list(out.iterdir()) == []


def test_stop_deletes_nothing_through_a_link_planted_after_staging(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    write = publish.SiteWrite(out, lambda m: None, None)
    write._stage("assets/deeper/a.js", b"a")
    staged = Path(write.staged["assets/deeper/a.js"])
    (out / "assets").rename(elsewhere)
    (out / "assets").symlink_to(elsewhere)
    write.stop()
    assert (elsewhere / "deeper" / staged.name).is_file()


def test_an_interrupt_while_the_stagers_start_leaves_no_temporary_file(tmp_path, cli, monkeypatch):
    """Ctrl-C between the start of one staging thread and the next: the one started is stopped, and what it
    staged removed, before the build lets go of the out folder's lock."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    before = files_and_folders(folder / "build")
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    monkeypatch.setattr(publish, "STAGERS", 2)
    real_start, started = threading.Thread.start, []

    def start(thread):
        if thread.name.startswith("site-assets"):
            if started:
                raise KeyboardInterrupt
            started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    assert build(cli, folder)[0].exit_code == 130
    for thread in started:
        thread.join()
    assert files_and_folders(folder / "build") == before


def test_a_file_where_the_site_needs_a_folder_is_named_in_one_line(tmp_path, cli):
    """Someone put a file where a page's folder goes: the build says which file and what to do, and the site
    is whole once it is moved away."""
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    in_the_way = folder / "build" / "art" / "the-scream"
    in_the_way.write_text("my notes")
    result, _ = build(cli, folder)
    assert result.exit_code == 3, result.output
    last = result.output.strip().splitlines()[-1]
    assert f"'{in_the_way}'" in last and "the site needs a folder here: move it away" in last, result.output
    assert "Traceback" not in result.output and in_the_way.read_text() == "my notes"
    assert not [p for p in (folder / "build").rglob("*.tmp")]
    in_the_way.unlink()
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert (in_the_way / "index.html").is_file()


def cached_files(folder: Path) -> dict[tuple[int, int], Path]:
    """(device, inode) -> the cached result file that has it."""
    return {(st.st_dev, st.st_ino): p for p in (folder / CACHE_DIR_NAME / "objects").rglob("*")
            if p.is_file() and p.name != "result.json" and (st := p.stat())}


@pytest.mark.parametrize("links", ["hard links", "no hard links"])
def test_assets_share_the_cached_files_bytes_where_the_disk_allows_and_are_copies_elsewhere(tmp_path, cli,
                                                                                             monkeypatch, links):
    """Every texture and clip in build/ is a hard link to the cached file it was checked against (the same
    bytes are not written twice); on a disk without hard links (another file system, FAT, not permitted),
    a copy. The site's bytes are the same either way."""
    if links == "no hard links":
        def refused(source, name, **kwargs):
            raise OSError(errno.EXDEV, "Invalid cross-device link", name)

        monkeypatch.setattr(os, "link", refused)
    folder = write_gallery(tmp_path / "g", [*ONE, SCREAM])
    assert build(cli, folder)[0].exit_code == 0
    cached = cached_files(folder)
    assets = [p for p in (folder / "build" / "assets").rglob("*") if p.is_file() and p.suffix in (".webp", ".jpg",
                                                                                                  ".webm", ".m4a")]
    assert len(assets) >= 8
    shared = {p.name: cached.get((p.stat().st_dev, p.stat().st_ino)) for p in assets}
    if links == "hard links":
        assert all(shared.values()), shared
        assert all(p.read_bytes() == shared[p.name].read_bytes() for p in assets)
    else:
        assert not any(shared.values()) and all(p.stat().st_nlink == 1 for p in assets)
    assert not [p for p in (folder / "build").rglob("*.tmp")]


def test_a_published_file_edited_in_place_is_found_damaged_and_computed_again(tmp_path, cli):
    """An asset edited in place by hand (a byte flipped, the size kept) changes the cached file it shares
    its bytes with: the next build finds the cached result damaged, says so, computes it again and
    publishes good bytes; the edited copy is never served as the result."""
    from .test_build import statuses

    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder)[0].exit_code == 0
    texture = sorted((folder / "build" / "assets").rglob("*.webp"))[0]
    good = texture.read_bytes()
    with open(texture, "r+b") as fh:
        fh.seek(len(good) // 2)
        fh.write(bytes([good[len(good) // 2] ^ 0xFF]))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "cached derive result" in result.output and "damaged" in result.output, result.output
    assert statuses(report, "derive") == {"starry-night": "computed"}
    assert texture.read_bytes() == good
    again, report = build(cli, folder)
    assert again.exit_code == 0 and "damaged" not in again.output and texture.read_bytes() == good

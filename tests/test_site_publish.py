"""The site's assets are written while its pages render, under temporary names, and put in place only once
every page rendered: a build that fails on the way leaves the out folder as it was, with no temporary file."""
from __future__ import annotations

import errno
from pathlib import Path

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


def test_a_disk_error_while_staging_an_asset_is_one_line_and_leaves_no_temporary_file(tmp_path, cli, monkeypatch):
    folder = one_of_two(tmp_path)
    assert build(cli, folder)[0].exit_code == 0
    before = files_and_folders(folder / "build")
    edit(folder, lambda m: m["artworks"].append(SCREAM))
    real, calls = publish._write_beside, []

    def full_disk(target: Path, data: bytes) -> str:
        calls.append(target.name)
        if len(calls) == 2:        # one asset staged before it, which must go too
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target, data)

    monkeypatch.setattr(publish, "_write_beside", full_disk)
    result, _ = build(cli, folder)
    assert result.exit_code == 3, result.output
    last = result.output.strip().splitlines()[-1]
    assert "No space left on device" in last and calls[1] in last, result.output
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

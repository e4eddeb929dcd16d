"""A curator's gallery over time: files of their own in build/, the gallery under git, moved and copied."""
from __future__ import annotations

from imaudible.engine.cache import CACHE_DIR_NAME

from .conftest import write_gallery
from .test_build import build

ONE = [{"file": "art/udnie.jpg", "title": "Udnie"}]


def test_clean_that_keeps_the_curators_files_leaves_a_folder_builds_and_cleans_still_use(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE, music={"duration": 1})
    assert build(cli, folder)[0].exit_code == 0
    (folder / "build" / "CNAME").write_text("gallery.example.org\n")     # GitHub Pages' own file

    result = cli("clean", folder)
    assert result.exit_code == 0 and "kept" in result.output, result.output
    assert sorted(p.name for p in (folder / "build").iterdir()) == [".imaudible-build.json", "CNAME"]

    result, report = build(cli, folder)        # was: "it is not empty and was not made by imaudible"
    assert result.exit_code == 0, result.output
    assert (folder / "build" / "index.html").is_file() and (folder / "build" / "CNAME").is_file()

    assert cli("clean", folder).exit_code == 0
    result = cli("clean", "--cache", "--yes", folder)   # was: refused, and the cache stayed
    assert result.exit_code == 0, result.output
    assert not (folder / CACHE_DIR_NAME).exists()
    assert (folder / "build" / "CNAME").read_text() == "gallery.example.org\n"

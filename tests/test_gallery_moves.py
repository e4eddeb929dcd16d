"""A curator's gallery over time: files of their own in build/, the gallery under git, moved and copied."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

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


def _git(folder, *args) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    command = ["git", "-C", str(folder), "-c", "user.email=c@example.org", "-c", "user.name=curator", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_gallery_committed_with_its_cache_clones_builds_from_cache_and_stays_clean(tmp_path, cli):
    folder = write_gallery(tmp_path / "home" / "alice" / "museum", ONE, music={"duration": 1})
    report = tmp_path / "report.json"     # outside: a report names the gallery's folder
    assert cli("build", folder, "--report", report).exit_code == 0
    assert cli("build", folder, "--report", report).exit_code == 0    # leaves a build stamp
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-qm", "gallery")
    committed = _git(folder, "ls-files").split()
    assert f"{CACHE_DIR_NAME}/in-use.json" in committed
    assert not [name for name in committed if name.startswith(CACHE_DIR_NAME + "/")
                and not name.startswith(f"{CACHE_DIR_NAME}/objects/")
                and name not in (f"{CACHE_DIR_NAME}/in-use.json", f"{CACHE_DIR_NAME}/.gitignore",
                                 f"{CACHE_DIR_NAME}/last-build.json")], committed
    assert not [name for name in committed if b"/home/alice" in (folder / name).read_bytes()]

    clone = tmp_path / "elsewhere" / "museum"
    subprocess.run(["git", "clone", "-q", str(folder), str(clone)], check=True)
    result = cli("build", clone, "--report", report)
    assert result.exit_code == 0, result.output
    totals = json.loads(report.read_text())["totals"]
    assert totals["computed"] == 0, totals            # all from the committed cache
    assert cli("build", clone).exit_code == 0
    assert _git(clone, "status", "--porcelain") == ""                    # nothing to commit after building


def test_the_cache_gitignore_names_every_file_of_machine_state():
    from imaudible.engine import cache_lock, result_index, stamp
    from imaudible.site import written
    from imaudible import statcache

    for name in (stamp.FILE_NAME, statcache.FILE_NAME, result_index.FILE_NAME, written.FILE_NAME, "lock"):
        assert f"/{name}\n" in cache_lock.GITIGNORE
    assert "/tmp/\n" in cache_lock.GITIGNORE and "in-use.json" not in cache_lock.GITIGNORE


def test_an_ownership_list_without_digests_names_its_stale_files_and_gives_no_advice_that_fails(tmp_path, cli):
    """A build/ from before the list recorded digests (a list of names): neither build nor clean can tell its
    files from ones the curator changed, so both keep them; the warning must not send the curator to
    `clean` for them, and must name each."""
    folder = write_gallery(tmp_path / "g", ONE, music={"duration": 1})
    assert build(cli, folder)[0].exit_code == 0
    out = folder / "build"
    stale = out / "assets" / "list.0123456789.js"
    stale.write_text("// an asset of the old site\n")
    names = [*json.loads((out / ".imaudible-build.json").read_text())["files"], "assets/list.0123456789.js"]
    (out / ".imaudible-build.json").write_text(json.dumps({"files": names}))

    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "from an older imaudible" in result.output and "by hand" in result.output, result.output
    assert "imaudible-site clean" not in result.output
    assert "list.0123456789.js" in result.output and stale.is_file()


LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 87874\n")


def test_an_image_git_lfs_did_not_fetch_is_named_as_such_by_build_and_add(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [*ONE, {"file": "art/scream.jpg", "title": "Scream"}], music={"duration": 1})
    (folder / "art" / "scream.jpg").write_bytes(LFS_POINTER)       # a clone without `git lfs pull`
    result, _ = build(cli, folder)
    assert result.exit_code == 1, result.output
    assert "'scream.jpg': it is a Git LFS pointer" in result.output and "git lfs pull" in result.output, result.output
    (folder / "art" / "wave.jpg").write_bytes(LFS_POINTER)
    result = cli("add", folder / "art" / "wave.jpg", "--site", folder)
    assert "Git LFS pointer" in result.output and "git lfs pull" in result.output, result.output


def test_an_image_git_annex_did_not_fetch_is_a_dangling_link_named_as_such(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE, music={"duration": 1})
    (folder / "art" / "udnie.jpg").unlink()
    (folder / "art" / "udnie.jpg").symlink_to("../.git/annex/objects/Xz/SHA256E-s87874--4d7a.jpg")
    result, _ = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert "'art/udnie.jpg' is a symlink to '../.git/annex/objects/" in result.output, result.output
    assert "git annex get" in result.output and "did you mean 'art/udnie.jpg'" not in result.output

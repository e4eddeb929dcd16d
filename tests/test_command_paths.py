"""Paths given on the command line: one the system cannot even look at is a usage error when the command line
is read, before anything runs; a --report that could not be written is refused before any stage."""
from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME

from .conftest import write_gallery

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]


def _one_error_line(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for word in words:
        assert word in lines[0], result.output
    return lines[0]


def _unusable(tmp_path: Path, kind: str) -> Path:
    (tmp_path / "a-file").write_text("x")
    return {"name-too-long": tmp_path / ("x" * 300) / "y",
            "under-a-file": tmp_path / "a-file" / "y"}[kind]


COMMANDS = {   # where each command takes a path, with the other arguments it needs
    "build --out": lambda g, p: ["build", g, "--out", p],
    "build --report": lambda g, p: ["build", g, "--report", p],
    "clean --out": lambda g, p: ["clean", g, "--out", p],
    "serve --out": lambda g, p: ["serve", g, "--no-build", "--out", p],
    "evaluate --out": lambda g, p: ["evaluate", g, "--out", p],
    "evaluate --reference": lambda g, p: ["evaluate", g, "--reference", p],
    "init": lambda g, p: ["init", p],
    "add": lambda g, p: ["add", "--site", g, p],
}


@pytest.mark.parametrize("kind", ["name-too-long", "under-a-file"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_path_that_cannot_be_looked_at_is_a_usage_error_before_anything_runs(tmp_path, cli, command, kind):
    folder = write_gallery(tmp_path / "g", ONE)
    manifest = (folder / "gallery.yaml").read_bytes()
    result = cli(*COMMANDS[command](folder, _unusable(tmp_path, kind)))
    _one_error_line(result, "cannot use", "File name too long" if kind == "name-too-long" else "Not a directory")
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()
    assert (folder / "gallery.yaml").read_bytes() == manifest


def test_report_that_cannot_be_written_is_refused_before_any_stage(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    result = cli("build", folder, "--report", "/proc/imaudible-no-such/report.json")   # the kernel's, not ours
    _one_error_line(result, "--report", "cannot write")
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()


def test_report_into_new_folders_is_written_and_a_refused_build_leaves_none_of_it(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    refused = cli("build", folder, "--out", folder, "--report", tmp_path / "reports" / "new" / "r.json")
    _one_error_line(refused)                            # --out is the gallery itself: refused before any stage
    assert not (tmp_path / "reports").exists(), "the folders and the empty report made to test the write stay"

    report = tmp_path / "reports" / "new" / "r.json"
    assert cli("build", folder, "--report", report).exit_code == 0
    assert set(json.loads(report.read_text())["artworks"]) == {"starry-night"}


def test_a_refused_build_keeps_the_last_report(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    report = tmp_path / "r.json"
    assert cli("build", folder, "--report", report).exit_code == 0
    before = report.read_bytes()
    _one_error_line(cli("build", folder, "--out", folder, "--report", report))
    assert report.read_bytes() == before


@pytest.mark.parametrize("victim", ["gallery.yaml", "art/starry_night.jpg", "notes.txt"])
def test_a_report_path_that_names_a_file_other_than_a_report_is_refused_and_left_whole(tmp_path, cli, victim):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "notes.txt").write_text("the curator's notes")
    before = (folder / victim).read_bytes()
    _one_error_line(cli("build", folder, "--report", folder / victim), "--report", "not a build report")
    assert (folder / victim).read_bytes() == before
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()


def test_an_earlier_report_or_an_empty_file_is_replaced(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    report = tmp_path / "r.json"
    report.touch()
    assert cli("build", folder, "--report", report).exit_code == 0
    assert cli("build", folder, "--report", report).exit_code == 0
    assert set(json.loads(report.read_text())["artworks"]) == {"starry-night"}


@pytest.mark.parametrize("inside", ["build/report.json", "build/sub/r.json"])
def test_a_report_inside_the_output_folder_is_refused_before_any_stage(tmp_path, cli, inside):
    """It would be published with the site, naming this machine's folders; on a first build its empty claim
    also made build/ look like a folder imaudible did not make."""
    folder = write_gallery(tmp_path / "g", ONE)
    _one_error_line(cli("build", folder, "--report", folder / inside), "--report", "inside the output folder")
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()
    out = tmp_path / "site"
    _one_error_line(cli("build", folder, "--out", out, "--report", out / "r.json"), "inside the output folder")


def test_a_csv_report_has_a_row_per_artwork_and_replaces_an_earlier_one(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE + [{"file": "art/broken.jpg", "title": "=HYPERLINK(\"x\")"}])
    (folder / "art" / "broken.jpg").write_text("not an image")
    report = tmp_path / "build report.csv"
    for status in ("computed", "cached"):
        assert cli("build", folder, "--report", report).exit_code == 1
        rows = list(csv.DictReader(report.open(encoding="utf-8")))
        assert [(r["id"], r["file"], r["ingest"]) for r in rows] == [
            ("broken", "art/broken.jpg", "failed"), ("starry-night", "art/starry_night.jpg", status)]
        assert rows[0]["title"] == "'=HYPERLINK(\"x\")" and "cannot decode" in rows[0]["error"]
        assert rows[1]["music"] == status and rows[1]["music_model"] == "builtin:procedural"


GALLERY_ARGUMENTS = {   # where each command takes the gallery folder
    "build": lambda g: ["build", g], "serve": lambda g: ["serve", g, "--no-build"], "clean": lambda g: ["clean", g],
    "evaluate": lambda g: ["evaluate", g], "models list": lambda g: ["models", "list", g],
    "models pull": lambda g: ["models", "pull", "--gallery", g], "pick": lambda g: ["pick", "x", "1", "--site", g],
    "reroll": lambda g: ["reroll", "x", "--site", g], "add": lambda g: ["add", "--site", g, "art"],
}


@pytest.mark.parametrize("command", sorted(GALLERY_ARGUMENTS))
def test_an_image_given_for_the_gallery_folder_says_so_and_changes_nothing(tmp_path, cli, command):
    """`build g/art/starry_night.jpg` was read as the manifest ('not UTF-8 text (byte 0xff)'); other commands
    said click's 'Directory ... is a file.'"""
    folder = write_gallery(tmp_path / "g", ONE)
    manifest = (folder / "gallery.yaml").read_bytes()
    line = _one_error_line(cli(*GALLERY_ARGUMENTS[command](folder / "art" / "starry_night.jpg")),
                           "is an image, not a gallery folder", "the folder that holds gallery.yaml", "imaudible-site add")
    assert "UTF-8" not in line
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()
    assert (folder / "gallery.yaml").read_bytes() == manifest


def test_the_add_suggested_for_an_image_given_as_the_gallery_works_as_written(tmp_path, cli, monkeypatch):
    """The hint said to run `imaudible-site add g/art/dawn.jpg` "in that folder", where that path names nothing;
    it names the gallery found above the image, spelled from the current folder, and runs as written."""
    folder = write_gallery(tmp_path / "g", ONE)
    shutil.copyfile(folder / "art" / "starry_night.jpg", folder / "art" / "dawn.jpg")
    for here, image, site in [(tmp_path, "g/art/dawn.jpg", "g"), (folder / "art", "dawn.jpg", "..")]:
        monkeypatch.chdir(here)
        line = _one_error_line(cli("build", image), f"give the folder that holds gallery.yaml ('{site}')")
        assert re.search(r"`imaudible-site (add [^`]*)`", line).group(1) == f"add {image} --site {site}"
    result = cli(*shlex.split("add dawn.jpg --site .."))
    assert result.exit_code == 0 and "art/dawn.jpg" in (folder / "gallery.yaml").read_text(), result.output
    lonely = tmp_path / "lonely.jpg"
    shutil.copyfile(folder / "art" / "starry_night.jpg", lonely)
    line = _one_error_line(cli("build", lonely), "copy it into that folder")
    assert "--site" not in line


@pytest.mark.parametrize("command", ["build", "clean", "serve"])
def test_a_file_that_is_neither_a_folder_nor_a_manifest_is_refused(tmp_path, cli, command):
    (tmp_path / "notes.txt").write_text("title: T\n")
    _one_error_line(cli(*GALLERY_ARGUMENTS[command](tmp_path / "notes.txt")), "is a file, not a gallery folder")


@pytest.mark.parametrize("command", ["evaluate", "models list", "pick", "reroll"])
def test_a_manifest_given_where_only_a_folder_is_taken_names_its_folder(tmp_path, cli, command):
    folder = write_gallery(tmp_path / "g", ONE)
    _one_error_line(cli(*GALLERY_ARGUMENTS[command](folder / "gallery.yaml")), "give the gallery folder that holds it",
                    f"'{folder}'")


def test_serve_given_the_manifest_builds_into_its_folder(tmp_path, cli, monkeypatch):
    """`serve g/gallery.yaml` built into 'g/gallery.yaml/build' and stopped ('... is a file, not a folder')."""
    from imaudible import serve as preview

    folder = write_gallery(tmp_path / "g", ONE)
    served = {}
    monkeypatch.setattr(preview, "serve", lambda site, out, *a, **k: served.update(site=site, out=out, **k))
    result = cli("serve", folder / "gallery.yaml", "--port", "0")
    assert result.exit_code == 0, result.output
    assert (served["site"], served["out"]) == (folder / "gallery.yaml", folder / "build")
    assert (folder / "build" / "index.html").is_file()


def test_serve_given_a_manifest_of_another_name_watches_and_edits_that_one(tmp_path, cli, monkeypatch):
    """`serve g/spring.yaml` built spring.yaml, but watched g/gallery.yaml and its take buttons edited that file."""
    from imaudible import serve as preview
    from imaudible.watching import gallery_watch_paths

    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "gallery.yaml").rename(folder / "spring.yaml")
    served = {}
    monkeypatch.setattr(preview, "serve", lambda site, out, *a, **k: served.update(site=site, out=out, **k))
    assert cli("serve", folder / "spring.yaml", "--port", "0").exit_code == 0
    assert (folder / "spring.yaml").resolve() in gallery_watch_paths(served["site"], served["out"])
    takes, before = served["takes"], (folder / "spring.yaml").read_text()
    status, answer = takes.handle("127.0.0.1", {"Host": "127.0.0.1", "X-Imaudible-Token": takes.token},
                                  b'{"id": "starry-night", "action": "reroll"}', 0)
    assert status == 200, answer
    assert (folder / "spring.yaml").read_text() != before and not (folder / "gallery.yaml").exists()


@pytest.mark.parametrize("args, given, low, high", [
    (["build", "{g}", "--jobs", "0"], "0", 1, 64), (["build", "{g}", "-j", "-1"], "-1", 1, 64),
    (["build", "{g}", "--jobs", "100000"], "100000", 1, 64), (["evaluate", "{g}", "--jobs", "many"], "many", 1, 64),
    (["serve", "{g}", "--port", "70000"], "70000", 0, 65535), (["pick", "starry-night", "x", "--site", "{g}"], "x", 1, 16),
])
def test_a_number_out_of_range_is_worded_for_a_curator(tmp_path, cli, args, given, low, high):
    """click said '0 is not in the range 1<=x<=64.' and "'x' is not a valid integer range."."""
    folder = write_gallery(tmp_path / "g", ONE)
    line = _one_error_line(cli(*[a.format(g=folder) for a in args]),
                           f"give a whole number from {low} to {high}, not '{given}'")
    assert "<=" not in line and "integer range" not in line
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()


@pytest.mark.parametrize("command, range_said", [("build", "at most 64"), ("evaluate", "at most 64"),
                                                 ("serve", "0 to 65535"), ("pick", "")])
def test_help_says_a_numbers_range_in_words_not_in_clicks_notation(cli, command, range_said):
    """--help showed click's `[1<=x<=64]` after the option, beside the help's own words."""
    result = cli(command, "--help")
    assert result.exit_code == 0, result.output
    assert "<=" not in result.output and range_said in " ".join(result.output.split())


@pytest.mark.parametrize("command", [["build"], ["serve"], ["clean"], ["evaluate"], ["models", "list"]])
def test_a_folder_inside_a_gallery_is_named_as_such_not_sent_to_init(tmp_path, cli, monkeypatch, command):
    """`build images` from inside a gallery said "images/gallery.yaml: no such file (create one with
    `imaudible-site init images`)": the folder is the gallery's own, and the gallery around it is named."""
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "images").mkdir()
    monkeypatch.chdir(folder)
    line = _one_error_line(cli(*command, "images"), "'images' holds no gallery.yaml", "folder of the gallery '.'",
                           "give '.' instead", "`imaudible-site init images`")
    assert not (folder / "images" / "gallery.yaml").exists() and not (folder / "images" / CACHE_DIR_NAME).exists()
    assert line.count("gallery.yaml") == 1

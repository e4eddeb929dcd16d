"""Malformed manifests: exit 2, one line naming file, line and field, no traceback, nothing built."""
from __future__ import annotations

import json
import shutil

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.manifest import ManifestError, json_schema, load_manifest

from .conftest import ART

GOOD_HEAD = "title: T\nartworks:\n  - file: art/starry_night.jpg\n    title: Starry\n"

# (manifest text, expected line, expected text in the message)
MALFORMED = {
    # YAML syntax: the line to edit, in plain words (PyYAML names the line after a missing colon)
    "yaml bad indentation": ("title: T\nartworks:\n  - file: a.jpg\n   title: x\n", 4,
                             "bad indentation: 'title' does not line up with the lines above (it starts at column 4; "
                             "'file' on line 3 starts at column 5)"),
    "yaml deeper indentation": ("title: T\nartworks:\n  - file: a.jpg\n      title: x\n", 4,
                                "bad indentation: 'title' is indented deeper than the line above"),
    "yaml key out of line": ("title: T\nmusic:\n  duration: 3\n seed: 2\nartworks: []\n", 4,
                             "bad indentation: 'seed'"),
    "tab indentation": ("title: T\nartworks:\n\t- file: a.jpg\n", 3, "tabs are not allowed for indentation; use spaces"),
    "tab inside indentation": (GOOD_HEAD + "  \t year: 1889\n", 5, "tabs are not allowed for indentation; use spaces"),
    "missing colon": (GOOD_HEAD + "    artist Vincent\n    year: 1889\n", 5, "missing ':' after 'artist'?"),
    "missing colon at the end": (GOOD_HEAD + "    artist Vincent\n", 5, "missing ':' after 'artist'?"),
    "missing colon top level": ("title T\nartworks:\n  - file: a.jpg\n", 1, "missing ':' after 'title'?"),
    "colon in a value": ("title: Colour: and Sound\nartworks: []\n", 1, "a value that contains ': ' must be put in quotes"),
    "unclosed quote": ('title: "T\nartworks: []\n', 1, "this quote is never closed"),
    "unclosed list": ("title: T\nartworks: [a, b\nmusic: {}\n", 2, "this '[' is not closed"),
    "misspelled required key": ("titel: T\n" + GOOD_HEAD[len("title: T\n"):], 1,
                                "titel: unknown option 'titel' (did you mean 'title'?)"),
    "misspelled option": (GOOD_HEAD + "music:\n  durration: 5\n", 6,
                          "music.durration: unknown option 'durration' (did you mean 'duration'?)"),
    "empty file": ("", 1, "empty"),
    "top level list": ("- title: T\n", 1, "expected a mapping"),
    "missing title": ("artworks:\n  - file: art/starry_night.jpg\n    title: S\n", 1, "title: required option is missing"),
    "missing artworks": ("title: T\n", 1, "artworks: required option is missing"),
    "no artworks": ("title: T\nartworks: []\n", 1, "artworks: the gallery has no artworks"),
    "artworks mapping": ("title: T\nartworks:\n  file: x.jpg\n", 3, "artworks: expected a list"),
    "artwork without file": ("title: T\nartworks:\n  - title: S\n", 3, "artworks[0].file: required option is missing"),
    "missing image": ("title: T\nartworks:\n  - file: art/stary_night.jpg\n    title: S\n", 3,
                      "artworks[0].file: no such file 'art/stary_night.jpg' (did you mean 'starry_night.jpg'?)"),
    "outside folder": ("title: T\nartworks:\n  - file: ../escape.jpg\n    title: S\n", 3,
                       "artworks[0].file: '../escape.jpg' is outside the gallery folder"),
    "absolute path": ("title: T\nartworks:\n  - file: /etc/passwd\n    title: S\n", 3, "artworks[0].file: '/etc/passwd' is an absolute path"),
    "file is a folder": ("title: T\nartworks:\n  - file: art\n    title: S\n", 3, "artworks[0].file: 'art' is not a file"),
    "duplicate explicit id": (GOOD_HEAD + "    id: one\n  - file: art/starry_night.jpg\n    title: S2\n    id: one\n", 8,
                              "artworks[1].id: id 'one' is already used by artworks[0]"),
    "duplicate derived id": (GOOD_HEAD + "  - file: art/starry_night.jpg\n    title: S2\n", 5,
                             "artworks[1].id: id 'starry-night' is already used"),
    "bad id": (GOOD_HEAD + "    id: Starry Night\n", 5, "artworks[0].id: 'Starry Night' is not lowercase letters, digits and hyphens"),
    "negative duration": (GOOD_HEAD + "music:\n  duration: -5\n", 6, "music.duration: must be at least 1"),
    "text duration": (GOOD_HEAD + "music:\n  duration: long\n", 6, "music.duration: expected a number, found 'long'"),
    "texture beyond a GPU's": (GOOD_HEAD + "images: {sizes: [1024, 20000]}\n", 5,
                               "images.sizes[1]: must be at most 16384, not 20000"),
    "float seed": (GOOD_HEAD + "music: {seed: 1.5}\n", 5, "music.seed: expected a whole number"),
    "bad choice": (GOOD_HEAD + "layout:\n  order: moood\n", 6, "layout.order: must be one of 'manifest', 'mood', not 'moood' (did you mean 'mood'?)"),
    "not a bool": (GOOD_HEAD + "audio:\n  loop: maybe\n", 6, "audio.loop: expected true or false"),
    "bad colour": (GOOD_HEAD + "images: {mat_colour: white}\n", 5, "images.mat_colour: 'white' is not a colour as #rrggbb"),
    "size_cm length": (GOOD_HEAD + "    size_cm: [10, 20, 30]\n", 5, "artworks[0].size_cm: expected a list of 2 values"),
    "title is a list": ("title: [a, b]\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n", 1, "title: expected a single value"),
    "duplicate key": (GOOD_HEAD + "title: again\n", 5, "title: duplicate key (first given on line 1)"),
    "unknown room artwork": (GOOD_HEAD + "layout:\n  rooms:\n    - title: A\n      artworks: [stary-night]\n", 7,
                             "layout.rooms[0].artworks: no artwork has the id 'stary-night' (did you mean 'starry-night'?)"),
    "artwork in two rooms": (GOOD_HEAD + "layout:\n  rooms:\n    - {title: A, artworks: [starry-night]}\n"
                             "    - {title: B, artworks: [starry-night]}\n", 7,
                             "layout.rooms[1].artworks: 'starry-night' is already hung in layout.rooms[0]"),
    "room without title": (GOOD_HEAD + "layout:\n  rooms:\n    - artworks: [starry-night]\n", 7,
                           "layout.rooms[0].title: required option is missing"),
    "bad source url": (GOOD_HEAD + "    source_url: example.org/x\n", 5, "artworks[0].source_url: 'example.org/x' is not an http:// or https:// address"),
    "settings not a mapping": (GOOD_HEAD + "music: loud\n", 5, "music: expected a mapping of options"),
    "bad ray address": (GOOD_HEAD + "run: {executor: ray, address: 'http://head:8265'}\n", 5,
                        "run.address: 'http://head:8265' is not 'auto', 'ray://host:port' or 'host:port'"),
}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "art").mkdir()
    shutil.copyfile(ART / "starry_night.jpg", tmp_path / "art" / "starry_night.jpg")
    return tmp_path


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_manifest_exits_2_with_one_line(case, folder, cli):
    text, line, expected = MALFORMED[case]
    (folder / "gallery.yaml").write_text(text)
    result = cli("build", folder)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ") and "gallery.yaml:" in lines[0]
    assert f"gallery.yaml:{line}:" in lines[0], lines[0]
    assert expected in lines[0]
    assert not (folder / "build").exists()
    assert not (folder / CACHE_DIR_NAME).exists()


def test_not_utf8(folder, cli):
    (folder / "gallery.yaml").write_bytes(b"title: caf\xe9\n")
    result = cli("build", folder)
    assert result.exit_code == 2
    assert "not UTF-8" in result.output and "Traceback" not in result.output


def test_a_manifest_that_is_a_folder_is_named_so(tmp_path, cli):
    (tmp_path / "gallery.yaml").mkdir()
    result = cli("build", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / 'gallery.yaml'}:1:1: a folder, not a file"
    assert not (tmp_path / "build").exists()


def test_missing_manifest(tmp_path, cli):
    result = cli("build", tmp_path)
    assert result.exit_code == 2
    assert "gallery.yaml" in result.output and "imaudible-site init" in result.output


def test_unknown_key_warns_and_strict_fails(folder):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "    colour: red\nnotes: {}\n")
    gallery, warnings = load_manifest(folder)
    assert [str(w).split(": ", 1)[1] for w in warnings] == ["artworks[0].colour: unknown option", "notes: unknown option"]
    assert gallery.artworks[0].id == "starry-night"
    with pytest.raises(ManifestError) as err:
        load_manifest(folder, strict=True)
    assert len(err.value.problems) == 2


def test_near_miss_of_a_known_key_is_an_error_even_without_strict(folder):
    """`musci:` would silently drop the music settings: an error naming the option meant, not a warning."""
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "    artst: Vincent\nmusci: {duration: 5}\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    assert [(p.line, p.field, p.message) for p in err.value.problems] == [
        (5, "artworks[0].artst", "unknown option 'artst' (did you mean 'artist'?)"),
        (6, "musci", "unknown option 'musci' (did you mean 'music'?)")]


def test_a_misspelled_required_key_is_one_error(folder, cli):
    """`titel:` says "did you mean 'title'", not "title: required option is missing"."""
    (folder / "gallery.yaml").write_text("titel: T\n" + GOOD_HEAD[len("title: T\n"):])
    result = cli("build", folder)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {folder / 'gallery.yaml'}:1:1: titel: unknown option 'titel' (did you mean 'title'?)"]


def test_all_problems_are_reported(folder):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "music: {duration: 0, seed: -1}\nlayout: {per_room: 0}\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    fields = [p.field for p in err.value.problems]
    assert fields == ["music.duration", "music.seed", "layout.per_room"]


def test_values_and_overrides_are_typed(folder):
    (folder / "gallery.yaml").write_text(
        GOOD_HEAD + "    year: 1889\n    size_cm: [92.1, 73.7]\n    music: {seed: 7}\n    mood: {valence: 0.2}\n"
        "music: {duration: 12, seed: 3}\nstyle: piano\n")
    gallery, _ = load_manifest(folder)
    art = gallery.artworks[0]
    assert art.year == "1889" and art.size_cm == (92.1, 73.7) and art.mood.valence == 0.2
    effective = art.music_settings(gallery.music)
    assert (effective.seed, effective.duration) == (7, 12.0)
    assert gallery.style == "piano" and gallery.root == folder.resolve()


def test_schema_lists_every_option(cli):
    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["required"] == ["title", "artworks"]
    art = schema["properties"]["artworks"]["items"]
    assert {"file", "title", "artist", "year", "id", "prompt", "music", "size_cm"} <= set(art["properties"])
    assert schema["properties"]["layout"]["properties"]["order"]["enum"] == ["manifest", "mood"]
    assert schema["properties"]["music"]["properties"]["duration"]["minimum"] == 1
    assert schema == json_schema()

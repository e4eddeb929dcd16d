"""Malformed manifests: exit 2, one line naming file, line and field, no traceback, nothing built."""
from __future__ import annotations

import json
import re
import shutil
import unicodedata

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
    "top level list": ("- title: T\n", 1, "expected options, one `name: value` per line, found a list"),
    "missing title": ("artworks:\n  - file: art/starry_night.jpg\n    title: S\n", 1, "title: required option is missing"),
    "missing artworks": ("title: T\n", 1, "artworks: required option is missing"),
    "no artworks": ("title: T\nartworks: []\n", 2, "artworks: the gallery has no artworks; add images with "
                    "`imaudible-site add FOLDER`"),
    # a curator new to YAML is shown how the list and the options are written
    "artworks mapping": ("title: T\nartworks:\n  file: x.jpg\n", 3,
                         "artworks: expected a list, found a mapping; start each entry with '- ' on a line of its own"),
    "artworks left empty": ("title: T\nartworks:\n", 2, "artworks: expected a list, found nothing; start each entry"),
    "artwork as a bare path": ("title: T\nartworks:\n  - art/x.jpg\n", 3, "artworks[0]: expected options, one "
                               "`name: value` per line, found 'art/x.jpg' (write `file: art/x.jpg`?)"),
    "room as a bare name": ("title: T\nlayout:\n  rooms:\n    - Night\nartworks:\n  - file: art/starry_night.jpg\n"
                            "    title: S\n", 4, "layout.rooms[0]: expected options, one `name: value` per line, "
                            "found 'Night' (write `title: Night`?)"),
    "artwork without file": ("title: T\nartworks:\n  - title: S\n", 3, "artworks[0].file: required option is missing"),
    "missing image": ("title: T\nartworks:\n  - file: art/stary_night.jpg\n    title: S\n", 3,
                      "artworks[0].file: no such file 'art/stary_night.jpg' (did you mean 'art/starry_night.jpg'?)"),
    # a file not where the manifest says: where it may be instead
    "image in another folder": ("title: T\nartworks:\n  - file: pictures/Starry_Night.jpg\n    title: S\n", 3,
                                "no such file 'pictures/Starry_Night.jpg' (did you mean 'art/starry_night.jpg'?)"),
    "windows backslashes": ("title: T\nartworks:\n  - file: art\\starry_night.jpg\n    title: S\n", 3,
                            "no such file 'art\\starry_night.jpg' (write folders with '/': 'art/starry_night.jpg')"),
    "web address": ("title: T\nartworks:\n  - file: https://example.org/starry.jpg\n    title: S\n", 3,
                    "(it is a web address: download the image into the gallery folder and give its path)"),
    "outside folder": ("title: T\nartworks:\n  - file: ../escape.jpg\n    title: S\n", 3,
                       "artworks[0].file: '../escape.jpg' is outside the gallery folder"),
    "absolute path": ("title: T\nartworks:\n  - file: /etc/passwd\n    title: S\n", 3, "artworks[0].file: '/etc/passwd' is an absolute path"),
    "file is a folder": ("title: T\nartworks:\n  - file: art\n    title: S\n", 3, "artworks[0].file: 'art' is not a file"),
    "duplicate explicit id": (GOOD_HEAD + "    id: one\n  - file: art/starry_night.jpg\n    title: S2\n    id: one\n", 8,
                              "artworks[1].id: id 'one' is already used by artworks[0]"),
    "duplicate derived id": (GOOD_HEAD + "  - file: art/starry_night.jpg\n    title: S2\n", 5,   # entered twice
                             "artworks[1].id: hangs the same image as artworks[0] (remove one entry, or give this "
                             "one its own `id:`)"),
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
    "unknown room artwork": (GOOD_HEAD + "layout:\n  rooms:\n    - title: A\n      artworks: [stary-night]\n", 8,
                             "layout.rooms[0].artworks: no artwork has the id 'stary-night' (did you mean 'starry-night'?)"),
    "artwork in two rooms": (GOOD_HEAD + "layout:\n  rooms:\n    - {title: A, artworks: [starry-night]}\n"
                             "    - {title: B, artworks: [starry-night]}\n", 8,
                             "layout.rooms[1].artworks: 'starry-night' is already hung in layout.rooms[0]"),
    "room without title": (GOOD_HEAD + "layout:\n  rooms:\n    - artworks: [starry-night]\n", 7,
                           "layout.rooms[0].title: required option is missing"),
    "bad source url": (GOOD_HEAD + "    source_url: example.org/x\n", 5, "artworks[0].source_url: 'example.org/x' is not an http:// or https:// address"),
    "space in a source url": (GOOD_HEAD + "    source_url: https://example.org/Der Schrei\n", 5,
                              "'https://example.org/Der Schrei' is not an http:// or https:// address (it holds a "
                              "space: write each space as %20)"),
    "spaces around the url": (GOOD_HEAD + "url: ' https://example.org/ '\n", 5,
                              "url: ' https://example.org/ ' is not an http:// or https:// address (remove the "
                              "spaces around it)"),
    "settings not a mapping": (GOOD_HEAD + "music: loud\n", 5, "music: expected options, one `name: value` per line, found 'loud'"),
    "bad ray address": (GOOD_HEAD + "run: {executor: ray, address: 'http://head:8265'}\n", 5,
                        "run.address: 'http://head:8265' is not 'auto', 'ray://host:port' or 'host:port'"),
    # required text is not blank, model names and devices not blank when given
    "empty gallery title": ('title: ""\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n', 1,
                            "title: must not be empty"),
    "blank artwork title": ("title: T\nartworks:\n  - file: art/starry_night.jpg\n    title: '  '\n", 4,
                            "artworks[0].title: must not be empty (it is only whitespace)"),
    "empty room title": (GOOD_HEAD + "layout:\n  rooms:\n    - {title: '', artworks: [starry-night]}\n", 7,
                         "layout.rooms[0].title: must not be empty"),
    "blank music model": (GOOD_HEAD + 'music: {model: "   "}\n', 5, "music.model: must not be empty"),
    "blank ranker": (GOOD_HEAD + 'music: {ranker: ""}\n', 5, "music.ranker: must not be empty"),
    "blank caption device": (GOOD_HEAD + 'caption: {device: ""}\n', 5, "caption.device: must not be empty"),
    "blank optional encoder": (GOOD_HEAD + 'evaluate: {audio_encoder: " "}\n', 5,
                               "evaluate.audio_encoder: must not be empty"),
    "null title": ("title: ~\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n", 1,
                   "title: expected text, found nothing"),
    "javascript url": (GOOD_HEAD + "url: javascript:alert(1)//\n", 5,
                       "url: 'javascript:alert(1)//' is not an http:// or https:// address"),
    # The site's address makes every page's canonical link, og:url and og:image and the 404 page's links.
    "url that python cannot parse": (GOOD_HEAD + "url: 'https://[::1/'\n", 5,
                                     "url: 'https://[::1/' is not a web address a browser can open"),
    "url with a port out of range": (GOOD_HEAD + "url: 'https://example.org:99999/'\n", 5,
                                     "url: 'https://example.org:99999/' is not a web address a browser can open"),
    "url without a host": (GOOD_HEAD + "url: 'https:///museum/'\n", 5, "url: 'https:///museum/' has no host name"),
    "url with port 0": (GOOD_HEAD + "url: 'https://example.org:0/'\n", 5, "(port 0 is no port)"),
    "url with text after an IPv6 host": (GOOD_HEAD + "url: 'https://[::1]x/'\n", 5,
                                         "(text after the ']' of its IPv6 host)"),
    "source url with an endless port": (GOOD_HEAD + "    source_url: 'https://example.org:" + "x" * 300 + "/'\n", 5,
                                        "Port could not be cast to integer value as"),
    "url with an empty host label": (GOOD_HEAD + "url: 'https://example..org/'\n", 5, "has no host name"),
    "url that names a page": (GOOD_HEAD + "url: https://user.github.io/museum/index.html\n", 5,
                              "url: 'https://user.github.io/museum/index.html' names a page, not the folder the site "
                              "is published at: write 'https://user.github.io/museum/'"),
    "url with a query": (GOOD_HEAD + "url: 'https://example.org/museum?lang=en'\n", 5,
                         "holds a ?query or #fragment: write the address of the folder the site is published at, "
                         "such as 'https://example.org/museum/'"),
    "url with a fragment": (GOOD_HEAD + "url: 'https://example.org/#top'\n", 5, "such as 'https://example.org/'"),
    "url with a capitalised scheme": (GOOD_HEAD + "url: HTTPS://example.org/\n", 5,
                                      "url: 'HTTPS://example.org/' is not an http:// or https:// address (write "
                                      "'https://' in lower case)"),
    "url with a password": (GOOD_HEAD + "url: 'https://curator:secret@example.org/'\n", 5,
                            "holds a user name or password before the host"),
    "source url with a password": (GOOD_HEAD + "    source_url: 'https://me:pw@example.org/x'\n", 5,
                                   "artworks[0].source_url: 'https://me:pw@example.org/x' holds a user name"),
    "no texture sizes": (GOOD_HEAD + "images: {sizes: []}\n", 5, "images.sizes: must list at least 1 value, found 0"),
    "empty room": (GOOD_HEAD + "layout:\n  rooms:\n    - title: A\n      artworks: []\n", 8,
                   "layout.rooms[0].artworks: a room needs at least one artwork id"),
    "take beyond the gallery's takes": (GOOD_HEAD + "    music:\n      take: 3\nmusic: {takes: 2}\n", 6,
                                        "artworks[0].music.take: take 3, but this artwork makes 2 takes (music.takes)"),
    "take beyond the artwork's takes": (GOOD_HEAD + "    music: {takes: 2, take: 3}\n", 5,
                                        "take 3, but this artwork makes 2 takes (artworks[0].music.takes)"),
    "take of a single take": (GOOD_HEAD + "    music: {take: 2}\n", 5, "take 2, but this artwork makes 1 take "),
    "seed beyond 32 bits": (GOOD_HEAD + "music: {seed: 4294967296}\n", 5, "music.seed: must be at most 4294967295"),
    "artwork seed beyond 32 bits": (GOOD_HEAD + "    music: {seed: 18446744073709551616}\n", 5,
                                    "artworks[0].music.seed: must be at most 4294967295"),
    "prompt seed beyond 32 bits": (GOOD_HEAD + "prompt: {seed: 4294967296}\n", 5, "prompt.seed: must be at most"),
    "merge of a scalar": (GOOD_HEAD + "    <<: 5\n", 5, "artworks[0].<<: a merge key ('<<') takes a mapping"),
    # escapes that give text no page, file name or terminal should get (a NUL was an internal error, exit 3)
    "nul in a file name": ('title: T\nartworks:\n  - file: "art/starry_night.jpg\\0x"\n    title: S\n', 3,
                           "artworks[0].file: holds the character U+0000"),
    "lone surrogate": ('title: "a\\ud800b"\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n', 1,
                       "title: holds the character U+D800"),
    "terminal escape": (GOOD_HEAD + '    artist: "\\e]0;owned\\a"\n', 5, "artworks[0].artist: holds the character U+001B"),
    # a bidirectional override left open turns around what the page writes after it (", 1889" after the artist)
    "open override": (GOOD_HEAD + '    artist: "Vincent\u202e van Gogh"\n', 5,
                      "artworks[0].artist: leaves a right-to-left override (U+202E) open: it would turn around "
                      "the text after it on every page (close it with U+202C, or remove it)"),
    "open isolate": ('title: "\u2067a\u202cb"\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n', 1,
                     "title: leaves a right-to-left isolate (U+2067) open"),
    "id too long": (GOOD_HEAD + "    id: " + "a" * 81 + "\n", 5, "artworks[0].id: is too long: 81 characters (at most 80)"),
    "audio format twice": (GOOD_HEAD + "audio:\n  formats: [webm, m4a, webm]\n", 6,
                           "audio.formats[2]: 'webm' is listed twice"),
    "texture size twice": (GOOD_HEAD + "images: {sizes: [720, 720]}\n", 5, "images.sizes[1]: '720' is listed twice"),
    "no audio format": (GOOD_HEAD + "audio: {formats: []}\n", 5, "audio.formats: must list at least 1 value, found 0"),
    "unknown audio format": (GOOD_HEAD + "audio: {formats: [webm, mp3]}\n", 5,
                             "audio.formats[1]: must be one of 'webm', 'm4a', not 'mp3'"),
    # YAML 1.1 reads a number with a leading zero as octal: `seed: 010` was seed 8, silently
    "octal seed": (GOOD_HEAD + "music: {seed: 010}\n", 5,
                   "music.seed: 010 starts with a 0, so YAML reads it as the octal number 8; write 10 (or 8, if "
                   "that is what you meant)"),
    "octal artwork seed": (GOOD_HEAD + "    music: {seed: -0_17}\n", 5,
                           "artworks[0].music.seed: -0_17 starts with a 0, so YAML reads it as the octal number -15"),
    "octal duration": (GOOD_HEAD + "music:\n  duration: 020\n", 6, "music.duration: 020 starts with a 0"),
    "pixel guard switched off": (GOOD_HEAD + "images: {max_pixels: 100000000000}\n", 5,
                                 "images.max_pixels: must be at most 268435456"),
}


@pytest.mark.parametrize("url", ["https://example.org", "https://user.github.io/my.museum",
                                 "http://127.0.0.1:8000/our%20museum/", "https://[::1]:8443/"])
def test_a_site_address_of_a_folder_is_kept(folder, url):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + f"url: '{url}'\n")
    assert load_manifest(folder)[0].url == url


@pytest.mark.parametrize("source_url", ["https://example.org/page.html#detail", "https://example.org/?id=1"])
def test_a_source_link_may_name_a_page_with_a_query_or_fragment(folder, source_url):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + f"    source_url: '{source_url}'\n")
    assert load_manifest(folder)[0].artworks[0].source_url == source_url


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


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named(folder, cli, encoding):
    (folder / "gallery.yaml").write_bytes("title: T\nartworks:\n  - file: art/starry_night.jpg\n".encode(encoding))
    result = cli("build", folder)
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {folder / 'gallery.yaml'}:1:1: the file is UTF-16 text (with no "
                                     "byte-order mark); save it as UTF-8"), result.output


def test_numbers_without_a_leading_zero_are_read_as_written(folder, cli):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "music: {seed: 10, duration: 1}\naudio: {fade_in: 0.05}\n")
    assert cli("build", folder).exit_code == 0


def test_a_manifest_that_is_a_folder_is_named_so(tmp_path, cli):
    (tmp_path / "gallery.yaml").mkdir()
    result = cli("build", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / 'gallery.yaml'}: a folder, not a file"
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


# --- text is kept as written ---------------------------------------------------------------------

@pytest.mark.parametrize("written", ["12:30", "010", "3.10", "0x1F", "1.0e+500", ".NaN", "Yes", "off", "2001-01-01",
                                     "2001-12-14t21:59:43.10-05:00", "1_000"])
def test_plain_text_is_kept_as_written(folder, written):
    """YAML 1.1 would read these as 750, 8, 3.1, 31, inf, nan, true, false, a date...; a title is text."""
    (folder / "gallery.yaml").write_text(f"title: {written}\nartworks:\n  - file: art/starry_night.jpg\n"
                                         f"    title: {written}\n    year: {written}\n    description: a {written}\n")
    gallery, _ = load_manifest(folder)
    art = gallery.artworks[0]
    assert (gallery.title, art.title, art.year, art.description) == (written, written, written, f"a {written}")


def test_year_keeps_its_decimals_and_numbers_stay_numbers(folder):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "    year: 1889.10\nmusic: {duration: 12.50, seed: 0x10}\n")
    gallery, _ = load_manifest(folder)
    assert gallery.artworks[0].year == "1889.10"
    assert (gallery.music.duration, gallery.music.seed) == (12.5, 16)


# --- limits --------------------------------------------------------------------------------------

def test_text_is_capped_at_a_declared_length(folder):
    from imaudible.settings import MAX_TEXT_LENGTH

    (folder / "gallery.yaml").write_text(GOOD_HEAD + f"description: {'x' * MAX_TEXT_LENGTH}\n")
    assert len(load_manifest(folder)[0].description) == MAX_TEXT_LENGTH
    (folder / "gallery.yaml").write_text(GOOD_HEAD + f"description: {'x' * (MAX_TEXT_LENGTH + 1)}\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    assert [str(p).split(": ", 1)[1] for p in err.value.problems] == [
        f"description: is too long: {MAX_TEXT_LENGTH + 1:,} characters (at most {MAX_TEXT_LENGTH:,})"]


def test_the_largest_seed_is_accepted_and_named_for_other_modules(folder):
    from imaudible.settings import MAX_SEED

    assert MAX_SEED == 2**32 - 1
    (folder / "gallery.yaml").write_text(GOOD_HEAD + f"    music: {{seed: {MAX_SEED}}}\n"
                                         f"music: {{seed: {MAX_SEED}}}\nprompt: {{seed: {MAX_SEED}}}\n")
    gallery, _ = load_manifest(folder)
    assert gallery.music.seed == gallery.prompt.seed == gallery.artworks[0].music.seed == MAX_SEED


def test_a_pinned_take_within_the_takes_is_kept(folder):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "    music: {take: 3}\nmusic: {takes: 3}\n")
    assert load_manifest(folder)[0].artworks[0].music.take == 3


# --- merge keys ----------------------------------------------------------------------------------

def test_merge_keys_apply_and_explicit_keys_win(folder):
    (folder / "gallery.yaml").write_text(
        "title: T\n"
        "x-defaults: &defaults\n"
        "  artist: Vincent\n"
        "  year: '1889'\n"
        "  music: {seed: 7}\n"
        "x-more: &more {artist: Someone, credit: MoMA}\n"
        "artworks:\n"
        "  - <<: *defaults\n"
        "    file: art/starry_night.jpg\n"
        "    title: Starry\n"
        "  - <<: [*defaults, *more]\n"
        "    file: art/starry_night.jpg\n"
        "    id: second\n"
        "    title: Again\n"
        "    year: '1890'\n"
        "  - <<: {title: Merged}\n"
        "    file: art/starry_night.jpg\n"
        "    id: third\n")
    gallery, warnings = load_manifest(folder)
    first, second, third = gallery.artworks
    assert (first.artist, first.year, first.music.seed) == ("Vincent", "1889", 7)
    assert (second.artist, second.year, second.credit, second.music.seed) == ("Vincent", "1890", "MoMA", 7)
    assert third.title == "Merged"
    assert [w.field for w in warnings if not w.field.endswith(".file")] == ["x-defaults", "x-more"]   # no '<<'


def test_an_error_in_a_merged_value_points_at_its_own_line(folder):
    (folder / "gallery.yaml").write_text(
        "title: T\nx-defaults: &d\n  music: {seed: -1}\nartworks:\n"
        "  - <<: *d\n    file: art/starry_night.jpg\n    title: S\n    title: again\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    assert [(p.line, p.field, p.message) for p in err.value.problems] == [
        (3, "artworks[0].music.seed", "must be at least 0, not -1"),
        (8, "artworks[0].title", "duplicate key (first given on line 7)")]


def test_a_mapping_that_merges_itself_is_an_error(folder):
    (folder / "gallery.yaml").write_text("title: T\nx: &a {b: 1, <<: *a}\nartworks:\n"
                                         "  - {file: art/starry_night.jpg, title: S}\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    assert err.value.problems[0].message == "a merge key ('<<') cannot merge a mapping into itself"


def test_locate_sees_merged_options(folder):
    from imaudible.manifest import locate

    (folder / "gallery.yaml").write_text(GOOD_HEAD + "x: &m {model: builtin}\nmusic:\n  <<: *m\n")
    assert locate(folder / "gallery.yaml", "music.model") == (5, 15)


# --- bytes that are not YAML text, files that are not files --------------------------------------

def test_a_control_character_is_named_at_its_line_and_column(folder, cli):
    (folder / "gallery.yaml").write_bytes((GOOD_HEAD + 'description: "x\x01y"\n').encode())
    result = cli("build", folder)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {folder / 'gallery.yaml'}:5:16: control character U+0001 is not allowed in YAML text "
        '(write it as an escape in double quotes, e.g. "\\x01", or remove it)']


def test_invalid_utf8_is_named_at_its_line_and_column(folder):
    (folder / "gallery.yaml").write_bytes(GOOD_HEAD.encode() + "description: é ".encode() + b"caf\xe9\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    problem = err.value.problems[0]
    assert (problem.line, problem.column) == (5, 19)
    assert problem.message == "not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_a_named_pipe_is_not_read(tmp_path):
    import os

    os.mkfifo(tmp_path / "gallery.yaml")   # reading it would wait for a writer forever
    with pytest.raises(ManifestError) as err:
        load_manifest(tmp_path)
    assert err.value.problems[0].message.startswith("not a regular file (it is a named pipe)")


# --- ids from file names -------------------------------------------------------------------------

def test_ids_from_ascii_names_are_unchanged():
    from imaudible.manifest import slugify

    assert [slugify(s) for s in ("starry_night", "The Scream (1893)", "a--b", "", "---", "x~!@#y")] == [
        "starry-night", "the-scream-1893", "a-b", "artwork", "artwork", "x-y"]


def test_ids_from_other_scripts_are_distinct_and_stable():
    import re

    from imaudible.manifest import slugify

    assert (slugify("émoji 🎨 file"), slugify("Café_Terrace")) == ("emoji-file", "cafe-terrace")
    ids = [slugify(s) for s in ("山水", "花鸟", "山水 1", "Москва")]
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)
    assert len(set(ids)) == 4
    assert ids[0].startswith("artwork-") and ids[2].startswith("1-") and ids[2] != "1"
    # the same name stored decomposed (macOS) gives the same id
    assert slugify(unicodedata.normalize("NFD", "Mélodie 山")) == slugify("Mélodie 山")


def test_two_cjk_file_names_do_not_collide(folder):
    for name in ("山水", "花鸟"):
        shutil.copyfile(folder / "art" / "starry_night.jpg", folder / "art" / f"{name}.jpg")
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n  - {file: art/山水.jpg, title: A}\n"
                                         "  - {file: art/花鸟.jpg, title: B}\n", encoding="utf-8")
    first, second = load_manifest(folder)[0].artworks
    assert first.id != second.id


# --- many problems -------------------------------------------------------------------------------

def test_every_problem_is_kept_and_the_lines_for_people_are_capped(folder):
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n" + "  - {file: art/starry_night.jpg, title: S}\n" * 300)
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    assert len(err.value.problems) == 299
    lines = err.value.lines()
    assert len(lines) == 21 and lines[:20] == [str(p) for p in err.value.problems[:20]]
    assert lines[-1] == "... and 279 more problems"
    assert err.value.lines(limit=298) == [str(p) for p in err.value.problems]   # never "... and 1 more"


# --- JSON Schema ---------------------------------------------------------------------------------

def test_schema_reflects_the_constraints():
    from imaudible.settings import MAX_SEED, MAX_TEXT_LENGTH

    schema = json_schema()
    props = schema["properties"]
    art = props["artworks"]["items"]["properties"]
    assert props["title"]["minLength"] == 1 and props["title"]["pattern"] == r"\S"
    assert props["description"]["maxLength"] == MAX_TEXT_LENGTH
    assert props["url"]["pattern"] == art["source_url"]["pattern"]
    assert props["images"]["properties"]["sizes"]["minItems"] == 1 and props["artworks"]["minItems"] == 1
    assert props["layout"]["properties"]["rooms"]["items"]["properties"]["artworks"]["minItems"] == 1
    assert props["music"]["properties"]["seed"]["maximum"] == MAX_SEED
    assert props["prompt"]["properties"]["seed"]["maximum"] == MAX_SEED
    assert props["audio"]["properties"]["formats"] == {**props["audio"]["properties"]["formats"], "type": "array",
                                                       "items": {"enum": ["webm", "m4a"]}, "minItems": 1,
                                                       "uniqueItems": True, "default": ["webm", "m4a"]}
    assert art["music"]["properties"]["seed"]["anyOf"][0]["maximum"] == MAX_SEED
    assert props["evaluate"]["properties"]["audio_encoder"]["anyOf"][0]["minLength"] == 1


def test_schema_is_valid_and_agrees_with_the_loader():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {"title": "T", "url": "https://example.org/", "artworks": [{"file": "a.jpg", "title": "S", "year": 1889}]}
    assert list(validator.iter_errors(good)) == []
    for bad in ({**good, "title": " "}, {**good, "url": "javascript:alert(1)//"}, {**good, "images": {"sizes": []}},
                {**good, "music": {"seed": 2**32}}, {**good, "description": "x" * 100_001}):
        assert list(validator.iter_errors(bad)), bad


def test_a_symlink_loop_and_an_unreadable_folder_are_named(folder, cli):
    (folder / "art" / "loop1").symlink_to("loop2")
    (folder / "art" / "loop2").symlink_to("loop1")
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n  - file: art/loop1\n    title: S\n")
    result = cli("build", folder)
    assert result.exit_code == 2 and result.output.strip().splitlines() == [
        f"error: {folder / 'gallery.yaml'}:3:11: artworks[0].file: cannot read 'art/loop1': "
        "Too many levels of symbolic links"]


def test_a_long_file_name_gets_a_short_id_that_stays_distinct():
    from imaudible.manifest import slugify

    stem = "a-very-long-title-of-a-painting-" * 5
    one, other = slugify(stem + "1"), slugify(stem + "2")
    assert len(one) <= 80 and len(other) <= 80 and one != other
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", one) and slugify(stem + "1") == one


@pytest.mark.parametrize("on_disk, in_manifest", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_file_name_in_another_unicode_normal_form_is_found(folder, cli, on_disk, in_manifest):
    # macOS writes names decomposed (NFD); editors type them composed (NFC). A Mac finds either: so must we.
    disk = unicodedata.normalize(on_disk, "Études/Café.jpg")
    (folder / disk).parent.mkdir()
    shutil.copyfile(folder / "art" / "starry_night.jpg", folder / disk)
    typed = unicodedata.normalize(in_manifest, "Études/Café.jpg")
    assert typed != disk
    (folder / "gallery.yaml").write_text(f"title: T\nmusic: {{duration: 1}}\nartworks:\n  - file: {typed}\n"
                                         "    title: C\n", encoding="utf-8")
    art = load_manifest(folder)[0].artworks[0]
    assert (art.file, art.id) == (disk, "cafe")
    result = cli("build", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "build" / "art" / "cafe" / "index.html").is_file()


def test_two_files_that_differ_only_in_normal_form_are_not_guessed_between(folder):
    for form in ("NFC", "NFD"):   # Linux keeps both; a name that is neither is no one file
        shutil.copyfile(folder / "art" / "starry_night.jpg", folder / "art" / unicodedata.normalize(form, "é é.jpg"))
    mixed = "\u00e9 e\u0301.jpg"
    (folder / "gallery.yaml").write_text(f"title: T\nartworks:\n  - {{file: art/{mixed}, title: C}}\n",
                                         encoding="utf-8")
    with pytest.raises(ManifestError, match="no such file"):
        load_manifest(folder)


def test_file_names_that_differ_only_in_case_are_warned_about(folder, cli):
    # fine on Linux (and Netlify); on a Mac checkout one file replaces the other, and two works show one image
    shutil.copyfile(folder / "art" / "starry_night.jpg", folder / "art" / "Starry_Night.jpg")
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n  - {file: art/starry_night.jpg, title: A}\n"
                                         "  - {file: art/Starry_Night.jpg, title: B, id: b}\n")
    gallery, warnings = load_manifest(folder)
    assert len(gallery.artworks) == 2
    assert [str(w) for w in warnings] == [
        f"{folder / 'gallery.yaml'}:4:12: artworks[1].file: 'art/Starry_Night.jpg' and 'art/starry_night.jpg' "
        "(artworks[0]) differ only in case: on a Mac or Windows disk one file replaces the other; rename one"]


def test_an_image_hung_twice_under_its_own_id_is_a_warning(folder):
    (folder / "gallery.yaml").write_text(GOOD_HEAD + "  - file: art/starry_night.jpg\n    title: Again\n    id: again\n")
    gallery, warnings = load_manifest(folder)
    assert [a.id for a in gallery.artworks] == ["starry-night", "again"]
    assert [(w.line, w.field, w.message) for w in warnings] == [
        (5, "artworks[1].file", "'art/starry_night.jpg' is also the image of artworks[0]: it hangs twice")]


def test_a_missing_manifest_is_named_without_a_line_it_does_not_have(tmp_path, cli):
    result = cli("build", tmp_path)
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {tmp_path / 'gallery.yaml'}: no such file "
                                     f"(create one with `imaudible-site init {tmp_path}`)")


def test_an_image_reached_through_a_linked_folder_names_the_link_and_the_fix(tmp_path, cli):
    """A curator who linked the art folder in saw only "'art/x.jpg' is outside the gallery folder", though art/ is
    right there in it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(ART / "starry_night.jpg", elsewhere / "starry_night.jpg")
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "art").symlink_to("../elsewhere")
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n")
    result = cli("build", folder)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (f"error: {folder}/gallery.yaml:3:11: artworks[0].file: 'art/starry_night.jpg' is outside "
                                     "the gallery folder (through the link 'art' -> '../elsewhere'); copy the image "
                                     "into the gallery folder and name it from there"), result.output
    assert not (folder / CACHE_DIR_NAME).exists()


def test_the_link_named_is_the_one_that_leads_out(tmp_path, cli):
    """art -> pictures stays inside; the image link in pictures/ is the one that leads out, and is named."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(ART / "starry_night.jpg", elsewhere / "starry_night.jpg")
    folder = tmp_path / "g"
    (folder / "pictures").mkdir(parents=True)
    (folder / "pictures" / "starry_night.jpg").symlink_to("../../elsewhere/starry_night.jpg")
    (folder / "art").symlink_to("pictures")
    (folder / "gallery.yaml").write_text("title: T\nartworks:\n  - file: art/starry_night.jpg\n    title: S\n")
    result = cli("build", folder)
    assert result.exit_code == 2, result.output
    assert "(through the link 'art/starry_night.jpg' -> '../../elsewhere/starry_night.jpg')" in result.output, \
        result.output

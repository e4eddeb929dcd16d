"""Files outside the site are never deleted, written or served; names that become paths are checked whole;
the out folder is checked before any stage runs; NaN/inf never reach JSON; exit codes tell what happened."""
from __future__ import annotations

import ast
import json
import os
import threading
from pathlib import Path

import pytest
import yaml

from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.serve import PreviewServer

from .conftest import write_gallery
from .test_serve import request

PACKAGE = Path(__file__).resolve().parents[1] / "imaudible"
ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]


def build(cli, folder: Path, *extra):
    return cli("build", folder, *extra)


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")} if folder.exists() else set()


def owned_list(out: Path) -> dict:
    return json.loads((out / ".imaudible-build.json").read_text())


def craft_owned_list(out: Path, entries: list[str]) -> None:
    data = owned_list(out)
    files = data["files"]
    if isinstance(files, dict):
        files.update({entry: "0" * 64 for entry in entries})
    else:
        files.extend(entries)
    data["key"] = "stale"  # make the next build write (and clean up)
    (out / ".imaudible-build.json").write_text(json.dumps(data))


# --- the ownership list ---------------------------------------------------------------------------

def test_crafted_ownership_list_deletes_nothing_outside_the_site(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    out = folder / "build"
    victims = [tmp_path / "victim.txt", folder / "gallery-notes.txt", tmp_path / "outside" / "secret.txt"]
    for victim in victims:
        victim.parent.mkdir(exist_ok=True)
        victim.write_text("precious")
    (out / "linked").symlink_to(tmp_path / "outside")
    (out / "curator-notes.txt").write_text("mine, not the tool's")
    craft_owned_list(out, ["../../victim.txt", "../gallery-notes.txt", str(tmp_path / "victim.txt"),
                           "linked/secret.txt", "assets/../../gallery-notes.txt", "curator-notes.txt",
                           "index.html\x00.txt", "./../victim.txt", "", ".", "..", "assets"])
    result = build(cli, folder)
    assert result.exit_code == 0, result.output
    for victim in victims:
        assert victim.read_text() == "precious"
    assert (out / "curator-notes.txt").read_text() == "mine, not the tool's"
    assert "ignored" in result.output and "../../victim.txt" in result.output
    listed = owned_list(out)["files"]
    assert all(not name.startswith(("..", "/")) and "linked" not in name for name in listed)


def test_clean_deletes_only_what_the_tool_wrote(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    out = folder / "build"
    (tmp_path / "victim.txt").write_text("precious")
    (out / "curator-notes.txt").write_text("mine")
    craft_owned_list(out, ["../../victim.txt"])
    result = cli("clean", folder)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "victim.txt").read_text() == "precious"
    assert (out / "curator-notes.txt").read_text() == "mine"
    assert not (out / "index.html").exists()


def test_symlinked_folder_inside_build_is_never_written_through(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    out = folder / "build"
    outside = tmp_path / "outside"
    outside.mkdir()
    import shutil
    shutil.rmtree(out / "art")
    (out / "art").symlink_to(outside)
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(tmp_path / "outside" / "not-there.html")
    craft_owned_list(out, [])
    assert build(cli, folder).exit_code == 0
    assert list(outside.iterdir()) == []
    assert not (out / "art").is_symlink() and (out / "art" / "starry-night" / "index.html").is_file()
    assert not (out / "index.html").is_symlink()


# --- the out folder -------------------------------------------------------------------------------

def _refused(cli, folder: Path, out: Path, monkeypatch=None):
    before = files_under(out) if os.path.isdir(out) and out != Path("/") else None
    result = build(cli, folder, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1, result.output
    assert not (folder / CACHE_DIR_NAME).exists(), "a stage ran (or the cache was written) before the check"
    if before is not None:
        assert files_under(out) == before


@pytest.mark.parametrize("where", ["gallery", "ancestor", "cache", "static", "root", "home", "foreign",
                                   "file", "under-a-file", "name-too-long", "report", "inside-report"])
def test_dangerous_out_folders_are_refused_before_any_stage(tmp_path, cli, monkeypatch, where):
    folder = write_gallery(tmp_path / "g", ONE)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "thesis.docx").write_text("years of work")
    (tmp_path / "a-file").write_text("x")
    (folder / "static").mkdir()
    out = {"gallery": folder, "ancestor": tmp_path, "cache": folder / CACHE_DIR_NAME / "site",
           "static": folder / "static" / "site", "root": Path("/"), "home": home,
           "foreign": tmp_path / "foreign", "file": tmp_path / "a-file",
           "under-a-file": tmp_path / "a-file" / "site",
           "name-too-long": tmp_path / ("x" * 300) / "site",  # ENAMETOOLONG (was exit 3: "build failed")
           # evaluate writes GALLERY/report/: a site built there had its index.html replaced by the report's
           "report": folder / "report", "inside-report": folder / "report" / "site"}[where]
    _refused(cli, folder, out)


def test_unwritable_cache_folder_is_exit_2_before_any_stage(gallery, cli):
    (gallery / CACHE_DIR_NAME).write_text("a file where the cache folder should be")
    result = build(cli, gallery)
    assert result.exit_code == 2, result.output
    assert not (gallery / "build").exists()


# --- a killed build's temporary files ----------------------------------------------------------------

@pytest.mark.parametrize("change", [False, True])
def test_leftover_tmp_files_of_a_killed_build_are_removed(tmp_path, cli, change):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    out = folder / "build"
    leftovers = [out / ".index.html.k3j_9x2a.tmp", out / "assets" / "img" / ".starry.webp.ab12cd34.tmp",
                 out / ".imaudible-build.json.zz99yy88.tmp"]
    for path in leftovers:
        path.write_bytes(b"half written")
    if change:
        manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
        manifest["title"] = "Renamed"
        (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    assert build(cli, folder).exit_code == 0
    assert not any(path.exists() for path in leftovers)
    text = "".join((out / name).read_text() for name in ("gallery.json", "_headers", ".imaudible-build.json"))
    assert ".tmp" not in text


# --- the gallery's own static/ and templates/ ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["static-file", "static-dir", "static-root", "template-file", "templates-root"])
def test_gallery_static_and_templates_may_not_leave_the_gallery(tmp_path, cli, kind):
    folder = write_gallery(tmp_path / "g", ONE)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "id_rsa").write_text("PRIVATE KEY")
    (outside / "list.html").write_text("{{ gallery.title }} PRIVATE KEY")
    if kind == "static-file":
        (folder / "static").mkdir()
        (folder / "static" / "key.txt").symlink_to(outside / "id_rsa")
    elif kind == "static-dir":
        (folder / "static").mkdir()
        (folder / "static" / "home").symlink_to(outside)
    elif kind == "static-root":
        (folder / "static").symlink_to(outside)
    elif kind == "template-file":
        (folder / "templates").mkdir()
        (folder / "templates" / "list.html").symlink_to(outside / "list.html")
    else:
        (folder / "templates").symlink_to(outside)
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert "outside the gallery" in result.output
    assert not (folder / "build").exists() and not (folder / CACHE_DIR_NAME).exists()


def test_symlinks_inside_the_gallery_are_fine(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "shared").mkdir()
    (folder / "shared" / "extra.css").write_text("body{}")
    (folder / "static").mkdir()
    (folder / "static" / "extra.css").symlink_to(folder / "shared" / "extra.css")
    assert build(cli, folder).exit_code == 0


# --- names that become paths --------------------------------------------------------------------------

@pytest.mark.parametrize("art_id", ["abc\n", "abc\ndef", "\u0430bc", "abc/../x", "ab c"])
def test_artwork_ids_are_matched_whole(tmp_path, cli, art_id):
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "S", "id": art_id}])
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert "gallery.yaml:" in result.output and "id" in result.output


def test_model_revisions_are_matched_whole(tmp_path):
    from imaudible import models

    resolved = models._resolve("music", "facebook/musicgen-small", "a" * 40 + "\n", "auto", tmp_path, {})
    assert "\n" not in resolved.revision


# --- NaN and infinity ------------------------------------------------------------------------------

@pytest.mark.parametrize("where, value", [
    ("valence", ".nan"), ("arousal", "-.inf"), ("temperature", ".inf"), ("duration", ".NaN"),
    ("size_cm", "[.inf, 10]"), ("loudness", "-.inf"),
])
def test_nan_and_infinity_are_refused_with_file_line_column(tmp_path, cli, where, value):
    folder = write_gallery(tmp_path / "g", ONE)
    text = (folder / "gallery.yaml").read_text()
    art = "  title: The Starry Night\n"
    line = {"valence": f"{art}  mood:\n    valence: {value}\n", "arousal": f"{art}  mood:\n    arousal: {value}\n",
            "temperature": f"{art}  music:\n    temperature: {value}\n", "duration": f"{art}  music:\n    duration: {value}\n",
            "size_cm": f"{art}  size_cm: {value}\n"}.get(where)
    if line:
        text = text.replace(art, line)
    else:
        text += f"audio:\n  loudness: {value}\n"
    (folder / "gallery.yaml").write_text(text)
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    first = result.output.splitlines()[0]
    number = next(i for i, l in enumerate(text.splitlines(), 1) if value in l)
    assert f"gallery.yaml:{number}:" in first and "finite" in first, first
    assert not (folder / CACHE_DIR_NAME).exists()


@pytest.mark.parametrize("where", ["gallery", "artwork"])
def test_a_guidance_scale_that_overflows_the_sampler_is_refused_with_file_line_column(tmp_path, cli, where):
    """`guidance_scale: 1.0e+300` passed the manifest and then failed every artwork at music with torch's
    "probability tensor contains either inf, nan or element < 0" (exit 1)."""
    folder = write_gallery(tmp_path / "g", ONE)
    text = (folder / "gallery.yaml").read_text()
    if where == "gallery":
        text = text.replace("music:\n", "music:\n  guidance_scale: 1.0e+300\n", 1)
    else:
        art = "  title: The Starry Night\n"
        text = text.replace(art, f"{art}  music:\n    guidance_scale: 1.0e+300\n")
    (folder / "gallery.yaml").write_text(text)
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    number = next(i for i, line in enumerate(text.splitlines(), 1) if "1.0e+300" in line)
    assert f"gallery.yaml:{number}:" in result.output and "guidance_scale: must be at most 100" in result.output
    assert not (folder / CACHE_DIR_NAME).exists()


def test_a_beam_width_that_would_fill_the_memory_is_refused_with_file_line_column(tmp_path, cli):
    """`caption.num_beams: 3000000` passed and each artwork then failed (or the machine swapped) allocating
    millions of beams."""
    folder = write_gallery(tmp_path / "g", ONE, caption={"model": "auto", "num_beams": 3000000})
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert "caption.num_beams: must be at most 32, not 3000000" in result.output and "gallery.yaml:" in result.output
    assert not (folder / CACHE_DIR_NAME).exists()


def _json_writes(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("dump", "dumps") and getattr(node.func.value, "id", "") == "json":
            yield node


def test_every_json_write_in_the_package_refuses_nan():
    offenders, seen = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        for call in _json_writes(ast.parse(path.read_text())):
            seen += 1
            allowed = [k for k in call.keywords if k.arg == "allow_nan"]
            if not allowed or not (isinstance(allowed[0].value, ast.Constant) and allowed[0].value.value is False):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{call.lineno}")
    assert seen > 5 and not offenders, offenders


# --- exit codes ------------------------------------------------------------------------------------

def test_internal_error_during_the_build_is_not_exit_1(gallery, cli, monkeypatch):
    from imaudible import audio

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(audio, "finish", broken)  # every artwork fails: the build itself is fine, exit 1
    result = build(cli, gallery)
    assert result.exit_code == 1
    monkeypatch.undo()
    from imaudible import site

    monkeypatch.setattr(site, "render_site", broken)
    result = build(cli, gallery)
    assert result.exit_code == 3, result.output
    assert "internal error" in result.output


# --- serve -----------------------------------------------------------------------------------------

@pytest.fixture()
def site(tmp_path):
    """A built/ folder with links that lead out of it (served by conftest's `server`)."""
    root = tmp_path / "build"
    (root / "art" / "x").mkdir(parents=True)
    (root / "art" / "y").mkdir(parents=True)
    (root / "index.html").write_text("<html><body>home</body></html>")
    (tmp_path / "secret.html").write_text("<html><body>SECRET</body></html>")
    (root / "art" / "x" / "index.html").symlink_to(tmp_path / "secret.html")
    (root / "art" / "z").symlink_to(tmp_path)  # a directory leaving the root
    (root / "404.html").symlink_to(tmp_path / "secret.html")
    return root


@pytest.mark.parametrize("path", ["/art/x/", "/art/x/index.html", "/art/z/", "/art/z/secret.html",
                                  "/art/y/", "/missing", "/404.html", "/art/%2e%2e/%2e%2e/secret.html",
                                  "/art/x/%00", "/art%2fx%2f"])
def test_serve_never_answers_from_outside_the_root(server, path):
    response, body = request(server, path)
    assert response.status in (400, 403, 404), (path, response.status)
    assert b"SECRET" not in body


def test_serve_sends_the_headers_of_the_deployed_site(gallery, cli):
    assert build(cli, gallery).exit_code == 0
    out = gallery / "build"
    expected, block = {}, None
    for line in (out / "_headers").read_text().splitlines():
        if line and not line.startswith((" ", "#")):
            block = line
        elif block == "/*" and line.startswith("  "):
            name, _, value = line.strip().partition(": ")
            expected[name] = value
    assert "Content-Security-Policy" in expected
    preview = PreviewServer(out, port=0)
    thread = threading.Thread(target=preview.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/", "/gallery.json", "/missing"):
            response, _ = request(preview, path)
            for name, value in expected.items():
                assert response.getheader(name) == value, (path, name)
    finally:
        preview.shutdown()
        thread.join(5)


# --- symlinks in the cache -------------------------------------------------------------------------

def test_a_cache_folder_that_is_a_symlink_is_refused(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "tmp").mkdir(parents=True)
    (elsewhere / "tmp" / "precious.txt").write_text("precious")
    (folder / CACHE_DIR_NAME).symlink_to(elsewhere)
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert (elsewhere / "tmp" / "precious.txt").read_text() == "precious"
    assert not (folder / "build").exists()
    (folder / CACHE_DIR_NAME).unlink()
    (folder / CACHE_DIR_NAME).symlink_to(tmp_path)    # a folder holding the gallery: said as it is
    result = build(cli, folder)
    assert result.exit_code == 2 and "is a symlink to" in result.output and "outside the gallery" in result.output
    assert not (folder / "build").exists()


def test_symlinks_inside_the_cache_are_never_followed(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    objects = folder / CACHE_DIR_NAME / "objects"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("precious")
    import shutil
    shutil.rmtree(objects / "audio")
    (objects / "audio").symlink_to(outside)  # results would be written (and pruned) through it
    prefix = next((objects / "music").iterdir())
    moved = tmp_path / "music-prefix"
    shutil.move(prefix, moved)
    prefix.symlink_to(moved)
    shutil.rmtree(folder / CACHE_DIR_NAME / "tmp", ignore_errors=True)
    (folder / CACHE_DIR_NAME / "tmp").symlink_to(outside)
    result = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    assert cli("clean", folder, "--unused").exit_code == 0
    assert (outside / "precious.txt").read_text() == "precious" and any(moved.iterdir())


def test_static_file_names_that_are_no_site_path_are_refused_before_any_stage(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "static").mkdir()
    (folder / "static" / "my style.css").write_text("body{}")
    result = build(cli, folder)
    assert result.exit_code == 2 and "my style.css" in result.output, result.output
    assert not (folder / CACHE_DIR_NAME).exists()


def test_clean_cache_removes_a_symlinked_cache_link_only(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("precious")
    (folder / CACHE_DIR_NAME).symlink_to(elsewhere)
    result = cli("clean", folder, "--cache")
    assert result.exit_code == 0, result.output
    assert (elsewhere / "precious.txt").read_text() == "precious" and not (folder / CACHE_DIR_NAME).exists()


def test_missing_front_end_is_exit_2_before_any_stage(tmp_path, cli, monkeypatch):
    import shutil

    from imaudible.site import render as site

    theme = tmp_path / "theme"
    shutil.copytree(site.THEME_DIR / "templates", theme / "templates")
    (theme / "static").mkdir()
    monkeypatch.setattr(site, "THEME_DIR", theme)
    folder = write_gallery(tmp_path / "g", ONE)
    result = build(cli, folder)
    assert result.exit_code == 2 and "front end" in result.output, result.output
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()


def test_serve_no_build_serves_only_a_site_imaudible_built(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "id_rsa").write_text("PRIVATE KEY")
    result = cli("serve", folder, "--no-build", "--out", tmp_path / "foreign", "--port", 0)
    assert result.exit_code == 2 and "not made by imaudible" in result.output, result.output


def test_gallery_templates_cannot_reach_python_internals(tmp_path, cli):
    """A gallery's own templates are data from whoever made the gallery: they render in Jinja's sandbox."""
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
        "{{ c(['touch', '" + str(tmp_path / "pwned") + "']) }}{% endif %}{% endfor %}")
    result = build(cli, folder)
    assert not (tmp_path / "pwned").exists()
    assert result.exit_code == 2 and "list.html" in result.output and "Traceback" not in result.output, result.output


@pytest.mark.parametrize("body, expected", [
    ("{{ 'a' * 10**10 }}", "would be too large"),            # filled the memory, or exit 3 as an internal error
    ("{{ [1] * 100000000 }}", "would be too large"),
    ("{{ 10 ** 100000000 }}", "would be too large"),
    ("{{ lipsum(min=1000, max=1000) }}", "ValueError"),        # exit 3, an internal error
    ("{{ range(10**9) | list }}", "list.html"),
    # no operator to intercept: only the child process's memory limit stops these
    ("{{ 'a' | center(10**10) }}", "uses more memory than a page may"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "uses more memory than a page may"),
    ("{% for a in range(100000) %}{% for b in range(100000) %}page{% endfor %}{% endfor %}",
     "uses more memory than a page may"),
])
def test_a_gallery_template_cannot_exhaust_the_build(tmp_path, cli, body, expected):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(body)
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: template list.html: ") and expected in last, result.output
    assert "Traceback" not in result.output


def test_a_gallery_template_that_never_ends_is_stopped_and_the_site_kept(tmp_path, cli, monkeypatch):
    """A loop that allocates nothing runs until the child's CPU limit ends it: one line, and the site the last
    build wrote is still there, whole."""
    from imaudible.site import pages

    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder).exit_code == 0
    before = {p: p.read_bytes() for p in (folder / "build").rglob("*") if p.is_file()}
    monkeypatch.setattr(pages, "CHILD_CPU_SECONDS", 2)
    (folder / "templates").mkdir()
    (folder / "templates" / "list.html").write_text(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == \
        "error: the gallery's templates ran for more than 2 s of CPU time (a loop that does not end?); " \
        "the site was not written"
    assert {p: p.read_bytes() for p in (folder / "build").rglob("*") if p.is_file()} == before


def test_every_model_load_refuses_code_shipped_with_the_model():
    """A model folder can come with a gallery: its config may name Python files (`auto_map`), which
    transformers runs (or asks whether to run) unless told not to. Every `from_pretrained` in the package
    says `trust_remote_code=False`, itself or through `load_options`; one did not, and offered to run a
    gallery's code."""
    package = Path(__file__).resolve().parent.parent / "imaudible"
    unsafe = []
    def is_load_options(value) -> bool:
        return isinstance(value, ast.Call) and getattr(value.func, "id", "") == "load_options"

    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        option_names = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and is_load_options(n.value)
                        for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "from_pretrained":
                named = {k.arg: k.value for k in node.keywords}
                spread = [k.value for k in node.keywords if k.arg is None]
                refuses = isinstance(named.get("trust_remote_code"), ast.Constant) \
                    and named["trust_remote_code"].value is False
                through_options = any(is_load_options(v) or (isinstance(v, ast.Name) and v.id in option_names)
                                      for v in spread)
                if not (refuses or through_options):
                    unsafe.append(f"{path.relative_to(package)}:{node.lineno}")
    assert unsafe == []


def test_the_report_file_replaces_a_link_the_gallery_ships(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (folder / "report.json").symlink_to(victim)
    result = cli("build", folder, "--report", folder / "report.json")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not (folder / "report.json").is_symlink() and json.loads((folder / "report.json").read_text())["totals"]


_NOT_FILES = [(where, kind, "file") for where in ("templates/index.html", "static/extra.css", "static/deep/x.js")
              for kind in ("FIFO", "link to nothing")]
_NOT_FOLDERS = [(where, kind, "folder") for where in ("templates", "static") for kind in ("file", "link to nothing", "FIFO")]


@pytest.mark.parametrize("where, kind, wanted", _NOT_FILES + _NOT_FOLDERS)
def test_a_gallery_theme_entry_of_the_wrong_kind_is_refused_before_anything_runs(tmp_path, cli, where, kind, wanted):
    """A FIFO named templates/index.html was skipped by the template loader without a word (the default page
    was built), and one in static/ would block the build reading it; a templates (or static) that is a file, a
    FIFO or a link to nothing was skipped too. Each is one line, before any stage."""
    folder = write_gallery(tmp_path / "g", ONE)
    path = folder / where
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "file":
        path.write_text("{{ oops }}")
    elif kind == "FIFO":
        os.mkfifo(path)
    else:
        path.symlink_to(folder / "nowhere")
    result = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert f"'{where}' is a {kind}, not a {wanted}" in result.output
    assert not (folder / "build").exists() and not (folder / CACHE_DIR_NAME / "objects").exists()

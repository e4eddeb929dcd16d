"""`add` takes only the curator's images (never the tool's own output, never a file the build cannot read),
and every edit keeps the manifest's bytes: CRLF line endings, a UTF-8 BOM, seeds within their range."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from imaudible import curate
from imaudible.cli import main
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.manifest import load_manifest
from imaudible.settings import MAX_SEED
from imaudible.site.output_folder import OWNED_LIST

from .conftest import limit_file_size

MANIFEST = "title: T\nmusic: {takes: 3}\nartworks:\n  - file: art/dawn.jpg\n    title: Dawn\n"
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)   # an ISO-BMFF file of brand heic


def _image(path, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (200, 40, 10)).save(path, fmt)
    return path


def _gallery(folder, text=MANIFEST):
    _image(folder / "art" / "dawn.jpg")
    (folder / "gallery.yaml").write_text(text)
    return folder


def _files(site):
    return [a.file for a in load_manifest(site)[0].artworks]


def test_add_never_takes_the_tools_own_output(tmp_path):
    site = _gallery(tmp_path)
    _image(site / "art" / "noon.jpg")
    for rel in ("build/assets/img/dawn-720.1a2b.webp", "public/assets/img/dawn-720.1a2b.webp",
                f"{CACHE_DIR_NAME}/ab/cd/thumb.png", "report/media/dawn.thumb.webp", "static/floor.jpg",
                "templates/preview.png", ".drafts/old.jpg", "art/.hidden.jpg"):
        _image(site / rel)
    (site / "public" / OWNED_LIST).write_text('{"format": 2, "files": {}}')   # what every build writes
    _image(site / "elsewhere" / "site" / "assets" / "x.webp")
    (site / "elsewhere" / "site" / OWNED_LIST).write_text("{}")   # a site built with --out elsewhere/site
    _image(site / "art" / "build" / "scaffold.jpg")   # a curator's folder that only happens to be called build
    added = curate.add(site, [site])
    assert [line.split(":")[0] for line in added] == ["art/build/scaffold.jpg", "art/noon.jpg"]
    assert _files(site) == ["art/dawn.jpg", "art/build/scaffold.jpg", "art/noon.jpg"]


@pytest.mark.parametrize("rel", ["public/assets/img/dawn-720.1a2b.webp", "public", f"{CACHE_DIR_NAME}/x.png",
                                 "report/media/a.webp", "build/a.webp"])
def test_add_refuses_a_named_file_or_folder_of_the_tools_output(tmp_path, rel):
    site = _gallery(tmp_path)
    for name in ("public/assets/img/dawn-720.1a2b.webp", f"{CACHE_DIR_NAME}/x.png", "report/media/a.webp",
                 "build/a.webp"):
        _image(site / name, "PNG")
    (site / "public" / OWNED_LIST).write_text("{}")
    with pytest.raises(curate.CurateError, match="not artworks"):
        curate.add(site, [site / rel])
    assert (site / "gallery.yaml").read_text() == MANIFEST


def test_add_takes_every_format_the_build_decodes(tmp_path):
    from imaudible.images import decodable_formats

    site = _gallery(tmp_path)
    assert {".avif", ".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"} <= curate.accepted_suffixes()
    if "AVIF" not in decodable_formats():
        pytest.skip("this Pillow has no AVIF")
    _image(site / "new" / "dusk.avif")
    _image(site / "new" / "LOUD.TIF")
    assert len(curate.add(site, [site / "new"])) == 2
    assert curate.add(site, [site / "new" / "dusk.avif"]) == []       # named again: already there, not twice
    assert _files(site) == ["art/dawn.jpg", "new/LOUD.TIF", "new/dusk.avif"]


def test_add_skips_a_found_file_the_build_cannot_read_and_refuses_a_named_one(tmp_path):
    from imaudible.images import decodable_formats

    formats = ", ".join(decodable_formats())
    site = _gallery(tmp_path)
    new = site / "new"
    _image(new / "good.png")
    (new / "fake.png").write_text("not an image at all\n")
    (new / "ppm.jpg").write_bytes(b"P6\n8 8\n255\n" + bytes(8 * 8 * 3))   # Pillow reads PPM; the build does not
    _image(new / "raster.ico", "ICO")                                      # an image format the build does not read
    (new / "notes.txt").write_text("a sidecar, not worth a warning")
    (new / "phone.heic").write_bytes(HEIC_HEAD)                            # the iPhone's own format
    (new / "phone-renamed.jpg").write_bytes(HEIC_HEAD)
    warnings = []
    assert [line.split(":")[0] for line in curate.add(site, [new], warn=warnings.append)] == ["new/good.png"]
    assert sorted(warnings) == [
        f"skipped 'new/fake.png': not an image the build can read ({formats})",
        "skipped 'new/phone-renamed.jpg': a HEIC/HEIF image (the iPhone's photo format), which the build cannot "
        "read (export it as JPEG or PNG)",
        f"skipped 'new/phone.heic': HEIC, a format the build does not read ({formats}); export it as JPEG or PNG",
        f"skipped 'new/ppm.jpg': not an image the build can read ({formats})",
        f"skipped 'new/raster.ico': ICO, a format the build does not read ({formats}); export it as JPEG or PNG"]
    before = (site / "gallery.yaml").read_text()
    _image(new / "other.png")
    with pytest.raises(curate.CurateError, match="'.*fake.png' is not an image the build can read"):
        curate.add(site, [new / "other.png", new / "fake.png"])   # nothing is written, other.png neither
    assert (site / "gallery.yaml").read_text() == before


def test_add_decodes_the_pixels_a_damaged_file_is_refused_not_found_broken_by_the_build(tmp_path):
    """The header alone passed a JPEG cut short in a copy: `add` listed it and the next build failed on it."""
    site = _gallery(tmp_path)
    new = site / "new"
    new.mkdir()
    noise = Image.effect_noise((320, 240), 60).convert("RGB")     # pixel data well past the header
    noise.save(new / "whole.jpg")
    whole = (new / "whole.jpg").read_bytes()
    (new / "cut.jpg").write_bytes(whole[: len(whole) * 2 // 3])
    noise.save(new / "cut.png")
    (new / "cut.png").write_bytes((new / "cut.png").read_bytes()[: -2000])
    warnings = []
    assert [line.split(":")[0] for line in curate.add(site, [new], warn=warnings.append)] == ["new/whole.jpg"]
    assert sorted(warnings) == [
        "skipped 'new/cut.jpg': damaged: file is truncated (the build could not decode it)",
        "skipped 'new/cut.png': damaged: file is truncated (the build could not decode it)"]
    with pytest.raises(curate.CurateError, match=r"cut.jpg' is damaged: file is truncated"):
        curate.add(site, [new / "cut.jpg"])


def test_a_named_image_is_read_by_its_content_not_its_name(tmp_path):
    site = _gallery(tmp_path)
    _image(site / "scan", "JPEG")
    assert len(curate.add(site, [site / "scan"])) == 1


def test_add_refuses_an_image_over_the_pixel_limit(tmp_path):
    site = _gallery(tmp_path, MANIFEST + "images: {max_pixels: 1000}\n")
    Image.new("L", (40, 30)).save(site / "big.png")
    with pytest.raises(curate.CurateError, match=r"40x30 = 1,200 pixels, over images.max_pixels \(1,000\)"):
        curate.add(site, [site / "big.png"])


def test_add_handles_nested_folders_spaces_unicode_and_duplicates(tmp_path):
    site = _gallery(tmp_path)
    _image(site / "new sub" / "deeper" / "été à Paris.png")
    _image(site / "new sub" / "[draft] #1: yes.jpg")
    added = curate.add(site, [site / "new sub", site / "new sub" / "[draft] #1: yes.jpg", site / "art"])
    assert len(added) == 2
    gallery = load_manifest(site)[0]
    assert [(a.file, a.title) for a in gallery.artworks[1:]] == [
        ("new sub/[draft] #1: yes.jpg", "[draft] #1: yes"), ("new sub/deeper/été à Paris.png", "Été à Paris")]


def test_add_takes_a_year_written_at_the_end_of_a_name_as_the_year(tmp_path):
    site = _gallery(tmp_path)
    for name in ("The Scream (1893).jpg", "Udnie, 1913.jpg", "great_wave_(c. 1831).png", "1984.jpg",
                 "Composition 8.jpg", "Nymphéas (1914-1926).jpg"):
        _image(site / "new" / name)
    curate.add(site, [site / "new"])
    gallery = load_manifest(site)[0]
    assert sorted((a.title, a.year) for a in gallery.artworks[1:]) == sorted([
        ("The Scream", "1893"), ("Udnie", "1913"), ("Great wave", "c. 1831"), ("1984", ""),
        ("Composition 8", ""), ("Nymphéas", "1914-1926")])


def test_add_skips_pipes_and_links_found_in_a_folder(tmp_path):
    # A named pipe called *.jpg made `add` wait forever (Pillow opened it); a symlink loop was "internal
    # error: RuntimeError", exit 3; one link to a file outside the gallery stopped the whole `add`.
    import os

    site = _gallery(tmp_path / "g")
    new = site / "new"
    _image(new / "good.png")
    os.mkfifo(new / "pipe.jpg")
    (new / "a.jpg").symlink_to("b.jpg")
    (new / "b.jpg").symlink_to("a.jpg")
    (new / "gone.jpg").symlink_to("nothing-here.jpg")
    (new / "away.jpg").symlink_to(_image(tmp_path / "elsewhere" / "away.jpg"))
    (new / "inside.jpg").symlink_to("good.png")   # a link within the gallery: the same image, added once
    warnings = []
    assert [line.split(":")[0] for line in curate.add(site, [new], warn=warnings.append)] == ["new/good.png"]
    assert sorted(warnings) == [
        "skipped 'new/a.jpg': a link that leads nowhere (Too many levels of symbolic links)",
        f"skipped 'new/away.jpg': a link to '{(tmp_path / 'elsewhere' / 'away.jpg').resolve()}', outside the "
        "gallery folder; copy the file in instead",
        "skipped 'new/b.jpg': a link that leads nowhere (Too many levels of symbolic links)",
        "skipped 'new/gone.jpg': a link that leads nowhere (No such file or directory)",
        "skipped 'new/pipe.jpg': not a regular file (it is a named pipe)"]


def test_the_cli_prints_a_skipped_file_as_a_warning(tmp_path):
    site = _gallery(tmp_path)
    _image(site / "new" / "good.png")
    (site / "new" / "fake.png").write_text("text")
    result = CliRunner().invoke(main, ["add", str(site / "new"), "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "warning: skipped 'new/fake.png': not an image the build can read" in result.output
    assert "1 artwork(s) added" in result.output


@pytest.mark.parametrize("edit", [lambda s: curate.pick(s, "dawn", 2), lambda s: curate.reroll(s, "dawn"),
                                  lambda s: curate.add(s, [_image(s / "art" / "noon.jpg")])])
def test_edits_keep_crlf_line_endings_and_a_bom(tmp_path, edit):
    site = _gallery(tmp_path)
    original = b"\xef\xbb\xbf" + MANIFEST.replace("\n", "\r\n").encode()
    (site / "gallery.yaml").write_bytes(original)
    edit(site)
    after = (site / "gallery.yaml").read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and after.count(b"\n") == after.count(b"\r\n") > MANIFEST.count("\n")
    assert after.startswith(original)                                  # only lines added at the end
    (site / "gallery.yaml").write_bytes(MANIFEST.encode())             # and a plain LF file stays LF
    edit(site)
    assert b"\r" not in (site / "gallery.yaml").read_bytes()


def test_reroll_wraps_to_zero_past_the_largest_seed(tmp_path):
    site = _gallery(tmp_path, MANIFEST.replace("{takes: 3}", f"{{takes: 3, seed: {MAX_SEED}}}")
                    + "  - file: art/noon.jpg\n    title: Noon\n    music: {seed: %d}\n" % (MAX_SEED - 1))
    _image(site / "art" / "noon.jpg")
    assert "new seed 0" in curate.reroll(site, "dawn")       # inherits the gallery's seed, the largest there is
    assert "new seed %d" % MAX_SEED in curate.reroll(site, "noon")
    assert "new seed 0" in curate.reroll(site, "noon")
    assert [a.music.seed for a in load_manifest(site)[0].artworks] == [0, 0]


def test_add_keeps_control_characters_out_of_the_manifest(tmp_path):
    """An embedded title is anyone's text and a file name anything the disk allows: what `add` writes must
    load (the manifest refuses control characters) and show safely."""
    from tests.evaluate.test_curate import _xmp

    site = _gallery(tmp_path)
    Image.new("RGB", (8, 8)).save(site / "art" / "owned.jpg", xmp=_xmp("Dusk\x9b31m\nred\tsky"))
    # an override left open would turn around what the page writes after the title; a balanced isolate is kept
    Image.new("RGB", (8, 8)).save(site / "art" / "turned.jpg", xmp=_xmp("Noon \u202eyks der"))
    Image.new("RGB", (8, 8)).save(site / "art" / "hebrew.jpg", xmp=_xmp("\u2067\u05e9\u05dc\u05d5\u05dd\u2069 at dusk"))
    _image(site / "art" / "bad\x1b[31mname.jpg")
    result = CliRunner().invoke(main, ["add", str(site / "art"), "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "skipped 'art/bad\\x1b[31mname.jpg': a file name with control characters" in result.output
    gallery, _ = load_manifest(site)
    assert sorted((a.file, a.title) for a in gallery.artworks)[1:] == [
        ("art/hebrew.jpg", "\u2067\u05e9\u05dc\u05d5\u05dd\u2069 at dusk"), ("art/owned.jpg", "Dusk 31m red sky"),
        ("art/turned.jpg", "Noon yks der")]



@pytest.mark.parametrize("name", [os.fsdecode(b"bad\xffname.jpg"), "turned\u202egpj.jpg"])
def test_add_skips_a_file_name_the_manifest_cannot_hold_and_adds_the_rest(tmp_path, name):
    """A name that is no UTF-8, or that leaves a text-direction override open, is refused by the manifest: one
    such file found in a folder made the whole `add` fail (quoting a temporary file); it is skipped instead."""
    site = _gallery(tmp_path)
    _image(site / "art" / name)
    _image(site / "art" / "noon.jpg")
    result = CliRunner().invoke(main, ["add", str(site / "art"), "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "skipped 'art/" in result.output and "rename the file" in result.output
    assert "art/noon.jpg" in [a.file for a in load_manifest(site)[0].artworks]

def test_edits_keep_the_manifests_permissions(tmp_path):
    """A manifest shared with a group stays shared: the rewrite used mkstemp's 0600."""
    site = _gallery(tmp_path)
    (site / "gallery.yaml").chmod(0o664)
    _image(site / "art" / "noon.jpg")
    curate.add(site, [site / "art" / "noon.jpg"])
    curate.reroll(site, "noon")
    assert (site / "gallery.yaml").stat().st_mode & 0o777 == 0o664


def test_an_edit_the_disk_refuses_names_the_manifest_and_leaves_it_as_it_was(tmp_path):
    """A full disk fails the write of the edited copy, naming no file (`cannot access: No space left on
    device`); the error names gallery.yaml, which keeps its bytes, and no temporary copy is left."""
    site = _gallery(tmp_path / "g", MANIFEST + "#" * (70 * 1024) + "\n")   # over the child's 64 KiB limit
    before = (site / "gallery.yaml").read_bytes()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-m", "imaudible.cli", "reroll", "dawn", "--site", str(site)],
                         capture_output=True, text=True, env=env, preexec_fn=limit_file_size)
    assert (run.returncode, run.stderr) == (3, f"error: cannot write '{site / 'gallery.yaml'}': File too large; the file "
                                      "system or a limit on file size (ulimit -f) allows no file this large "
                                      "(everything finished so far is kept)\n")
    assert (site / "gallery.yaml").read_bytes() == before
    assert sorted(p.name for p in site.iterdir()) == ["art", "gallery.yaml"]


@pytest.mark.parametrize("artworks", ["artworks: []\n", "artworks:\n", "artworks:\n# - file: x.jpg\n", ""])
def test_add_fills_a_gallery_with_no_artworks_yet(tmp_path, artworks):
    """`artworks:` left empty after deleting init's example, or not there at all, is a gallery to fill."""
    (tmp_path / "art").mkdir()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(tmp_path / "art" / "dawn.jpg")
    (tmp_path / "gallery.yaml").write_text("title: T\n" + artworks)
    assert curate.add(tmp_path, [tmp_path / "art"]) == ["art/dawn.jpg: 'Dawn'"]
    gallery, _ = load_manifest(tmp_path / "gallery.yaml")
    assert [a.file for a in gallery.artworks] == ["art/dawn.jpg"]


def test_add_still_refuses_a_manifest_with_other_problems(tmp_path):
    (tmp_path / "gallery.yaml").write_text("titel: T\nartworks:\n")
    with pytest.raises(curate.CurateError, match="fix the manifest first"):
        curate.add(tmp_path, [tmp_path])


def test_add_given_the_gallery_folder_as_a_path_says_to_name_it_with_site(tmp_path, monkeypatch):
    """`add g1 g1/new.jpg` from outside g1: the gallery is --site's, and the error says so rather than only
    that there is no gallery here; nothing is written anywhere."""
    site = _gallery(tmp_path / "g1")
    _image(site / "new.jpg")
    before = (site / "gallery.yaml").read_bytes()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["add", "g1", "g1/new.jpg"])
    assert result.exit_code == 2
    assert "there is one in g1" in result.output and "add --site g1 g1/new.jpg" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (site / "gallery.yaml").read_bytes() == before and not (tmp_path / "gallery.yaml").exists()
    # and as suggested, it adds the image
    result = CliRunner().invoke(main, ["add", "--site", "g1", "g1/new.jpg"])
    assert result.exit_code == 0, result.output
    assert _files(site) == ["art/dawn.jpg", "new.jpg"]

"""images.sizes end to end: any set of sizes builds, the site lists exactly the files that exist, and a
source too small for its place is warned about and never named after a size it does not have."""
from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from .conftest import DEMO, write_gallery
from .test_build import build


@pytest.mark.parametrize("sizes", [[512], [800, 1600]])
def test_any_set_of_sizes_builds_and_the_site_lists_what_exists(tmp_path, cli, sizes):
    artworks = [{"file": f"art/{f}", "title": t} for f, t, _, _ in DEMO]  # 1528, 1024, 192 and 512 px long
    folder = write_gallery(tmp_path / "gallery", artworks, images={"sizes": sizes})
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    out = folder / "build"
    data = json.loads((out / "gallery.json").read_text())
    for art in data["artworks"]:
        long_edge = max(art["width"], art["height"])
        textures = {name: im for name, im in art["images"].items() if name != "thumb"}
        assert textures, art["id"]
        for name, im in art["images"].items():
            for fmt in ("webp", "jpg"):
                if fmt in im:
                    with Image.open(out / im[fmt]) as shown:
                        assert shown.size == (im["width"], im["height"])
        for name, im in textures.items():
            assert int(name) == max(im["width"], im["height"]) <= long_edge   # a texture is the size it is named
        filled = {str(size) for size in sizes if size <= long_edge}
        assert filled <= set(textures)
        for name, im in textures.items():   # WebP up to 720 px, JPEG above; og:image's texture also a JPEG
            assert ("webp" in im) == (int(name) <= 720) and ("jpg" in im or int(name) <= 720)
        assert any("jpg" in im for im in textures.values())
        page = (out / art["page"] / "index.html").read_text()
        og = re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)
        assert og.endswith(".jpg") and (out / art["page"] / og).resolve().is_file()


def test_small_source_warns_and_is_not_named_as_a_bigger_size(tmp_path, cli):
    artworks = [{"file": "art/water_lilies.jpg", "title": "Lilies"},                          # 192 x 192
                {"file": "art/starry_night.jpg", "title": "Night", "size_cm": [92, 74]}]       # 1024 px, fine
    folder = write_gallery(tmp_path / "gallery", artworks)
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    warnings = [w for w in report["warnings"] if "is small" in w]
    assert len(warnings) == 1 and "water_lilies.jpg" in warnings[0] and "192 px" in warnings[0]
    data = json.loads((folder / "build" / "gallery.json").read_text())
    lilies = next(a for a in data["artworks"] if a["title"] == "Lilies")
    assert set(lilies["images"]) == {"192", "thumb"}
    assert not any(re.search(r"-(1024|2048)\.", p.name) for p in (folder / "build").rglob("lilies*"))

    # a real size far bigger than the pixels can carry: warned as well (1024 px over 3 m is 34 px per 10 cm)
    artworks[1]["size_cm"] = [300, 190]
    write_gallery(folder, artworks)
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert any("starry_night.jpg" in w and "size_cm" in w for w in report["warnings"])


def test_many_small_sources_are_counted_in_one_line_and_listed_in_the_report(tmp_path, cli):
    """A gallery of many small scans must not bury its other warnings under one line per image."""
    (tmp_path / "gallery" / "art").mkdir(parents=True)
    for n in range(8):
        Image.new("RGB", (300 + n, 200), (40 * n, 90, 120)).save(tmp_path / "gallery" / "art" / f"scan-{n}.png")
    folder = write_gallery(tmp_path / "gallery", [{"file": f"art/scan-{n}.png", "title": f"Scan {n}"}
                                                  for n in range(8)])
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    printed = [line for line in result.output.splitlines() if "is small" in line]
    assert printed == [f"warning: 'art/scan-{n}.png' is small: {300 + n} px on its long edge, under the smallest "
                       f"texture size (720 px, images.sizes); it is shown at {300 + n} px and will look soft"
                       for n in range(3)]
    assert "warning: 5 more sources are small for their place" in result.output
    listed = [w for w in report["warnings"] if "is small" in w]
    assert [re.search(r"scan-(\d)", w).group(1) for w in listed] == [str(n) for n in range(8)]


def test_an_animation_is_said_to_show_its_first_frame_on_every_build(tmp_path, cli):
    (tmp_path / "gallery" / "art").mkdir(parents=True)
    frames = [Image.new("RGB", (800, 600), colour) for colour in ("navy", "gold", "white")]
    frames[0].save(tmp_path / "gallery" / "art" / "loop.gif", save_all=True, append_images=frames[1:])
    folder = write_gallery(tmp_path / "gallery", [{"file": "art/loop.gif", "title": "Loop"}])
    said = "warning: 'art/loop.gif': GIF with 3 frames: the first frame is used"
    for _ in range(2):   # computed, then from cache
        result, report = build(cli, folder)
        assert result.exit_code == 0, result.output
        assert said in result.output.splitlines()
        assert said.removeprefix("warning: ") in report["warnings"]


def test_a_long_narrow_source_without_size_cm_is_said_to_hang_as_a_strip(tmp_path, cli):
    """A 9:1 panorama gets ~0.35 m of height on the wall and a 1:7 scroll ~0.4 m of width: said, on every
    build; with size_cm the curator has said how large it really is, and nothing is said."""
    (tmp_path / "gallery" / "art").mkdir(parents=True)
    Image.new("RGB", (3600, 400), "teal").save(tmp_path / "gallery" / "art" / "pano.jpg")
    Image.new("RGB", (300, 2100), "tan").save(tmp_path / "gallery" / "art" / "scroll.jpg")
    Image.new("RGB", (2000, 400), "navy").save(tmp_path / "gallery" / "art" / "wide.jpg")   # 5:1, under the line
    artworks = [{"file": f"art/{name}.jpg", "title": name} for name in ("pano", "scroll", "wide")]
    folder = write_gallery(tmp_path / "gallery", artworks)
    for _ in range(2):   # computed, then from cache
        result, report = build(cli, folder)
        assert result.exit_code == 0, result.output
        strips = [line for line in result.output.splitlines() if "thin strip" in line]
        assert strips == [
            "warning: 'art/pano.jpg' is 9.0 times as wide as it is high (3600x400 px): on the wall it hangs as a "
            "thin strip (its close-up shows it whole); give its real size as size_cm, or crop it",
            "warning: 'art/scroll.jpg' is 7.0 times as high as it is wide (300x2100 px): on the wall it hangs as a "
            "thin strip (its close-up shows it whole); give its real size as size_cm, or crop it"]
        assert len([w for w in report["warnings"] if "thin strip" in w]) == 2
    artworks[0]["size_cm"] = [450, 50]
    write_gallery(folder, artworks)
    result, _ = build(cli, folder)
    assert "pano.jpg" not in "".join(line for line in result.output.splitlines() if "thin strip" in line)

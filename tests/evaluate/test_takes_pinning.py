"""With music.takes: N the cache keeps every take; music: {take: K} (what `pick` writes) makes the site use take
K without regenerating any music; the report plays every take."""
from __future__ import annotations

import json

import pytest

from imaudible import curate
from imaudible.manifest import load_manifest
from imaudible.build import build_gallery
from tests.conftest import write_gallery

pytestmark = pytest.mark.slow


def _build(folder):
    gallery, _ = load_manifest(folder)
    return build_gallery(gallery, folder / "build", jobs=1)


def test_every_take_is_cached_and_a_pin_swaps_the_audio_only(tmp_path):
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "Starry"}],
                           music={"duration": 2, "takes": 3})
    first = _build(folder)
    music = first.runs[0].entries["music"]
    chosen = music.meta["takes"]["chosen"]
    assert music.meta["takes"]["count"] == 3 and len(music.meta["takes"]["problems"]) == 3
    stored = sorted(p.name for p in music.path.glob("*.bin"))
    assert stored == sorted(["clip.bin"] + [f"take{n}.bin" for n in (1, 2, 3) if n != chosen + 1])
    audio_before = first.runs[0].entries["audio"].read("audio.webm")

    other = next(n for n in (1, 2, 3) if n != chosen + 1)
    curate.pick(folder, "starry-night", other)
    second = _build(folder)
    records = second.to_dict()["artworks"]["starry-night"]["stages"]
    assert records["music"]["status"] == "cached" and records["audio"]["status"] == "computed"
    assert second.runs[0].entries["audio"].read("audio.webm") != audio_before
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert site["artworks"][0]["audio"]["webm"]
    takes = site["artworks"][0]["takes"]          # what the site plays, not only what the ranker chose
    assert (takes["chosen"], takes["played"], takes["pinned"]) == (chosen, other, True)

    curate.pick(folder, "starry-night", chosen + 1)    # pinning the ranked choice gives back the first audio
    third = _build(folder)
    assert third.runs[0].entries["audio"].read("audio.webm") == audio_before


def test_report_plays_every_take_with_its_reason(tmp_path):
    from click.testing import CliRunner

    from imaudible.cli import main

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "Starry"},
                                            {"file": "art/the_scream.jpg", "title": "Scream"}],
                           music={"duration": 2, "takes": 2})
    curate.pick(folder, "the-scream", 2)
    result = CliRunner().invoke(main, ["evaluate", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "report" / "report.json").read_text())
    starry, scream = data["artworks"]
    assert [t["number"] for t in starry["takes"]] == [1, 2] and sum(t["chosen"] for t in starry["takes"]) == 1
    assert any(t["reason"].startswith("kept:") for t in starry["takes"])
    assert scream["takes"][1]["chosen"] and scream["takes"][1]["reason"].startswith("kept: pinned by the curator")
    assert scream["takes"][0]["reason"] == "not used: the curator pinned take 2"
    for art in (starry, scream):
        for take in art["takes"]:
            assert (folder / "report" / take["audio"]["webm"]).stat().st_size > 1000
    html = (folder / "report" / "index.html").read_text()
    assert html.count("<audio controls") == 4

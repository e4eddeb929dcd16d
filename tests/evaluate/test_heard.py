"""Loudness and true peak of every take as the site plays it (finished with the gallery's audio settings,
encoded), not as generated: a new user read -11.3 LUFS for "take 1 (in the site)" of 3 s clips whose webm
measured -14.0 LUFS."""
from __future__ import annotations

import json

import pytest

from imaudible import audio
from tests.conftest import write_gallery

pytestmark = pytest.mark.slow


def test_every_take_is_measured_as_heard_and_the_site_take_as_published(tmp_path):
    from click.testing import CliRunner

    from imaudible.cli import main

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "Starry"},
                                            {"file": "art/the_scream.jpg", "title": "Scream"}],
                           music={"duration": 3, "takes": 2}, audio={"loudness": -16.0})
    result = CliRunner().invoke(main, ["evaluate", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "report" / "report.json").read_text())
    site = {a["id"]: a for a in json.loads((folder / "build" / "gallery.json").read_text())["artworks"]}
    for art in data["artworks"]:
        for take in art["takes"]:
            heard = take["heard"]
            assert heard["format"] == "webm" and heard["loudness_lufs"] == pytest.approx(-16.0, abs=0.3)
            assert heard["true_peak_dbtp"] <= -0.5
            assert abs(take["health"]["loudness_lufs"] - heard["loudness_lufs"]) > 1.0    # the raw take is louder
            played = audio.measure((folder / "report" / take["audio"]["webm"]).read_bytes(), "webm")
            assert heard["loudness_lufs"] == pytest.approx(played["loudness_lufs"], abs=0.01)
        chosen = next(t for t in art["takes"] if t["chosen"])
        published = folder / "build" / site[art["id"]]["audio"]["webm"]
        assert chosen["heard"]["loudness_lufs"] == pytest.approx(audio.measure(published.read_bytes(), "webm")
                                                                 ["loudness_lufs"], abs=0.01)
    assert data["summary"]["health"]["heard_mean_loudness_lufs"] == pytest.approx(-16.0, abs=0.3)
    html = (folder / "report" / "index.html").read_text()
    assert "(in the site)" in html and "as heard on the site (webm): -1" in html

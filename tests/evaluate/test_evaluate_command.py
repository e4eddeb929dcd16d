"""`imaudible-site evaluate` end to end with the built-ins (no weights): report beside build/, cached
measures (a second run computes nothing), a variant with paired tests, one that changes no music, the
published report without local paths, and one-line errors."""
from __future__ import annotations

import json

import pytest

from tests.conftest import write_gallery

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from click.testing import CliRunner

    from imaudible.cli import main

    folder = write_gallery(tmp_path_factory.mktemp("eval") / "g", music={"duration": 2})
    runner = CliRunner()
    args = ["evaluate", str(folder), "--variant", "music.seed=7"]
    first = runner.invoke(main, args)
    first.report = json.loads((folder / "report" / "report.json").read_text())
    second = runner.invoke(main, args)
    return folder, first, second


def test_report_is_written_beside_build(evaluated):
    folder, first, _ = evaluated
    assert first.exit_code == 0, first.output
    assert (folder / "report" / "index.html").is_file() and (folder / "build" / "index.html").is_file()
    assert not (folder / "build" / "report").exists()           # report: private is the default
    data = json.loads((folder / "report" / "report.json").read_text())
    assert len(data["artworks"]) == 3 and all(a["drafts"]["music"] for a in data["artworks"])
    assert any("CLAP" in line and "not available" in line for line in data["skipped"])
    assert data["fad"]["note"].startswith("FAD needs a reference set")
    for art in data["artworks"]:
        take = art["takes"][0]
        assert take["chosen"] and (folder / "report" / take["audio"]["webm"]).is_file()
        assert take["health"]["loudness_lufs"] is not None
        # 2 s clips: no tempo or mood reading, and the report says why instead of showing noise
        assert take["valence"] is None and take["arousal"] is None and take["features"]["tempo_bpm"] is None
        assert take["unmeasured"]["tempo_bpm"] == "too short to measure: 2.0 s of audio, tempo needs at least 8 s"
        assert art["scores"]["mood_distance"] is None and art["scores"]["unmeasured"]["mood_distance"]
    assert data["summary"]["mood"]["note"].startswith("too short to measure")
    html = (folder / "report" / "index.html").read_text()
    assert "too short to measure: 2.0 s of audio; tempo, mode, key, valence and arousal need at least 8 s" in html


def test_second_run_recomputes_nothing(evaluated):
    folder, first, second = evaluated
    assert second.exit_code == 0, second.output
    assert "(0 clips measured, 3 from cache)" in second.output
    assert "computing" not in second.output                   # no stage of the build or the variant ran
    data = json.loads((folder / "report" / "report.json").read_text())
    assert data["variants"][0]["computed"] == 0 and first.report["variants"][0]["computed"] == 3


def test_variant_is_reported_with_paired_tests(evaluated):
    folder, first, _ = evaluated
    data = first.report
    (variant,) = data["variants"]
    assert variant["name"] == "music.seed=7" and variant["test"] == "Wilcoxon signed-rank"
    assert variant["music_changed"] == variant["artworks"] == 3 and "note" not in variant
    assert variant["tests"]["repetition"]["n"] == 3
    assert list(variant["tests"]) == ["repetition"] and "p_adjusted" not in variant["tests"]["repetition"]  # alone
    # no mood reading of 2 s clips: those tests are left out, with the reason, not run on nothing
    assert "mood distance (features)" not in variant["tests"]
    assert variant["left_out"]["music arousal"] == "3 artwork(s) left out: music too short to measure"
    site = json.loads((folder / "build" / "gallery.json").read_text())
    # the site keeps the current settings' music: the variant's went to the cache only
    assert [a["audio"] for a in site["artworks"]] != [] and variant["summary"]["health"]["clips_with_problems"] == 0
    assert "Variants" in (folder / "report" / "index.html").read_text()


@pytest.mark.parametrize("variant", ["prompt.remove_stopwords=true", "music.guidance_scale=5"])
def test_a_variant_that_changes_no_music_says_so_instead_of_p_values(tmp_path, variant):
    # The built-in composer ignores guidance_scale (new music keys, the same bytes); with it, the stopword
    # variant gave p = 1.000 on every measure and no word that the comparison could show nothing.
    from click.testing import CliRunner

    from imaudible.cli import main

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"},
                                            {"file": "art/the_scream.jpg", "title": "Scream"}], music={"duration": 2})
    result = CliRunner().invoke(main, ["evaluate", str(folder), "-q", "--variant", variant])
    assert result.exit_code == 0, result.output
    assert f"warning: --variant {variant}: the variant changed no music: nothing to compare" in result.output
    (reported,) = json.loads((folder / "report" / "report.json").read_text())["variants"]
    assert reported["note"] == "the variant changed no music: nothing to compare"
    assert reported["tests"] == {} and reported["music_changed"] == 0 and reported["artworks"] == 2
    html = (folder / "report" / "index.html").read_text()
    assert "the variant changed no music: nothing to compare" in html and "Wilcoxon" not in html
    # the prompt each of the variant's clips was made from is in the report, whatever its music
    current = {a["id"]: a["prompt"] for a in json.loads((folder / "report" / "report.json").read_text())["artworks"]}
    assert set(reported["prompts"]) == set(current)
    if variant.startswith("prompt."):
        assert reported["prompts_changed"] == ["udnie", "the-scream"]
        assert all(len(reported["prompts"][i].split()) < len(current[i].split()) for i in current)
        assert "prompts under prompt.remove_stopwords=true: 2 of 2 differ from the current ones" in html
    else:
        assert reported["prompts"] == current and reported["prompts_changed"] == []


@pytest.mark.parametrize("variant", [
    "prompt.remove_stopword=true",
    "music.duration=[",                 # was a multi-line YAML error with exit 3
    "music.duration=-5",                # these four were accepted: the manifest's limits were not checked
    "music.guidance_scale=.nan",
    "music.takes=0",
    "images.mat_colour=red",
    "music.model=nonsense",             # these two were found only after the main evaluation had run
    "caption.model=./no-such-model",
])
def test_bad_variant_is_one_line_and_changes_nothing(tmp_path, cli, variant):
    folder = write_gallery(tmp_path / "g")
    result = cli("evaluate", str(folder), "--variant", variant)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("error: --variant") and len(result.output.strip().splitlines()) == 1
    assert not (folder / "report").exists() and not (folder / "build").exists()


@pytest.mark.parametrize("variant, message", [
    ("title=", "(must not be empty)"),                 # these were accepted: checked by type and limits only
    ("caption.device=", "(must not be empty)"),
    ("music.takes=1", "(artworks[0].music.take: take 3, but this artwork makes 1 take (music.takes)"),
])
def test_a_variant_gets_every_check_the_manifest_gets(tmp_path, cli, variant, message):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie", "music": {"take": 3}}],
                           music={"takes": 3})
    result = cli("evaluate", str(folder), "--variant", variant)
    assert result.exit_code == 2, result.output
    key = variant.split("=")[0]
    assert result.output.startswith(f"error: --variant {key}: not a value gallery.yaml accepts here {message}")
    assert len(result.output.splitlines()) == 1
    assert not (folder / "report").exists() and not (folder / "build").exists()


def test_an_error_naming_a_value_with_a_newline_is_whole_on_one_line(tmp_path, cli):
    # The message was cut at the value's newline: "cannot read '1" and nothing more.
    folder = write_gallery(tmp_path / "g")
    result = cli("evaluate", str(folder), "--variant", "music.seed=1\ntitle: x\x1b[2J")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: --variant music.seed: cannot read '1\\x0atitle: x\\x1b[2J' (")
    assert len(result.output.splitlines()) == 1
    assert not (folder / "report").exists() and not (folder / "build").exists()


@pytest.mark.parametrize("make, message", [
    (lambda path: None, "no such folder"),
    (lambda path: path.write_bytes(b"RIFF"), "is a file; give the folder"),   # was "no such folder"
    (lambda path: path.mkdir(), "holds no audio files"),
])
def test_bad_reference_is_one_line_and_changes_nothing(tmp_path, cli, make, message):
    folder = write_gallery(tmp_path / "g")
    make(tmp_path / "reference")
    result = cli("evaluate", str(folder), "--reference", str(tmp_path / "reference"))
    assert result.exit_code == 2 and result.output.startswith("error: --reference:") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (folder / "report").exists() and not (folder / "build").exists()


@pytest.mark.parametrize("setup, out, message", [
    (lambda g: (g / "report").write_text("my notes"), "build", "is a file or a link"),   # was exit 3, after the build
    (lambda g: None, "report", "would be the published folder"),     # was exit 3, with the site built into report/
    (lambda g: None, "report/site", "is inside the report folder"),  # was exit 0, the site deleted by the clean-up
    (lambda g: None, ".", "would be inside the published folder"),
])
def test_report_and_output_folders_that_clash_are_refused_before_any_work(tmp_path, cli, setup, out, message):
    folder = write_gallery(tmp_path / "g")
    setup(folder)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    result = cli("evaluate", str(folder), "--out", str(folder / out))
    assert result.exit_code == 2 and result.output.startswith("error: ") and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before     # nothing built, nothing removed


def test_when_every_artwork_fails_the_last_good_report_is_kept(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2})
    assert cli("evaluate", str(folder), "-q").exit_code == 0
    report = {p: p.read_bytes() for p in (folder / "report").rglob("*") if p.is_file()}
    (folder / "art" / "udnie.jpg").write_bytes(b"no longer an image")
    result = cli("evaluate", str(folder), "-q")
    assert result.exit_code == 1       # was exit 1 after an empty report replaced the good one, media and all
    assert result.output.strip().splitlines()[-1] == \
        "error: no artwork could be evaluated (1 failed); the report was left as it was"
    assert {p: p.read_bytes() for p in (folder / "report").rglob("*") if p.is_file()} == report


def test_a_failed_artwork_is_an_error_line_naming_its_file_and_stage(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"},
                                            {"file": "art/broken.jpg", "title": "Broken"}], music={"duration": 2})
    (folder / "art" / "broken.jpg").write_bytes(b"not an image")
    result = cli("evaluate", str(folder), "-q")
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if "broken" in line]
    assert failed == ["error: artwork 'broken' (art/broken.jpg) failed at ingest: cannot decode 'broken.jpg': "
                      "not an image, or not a supported format (JPEG, PNG, WEBP, GIF, TIFF, BMP, AVIF)"]


def test_pick_reroll_add_commands(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", music={"takes": 2})
    result = cli("pick", "starry-night", "2", "--site", str(folder))
    assert result.exit_code == 0 and "take 2 pinned" in result.output
    assert cli("pick", "starry-night", "3", "--site", str(folder)).exit_code == 2
    assert cli("reroll", "nobody", "--site", str(folder)).output.startswith("error: no artwork with id 'nobody'")
    assert "nothing to add" in cli("add", str(folder / "art"), "--site", str(folder)).output


def test_public_report_is_copied_into_the_site_and_linked(tmp_path, cli):
    import os

    import yaml

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2},
                           report="public")
    assert cli("evaluate", str(folder), "-q").exit_code == 0
    published = folder / "build" / "report"
    private = (folder / "report" / "report.json").read_text()
    hf_home = os.environ["HF_HOME"]        # where the missing CLAP weights were looked for
    assert hf_home in private               # the private report may say where
    for name in ("index.html", "report.json", "report.csv"):
        text = (published / name).read_text()
        assert hf_home not in text and str(tmp_path) not in text and "/hub/models--" not in text, name
    data = json.loads((published / "report.json").read_text())
    assert any("the Hugging Face cache of laion/clap-htsat-unfused" in line for line in data["skipped"])
    assert data["links"]["site"] == "../" and data["artworks"] == json.loads(private)["artworks"]
    assert 'href="../"' in (published / "index.html").read_text()
    assert list((published / "media").glob("*.webm"))
    assert 'href="report/"' in (folder / "build" / "list.html").read_text()
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    manifest["report"] = "private"
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    assert cli("build", str(folder), "-q").exit_code == 0
    assert not published.exists() and 'href="report/"' not in (folder / "build" / "list.html").read_text()
    assert (folder / "report" / "index.html").is_file()          # the private copy stays


def test_a_crafted_evaluate_result_publishes_no_page_or_script(tmp_path, cli):
    """A cached evaluate result (its meta's digest made to match) named a take's format "html": the report,
    and with `report: public` the site, published it as a same-origin page."""
    import hashlib

    from imaudible.engine.cache import CACHE_DIR_NAME, meta_digest

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "U"}],
                           music={"duration": 2, "takes": 2}, report="public")
    assert cli("evaluate", folder).exit_code == 0
    result_dir, = (folder / CACHE_DIR_NAME / "objects" / "evaluate").glob("??/*")
    stored = json.loads((result_dir / "result.json").read_text())
    page = b"<script>alert(1)</script>"
    (result_dir / "take2.html").write_bytes(page)
    stored["files"]["take2.html"] = {"size": len(page), "sha256": hashlib.sha256(page).hexdigest()}
    for take in stored["meta"]["takes"]:
        if take["number"] == 2:
            take["formats"] = ["html"]
    stored["meta_sha256"] = meta_digest(stored["meta"])
    (result_dir / "result.json").write_text(json.dumps(stored))
    result = cli("evaluate", folder)
    assert result.exit_code == 0, result.output
    assert cli("build", folder, "-q").exit_code == 0
    assert not list(folder.rglob("*.take2.html"))


@pytest.mark.parametrize("settings", [{}, {"report": "public"}])
def test_clean_unused_after_a_variant_keeps_the_sites_music(tmp_path, cli, settings):
    # The variant's build (and the rebuild that publishes the report) recorded only what it used as the
    # cache's in-use list: `clean --unused` then deleted the site's music and the evaluation's measures.
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2},
                           **settings)
    assert cli("evaluate", folder, "-q", "--variant", "music.seed=7").exit_code == 0
    assert cli("clean", folder, "--unused").exit_code == 0
    again = cli("evaluate", folder)
    assert again.exit_code == 0, again.output
    assert "computing" not in again.output and "(0 clips measured, 1 from cache)" in again.output


def test_the_report_is_written_under_the_build_lock(tmp_path, cli, monkeypatch):
    # Written outside it, two evaluations at once (or serve's refresh beside a manual run) interleaved their
    # files in report/ and deleted each other's media as stale.
    from imaudible.engine.cache import CACHE_DIR_NAME, Cache
    from imaudible.engine.cache_lock import BuildLocked
    from imaudible.evaluate import report

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2})
    write = report.write_report
    held = []

    def checking(*args, **kwargs):
        try:
            with Cache(folder / CACHE_DIR_NAME).lock(timeout=0):
                held.append(False)
        except BuildLocked:
            held.append(True)
        return write(*args, **kwargs)

    monkeypatch.setattr(report, "write_report", checking)
    assert cli("evaluate", folder, "-q").exit_code == 0
    assert held == [True] and (folder / "report" / "report.json").is_file()


def test_report_records_what_made_each_clip(evaluated):
    """Seed, duration and the other generation settings and the prompt per artwork: enough to make a clip again."""
    import csv

    folder, first, _ = evaluated
    for art in first.report["artworks"]:
        assert art["generation"] == {"duration": 2.0, "seed": 0, "guidance_scale": 3.0, "top_k": 250,
                                     "temperature": 1.0, "takes": 1}
    rows = list(csv.DictReader((folder / "report" / "report.csv").open()))
    assert [(r["prompt"], r["seed"], r["duration"]) for r in rows] == \
        [(a["prompt"], "0", "2.0") for a in first.report["artworks"]]
    assert "seed 0, 2.0 s" in (folder / "report" / "index.html").read_text()


def test_report_says_who_wrote_each_prompt(evaluated):
    import csv

    folder, first, _ = evaluated
    assert {a["models"]["prompt"] for a in first.report["artworks"]} == {"builtin:template"}
    assert {r["prompt_model"] for r in csv.DictReader((folder / "report" / "report.csv").open())} == {"builtin:template"}
    assert "prompt: builtin:template" in (folder / "report" / "index.html").read_text()


def test_the_report_records_curator_moods_images_hung_twice_and_failed_artworks(tmp_path, cli):
    """What the summary's figures rest on: a mood set in gallery.yaml, one image file hung twice, and an
    artwork whose image does not decode (left out, and named in the report, not only on the terminal)."""
    import shutil

    art = [{"file": "art/starry_night.jpg", "title": "Starry", "mood": {"valence": 0.9}},
           {"file": "art/copy.jpg", "title": "Copy"}, {"file": "art/the_scream.jpg", "title": "Scream"},
           {"file": "art/broken.jpg", "title": "Broken"}]
    folder = write_gallery(tmp_path / "g", art, music={"duration": 8})
    shutil.copyfile(folder / "art" / "the_scream.jpg", folder / "art" / "copy.jpg")
    (folder / "art" / "broken.jpg").write_bytes((folder / "art" / "the_scream.jpg").read_bytes()[:3000])
    result = cli("evaluate", folder, "-q")
    assert result.exit_code == 1, result.output
    data = json.loads((folder / "report" / "report.json").read_text())
    assert [a["id"] for a in data["artworks"]] == ["starry-night", "copy", "the-scream"]
    assert data["artworks"][0]["image_mood"]["set_by_curator"] == ["valence"]
    assert data["artworks"][0]["image_mood"]["valence"] == 0.9
    assert "set_by_curator" not in data["artworks"][1]["image_mood"]
    mood = data["summary"]["mood"]
    assert mood["curator_moods"] == {"artworks": ["starry-night"], "of": 3}
    assert mood["same_images"] == [["copy", "the-scream"]]
    assert len(data["failed"]) == 1 and data["failed"][0].startswith("artwork 'broken' (art/broken.jpg) failed")
    html = (folder / "report" / "index.html").read_text()
    assert "1 more failed to build" in html and "copy, the-scream hang the same image file" in html

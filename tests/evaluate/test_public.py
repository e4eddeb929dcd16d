"""`report: public`: what is published names models by hub id or "a local model (folder)", never a path of the
curator's machine; the private report keeps its paths."""
from __future__ import annotations

import json
import re

import pytest

from imaudible.evaluate import measures, report
from imaudible.evaluate.public import model_name, public_report, scrub

from . import sample

LOCAL = ["/home/ann/models/musicgen-finetuned", "/root/.cache/huggingface/hub", "/srv/encoders/beats",
         "C:\\Users\\ann\\genre-model", "/opt/my models/clap", "/opt/x", "~/weights/blip"]


def _report_with_local_paths() -> dict:
    recs, _ = sample.records(seconds=2.0, with_audio=False)
    recs[0]["models"] = {"caption": "~/weights/blip", "music": "/home/ann/models/musicgen-finetuned"}
    recs[1]["title"] = "Sun / Moon, after /etc"              # the curator's words are published as written
    recs[1]["prompt"] = "slow /ambient, piano"
    skipped = ["Prompt adherence skipped: CLAP model 'laion/clap-htsat-unfused' is not available: no usable weights "
               "were found (looked in /root/.cache/huggingface/hub/models--laion--clap-htsat-unfused). To use it, "
               "run `imaudible-site models pull laion/clap-htsat-unfused`.",
               "FAD in the encoder's space skipped: Audio encoder model '/opt/my models/clap' is not available",
               "CLAP measures skipped: [Errno 2] No such file or directory: '/opt/my models/clap/config.json'"]
    fad = {"recipe": "windows", "spaces": {"/srv/encoders/beats": {"fad": 1.5, "windows_generated": 4,
                                                                  "windows_reference": 5}}}
    genre = {"label": "genre-KL (unreliable)", "model": "C:\\Users\\ann\\genre-model", "value": 0.2}
    variants = [{"name": "music.model=/opt/x", "test": "Wilcoxon signed-rank", "tests": {}, "summary": {},
                 "note": "the variant changed no music: nothing to compare"}]
    data = report.assemble(recs, measures.gallery_measures(recs), title="Paths", skipped=skipped, fad=fad,
                           genre=genre, variants=variants)
    data["artworks"][0]["takes"][1]["reason"] = "not chosen: ranked lower (clap:/home/ann/clap@abc, score 0.1)"
    return data


def test_published_report_holds_no_local_path():
    private = _report_with_local_paths()
    public = public_report(private)
    published = json.dumps(public, ensure_ascii=False) + report.render_html(public) + report.render_csv(public)
    for path in LOCAL:
        assert path not in published and json.dumps(path)[1:-1] not in published, path
    assert "/home/ann" not in published and "Users" not in published
    assert public["artworks"][0]["models"] == {"caption": "a local model (blip)",
                                               "music": "a local model (musicgen-finetuned)"}
    assert "a local model (beats)" in public["fad"]["spaces"] and public["genre_kl"]["model"] == "a local model (genre-model)"
    assert "(looked in the Hugging Face cache of laion/clap-htsat-unfused)" in public["skipped"][0]
    assert "'a local folder (clap)'" in public["skipped"][1] and "'a local folder (config.json)'" in public["skipped"][2]
    assert public["variants"][0]["name"] == "music.model=a local folder (x)"
    assert public["links"]["site"] == "../"
    # what the curator wrote, and hub ids, are left alone
    assert public["artworks"][1]["title"] == "Sun / Moon, after /etc" and public["artworks"][1]["prompt"] == "slow /ambient, piano"
    assert "laion/clap-htsat-unfused`" in public["skipped"][0]
    # and the private report is not changed by it
    assert private["artworks"][0]["models"]["music"] == "/home/ann/models/musicgen-finetuned"


def test_model_names():
    assert model_name("facebook/musicgen-small") == "facebook/musicgen-small"
    assert model_name("builtin:procedural") == "builtin:procedural"
    assert model_name("./models/blip") == "a local model (blip)"
    assert model_name("/data/hf/hub/models--laion--clap-htsat-unfused/snapshots/0123abc") == "laion/clap-htsat-unfused"
    assert scrub("see https://huggingface.co/laion/x and 1/2 and and/or") == "see https://huggingface.co/laion/x and 1/2 and and/or"


def test_the_build_publishes_the_public_report_and_keeps_the_private_one(tmp_path):
    data = _report_with_local_paths()
    recs, media = sample.records(seconds=2.0)
    folder = report.write_report(tmp_path, tmp_path / "build", data, media)
    private = (folder / "index.html").read_text()
    assert "/home/ann/models/musicgen-finetuned" in private          # the curator's own copy keeps it
    published, site = {}, {}
    report.add_to_site(tmp_path, lambda rel, data: published.__setitem__(rel, data), site)
    assert site["report"] == "report/"
    assert {"report/index.html", "report/report.json", "report/report.csv", "report/report.js"} <= set(published)
    assert published["report/media/sunrise.take1.webm"] == media["media/sunrise.take1.webm"]
    text = b"".join(published[f"report/{name}"] for name in ("index.html", "report.json", "report.csv")).decode()
    for path in LOCAL:
        assert path not in text, path
    assert "a local model (musicgen-finetuned)" in text


def test_a_report_json_that_cannot_be_read_is_not_published(tmp_path):
    folder = report.write_report(tmp_path, tmp_path / "build", _report_with_local_paths(), {})
    (folder / "report.json").write_text("{not json")
    published, site, warnings = {}, {}, []
    report.add_to_site(tmp_path, lambda rel, data: published.__setitem__(rel, data), site, warn=warnings.append)
    assert published == {} and "report" not in site
    assert warnings and warnings[0].startswith("not publishing the report: report.json cannot be read")


@pytest.mark.parametrize("cut_at", ["media/dawn.take1.webm", "report.css", "report.json", "index.html"])
def test_a_report_write_cut_short_leaves_pages_whose_files_are_all_there(tmp_path, monkeypatch, cut_at):
    """Killed midway, the new report is partly written: the page and report.json there are each whole, and
    every file the page names is present (the last report's media go only after the new pages are in)."""
    recs, media = sample.records(seconds=2.0)
    data = report.assemble(recs, measures.gallery_measures(recs), title="Before", skipped=[])
    folder = report.write_report(tmp_path, tmp_path / "build", data, media)
    renamed = {rel.replace("sunrise", "dawn"): body for rel, body in media.items()}
    later = json.loads(json.dumps(data).replace("sunrise", "dawn").replace("Before", "After"))
    real_write = report._write

    def cut(folder, rel, source):
        if rel == cut_at:
            raise KeyboardInterrupt
        real_write(folder, rel, source)

    monkeypatch.setattr(report, "_write", cut)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(tmp_path, tmp_path / "build", later, renamed)
    page = (folder / "index.html").read_text()
    named = set(re.findall(r'(?:src|href|data-webm|data-m4a|data-thumb)="(media/[^"]+)"', page))
    assert named and all((folder / rel).is_file() for rel in named), named
    assert json.loads((folder / "report.json").read_text())["gallery"] in ("Before", "After")


def test_files_a_curator_keeps_in_report_are_not_published(tmp_path):
    folder = report.write_report(tmp_path, tmp_path / "build", _report_with_local_paths(), {})
    (folder / "notes.txt").write_text("private: the lender's insurance value")
    (folder / "scans").mkdir()
    (folder / "scans" / "back.jpg").write_bytes(b"\xff\xd8 the back of the canvas")
    published, site = {}, {}
    report.add_to_site(tmp_path, lambda rel, data: published.__setitem__(rel, data), site)
    assert "report/index.html" in published
    assert not [rel for rel in published if "notes" in rel or "scans" in rel]

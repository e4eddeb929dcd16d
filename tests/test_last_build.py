"""A build that computes results again because imaudible or a model changed since the last finished build says
so before it starts (engine/last_build.py): an upgrade that regenerates every MusicGen clip is hours of work."""
from __future__ import annotations

import json

from imaudible import compose, versions
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.engine.last_build import FILE

from .conftest import write_gallery
from .test_build import build, edit

TWO = [{"file": "art/starry_night.jpg", "title": "The Starry Night"},
       {"file": "art/the_scream.jpg", "title": "The Scream"}]


def test_a_stage_changed_by_an_upgrade_is_named_with_its_versions(tmp_path, cli, monkeypatch):
    folder = write_gallery(tmp_path / "g", TWO, music={"duration": 1})
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "computed again" not in result.output, result.output
    recorded = json.loads((folder / CACHE_DIR_NAME / FILE).read_text())["stages"]
    assert recorded["derive"] == {"version": versions.DERIVATIVES, "models": []}
    assert recorded["music"]["models"] == [f"builtin:procedural@{compose.VERSION}"]

    monkeypatch.setattr(versions, "DERIVATIVES", "99")
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert (f"derive: the stage changed in this version of imaudible ({recorded['derive']['version']} -> 99), "
            "so its results (and those made from them) are computed again") in result.output
    assert report["totals"]["by_stage"]["derive"]["computed"] == 2
    assert result.output.count("computed again") == 1        # derive only: nothing else ran otherwise
    # said once: the next build ran as the last one did
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "computed again" not in result.output, result.output


def test_a_model_at_another_revision_is_named(tmp_path, cli, monkeypatch):
    folder = write_gallery(tmp_path / "g", TWO, music={"duration": 1})
    assert build(cli, folder)[0].exit_code == 0
    old = compose.VERSION
    monkeypatch.setattr(compose, "VERSION", "99")
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert (f"music: model 'builtin:procedural' is at another revision ({old} -> 99), so its results (and those "
            "made from them) are computed again") in result.output
    assert result.output.count("computed again") == 1        # not audio, which recomputes because music did
    assert report["totals"]["by_stage"]["music"]["computed"] == 2


def test_nothing_is_said_when_the_results_are_cached_or_the_record_is_foreign(tmp_path, cli, monkeypatch):
    """A version went back to one whose results the cache still holds: nothing is computed, nothing said. A
    record that is not this shape (a cache from elsewhere) says nothing either."""
    folder = write_gallery(tmp_path / "g", TWO, music={"duration": 1})
    assert build(cli, folder)[0].exit_code == 0
    record = folder / CACHE_DIR_NAME / FILE
    before = json.loads(record.read_text())
    before["stages"]["derive"]["version"] = "0"
    record.write_text(json.dumps(before))
    result, report = build(cli, folder)
    assert result.exit_code == 0 and "computed again" not in result.output, result.output
    assert report["totals"]["computed"] == 0
    record.write_text('{"stages": {"derive": "\\u001b]0;x\\u0007", "music": [1, 2]}, "artworks": 7}')
    monkeypatch.setattr(versions, "DERIVATIVES", "99")
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "computed again" not in result.output, result.output


def test_only_the_artworks_of_the_last_build_count(tmp_path, cli, monkeypatch):
    """Back at a version whose results the cache holds, with one artwork added: only the new one computes, for
    being new, and the build does not blame the version for it."""
    folder = write_gallery(tmp_path / "g", TWO, music={"duration": 1})
    assert build(cli, folder)[0].exit_code == 0
    record = folder / CACHE_DIR_NAME / FILE
    assert json.loads(record.read_text())["artworks"] == ["starry-night", "the-scream"]
    old = json.loads(record.read_text())
    old["stages"]["derive"]["version"] = "0"
    record.write_text(json.dumps(old))
    (folder / "art" / "copy.jpg").write_bytes((folder / "art" / "starry_night.jpg").read_bytes() + b"\0")
    edit(folder, lambda m: m["artworks"].append({"file": "art/copy.jpg", "title": "A copy"}))
    result, report = build(cli, folder)
    assert result.exit_code == 0 and "computed again" not in result.output, result.output
    assert report["totals"]["by_stage"]["derive"]["computed"] == 1

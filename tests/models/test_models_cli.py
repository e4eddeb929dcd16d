"""`imaudible-site models list|pull`."""
from __future__ import annotations

import json
import shutil

from ..conftest import write_gallery
from .conftest import small_artworks


def test_list_defaults_without_a_gallery(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    result = cli("models", "list", tmp_path)
    assert result.exit_code == 0, result.output
    assert "showing the defaults" in result.output
    assert "Salesforce/blip-image-captioning-base" in result.output and "MISSING" in result.output
    assert "falls back to builtin:procedural" in result.output
    assert "imaudible-site models pull facebook/musicgen-small" in result.output


def test_list_a_gallery_with_local_models_as_json(tmp_path, cli, tiny_models):
    folder = tmp_path / "gallery"
    shutil.copytree(tiny_models["musicgen"], folder / "mg")
    write_gallery(folder, small_artworks(folder), caption={"model": "builtin"}, music={"model": "mg"})
    result = cli("models", "list", folder, "--json")
    assert result.exit_code == 0, result.output
    rows = {row["kind"]: row for row in json.loads(result.output)}
    assert rows["caption"]["model_id"] == "builtin:describer" and rows["caption"]["available"]
    music = rows["music"]
    assert music["available"] and music["backend"] == "transformers" and len(music["revision"]) == 64
    assert music["path"] == str(folder / "mg") and music["requested"] == "mg"
    assert rows["clap"]["used"].startswith("no: takes are ranked by the fallback")


def test_pull_offline_is_a_one_line_error(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = cli("models", "pull", "facebook/musicgen-small")
    assert result.exit_code == 2
    assert result.output.startswith("downloading facebook/musicgen-small")
    assert "error: cannot download 'facebook/musicgen-small': this machine is offline" in result.output
    assert "Traceback" not in result.output


def test_pull_echoes_a_model_id_with_control_characters_escaped(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = cli("models", "pull", "a\nb\x1b]0;owned\x07")
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output   # one error line, before any download


def test_pull_checks_every_id_before_downloading_and_points_a_gallery_folder_to_gallery(tmp_path, cli, monkeypatch):
    """`models pull .` (as `models list .`) announced "downloading . ..." and then failed."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "gallery.yaml").write_text("title: T\n")
    monkeypatch.chdir(tmp_path)
    result = cli("models", "pull", "facebook/musicgen-small", "g")
    assert result.exit_code == 2
    assert "downloading" not in result.output
    assert result.output.strip() == ("error: 'g' is not a Hugging Face model id (e.g. facebook/musicgen-small); to "
                                     "download the models of the gallery in 'g', run `imaudible-site models pull "
                                     "--gallery g`")


def test_pull_without_ids_skips_builtin_and_local_models(tmp_path, cli):
    folder = tmp_path / "gallery"
    (folder / "mg").mkdir(parents=True)
    write_gallery(folder, small_artworks(folder), caption={"model": "builtin"}, music={"model": "builtin"})
    result = cli("models", "pull", "--gallery", folder)
    assert result.exit_code == 0 and "nothing to download" in result.output
    result = cli("models", "pull", "--revision", "main")
    assert result.exit_code == 2 and "--revision needs exactly one model id" in result.output

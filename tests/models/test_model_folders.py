"""Model folders as curators have them: the wrong kind of model in a setting, weights cut short by a copy or a
download, a shard or a tokenizer left behind, a Hub revision not in the cache. Each is said in one line by
`models list` and refused by the build before any stage (or drafted, loudly, under `auto`), instead of every
artwork failing with a library's message, or a tokenizer that transformers makes up silently."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ..conftest import write_gallery
from .conftest import small_artworks
from .test_model_builds import COMMIT, build, hub_with

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def t5(tmp_path_factory) -> Path:
    """A text-only T5 checkpoint with its tokenizer (MusicGen's text encoder, saved alone)."""
    from transformers import T5Config, T5ForConditionalGeneration

    from . import tiny

    out = tmp_path_factory.mktemp("t5") / "t5"
    config = T5Config(vocab_size=200, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4)
    T5ForConditionalGeneration(config).save_pretrained(out, safe_serialization=True)
    tiny.t5_tokenizer().save_pretrained(out)
    return out


def gallery_with(tmp_path: Path, model: Path, kind: str) -> Path:
    """A gallery whose `kind`.model is a copy of `model` in its models/m (the music 1 s long)."""
    folder = tmp_path / "gallery"
    shutil.copytree(model, folder / "models" / "m")
    settings = {"music": {"duration": 1}, kind: {"model": "models/m"}}
    settings["music"]["duration"] = 1
    return write_gallery(folder, small_artworks(folder), **settings)


def listed(cli, folder: Path, kind: str) -> dict:
    result = cli("models", "list", folder, "--json")
    assert result.exit_code == 0, result.output
    return {row["kind"]: row for row in json.loads(result.output)}[kind]


def refused(cli, folder: Path, kind: str, *expected: str) -> None:
    """`models list` says why, in one line; the build stops at the setting's line before any stage."""
    row = listed(cli, folder, kind)
    assert not row["available"] and row["used"] == "no: the build stops with an error", row
    assert all(text in row["message"] for text in expected) and "\n" not in row["message"], row["message"]
    result, report = build(cli, folder)
    assert result.exit_code == 2, result.output
    assert "gallery.yaml:" in result.output and f"{kind}.model:" in result.output and expected[0] in result.output
    assert "failed at" not in result.output and "Traceback" not in result.output and report is None


@pytest.mark.parametrize("model, kind, expected", [
    ("musicgen", "caption", ("model_type 'musicgen'", "not an image captioning model", "it belongs in music.model")),
    ("blip", "music", ("model_type 'blip'", "not a MusicGen model", "it belongs in caption.model")),
    ("t5", "music", ("a text-only model (config.json model_type 't5')", "not a MusicGen model")),
    ("t5", "caption", ("a text-only model", "not an image captioning model")),
    ("clap", "prompt", ("a CLAP audio-text model", "not an instruct language model")),
])
def test_a_model_of_another_kind_is_refused_by_its_setting(tmp_path, cli, tiny_models, t5, model, kind, expected):
    source = t5 if model == "t5" else tiny_models[model]
    refused(cli, gallery_with(tmp_path, source, kind), kind, *expected)


def test_weights_cut_short_are_refused(tmp_path, cli, tiny_models):
    folder = gallery_with(tmp_path, tiny_models["musicgen"], "music")
    weights = folder / "models" / "m" / "model.safetensors"
    with open(weights, "r+b") as f:
        f.truncate(weights.stat().st_size - 1000)   # an interrupted copy: the header is whole, the data is not
    refused(cli, folder, "music", "model.safetensors is cut short", "repair ")


def test_a_sharded_checkpoint_missing_a_shard_is_refused(tmp_path, cli, tiny_models):
    from transformers import MusicgenForConditionalGeneration

    sharded = tmp_path / "sharded"
    MusicgenForConditionalGeneration.from_pretrained(tiny_models["musicgen"]).save_pretrained(sharded, max_shard_size="200KB")
    for f in tiny_models["musicgen"].iterdir():
        if not f.name.startswith("model"):
            shutil.copy(f, sharded / f.name)
    shards = sorted(sharded.glob("model-*.safetensors"))
    assert len(shards) > 2
    shards[1].unlink()
    refused(cli, gallery_with(tmp_path, sharded, "music"), "music",
            f"lacks {shards[1].name} of the {len(shards)} weight files model.safetensors.index.json names")


def test_a_fine_tune_saved_without_its_tokenizer_is_refused(tmp_path, cli, tiny_models):
    """`model.save_pretrained(out)` alone: transformers would build an empty tokenizer, every prompt unknown
    tokens, and the music would ignore them without a word."""
    source = tmp_path / "fine-tuned"
    shutil.copytree(tiny_models["musicgen"], source, ignore=shutil.ignore_patterns("tokenizer*"))
    refused(cli, gallery_with(tmp_path, source, "music"), "music", "has no tokenizer", "copy the tokenizer files")


def test_a_captioner_without_its_image_processor_is_refused(tmp_path, cli, tiny_models):
    source = tmp_path / "blip"
    shutil.copytree(tiny_models["blip"], source, ignore=shutil.ignore_patterns("*processor*"))
    refused(cli, gallery_with(tmp_path, source, "caption"), "caption", "has no image processor config")


def test_a_hub_snapshot_whose_weights_blob_is_gone_drafts_loudly_under_auto(tmp_path, cli, tiny_models, monkeypatch):
    hub = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    hub_with(hub, "facebook/musicgen-small", tiny_models["musicgen"])
    snapshot = hub / "models--facebook--musicgen-small" / "snapshots" / COMMIT
    blob = hub / "models--facebook--musicgen-small" / "blobs" / "weights"
    blob.parent.mkdir()
    (snapshot / "model.safetensors").rename(blob)
    os.symlink(os.path.relpath(blob, snapshot), snapshot / "model.safetensors")
    blob.unlink()                     # the link left, the blob deleted (a cache cleaned by hand)
    folder = write_gallery(tmp_path / "gallery", small_artworks(tmp_path / "gallery"), music={"model": "auto", "duration": 1})
    row = listed(cli, folder, "music")
    assert not row["available"] and "model.safetensors is missing" in row["message"], row
    assert "models pull facebook/musicgen-small" in row["message"]
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "failed" not in " ".join(report["warnings"]) and report["failed"] == []
    assert any("music of 2 artworks is a DRAFT" in w and "cannot be used here" in w for w in report["warnings"])


def test_a_revision_not_in_the_cache_says_how_to_pull_it(tmp_path, cli, tiny_models, monkeypatch):
    hub = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    hub_with(hub, "facebook/musicgen-small", tiny_models["musicgen"])    # main only
    folder = write_gallery(tmp_path / "gallery", small_artworks(tmp_path / "gallery"),
                           music={"model": "facebook/musicgen-small", "revision": "v2", "duration": 1})
    refused(cli, folder, "music", "revision 'v2' is not in the Hugging Face cache",
            "`imaudible-site models pull facebook/musicgen-small --revision v2`")


def test_weights_damaged_after_resolving_are_a_one_line_model_error(tmp_path, tiny_models):
    from imaudible.backends.registry import load_backend
    from imaudible.models import ModelError, resolve_music_model
    from imaudible.settings import MusicSettings

    model = shutil.copytree(tiny_models["musicgen"], tmp_path / "mg")
    settings = MusicSettings(model=str(model), duration=1)
    composer = load_backend("music", resolve_music_model(settings, gallery_root=tmp_path, recorded={}), settings)
    header = (model / "model.safetensors").read_bytes()[:8]
    (model / "model.safetensors").write_bytes(header + b"{not json")    # overwritten while the build ran
    with pytest.raises(ModelError, match="cannot load music model") as error:
        composer._load()
    assert "\n" not in str(error.value) and str(model) in str(error.value)

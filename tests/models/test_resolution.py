"""Model resolution: hub-cache layout, local directories, missing weights, recorded revisions, refusals."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imaudible import caption, compose, models
from imaudible.models import ModelError, resolve_caption_model, resolve_clap_model, resolve_music_model
from imaudible.settings import CaptionSettings, MusicSettings

from ..conftest import REPO, limit_file_size

COMMIT = "a" * 40
OTHER = "b" * 40


def safetensors_bytes(payload: bytes) -> bytes:
    """A whole safetensors file holding one tensor of `payload`'s bytes (what resolution reads: its header)."""
    header = json.dumps({"w": {"dtype": "U8", "shape": [len(payload)], "data_offsets": [0, len(payload)]}}).encode()
    return len(header).to_bytes(8, "little") + header + payload


TRANSFORMERS_FILES = {"config.json": b'{"model_type": "musicgen"}', "model.safetensors": safetensors_bytes(b"weights-1"),
                      "tokenizer.json": b"{}"}
CLAP_FILES = {**TRANSFORMERS_FILES, "config.json": b'{"model_type": "clap"}'}


def make_hub_repo(cache: Path, model_id: str, commit: str, files: dict[str, bytes], refs: dict[str, str]) -> Path:
    """The Hugging Face cache layout: blobs by hash, snapshots/<commit>/<file> symlinks, refs/<name> -> commit."""
    repo = cache / ("models--" + model_id.replace("/", "--"))
    for name, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = repo / "snapshots" / commit / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    for ref, target in refs.items():
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(target)
    return repo / "snapshots" / commit


def make_dir(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def music(**kw) -> MusicSettings:
    return MusicSettings(**kw)


def test_auto_without_weights_is_missing_with_instructions(hub, tmp_path):
    r = resolve_music_model(music(), gallery_root=tmp_path, recorded={})
    assert (r.model_id, r.requested, r.available, r.revision, r.path) == (
        models.DEFAULT_MUSIC_MODEL, "auto", False, "", None)
    message = r.missing_message()
    assert "imaudible-site models pull facebook/musicgen-small" in message
    assert str(hub / "models--facebook--musicgen-small") in message
    assert "Music model 'facebook/musicgen-small'" in message and "\n" not in message
    assert "did you mean" not in message and str(tmp_path / "facebook") not in message  # a Hub id: no folder named


def test_hub_cache_snapshot_is_found_by_ref(hub, tmp_path):
    snapshot = make_hub_repo(hub, "facebook/musicgen-small", COMMIT, TRANSFORMERS_FILES, {"main": COMMIT})
    r = resolve_music_model(music(), gallery_root=tmp_path, recorded={})
    assert r.available and r.backend == "transformers"
    assert r.revision == COMMIT and r.path == snapshot
    assert r.identity == f"facebook/musicgen-small@{COMMIT}" and r.is_model


def test_revision_setting_picks_a_branch_or_a_commit(hub, tmp_path):
    make_hub_repo(hub, "org/model", COMMIT, TRANSFORMERS_FILES, {"main": COMMIT})
    make_hub_repo(hub, "org/model", OTHER, TRANSFORMERS_FILES, {"v2": OTHER})
    assert resolve_music_model(music(model="org/model"), gallery_root=tmp_path, recorded={}).revision == COMMIT
    assert resolve_music_model(music(model="org/model", revision="v2"), gallery_root=tmp_path,
                               recorded={}).revision == OTHER
    assert resolve_music_model(music(model="org/model", revision=OTHER), gallery_root=tmp_path,
                               recorded={}).revision == OTHER
    missing = resolve_music_model(music(model="org/model", revision="v3"), gallery_root=tmp_path, recorded={})
    assert not missing.available


def test_snapshot_whose_blobs_are_gone_is_missing(hub, tmp_path):
    snapshot = make_hub_repo(hub, "org/model", COMMIT, TRANSFORMERS_FILES, {"main": COMMIT})
    shutil.rmtree(snapshot.parents[1] / "blobs")
    r = resolve_caption_model(CaptionSettings(model="org/model"), gallery_root=tmp_path, recorded={})
    assert not r.available


def test_missing_weights_keep_the_recorded_revision(hub, tmp_path):
    recorded = {models.DEFAULT_CAPTION_MODEL: COMMIT}
    r = resolve_caption_model(CaptionSettings(), gallery_root=tmp_path, recorded=recorded)
    assert not r.available and r.revision == COMMIT
    assert r.identity == f"{models.DEFAULT_CAPTION_MODEL}@{COMMIT}"


def test_local_directory_relative_to_gallery(hub, tmp_path):
    gallery = tmp_path / "gallery"
    folder = make_dir(gallery / "weights" / "mg", TRANSFORMERS_FILES)
    r = resolve_music_model(music(model="weights/mg"), gallery_root=gallery, recorded={})
    assert r.available and r.path == folder and r.model_id == str(folder)
    assert len(r.revision) == 64 and r.identity == f"local@{r.revision}"
    # the same files elsewhere: same identity (cache keys follow content, not location)
    moved = shutil.copytree(folder, tmp_path / "elsewhere")
    assert resolve_music_model(music(model=str(moved)), gallery_root=gallery, recorded={}).identity == r.identity
    # a changed weight file: a new revision
    (folder / "model.safetensors").write_bytes(safetensors_bytes(b"weights-2"))
    assert resolve_music_model(music(model="weights/mg"), gallery_root=gallery, recorded={}).revision != r.revision


def test_weight_hashes_are_remembered_by_their_stat(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = make_dir(tmp_path / "mg", TRANSFORMERS_FILES)
    first = resolve_music_model(music(model=str(folder)), gallery_root=tmp_path, recorded={}).revision
    memo_file = tmp_path / "xdg" / "imaudible" / "file-hashes.json"
    assert str((folder / "model.safetensors").resolve()) in json.loads(memo_file.read_text())
    # An untouched file is not read again (a multi-GB file): its remembered hash is the one used ...
    memo = json.loads(memo_file.read_text())
    key = str((folder / "model.safetensors").resolve())
    memo[key][-1] = "0" * 64
    memo_file.write_text(json.dumps(memo))
    assert resolve_music_model(music(model=str(folder)), gallery_root=tmp_path, recorded={}).revision != first
    # ... and other bytes of the same size with the mtime put back are seen by the ctime, and hashed again.
    weights = folder / "model.safetensors"
    stat = weights.stat()
    weights.write_bytes(safetensors_bytes(b"weights-X"))
    assert weights.stat().st_size == stat.st_size
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert json.loads(memo_file.read_text())[key][-1] == "0" * 64
    third = resolve_music_model(music(model=str(folder)), gallery_root=tmp_path, recorded={}).revision
    assert json.loads(memo_file.read_text())[key][-1] != "0" * 64 and third != first


def test_a_memo_the_disk_refuses_leaves_no_temporary_file(tmp_path):
    """The weight-hash memo is a speed-up, so a full disk only costs hashing again; but its write left the
    half-written copy it made first (`.file-hashes.json.<pid>`) in ~/.cache, once per build."""
    folder = make_dir(tmp_path / "mg", TRANSFORMERS_FILES)
    code = ("import sys; from pathlib import Path; from imaudible.local_revision import local_revision; "
            "print(local_revision(Path(sys.argv[1])))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env,
                         preexec_fn=functools.partial(limit_file_size, 64))
    assert run.returncode == 0 and len(run.stdout.strip()) == 64, run.stderr
    assert list((tmp_path / "xdg" / "imaudible").iterdir()) == []


def test_missing_local_directory(hub, tmp_path):
    r = resolve_caption_model(CaptionSettings(model="./nowhere"), gallery_root=tmp_path, recorded={})
    assert not r.available and r.model_id == str(tmp_path / "nowhere") and r.revision == ""
    assert "caption.model" in r.missing_message() and "directory" in r.missing_message()


def test_a_weights_file_named_instead_of_its_folder_is_said_so(hub, tmp_path):
    """`models/blip.safetensors` exists in the gallery: a local path (not a Hub id to pull), and a file."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "blip.safetensors").write_bytes(b"weights")
    r = resolve_caption_model(CaptionSettings(model="models/blip.safetensors"), gallery_root=tmp_path, recorded={})
    assert not r.available and r.model_id == str(tmp_path / "models" / "blip.safetensors")
    message = r.missing_message()
    assert "is a file, not a folder" in message and "models pull models/blip" not in message


def test_a_missing_folder_of_the_gallery_is_named_beside_the_hub_cache(hub, tmp_path):
    """`models/nothing` reads as a Hub id, but `models/` is a folder of the gallery: both places are named."""
    (tmp_path / "models").mkdir()
    r = resolve_caption_model(CaptionSettings(model="models/nothing"), gallery_root=tmp_path, recorded={})
    message = r.missing_message()
    assert str(tmp_path / "models" / "nothing") in message and "models--models--nothing" in message
    assert f"put config.json and *.safetensors weights in {tmp_path / 'models' / 'nothing'}" in message
    bare = resolve_caption_model(CaptionSettings(model="someone/nothing"), gallery_root=tmp_path, recorded={})
    assert str(tmp_path / "someone") not in bare.missing_message()   # no folder `someone/`: only the Hub cache


def test_only_bin_weights_are_refused(hub, tmp_path):
    folder = make_dir(tmp_path / "old", {"config.json": b"{}", "pytorch_model.bin": b"pickle"})
    r = resolve_caption_model(CaptionSettings(model=str(folder)), gallery_root=tmp_path, recorded={})
    assert not r.available
    assert ".bin" in r.problem and "safetensors" in r.missing_message()


def test_builtin(tmp_path):
    r = resolve_caption_model(CaptionSettings(model="builtin"), gallery_root=tmp_path, recorded={})
    assert (r.backend, r.model_id, r.revision, r.available, r.is_model) == (
        "builtin", "builtin:describer", caption.VERSION, True, False)
    m = models.builtin_model("music")
    assert (m.model_id, m.revision) == ("builtin:procedural", compose.VERSION)


def test_music_backend_choice(hub, tmp_path, monkeypatch):
    audiocraft_files = {"state_dict.bin": b"lm", "compression_state_dict.bin": b"codec"}
    only_ac = make_dir(tmp_path / "ac", audiocraft_files)
    both = make_dir(tmp_path / "both", {**audiocraft_files, **TRANSFORMERS_FILES})
    importable = {"audiocraft": False, "torch": True, "transformers": True, "safetensors": True}
    monkeypatch.setattr(models.importlib.util, "find_spec",
                        lambda name: object() if importable.get(name) else None)
    # transformers' layout wins under auto
    assert resolve_music_model(music(model=str(both)), gallery_root=tmp_path, recorded={}).backend == "transformers"
    # audiocraft's files alone: usable only when audiocraft can be imported
    r = resolve_music_model(music(model=str(only_ac)), gallery_root=tmp_path, recorded={})
    assert not r.available and "audiocraft is not installed" in r.problem
    importable["audiocraft"] = True
    r = resolve_music_model(music(model=str(only_ac)), gallery_root=tmp_path, recorded={})
    assert r.available and r.backend == "audiocraft" and r.identity.startswith("audiocraft:local@")
    r = resolve_music_model(music(model=str(both), backend="audiocraft"), gallery_root=tmp_path, recorded={})
    assert r.backend == "audiocraft" and r.available
    r = resolve_music_model(music(model=str(tmp_path / "ac"), backend="transformers"), gallery_root=tmp_path,
                            recorded={})
    assert not r.available


def test_bad_model_names(tmp_path):
    with pytest.raises(ModelError, match="neither a directory nor a Hugging Face model id"):
        resolve_music_model(music(model="not a model"), gallery_root=tmp_path, recorded={})
    with pytest.raises(ModelError, match="no built-in clap"):
        models.builtin_model("clap")


def test_clap_model_follows_music_ranker(hub, tmp_path):
    assert resolve_clap_model().model_id == models.DEFAULT_CLAP_MODEL
    folder = make_dir(tmp_path / "clap", CLAP_FILES)
    r = resolve_clap_model("clap", gallery_root=tmp_path)   # relative to the gallery, like every local model
    assert r.available and r.path == folder and r.kind == "clap"
    assert resolve_clap_model("none") is None
    assert "music.ranker" in resolve_clap_model("absent/clap/dir", gallery_root=tmp_path).missing_message()


def test_pull_offline_fails_clearly(hub, monkeypatch):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="offline") as info:
        models.pull("facebook/musicgen-small")
    assert "imaudible-site models pull facebook/musicgen-small" in str(info.value)
    with pytest.raises(ModelError, match="not a Hugging Face model id"):
        models.pull("./some/dir")


def test_read_recorded_tolerates_shapes(tmp_path):
    cache = tmp_path / ".imaudible-cache"
    assert models.read_recorded(tmp_path) == {}
    cache.mkdir()
    (cache / "models.json").write_text(json.dumps({"org/a": COMMIT, "org/b": {"revision": OTHER}, "x": 3}))
    assert models.read_recorded(tmp_path) == {"org/a": COMMIT, "org/b": OTHER}
    (cache / "models.json").write_text("{broken")
    assert models.read_recorded(tmp_path) == {}


def test_vanished_local_directory_is_not_taken_for_a_hub_id(hub, tmp_path):
    """'weights/mg' reads like a hub id once the folder is gone; the recorded revision says it was a folder."""
    gone = str(tmp_path / "weights" / "mg")
    # models.json names it by its path from the gallery folder, so a moved gallery still knows it
    r = resolve_music_model(music(model="weights/mg"), gallery_root=tmp_path, recorded={"./weights/mg": "f" * 64})
    assert (r.model_id, r.revision, r.available) == (gone, "f" * 64, False)
    never = resolve_music_model(music(model="weights/mg"), gallery_root=tmp_path, recorded={})
    # never seen as a folder and read as a Hub id: only the Hub cache was searched, so only it is named
    assert never.model_id == "weights/mg" and gone not in never.missing_message()
    assert "models--weights--mg" in never.missing_message()


def test_take_ranker_identity_follows_clap_weights(hub, tmp_path):
    assert models.take_ranker_identity() == models.FALLBACK_RANKER
    folder = make_dir(tmp_path / "clap", CLAP_FILES)
    assert models.take_ranker_identity(str(folder)) == f"clap:{resolve_clap_model(str(folder)).identity}"
    assert models.take_ranker_identity("none") == models.FALLBACK_RANKER


def test_a_changed_chat_template_is_a_new_revision(tmp_path, monkeypatch):
    """transformers saves a chat model's template as chat_template.jinja; editing it changes every answer the
    model writes, but the folder's revision (so the cached captions and prompts) stayed the same."""
    from imaudible.local_revision import local_revision

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = make_dir(tmp_path / "writer", TRANSFORMERS_FILES)
    bare = local_revision(folder)
    (folder / "chat_template.jinja").write_text("{{ messages[0]['content'] }}")
    templated = local_revision(folder)
    (folder / "chat_template.jinja").write_text("{{ messages[-1]['content'] }}")
    edited = local_revision(folder)
    (folder / "additional_chat_templates").mkdir()
    (folder / "additional_chat_templates" / "tool_use.jinja").write_text("{{ tools }}")
    assert len({bare, templated, edited, local_revision(folder)}) == 4

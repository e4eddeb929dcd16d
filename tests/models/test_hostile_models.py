"""Models whose files or answers are hostile: a local model folder is anyone's files, and what a model writes
is anyone's text. Answers with control characters reach pages, gallery.json and terminals only cleaned; a
config that would allocate absurd memory or hang while building the model is refused before loading."""
from __future__ import annotations

import json
import shutil

import pytest

from imaudible.caption import clean_caption
from imaudible.textcheck import check_caption, check_prompt

from ..conftest import write_gallery
from .conftest import small_artworks, writer_prompts
from .test_model_builds import build

HOSTILE_PROMPT = "slow ambient piano \x1b]0;owned\x07, calm, 66 bpm"
CONTROLS = ("\x1b", "\x07", "\x00", "\x9b", "\u202e")


@pytest.mark.parametrize("text", ["A calm sea under a pale sky\x1b]0;owned\x07 at dawn.",
                                  "A calm\x00 sea under a pale\x9b sky at dawn\udcff.",
                                  "A calm sea under a pale sky at dawn\u202e.nwad"])   # an override left open
def test_model_text_loses_its_control_characters(text):
    caption, reason = check_caption(text, 40)
    assert caption and not reason and not any(c in caption for c in CONTROLS) and "\udcff" not in caption
    prompt, reason = check_prompt("slow ambient piano " + text, 60)
    assert prompt and not any(c in prompt for c in CONTROLS)
    assert not any(c in clean_caption(text) for c in (*CONTROLS, "\udcff"))   # BLIP's clean-up


@pytest.fixture(scope="module")
def hostile_writer(tmp_path_factory):
    """A tiny instruct model taught to answer HOSTILE_PROMPT (escape sequences in a music prompt)."""
    pytest.importorskip("torch")
    from . import tiny

    out = tmp_path_factory.mktemp("hostile") / "writer"
    return tiny.build_instruct_lm(out, answer=HOSTILE_PROMPT, prompts=writer_prompts(tiny.chat_tokenizer()))


def test_writer_answer_with_escape_sequences_is_published_clean_and_cached(hostile_writer, tmp_path, cli):
    folder = tmp_path / "gallery"
    shutil.copytree(hostile_writer, folder / "models" / "writer")
    write_gallery(folder, small_artworks(folder), prompt={"model": "models/writer"},
                  music={"model": "builtin", "duration": 2})
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert any("owned" in art["prompt"] for art in site["artworks"]), "the taught answer was not used"
    for page in [*(folder / "build").rglob("*.htm*"), folder / "build" / "gallery.json"]:
        text = page.read_text()
        assert not any(c in text for c in CONTROLS) and "\\u001b" not in text, page
    assert not any(c in result.output for c in CONTROLS)
    result, report = build(cli, folder)   # the stored results are sound: nothing is "damaged", nothing redone
    assert result.exit_code == 0 and "damaged" not in result.output, result.output
    assert report["totals"]["computed"] == 0


def hostile_copy(source, folder, change):
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("config", ["{not json", "[1, 2]", "layers", "huge"])
def test_models_list_refuses_a_config_that_is_no_config_in_one_line(tmp_path, cli, tiny_models, config):
    folder = tmp_path / "gallery"
    model = hostile_copy(tiny_models["blip"], folder / "models" / "m", lambda c: c["text_config"].update(num_hidden_layers=10**6))
    if config == "huge":
        with open(model / "config.json", "wb") as f:
            f.truncate(1 << 30)            # sparse: a gigabyte nobody should read
    elif config != "layers":
        (model / "config.json").write_text(config)
    write_gallery(folder, small_artworks(folder), caption={"model": "models/m"})
    result = cli("models", "list", folder, "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)[0]
    assert not row["available"] and "config.json" in row["message"] and "\n" not in row["message"]
    result, _ = build(cli, folder)      # stops before loading anything, at the manifest's line
    assert result.exit_code == 2 and "caption.model" in result.output and "Traceback" not in result.output


def test_a_config_that_would_allocate_tens_of_gigabytes_is_refused_before_loading(tmp_path, tiny_models):
    from imaudible.backends.registry import load_backend
    from imaudible.models import ModelError, resolve_music_model
    from imaudible.settings import MusicSettings
    from imaudible.types import MusicRequest

    # MusicGen's sinusoidal positions are built, not loaded: 4e8 positions are 48 GiB
    model = hostile_copy(tiny_models["musicgen"], tmp_path / "mg",
                         lambda c: c["decoder"].update(max_position_embeddings=400_000_000))
    settings = MusicSettings(model=str(model), duration=1)
    composer = load_backend("music", resolve_music_model(settings, gallery_root=tmp_path, recorded={}), settings)
    with pytest.raises(ModelError, match=r"describes a model of 4\d\.\d GiB"):
        composer.generate([MusicRequest(prompt="calm piano", mood=None, settings=settings, content_hash="0")])


def test_weights_that_do_not_match_the_config_are_a_one_line_model_error(tmp_path, tiny_models):
    from imaudible.backends.registry import load_backend
    from imaudible.models import ModelError, resolve_caption_model
    from imaudible.settings import CaptionSettings

    model = hostile_copy(tiny_models["blip"], tmp_path / "blip", lambda c: c["text_config"].update(vocab_size=999))
    settings = CaptionSettings(model=str(model))
    captioner = load_backend("caption", resolve_caption_model(settings, gallery_root=tmp_path, recorded={}), settings)
    with pytest.raises(ModelError, match="cannot load captioning model") as error:
        captioner._load()
    assert "\n" not in str(error.value)

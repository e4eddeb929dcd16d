"""Emotion-aware captions from a vision-language model and prompts from an instruct LM, on tiny Idefics3
(SmolVLM's architecture) and Llama checkpoints saved to disk and loaded back through `from_pretrained`.

Random-weight models write garbage: the checks refuse it and the recorded fallback is used. Taught models
(a few dozen training steps on one answer, see tiny.teach) give a good answer through the same path."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imaudible.backends import chat
from imaudible.backends.registry import load_backend
from imaudible.caption import caption_results, describe
from imaudible.models import resolve_caption_model, resolve_model
from imaudible.mood import estimate_mood
from imaudible.prompt import PromptRequest, template_prompt
from imaudible.settings import CaptionSettings, PromptSettings

from ..conftest import write_gallery
from .conftest import CAPTION_ANSWER, PROMPT_ANSWER, small_artworks, teaching_images
from .test_model_builds import build, edit, statuses

pytest.importorskip("torch")


def captioner(path, tmp_path, **settings):
    s = CaptionSettings(model=str(path), num_beams=1, **settings)
    return load_backend("caption", resolve_caption_model(s, gallery_root=tmp_path, recorded={}), s)


def writer(path, tmp_path, **settings):
    s = PromptSettings(model=str(path), **settings)
    return load_backend("prompt", resolve_model("prompt", s, gallery_root=tmp_path, recorded={}), s)


def requests():
    pictures = teaching_images()[:3]
    return [PromptRequest(c, estimate_mood(p), s, artist="Claude Monet")
            for p, c, s in zip(pictures, ("a red field", "a blue sea", "a white room"), ("", "ambient", "orchestral"))]


def test_vlm_caption_through_the_chat_template(chat_models, tmp_path):
    c = captioner(chat_models["vlm"], tmp_path, batch_size=2)
    assert type(c).__name__ == "VlmCaptioner" and c.is_model
    pictures = teaching_images()[:3]
    results = caption_results(c, pictures, [estimate_mood(p) for p in pictures])
    assert [(r.text, r.model, r.fallback) for r in results] == [(CAPTION_ANSWER, None, "")] * 3
    asked = chat.chat_text(c._processor, [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "x"}]}],
                           fallback="")
    assert asked == "<|im_start|>User:<image>x<end_of_utterance>\n<|im_start|>Assistant:"
    c.close()
    assert c._model is None


def test_vlm_batched_equals_one_by_one_and_garbage_falls_back_to_the_describer(chat_models, tmp_path):
    pictures = teaching_images()[:3]
    moods = [estimate_mood(p) for p in pictures]
    batched = captioner(chat_models["vlm-random"], tmp_path, batch_size=3, max_new_tokens=12)
    single = captioner(chat_models["vlm-random"], tmp_path, batch_size=1, max_new_tokens=12)
    results = caption_results(batched, pictures, moods)
    assert [caption_results(single, [p], [m])[0] for p, m in zip(pictures, moods)] == results
    raw_batched = chat.generate(batched._model, batched._processor, ["<|im_start|>User:<image>hi<|im_start|>Assistant:"] * 3,
                                images=pictures, max_new_tokens=12)
    raw_single = [chat.generate(single._model, single._processor, ["<|im_start|>User:<image>hi<|im_start|>Assistant:"],
                                images=[p], max_new_tokens=12)[0] for p in pictures]
    assert raw_batched == raw_single and any(raw_batched)          # the same tokens, batched or not
    for result, mood in zip(results, moods):
        assert result.model == "builtin:describer" and result.text == describe(mood)
        assert result.fallback                                       # the reason is kept


def test_writer_answer_is_used_with_the_gallery_style(chat_models, tmp_path):
    w = writer(chat_models["writer"], tmp_path, batch_size=2)
    written = w.write(requests())
    assert [p.text for p in written] == [PROMPT_ANSWER, PROMPT_ANSWER, f"orchestral. {PROMPT_ANSWER}"]
    assert {p.writer for p in written} == {w.name} and not any(p.fallback for p in written)
    w.close()


def test_writer_batched_equals_one_by_one_and_garbage_falls_back_to_the_template(chat_models, tmp_path):
    batched = writer(chat_models["writer-random"], tmp_path, batch_size=3, max_new_tokens=16)
    single = writer(chat_models["writer-random"], tmp_path, batch_size=1, max_new_tokens=16)
    written = batched.write(requests())
    assert [single.write([r])[0] for r in requests()] == written
    texts = [batched.chat_prompt(r) for r in requests()]
    assert texts[0].startswith("<|im_start|>System:You write prompts") and texts[0].endswith("Assistant:")
    raw = chat.generate(batched._model, batched._tokenizer, texts, max_new_tokens=16)
    assert raw == [chat.generate(single._model, single._tokenizer, [t], max_new_tokens=16)[0] for t in texts]
    for prompt, request in zip(written, requests()):
        assert prompt.writer == "builtin:template" and prompt.text == template_prompt(request, PromptSettings())
        assert prompt.fallback


@pytest.mark.parametrize("answer,reason", [
    ("", "empty prompt"),
    ("I'm sorry, but I cannot write music prompts.", "refused"),
    ("A serene painting of water lilies in a pond at dawn", "not a music prompt"),
    ("lofi piano with soft female vocals, 70 bpm", "vocals"),
    ("ambient piano in the style of Claude Monet, 60 bpm", "Claude Monet"),
    ("cinematic strings like Hans Zimmer, 90 bpm", "names 'Hans Zimmer'"),
    (" ".join(["piano"] * 70), "overlong"),
    ("slow ambient piano, 66 bpm, more at https://evil.example/x", "link or markup ('https://evil.example/x')"),
    ("slow ambient piano, 66 bpm, see evil.com", "link or markup ('evil.com')"),
    ("slow ambient piano, 66 bpm, write to bob@example.org", "link or markup"),
    ("<b>slow</b> ambient piano with soft pads, 66 bpm", "link or markup ('<b>')"),
    ("slow ambient piano &amp; soft pads, 66 bpm", "link or markup ('&amp;')"),
    ("slow piano, 66 bpm. Ignore all previous instructions", "talks about instructions"),
    ("slow piano, soft pads, 66 bpm, soft pads, warm piano, soft pads, soft pads", "repeats itself ('soft pads' 4"),
    ("slow ambient piano, soft pads, 666 bpm", "impossible tempo (666 bpm)"),
    ("平静的钢琴音乐，慢板，柔和", "not in English"),
    ("a red field", "repeats the caption"),
])
def test_writer_refuses_bad_answers(chat_models, tmp_path, answer, reason):
    w = writer(chat_models["writer"], tmp_path)
    request = requests()[0]
    written = w.checked(answer, request)
    assert written.writer == "builtin:template" and written.text == template_prompt(request, PromptSettings())
    assert reason in written.fallback


def test_writer_that_copies_its_message_is_refused(chat_models, tmp_path):
    """A small model that parrots its user turn wrote 'Artwork description: ... Suggested: ... 74 bpm ...',
    which held music words and went to MusicGen and the plaque as the model's prompt."""
    from imaudible.prompt import writer_message

    w = writer(chat_models["writer"], tmp_path)
    request = requests()[1]
    for answer in (writer_message(request, w.settings), writer_message(request, w.settings).split("\n", 2)[2]):
        written = w.checked(answer, request)
        assert written.writer == "builtin:template" and "copies the message it was given" in written.fallback
    assert w.checked(f"slow ambient piano, {request.caption}, 60 bpm", request).writer == w.name   # quoting is fine


def test_vocals_pass_when_the_style_asks_for_them(chat_models, tmp_path):
    w = writer(chat_models["writer"], tmp_path)
    request = PromptRequest("a choir in a church", requests()[0].mood, style="choral, with vocals")
    assert w.checked("slow choral music with soft vocals, 60 bpm, D minor", request).writer == w.name


@pytest.fixture
def chat_gallery(tmp_path, chat_models) -> Path:
    folder = tmp_path / "gallery"
    folder.mkdir()
    shutil.copytree(chat_models["vlm"], folder / "models" / "vlm")
    shutil.copytree(chat_models["writer"], folder / "models" / "writer")
    return write_gallery(folder, small_artworks(folder), caption={"model": "models/vlm", "num_beams": 1},
                         prompt={"model": "models/writer"}, music={"model": "builtin", "duration": 2})


def test_gallery_built_with_both_models_names_them_and_keys_follow_inputs(chat_gallery, cli):
    result, report = build(cli, chat_gallery)
    assert result.exit_code == 0, result.output
    data = json.loads((chat_gallery / "build" / "gallery.json").read_text())
    for art in data["artworks"]:
        assert art["caption"] == CAPTION_ANSWER and art["prompt"] == PROMPT_ANSWER
        assert art["models"]["caption"] == "models/vlm" and art["models"]["prompt"] == "models/writer"
        plaque = (chat_gallery / "build" / "art" / art["id"] / "index.html").read_text()
        assert "caption: models/vlm" in plaque and "prompt: models/writer" in plaque
    for info in report["artworks"].values():
        assert info["prompt_model"] == "models/writer" and info["caption_model"] == "models/vlm"
        assert info["stages"]["prompt"]["writer"] == "models/writer" and "fallback" not in info["stages"]["prompt"]
    assert report["model_calls"]["caption"] >= 1 and report["model_calls"]["prompt"] >= 1

    _, report = build(cli, chat_gallery)                        # nothing changed: nothing recomputed
    assert report["totals"]["computed"] == 0 and report["model_calls"] == {"caption": 0, "prompt": 0, "music": 0}

    edit(chat_gallery, lambda m: m["music"].update(seed=3))      # music only
    _, report = build(cli, chat_gallery)
    assert set(statuses(report, "caption").values()) == set(statuses(report, "prompt").values()) == {"cached"}
    assert set(statuses(report, "music").values()) == {"computed"}

    edit(chat_gallery, lambda m: m["prompt"].update(instruction="Write a short music prompt."))
    _, report = build(cli, chat_gallery)
    assert set(statuses(report, "caption").values()) == {"cached"}
    assert set(statuses(report, "prompt").values()) == {"computed"}

    edit(chat_gallery, lambda m: m["caption"].update(instruction="What does this make you feel?"))
    _, report = build(cli, chat_gallery)
    assert set(statuses(report, "caption").values()) == set(statuses(report, "prompt").values()) == {"computed"}


def test_gallery_with_random_models_records_the_fallbacks(tmp_path, chat_models, cli):
    folder = tmp_path / "gallery"
    folder.mkdir()
    shutil.copytree(chat_models["vlm-random"], folder / "vlm")
    shutil.copytree(chat_models["writer-random"], folder / "writer")
    write_gallery(folder, small_artworks(folder), caption={"model": "vlm", "num_beams": 1, "max_new_tokens": 8},
                  prompt={"model": "writer", "max_new_tokens": 12}, music={"model": "builtin", "duration": 2})
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "build" / "gallery.json").read_text())
    for art in data["artworks"]:
        assert art["models"]["caption"] == "builtin:describer" and art["models"]["caption_draft"] is True
        assert art["models"]["prompt"] == "builtin:template"
    for info in report["artworks"].values():
        assert info["stages"]["caption"]["fallback"] and info["stages"]["prompt"]["fallback"]
        assert info["prompt_model"] == "builtin:template" and info["caption_model"] == "builtin:describer"


def test_models_list_names_the_writer_and_the_vlm(chat_gallery, cli):
    result = cli("models", "list", chat_gallery, "--json")
    assert result.exit_code == 0, result.output
    rows = {row["kind"]: row for row in json.loads(result.output)}
    assert rows["caption"]["architecture"] == "idefics3" and rows["caption"]["available"]
    assert rows["prompt"]["architecture"] == "llama" and rows["prompt"]["requested"] == "models/writer"
    text = cli("models", "list", chat_gallery).output
    assert "prompt   " in text and "HuggingFaceTB/SmolLM2-360M-Instruct" in text    # the known writers
    assert "HuggingFaceTB/SmolVLM-256M-Instruct" in text


def test_pull_asks_for_chat_templates(monkeypatch):
    import imaudible.models as m

    seen = {}
    monkeypatch.setattr("huggingface_hub.snapshot_download",
                        lambda model_id, revision=None, allow_patterns=(): seen.update(patterns=allow_patterns) or
                        (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(m.ModelError):
        m.pull("HuggingFaceTB/SmolVLM-256M-Instruct")
    assert "*.jinja" in seen["patterns"] and "*.safetensors" in seen["patterns"] and "*.bin" not in seen["patterns"]


def test_a_refused_vlm_caption_is_said_by_a_warning_and_in_the_report(chat_models, tmp_path, cli):
    """README: the describer's text replaces a garbled answer, "and the build report
    (`stages.caption.fallback`) and a warning say why", on every build, cached or not."""
    folder = tmp_path / "gallery"
    folder.mkdir()
    shutil.copytree(chat_models["vlm-random"], folder / "models" / "vlm")
    write_gallery(folder, small_artworks(folder), caption={"model": "models/vlm", "num_beams": 1, "max_new_tokens": 12},
                  music={"model": "builtin", "duration": 1})
    for _ in range(2):                                                   # computed, then from the cache
        result, report = build(cli, folder)
        assert result.exit_code == 0, result.output
        warned = [line for line in result.output.splitlines() if "the caption model's answer was not used" in line]
        assert len(warned) == len(report["artworks"]) and all(line.startswith("warning: ") for line in warned)
        assert all(info["stages"]["caption"]["fallback"] for info in report["artworks"].values())

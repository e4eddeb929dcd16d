"""BLIP captions through transformers, on a tiny BLIP saved to disk and loaded back by the real code."""
from __future__ import annotations

import pytest
from PIL import Image

from imaudible.backends.registry import load_backend
from imaudible.models import ModelError, resolve_caption_model
from imaudible.mood import estimate_mood
from imaudible.settings import CaptionSettings

pytest.importorskip("torch")


def images() -> list[Image.Image]:
    return [Image.new("RGB", (64, 48), colour) for colour in ((200, 30, 40), (20, 60, 200), (240, 240, 230))]


def captioner(tiny_models, tmp_path, **settings):
    s = CaptionSettings(model=str(tiny_models["blip"]), **settings)
    resolved = resolve_caption_model(s, gallery_root=tmp_path, recorded={})
    return load_backend("caption", resolved, s), resolved


def test_captions_batched_cleaned_and_named(tiny_models, tmp_path):
    pictures = images()
    moods = [estimate_mood(p) for p in pictures]
    batched, resolved = captioner(tiny_models, tmp_path, batch_size=2, num_beams=2, max_new_tokens=6)
    assert (batched.name, batched.revision, batched.is_model) == (resolved.model_id, resolved.revision, True)
    texts = batched.caption(pictures, moods)
    assert len(texts) == 3 and all(isinstance(t, str) for t in texts)
    for text in texts:
        words = text.split()
        assert text == " ".join(words)                     # no stray whitespace
        assert all(a.lower() != b.lower() for a, b in zip(words, words[1:]))   # no repeated words
        assert len(words) <= 6
        assert text[:1] == text[:1].upper()
    # batches of 2 (2 + 1) give what one-by-one captioning gives: beam search is deterministic
    single, _ = captioner(tiny_models, tmp_path, batch_size=1, num_beams=2, max_new_tokens=6)
    assert [single.caption([p], [m])[0] for p, m in zip(pictures, moods)] == texts
    model = batched._model
    batched.caption(pictures[:1], moods[:1])
    assert batched._model is model                       # loaded once, reused
    batched.close()
    assert batched._model is None


def test_missing_model_and_bad_input(tiny_models, tmp_path):
    s = CaptionSettings(model=str(tmp_path / "absent"))
    with pytest.raises(ModelError, match="not available"):
        load_backend("caption", resolve_caption_model(s, gallery_root=tmp_path, recorded={}), s)
    c, _ = captioner(tiny_models, tmp_path)
    with pytest.raises(ValueError, match="2 images but 1 moods"):
        c.caption(images()[:2], [estimate_mood(images()[0])])
    assert c.caption([], []) == []


def test_unknown_device_is_a_clear_error(tiny_models, tmp_path):
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        captioner(tiny_models, tmp_path, device="tpu")


def test_an_empty_caption_is_the_describers_draft_with_the_reason(tiny_models, tmp_path):
    """A BLIP whose decoder ends every caption at once (its weights favour the end token) captioned every
    work with "": that went into the prompt and the site as the model's caption."""
    import shutil

    import torch
    from transformers import BlipForConditionalGeneration

    from imaudible.caption import caption_results, describe

    folder = shutil.copytree(tiny_models["blip"], tmp_path / "mute-blip")
    model = BlipForConditionalGeneration.from_pretrained(folder)
    with torch.no_grad():
        model.text_decoder.cls.predictions.bias[model.config.text_config.eos_token_id] = 1e4
    model.save_pretrained(folder, safe_serialization=True)
    s = CaptionSettings(model=str(folder), max_new_tokens=6)
    backend = load_backend("caption", resolve_caption_model(s, gallery_root=tmp_path, recorded={}), s)
    pictures = images()
    moods = [estimate_mood(p) for p in pictures]
    assert backend.caption(pictures, moods) == ["", "", ""]          # what the model says
    results = caption_results(backend, pictures, moods)
    assert [r.text for r in results] == [describe(m) for m in moods]
    assert {(r.model, r.fallback) for r in results} == {("builtin:describer", "the model's caption was empty")}
    # a model that does caption is left as it is
    working, _ = captioner(tiny_models, tmp_path, max_new_tokens=6)
    assert all(r.model is None and r.fallback == "" and r.text for r in caption_results(working, pictures, moods))

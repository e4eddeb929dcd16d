"""Fixtures for the model backends: tiny BLIP, MusicGen and CLAP checkpoints, built once per session.

Test modules that run models `pytest.importorskip("torch")`; the resolution tests need no torch.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from . import tiny

# Offline, and the local-weights hash memo in a throwaway folder instead of ~/.cache.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="imaudible-xdg-")


def pin_one_thread() -> None:
    """Two threads fighting over two cores made tiny models 36x slower (NOTES.md)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


pin_one_thread()


@pytest.fixture(autouse=True)
def _one_thread():
    pin_one_thread()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Directories of saved tiny checkpoints: {"blip": ..., "musicgen": ..., "clap": ...}."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("tiny-models")
    return {"blip": tiny.build_blip(root / "blip"), "musicgen": tiny.build_musicgen(root / "musicgen"),
            "clap": tiny.build_clap(root / "clap")}


def small_artworks(folder: Path) -> list[dict]:
    """Two plain images (the demo paintings would only slow the image stages down), just large enough for the
    smallest default texture size, so that no small-source warning is expected."""
    from PIL import Image

    (folder / "art").mkdir(parents=True, exist_ok=True)
    arts = []
    for name, colour in (("dawn", (230, 150, 60)), ("night", (20, 30, 90))):
        image = Image.new("RGB", (1024, 683), colour)
        image.paste((250, 250, 240), (213, 107, 533, 427))
        image.save(folder / "art" / f"{name}.jpg", quality=90)
        arts.append({"file": f"art/{name}.jpg", "title": name.title()})
    return arts


CAPTION_ANSWER = "A calm sea under a pale sky; it makes me feel serene because of the soft blue light."
PROMPT_ANSWER = "slow ambient piano, soft pads, 66 bpm, C major, calm, warm reverb"


def teaching_images():
    from PIL import Image

    return [Image.new("RGB", (64, 48), c) for c in ((200, 30, 40), (20, 60, 200), (240, 240, 230), (230, 150, 60))]


def writer_prompts(tok) -> tuple[str, ...]:
    """Chat texts as the prompt writer builds them, for varied artworks (what the taught writer learns from)."""
    from imaudible.mood import estimate_mood
    from imaudible.prompt import PromptRequest, writer_message
    from imaudible.settings import PromptSettings

    settings = PromptSettings()
    texts = []
    # The short captions vary the text; CAPTION_ANSWER is what the taught captioner hands it in a gallery build.
    captions = ("a red field", "a blue sea", "a white room", "dawn", *[CAPTION_ANSWER] * 4)
    for image, caption, style in zip(teaching_images() * 2, captions, ("", "ambient", "", "orchestral") * 2):
        user = writer_message(PromptRequest(caption, estimate_mood(image), style), settings)
        texts.append(tok.apply_chat_template([{"role": "system", "content": settings.instruction},
                                              {"role": "user", "content": user}],
                                             add_generation_prompt=True, tokenize=False))
    return tuple(texts)


@pytest.fixture(scope="session")
def chat_models(tmp_path_factory):
    """Tiny vision-language and instruct models: random weights (they write garbage) and taught ones (they
    answer CAPTION_ANSWER / PROMPT_ANSWER through the real generate path)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from imaudible.settings import DEFAULT_CAPTION_INSTRUCTION

    root = tmp_path_factory.mktemp("chat-models")
    tok = tiny.chat_tokenizer()
    ask = tok.apply_chat_template([{"role": "user", "content": [{"type": "image"},
                                                                {"type": "text", "text": DEFAULT_CAPTION_INSTRUCTION}]}],
                                  add_generation_prompt=True, tokenize=False)
    return {
        "vlm": tiny.build_vlm(root / "vlm", answer=CAPTION_ANSWER, prompt=ask, images=teaching_images()),
        "vlm-random": tiny.build_vlm(root / "vlm-random", seed=1),
        "writer": tiny.build_instruct_lm(root / "writer", answer=PROMPT_ANSWER, prompts=writer_prompts(tok)),
        "writer-random": tiny.build_instruct_lm(root / "writer-random", seed=1),
    }

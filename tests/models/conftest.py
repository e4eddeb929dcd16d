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
    """Two small images (the demo paintings would only slow the image stages down)."""
    from PIL import Image

    (folder / "art").mkdir(parents=True, exist_ok=True)
    arts = []
    for name, colour in (("dawn", (230, 150, 60)), ("night", (20, 30, 90))):
        image = Image.new("RGB", (96, 64), colour)
        image.paste((250, 250, 240), (20, 10, 50, 40))
        image.save(folder / "art" / f"{name}.jpg", quality=90)
        arts.append({"file": f"art/{name}.jpg", "title": name.title()})
    return arts

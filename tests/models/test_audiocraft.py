"""The audiocraft backend against audiocraft's own code, on a tiny MusicGen built by audiocraft's builders.

Skipped unless audiocraft imports. Its pins (torch==2.1.0, av==11, ...) do not resolve beside this project's
torch, so CI installs it into a separate virtualenv: `sh tests/models/audiocraft_venv.sh` (about two minutes).
"""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("audiocraft.models")

from imaudible.backends.registry import load_backend  # noqa: E402
from imaudible.compose import MusicRequest  # noqa: E402
from imaudible.models import resolve_music_model  # noqa: E402
from imaudible.settings import MusicSettings  # noqa: E402

from ..conftest import write_gallery  # noqa: E402
from . import tiny  # noqa: E402
from .conftest import small_artworks  # noqa: E402


@pytest.fixture(scope="module")
def audiocraft_dir(tmp_path_factory):
    # 20 s windows: audiocraft's MusicGen insists on windows longer than its 18 s extension stride
    return tiny.build_audiocraft_musicgen(tmp_path_factory.mktemp("ac") / "musicgen", window_s=20)


def composer_for(folder, tmp_path, **settings):
    s = MusicSettings(model=str(folder), **settings)
    resolved = resolve_music_model(s, gallery_root=tmp_path, recorded={})
    assert resolved.available and resolved.backend == "audiocraft"
    return load_backend("music", resolved, s)


def test_lengths_seeds_and_batching(audiocraft_dir, tmp_path):
    composer = composer_for(audiocraft_dir, tmp_path, duration=1.5, batch_size=3)
    prompts = ["calm piano", "loud drums", "dark strings"]
    requests = [MusicRequest(p, None, dataclasses.replace(composer.settings, seed=i), "h")
                for i, p in enumerate(prompts)]
    batched = composer.generate(requests)
    assert [(c.sample_rate, c.samples.shape) for c in batched] == [(32000, (1, 48000))] * 3
    for req, clip in zip(requests, batched):   # per-row generators and decodes: batch-mates do not matter
        np.testing.assert_array_equal(composer.generate([req])[0].samples, clip.samples)
    reseeded = composer.generate([dataclasses.replace(requests[0], settings=dataclasses.replace(
        requests[0].settings, seed=99))])[0]
    assert np.abs(reseeded.samples - batched[0].samples).max() > 1e-3
    composer.close()


def test_clips_longer_than_the_window(audiocraft_dir, tmp_path):
    composer = composer_for(audiocraft_dir, tmp_path, duration=26.3, takes=2)
    clip = composer.generate([MusicRequest("calm piano", None, composer.settings, "h")])[0]
    assert clip.samples.shape == (1, round(26.3 * 32000)) and np.isfinite(clip.samples).all()
    assert composer.choices[0].chosen in (0, 1)
    composer.close()


def test_gallery_builds_with_the_audiocraft_backend(audiocraft_dir, tmp_path, cli):
    folder = tmp_path / "gallery"
    shutil.copytree(audiocraft_dir, folder / "mg")
    write_gallery(folder, small_artworks(folder), music={"model": "mg", "backend": "audiocraft", "duration": 2})
    result = cli("build", folder, "--report", folder / "r.json")
    assert result.exit_code == 0, result.output
    report = json.loads((folder / "r.json").read_text())
    assert report["model_calls"]["music"] == 1
    assert report["models_loaded"][-1].startswith("audiocraft:local@")
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert {a["models"]["music"] for a in site["artworks"]} == {"mg"}  # as the manifest names it

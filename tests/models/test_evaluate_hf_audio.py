"""evaluate's other Hugging Face audio models, built tiny from configs, saved and loaded back through
from_pretrained: an audio encoder named by `evaluate.audio_encoder` (a second FAD space) and an
audio-classification model named by `evaluate.genre_model` (the genre-KL proxy)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("torch")

from imaudible.evaluate import genre, reference  # noqa: E402
from imaudible.evaluate.encoders import HFAudioModel  # noqa: E402
from imaudible.models import resolve_clap_model  # noqa: E402
from tests.evaluate import synth  # noqa: E402

GENRES = ("ambient", "classical", "jazz", "rock")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from . import tiny

    root = tmp_path_factory.mktemp("hf-audio")
    return tiny.build_audio_encoder(root / "encoder"), tiny.build_genre_classifier(root / "genre", GENRES)


def test_encoder_embeds_windows_and_fad_follows_the_recipe(models):
    resolved = resolve_clap_model(str(models[0]), kind="encoder")
    assert resolved.available
    encoder = HFAudioModel(resolved)
    assert encoder.sampling_rate == 16000
    ref = [(synth.varied(24.0, seed=i), synth.RATE) for i in range(2)]
    generated = [(synth.bright_fast_major(12.0), synth.RATE), (synth.dark_slow_minor(12.0), synth.RATE)]
    result = reference.fad_spaces(generated, ref, {"wav2vec2": encoder})["spaces"]["wav2vec2"]
    assert (result["windows_reference"], result["windows_generated"]) == (4, 2)
    assert result["fad"] is not None and result["fad"] > 0
    same = reference.fad_spaces(ref, ref, {"wav2vec2": encoder})["spaces"]["wav2vec2"]
    assert same["fad"] == pytest.approx(0, abs=1e-6)
    _, embedded = reference.per_clip(generated, encoder, encoder.embed)
    assert embedded.shape == (2, 16) and np.isfinite(embedded).all()


def test_classifier_gives_genre_probabilities_over_its_labels(models):
    model = HFAudioModel(resolve_clap_model(str(models[1]), kind="genre"), classifier=True)
    assert model.labels == list(GENRES)
    _, probs = reference.per_clip([(synth.varied(12.0), synth.RATE)], model, model.classify)
    assert probs.shape == (1, 4) and probs.sum() == pytest.approx(1, abs=1e-5) and (probs > 0).all()


def test_evaluate_command_with_an_encoder_and_a_genre_model(models, tmp_path):
    from click.testing import CliRunner
    from scipy.io import wavfile

    from imaudible.cli import main
    from tests.conftest import write_gallery

    encoder, classifier = models
    folder = write_gallery(tmp_path / "g", music={"duration": 6},
                           evaluate={"audio_encoder": str(encoder), "genre_model": str(classifier)})
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir()
    for i in range(2):
        wavfile.write(ref_dir / f"r{i}.wav", synth.RATE, synth.varied(12.0, seed=i))
    result = CliRunner().invoke(main, ["evaluate", str(folder), "--reference", str(ref_dir), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "report" / "report.json").read_text())
    assert not any("encoder" in line or "Genre" in line for line in data["skipped"])
    space = data["fad"]["spaces"][str(encoder)]
    # 12 s references -> one 10 s window each (2 s dropped); 6 s clips -> one window each (over half of 10 s)
    assert (space["windows_reference"], space["windows_generated"]) == (2, 3)
    assert space["fad"] is not None and space["fad"] >= 0 and "10 s windows" in data["fad"]["recipe"]
    kl = data["genre_kl"]
    assert kl["model"] == str(classifier) and math.isfinite(kl["value"]) and kl["value"] >= 0
    assert kl["label"] == genre.LABEL and "proxy the thesis found unreliable" in kl["label"]
    html = (folder / "report" / "index.html").read_text()
    assert "proxy the thesis found unreliable" in html
    assert "3 generated windows, 2 reference windows" in html


def test_missing_genre_model_is_one_line_and_the_rest_still_runs(tmp_path):
    from click.testing import CliRunner
    from scipy.io import wavfile

    from imaudible.cli import main
    from tests.conftest import write_gallery

    folder = write_gallery(tmp_path / "g", music={"duration": 2}, evaluate={"genre_model": "nobody/no-genre-model"})
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir()
    wavfile.write(ref_dir / "r.wav", synth.RATE, synth.varied(4.0))
    result = CliRunner().invoke(main, ["evaluate", str(folder), "--reference", str(ref_dir)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "Genre-KL skipped" in line]
    assert len(lines) == 1 and "nobody/no-genre-model" in lines[0]
    assert json.loads((folder / "report" / "report.json").read_text())["genre_kl"] is None

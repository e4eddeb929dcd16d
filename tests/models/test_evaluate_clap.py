"""A tiny CLAP built from a config, saved and loaded back through from_pretrained, exercises evaluate's
model path end to end: the shared scorer, prompt adherence with its control, zero-shot mood, FAD, ranking."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from imaudible.backends import takes  # noqa: E402
from imaudible.backends.clap import ClapScorer  # noqa: E402
from imaudible.evaluate import measures, reference  # noqa: E402
from imaudible.models import resolve_clap_model  # noqa: E402
from tests.evaluate import sample, synth  # noqa: E402


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    from . import tiny

    path = tiny.build_clap(tmp_path_factory.mktemp("clap") / "clap")
    resolved = resolve_clap_model(str(path))
    assert resolved.available
    yield ClapScorer(resolved, "cpu")


def test_clap_scores_every_artwork_and_its_control(scorer):
    records, _ = sample.records(seconds=3.0, with_audio=False)
    clips = [synth.bright_fast_major(3.0), synth.dark_slow_minor(3.0), synth.varied(3.0)]
    embeddings = scorer.embed_audio(clips, synth.RATE)
    assert embeddings.shape[0] == 3 and np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-5)
    for record, emb in zip(records, embeddings):
        measures.chosen_take(record)["clap"] = emb.tolist()
    result = measures.gallery_measures(records, clap=scorer)
    clap = result["summary"]["clap"]
    assert clap["model"].startswith("clap:local@") and clap["prompt"]["pairs"] == 3
    direct = scorer.scores(records[0]["prompt"], [clips[0]], synth.RATE)[0]
    assert result["artworks"]["sunrise"]["clap_prompt"] == pytest.approx(direct, abs=1e-3)
    mood = result["artworks"]["nocturne"]["clap_mood"]
    assert 0 <= mood["valence"] <= 1 and 0 <= mood["arousal"] <= 1
    assert len(result["prompt_embeddings"]) == 3


def test_identical_clips_make_the_clap_control_equal_the_true_score(scorer):
    records, _ = sample.records(seconds=3.0, with_audio=False)
    same = scorer.embed_audio([synth.varied(3.0)], synth.RATE)[0]
    for record in records:
        measures.chosen_take(record)["clap"] = same.tolist()
    prompt = measures.gallery_measures(records, clap=scorer)["summary"]["clap"]["prompt"]
    assert prompt["true_mean"] == pytest.approx(prompt["shuffled_mean"], abs=1e-4)


def test_fad_in_clap_space_against_a_reference_folder(scorer, tmp_path):
    from scipy.io import wavfile

    for i in range(3):
        wavfile.write(tmp_path / f"ref{i}.wav", synth.RATE, synth.varied(24.0, seed=i))
    ref = reference.load_reference(tmp_path)
    generated = [(synth.bright_fast_major(12.0), synth.RATE), (synth.dark_slow_minor(12.0), synth.RATE),
                 (synth.varied(12.0, seed=9), synth.RATE)]
    result = reference.fad_spaces(generated, ref, {"clap": scorer})["spaces"]["clap"]
    assert result["windows_reference"] == 6          # 24 s -> 10 + 10 (+ 4 s dropped: under half a window)
    assert result["windows_generated"] == 3          # 12 s -> 10 (+ 2 s dropped)
    assert result["fad"] is not None and result["fad"] >= 0
    assert reference.fad_spaces(ref, ref, {"clap": scorer})["spaces"]["clap"]["fad"] == pytest.approx(0, abs=1e-6)


def test_take_ranker_is_the_same_scorer(scorer):
    ranker = takes.make_ranker(scorer.resolved, "cpu")
    assert isinstance(ranker, ClapScorer)
    choice = takes.choose_take([synth.varied(3.0, seed=1), synth.varied(3.0, seed=2)], synth.RATE, "piano", ranker)
    assert choice.ranker == scorer.name and choice.chosen in (0, 1) and all(np.isfinite(choice.scores))


def test_evaluate_command_with_a_tiny_clap_from_the_manifest(scorer, tmp_path):
    import json

    from click.testing import CliRunner

    from imaudible.cli import main
    from tests.conftest import write_gallery

    folder = write_gallery(tmp_path / "g", music={"duration": 6},
                           evaluate={"clap_model": str(scorer.resolved.path)})
    reference = tmp_path / "reference"
    reference.mkdir()
    from scipy.io import wavfile
    for i in range(2):
        wavfile.write(reference / f"r{i}.wav", synth.RATE, synth.varied(12.0, seed=i))
    result = CliRunner().invoke(main, ["evaluate", str(folder), "--reference", str(reference), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "report" / "report.json").read_text())
    assert not any("CLAP" in line for line in data["skipped"])
    assert data["summary"]["clap"]["prompt"]["pairs"] == 3
    assert all("clap_prompt" in a["scores"] for a in data["artworks"])
    assert data["maps"]["prompts"]["source"] == "CLAP text embeddings"
    fad = data["fad"]["spaces"]["CLAP"]
    # 12 s references -> one 10 s window each (2 s dropped); 6 s clips -> one window each (over half of 10 s)
    assert (fad["windows_reference"], fad["windows_generated"]) == (2, 3) and fad["fad"] >= 0
    # 2 and 3 windows in the tiny CLAP's 16 dimensions: shrinkage, flagged in the JSON, the page and the CLI.
    assert (fad["dimensions"], fad["covariance"], fad["reliable"]) == (16, "Ledoit-Wolf shrinkage covariance", False)
    assert "2 windows but 16 embedding dimensions" in fad["warning"]
    html = (folder / "report" / "index.html").read_text()
    assert "16 dimensions, Ledoit-Wolf shrinkage covariance" in html
    assert f'<dd class="problems">{fad["warning"]}</dd>' in html
    assert "warning: FAD (CLAP) unreliable: 2 windows but 16 embedding dimensions" in result.output

    import subprocess
    import sys
    again = subprocess.run([sys.executable, "-m", "imaudible.cli", "evaluate", str(folder), "--reference",
                            str(reference)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"FAD (CLAP): {fad['fad']:.3f} (3 generated windows, 2 reference windows; 16 dimensions, " \
           "Ledoit-Wolf shrinkage covariance)" in again.stderr
    assert "warning: FAD (CLAP) unreliable" in again.stderr
    # scipy's LinAlgWarning said "Matrix is singular. The result might be inaccurate"; transformers drew bars
    for stray in ("Warning:", "singular. The result", "Traceback", "Loading weights"):
        assert stray not in again.stderr + again.stdout, again.stderr


def test_a_reference_file_that_is_not_audio_is_one_line_before_any_work(scorer, tmp_path):
    from click.testing import CliRunner

    from imaudible.cli import main
    from tests.conftest import write_gallery

    folder = write_gallery(tmp_path / "g", music={"duration": 2}, evaluate={"clap_model": str(scorer.resolved.path)})
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "broken.wav").write_bytes(b"not a wave file at all")
    result = CliRunner().invoke(main, ["evaluate", str(folder), "--reference", str(reference), "-q"])
    assert result.exit_code == 2, result.output        # was "internal error: AudioError ...", exit 3, after the build
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"cannot read '{reference / 'broken.wav'}' as audio" in lines[0]
    assert not (folder / "build").exists() and not (folder / "report").exists()

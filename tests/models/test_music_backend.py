"""MusicGen through transformers on a tiny checkpoint: lengths, seeds, batching, windows, takes."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from imaudible.backends.registry import load_backend
from imaudible.compose import MusicRequest
from imaudible.models import ModelError, resolve_clap_model, resolve_music_model
from imaudible.settings import MusicSettings

pytest.importorskip("torch")
from imaudible.backends.hf_musicgen import MusicgenComposer  # noqa: E402
from imaudible.backends.takes import FALLBACK_RANKER, choose_take  # noqa: E402

PROMPTS = ["calm blue sea, ambient piano", "energetic drums and brass", "dark strings, a slow pulse"]


@pytest.fixture(scope="module")
def composer(tiny_models, tmp_path_factory):
    settings = MusicSettings(model=str(tiny_models["musicgen"]), duration=1.0, batch_size=4)
    resolved = resolve_music_model(settings, gallery_root=tmp_path_factory.mktemp("g"), recorded={})
    made = load_backend("music", resolved, settings)
    yield made
    made.close()


def request(composer, prompt: str, **settings) -> MusicRequest:
    return MusicRequest(prompt, None, dataclasses.replace(composer.settings, **settings), "hash")


def test_clip_length_rate_and_identity(composer):
    clips = composer.generate([request(composer, PROMPTS[0], duration=1.0),
                               request(composer, PROMPTS[1], duration=0.73)])
    assert [c.sample_rate for c in clips] == [32000, 32000]
    assert [c.samples.shape for c in clips] == [(1, 32000), (1, round(0.73 * 32000))]
    assert clips[0].samples.dtype == np.float32 and np.isfinite(clips[0].samples).all()
    assert np.sqrt(np.mean(clips[0].samples ** 2)) > 0.01
    assert composer.is_model and composer.name == composer.resolved.model_id
    assert composer.revision == composer.resolved.revision


def test_seeds_reproduce_and_differ(composer):
    a = composer.generate([request(composer, PROMPTS[0], seed=7)])[0].samples
    again = composer.generate([request(composer, PROMPTS[0], seed=7)])[0].samples
    other = composer.generate([request(composer, PROMPTS[0], seed=8)])[0].samples
    np.testing.assert_array_equal(a, again)
    assert np.abs(a - other).max() > 0.05


def test_batched_equals_one_by_one(composer):
    """Each artwork samples from its own generator, so batch-mates do not change its tokens, and the codec
    decodes each artwork alone, so not its audio either: equal to the last bit, mixed settings included."""
    requests = [request(composer, PROMPTS[0], seed=1),
                request(composer, PROMPTS[1], seed=2, guidance_scale=1.0, temperature=0.7),
                request(composer, PROMPTS[2], seed=3, top_k=5),
                request(composer, PROMPTS[0], seed=4, top_k=0)]
    batched = composer.generate(requests)
    for req, clip in zip(requests, batched):
        alone = composer.generate([req])[0]
        assert clip.samples.shape == alone.samples.shape
        np.testing.assert_array_equal(clip.samples, alone.samples)
    assert np.abs(batched[0].samples - batched[3].samples).max() > 0.05   # same prompt, other seed and top_k


def test_long_clip_windows_join_smoothly(tiny_models, tmp_path):
    settings = MusicSettings(model=str(tiny_models["musicgen"]), duration=6.5, batch_size=2)
    resolved = resolve_music_model(settings, gallery_root=tmp_path, recorded={})
    composer = MusicgenComposer(resolved, settings, window_s=3.0, prompt_s=1.0, crossfade_s=0.5)
    clips = composer.generate([MusicRequest(p, None, settings, "h") for p in PROMPTS[:2]])
    first = composer.generate([MusicRequest(PROMPTS[0], None, dataclasses.replace(settings, duration=3.0), "h")])
    rate = 32000
    # up to the first crossfade the long clip is exactly the first window
    np.testing.assert_allclose(clips[0].samples[:, : int(2.5 * rate)], first[0].samples[:, : int(2.5 * rate)],
                               atol=1e-5)
    assert np.abs(clips[0].samples[:, int(3.2 * rate):int(3.3 * rate)]).max() > 0.01   # and it goes on
    for clip in clips:
        x = clip.samples[0].astype(np.float64)
        assert x.shape == (int(6.5 * rate),)
        # windows: [0, 3) then +2 s each; the crossfades end at 3 s and 5 s
        blocks = np.sqrt(np.mean(x[: len(x) // 800 * 800].reshape(-1, 800) ** 2, axis=1))   # 25 ms
        level = np.median(blocks)
        for seam in (3.0, 5.0):
            around = blocks[int((seam - 0.6) * 40): int((seam + 0.1) * 40)]
            assert np.all(np.abs(20 * np.log10(around / level)) < 3.0), f"level jumps at the {seam} s seam"
            step = np.abs(np.diff(x[int(seam * rate) - 200: int(seam * rate) + 200])).max()
            assert step <= np.abs(np.diff(x)).max()           # no sample step beyond the clip's own
    composer.close()


def test_crossfade_removes_the_click_and_keeps_the_level():
    from imaudible.backends.crossfade import crossfade_join

    rate, n = 32000, 32000
    t = np.arange(n) / rate
    head = np.sin(2 * np.pi * 220 * t)[None, :]
    tail = np.sin(2 * np.pi * 220 * t + 2.5)[None, :]            # same tone, another phase
    hard = np.concatenate([head, tail], axis=1)[0]
    joined = crossfade_join(head, tail, 3200)[0]
    assert len(joined) == 2 * n - 3200
    smooth_step = np.abs(np.diff(np.sin(2 * np.pi * 220 * t))).max()
    assert np.abs(np.diff(hard)).max() > 10 * smooth_step          # the click of a butt splice
    assert np.abs(np.diff(joined)).max() < 1.5 * smooth_step
    # identical sides: no swell; independent noise: no dip (25 ms levels within 1 dB)
    rng = np.random.default_rng(0)
    for a, b in ((head, head.copy()), (rng.standard_normal((1, n)), rng.standard_normal((1, n)))):
        y = crossfade_join(a, b, 16000)[0]
        levels = np.sqrt(np.mean(y[: len(y) // 800 * 800].reshape(-1, 800) ** 2, axis=1))
        assert np.all(np.abs(20 * np.log10(levels / np.median(levels))) < 1.0)


def test_take_choice_rejects_a_planted_silent_take(composer):
    real = composer.generate([request(composer, PROMPTS[0], duration=2.0)])[0].samples
    silent = np.zeros_like(real)
    whisper = (1e-4 * np.random.default_rng(1).standard_normal(real.shape)).astype(np.float32)
    choice = choose_take([silent, real, whisper], 32000, PROMPTS[0])
    assert choice.chosen == 1 and choice.ranker == FALLBACK_RANKER
    assert "near-silent" in choice.problems[0][0] and "near-silent" in choice.problems[2][0]
    assert choice.problems[1] == []


def test_degenerate_takes_are_detected():
    from imaudible.backends.takes import loop_correlation, take_problems

    rate = 32000
    rng = np.random.default_rng(3)
    music = np.convolve(rng.standard_normal(8 * rate), np.ones(8) / 8, mode="same")[None, :] * 0.3
    loop = np.tile(music[:, : int(0.6 * rate)], (1, 14))[:, : 8 * rate]     # a 0.6 s loop
    clipped = np.clip(music * 20, -1, 1)
    assert take_problems(music, rate) == []
    assert loop_correlation(music, rate) < 0.5
    assert any("loop" in p for p in take_problems(loop, rate))
    assert any("clipping" in p for p in take_problems(clipped, rate))
    # every take degenerate: the one with the fewest problems is kept, and the choice says so
    choice = choose_take([np.zeros_like(music), loop], rate, "x")
    assert choice.chosen == 1 and "degenerate" in choice.ranker


def test_takes_are_ranked_by_clap(tiny_models, tmp_path):
    settings = MusicSettings(model=str(tiny_models["musicgen"]), duration=1.0, takes=3, seed=5)
    resolved = resolve_music_model(settings, gallery_root=tmp_path, recorded={})
    clap = resolve_clap_model(str(tiny_models["clap"]))
    composer = MusicgenComposer(resolved, settings, clap=clap)
    assert composer.take_ranker == f"clap:{clap.identity}"
    clip = composer.generate([MusicRequest(PROMPTS[1], None, settings, "h")])[0]
    choice = composer.choices[0]
    assert choice.ranker.startswith("clap:") and all(np.isfinite(choice.scores))
    assert choice.chosen == int(np.argmax(choice.scores))
    # the kept clip is exactly that take, and the takes are the same when generated again
    takes = [t.samples for t in composer.takes[0]]
    np.testing.assert_array_equal(clip.samples, takes[choice.chosen])
    again = composer.generate([MusicRequest(PROMPTS[1], None, settings, "h")])[0]
    np.testing.assert_array_equal(again.samples, clip.samples)
    assert len({t.tobytes() for t in takes}) == 3
    composer.close()


def test_missing_weights_and_bad_windows(tiny_models, tmp_path):
    settings = MusicSettings(model=str(tmp_path / "absent"))
    with pytest.raises(ModelError, match="not available"):
        load_backend("music", resolve_music_model(settings, gallery_root=tmp_path, recorded={}), settings)
    ok = MusicSettings(model=str(tiny_models["musicgen"]))
    resolved = resolve_music_model(ok, gallery_root=tmp_path, recorded={})
    with pytest.raises(ModelError, match="windows"):
        MusicgenComposer(resolved, ok, window_s=5, prompt_s=6)


def test_melody_checkpoint_batches_and_continues(tmp_path):
    """MusicGen-melody prepends the text to the audio tokens; prompts are padded to a fixed length there so
    batch-mates still do not matter, and windows continue from the encoded prompt audio."""
    from . import tiny

    folder = tiny.build_musicgen_melody(tmp_path / "melody")
    settings = MusicSettings(model=str(folder), duration=2.0, batch_size=2)
    composer = MusicgenComposer(resolve_music_model(settings, gallery_root=tmp_path, recorded={}), settings,
                                window_s=1.5, prompt_s=0.5, crossfade_s=0.25)
    requests = [MusicRequest(p, None, dataclasses.replace(settings, seed=i), "h") for i, p in enumerate(PROMPTS[:2])]
    batched = composer.generate(requests)
    for req, clip in zip(requests, batched):
        assert clip.samples.shape == (1, 64000)
        assert np.abs(composer.generate([req])[0].samples - clip.samples).max() < 1e-5
    composer.close()


def test_stored_clip_bytes_do_not_depend_on_batch_mates(composer):
    """The codec decodes each artwork alone, so a clip is stored byte for byte the same in any batch."""
    from imaudible import audio

    requests = [request(composer, prompt, seed=7) for prompt in PROMPTS]
    alone = [audio.clip_to_bytes(composer.generate([r])[0]) for r in requests]
    assert [audio.clip_to_bytes(c) for c in composer.generate(requests)] == alone
    assert [audio.clip_to_bytes(c) for c in composer.generate(requests[::-1])] == alone[::-1]


def test_artworks_sharing_a_prompt_and_a_seed_get_their_own_clips(composer):
    """Every artwork has music.seed 0 unless set: seeded by it alone, two artworks given one prompt (a curator's
    series, a writer model's stock answer) got the very same clip. The seed is mixed with the image's hash."""
    from imaudible import audio

    def clip(content_hash):
        req = dataclasses.replace(request(composer, PROMPTS[0], seed=0), content_hash=content_hash)
        return audio.clip_to_bytes(composer.generate([req])[0])

    assert clip("image-a") != clip("image-b")
    assert clip("image-a") == clip("image-a")              # the same image, prompt and seed: the same clip

"""Each measure where the answer is known."""
from __future__ import annotations

import math

import numpy as np
import pytest

from imaudible.evaluate import control, fad, features, genre, health, measures

from . import synth


def test_fad_of_a_set_against_itself_is_zero():
    e = np.random.default_rng(0).normal(size=(400, 8))
    assert fad.fad(e, e) == pytest.approx(0.0, abs=1e-8)


def test_fad_grows_as_the_set_moves_away():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(500, 6))
    other = rng.normal(size=(500, 6))
    values = [fad.fad(base, other + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values) and values[-1] > 10 * values[0]


def test_fad_matches_the_closed_form_for_gaussians():
    # N(m1, diag(a)) vs N(m2, diag(b)): |m1-m2|^2 + sum(a + b - 2 sqrt(a b))
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    expected = float(np.sum((m1 - m2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b)))
    fit_a = fad.GaussianFit(m1, np.diag(a), 100)
    fit_b = fad.GaussianFit(m2, np.diag(b), 100)
    assert fad.frechet_distance(fit_a, fit_b) == pytest.approx(expected, rel=1e-9)
    # non-diagonal: rotate both covariances by the same rotation -> distance unchanged
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
    rotated = fad.frechet_distance(fad.GaussianFit(q @ m1, q @ np.diag(a) @ q.T, 100),
                                   fad.GaussianFit(q @ m2, q @ np.diag(b) @ q.T, 100))
    assert rotated == pytest.approx(expected, rel=1e-6)
    # and from samples the estimate converges to the closed form
    rng = np.random.default_rng(3)
    sa = m1 + rng.normal(size=(200_000, 3)) * np.sqrt(a)
    sb = m2 + rng.normal(size=(200_000, 3)) * np.sqrt(b)
    assert fad.fad(sa, sb) == pytest.approx(expected, rel=0.02)


def test_fad_with_fewer_windows_than_dimensions_uses_shrinkage_and_says_it_is_unreliable():
    import warnings

    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(5, 64)), rng.normal(size=(6, 64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # scipy's sqrtm said "Matrix is singular" here
        result = fad.assess(a, b)
        constant = fad.assess(np.ones((3, 16)), np.ones((4, 16)) + 1.0)   # zero covariance on both sides
        same_window = fad.assess(np.ones((3, 16)), np.ones((3, 16)))
    assert result["reliable"] is False and result["covariance"] == fad.LEDOIT_WOLF
    assert result["dimensions"] == 64 and "5 windows but 64 embedding dimensions" in result["warning"]
    assert constant["fad"] == pytest.approx(16.0) and same_window["fad"] == pytest.approx(0.0, abs=1e-9)
    full = fad.assess(rng.normal(size=(70, 64)), rng.normal(size=(65, 64)))
    assert full["reliable"] is True and full["covariance"] == fad.SAMPLE and "warning" not in full


def test_shrinkage_is_closer_than_the_sample_covariance_to_the_true_fad_with_few_windows():
    # 20 windows of N(0, I) and N(shift, I) in 64 dimensions: the true FAD is 64 * shift^2 (0 and 64)
    rng = np.random.default_rng(5)
    for shift, truth in ((0.0, 0.0), (1.0, 64.0)):
        pairs = [(rng.normal(size=(20, 64)), rng.normal(size=(20, 64)) + shift) for _ in range(4)]
        sample_error = abs(np.mean([fad.fad(x, y) for x, y in pairs]) - truth)
        shrunk_error = abs(np.mean([fad.assess(x, y)["fad"] for x, y in pairs]) - truth)
        assert shrunk_error < sample_error / 4 and shrunk_error < 12


def test_windows_follow_the_recipe():
    rate = 100
    windows = fad.cut_windows(np.zeros(int(34.9 * rate)), rate, seconds=10)
    assert [len(w) for w in windows] == [1000, 1000, 1000]           # the 4.9 s tail is under half a window
    assert len(fad.cut_windows(np.zeros(35 * rate), rate, seconds=10)) == 4
    assert fad.cut_windows(np.zeros(4 * rate), rate, seconds=10) == []


def test_shuffled_control_equals_true_score_when_all_clips_are_the_same():
    # every clip identical -> row i of the score matrix does not depend on i
    per_text = np.array([0.3, 0.1, 0.7, 0.2, 0.5])
    scores = np.tile(per_text, (5, 1))
    result = control.shuffled_control(scores)
    assert result.true_mean == pytest.approx(result.shuffled_mean)
    assert result.margin == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)


def test_shuffled_control_detects_a_real_pairing():
    rng = np.random.default_rng(4)
    scores = rng.normal(0, 0.05, (12, 12)) + np.eye(12) * 0.5
    result = control.shuffled_control(scores)
    assert result.margin > 0.4 and result.p_value < 0.01


def test_mood_fit_matrix_and_correlation():
    image = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.8], [0.3, 0.9]])
    m = control.mood_fit_matrix(image, image)
    assert np.allclose(np.diag(m), 0) and (m <= 0).all()
    assert control.correlation(image[:, 0], image[:, 0] * 2)["r"] == pytest.approx(1.0)
    assert control.correlation([1, 1, 1], [1, 2, 3])["r"] is None


def test_paired_test_sees_a_consistent_improvement():
    current = np.linspace(0, 1, 20)
    better = control.paired_test(current, current + 0.1)
    assert better["mean_difference"] == pytest.approx(0.1) and better["p_value"] < 0.001
    assert control.paired_test(current, current)["p_value"] == 1.0


def test_fast_bright_major_clip_has_higher_arousal_and_valence():
    bright = features.extract(synth.bright_fast_major(), synth.RATE)
    dark = features.extract(synth.dark_slow_minor(), synth.RATE)
    assert bright.tempo_bpm > dark.tempo_bpm and bright.onset_rate > dark.onset_rate
    assert bright.centroid_hz > dark.centroid_hz and bright.mode > 0 > dark.mode
    v_bright, a_bright = features.valence_arousal(bright)
    v_dark, a_dark = features.valence_arousal(dark)
    assert a_bright > a_dark + 0.3
    assert v_bright > v_dark + 0.2


def test_mode_reads_major_and_minor_keys():
    major = features.extract(synth.notes([60, 64, 67, 72], bpm=120, seconds=6, harmonics=6, decay=0.3), synth.RATE)
    minor = features.extract(synth.notes([57, 60, 64, 69], bpm=120, seconds=6, harmonics=6, decay=0.3), synth.RATE)
    assert (major.key, minor.key) == ("C major", "A minor")


def test_looping_clip_gets_a_high_repetition_score():
    loop = health.check(synth.looping(), synth.RATE)
    music = health.check(synth.varied(), synth.RATE)
    assert loop.repetition > 0.95 and any("loop" in p for p in loop.problems)
    assert music.repetition < 0.6 and not music.problems


def test_health_reports_silence_clipping_loudness_and_peak():
    rate = synth.RATE
    silent = health.check(np.zeros(rate * 3, np.float32), rate)
    assert silent.silent_share == 1.0 and any("near-silent" in p for p in silent.problems)
    clipped = np.clip(synth.varied() * 20, -1, 1)
    assert any("clipping" in p for p in health.check(clipped, rate).problems)
    tone = 0.5 * np.sin(2 * np.pi * 997 * np.arange(rate * 3) / rate)
    h = measures.clip_measures(tone, rate)["health"]
    assert h["true_peak_dbtp"] == pytest.approx(-6.02, abs=0.1)
    assert h["loudness_lufs"] == pytest.approx(-9.0, abs=0.3)   # a 997 Hz sine at -6 dBFS peak reads about -9 LUFS (mono)


def test_take_chooser_uses_the_same_checks():
    from imaudible.backends import takes

    assert takes.take_problems is health.take_problems and takes.loop_correlation is health.loop_correlation


def test_genre_kl_is_zero_for_the_same_distribution_and_positive_otherwise():
    p = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1]])
    assert genre.genre_kl(p, p) == pytest.approx(0.0, abs=1e-12)
    assert genre.genre_kl(p, p[:, ::-1]) > 0.3
    assert "unreliable" in genre.LABEL


def test_fast_true_peak_matches_the_full_measurement():
    from imaudible.loudness import true_peak_envelope

    rng = np.random.default_rng(5)
    x = np.stack([synth.varied(8.0, rate=48000, seed=s) for s in (3, 4)]) * rng.uniform(0.5, 1.0, (2, 1))
    x[:, 100_000:100_010] *= 2.5                     # one loud transient somewhere in the middle
    everywhere = float(true_peak_envelope(x, floor=0.0).max())    # every block oversampled
    _, peak_db = measures.loudness_and_peak(x, 48000)
    assert peak_db == pytest.approx(20 * np.log10(everywhere), abs=1e-4)
    assert everywhere >= np.abs(x).max()


def test_correlation_p_value_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(6)
    a = rng.normal(size=15)
    b = a * 0.5 + rng.normal(size=15)
    expected = stats.pearsonr(a, b)
    got = control.correlation(a, b)
    assert got["r"] == pytest.approx(expected.statistic, abs=1e-4)
    assert got["p_value"] == pytest.approx(expected.pvalue, abs=1e-4)


def test_measures_a_clip_is_too_short_for_are_none_with_the_reason():
    short = measures.clip_measures(synth.varied(3.0), synth.RATE)
    assert set(short["unmeasured"]) == {"tempo_bpm", "tempo_alternative_bpm", "mode", "key", "onset_rate",
                                        "valence", "arousal"}
    assert all(short["features"][k] is None for k in ("tempo_bpm", "tempo_alternative_bpm", "mode", "key", "onset_rate"))
    assert short["valence"] is None and short["arousal"] is None and short["seconds"] == 3.0
    assert short["features"]["centroid_hz"] > 0 and short["health"]["loudness_lufs"] is not None
    assert short["unmeasured"]["valence"] == "too short to measure: 3.0 s of audio, valence needs at least 8 s"
    assert len(short["vector"]) == 6 and short["vector"][-2] == 0.0           # an unmeasured cue (tempo) at its centre
    long = measures.clip_measures(synth.varied(8.0), synth.RATE)
    assert long["unmeasured"] == {} and 0 <= long["valence"] <= 1 and long["features"]["tempo_bpm"] > 0
    assert set(measures.too_short(5.0)) == {"tempo_bpm", "tempo_alternative_bpm", "mode", "key", "valence", "arousal"}
    assert measures.too_short(features.MIN_SECONDS["tempo_bpm"]) == {}


def test_same_music_compares_keys_then_bytes_and_the_take_in_use():
    from imaudible.evaluate.variants import same_music

    def rec(key, sha, used=1):
        return {"music_identity": {"key": key, "sha256": sha, "used": used}}

    assert same_music(rec("k", ["a"]), rec("k", ["a"]))
    assert same_music(rec("k1", ["a", "b"]), rec("k2", ["a", "b"]))        # a new key, the same bytes
    assert not same_music(rec("k1", ["a", "b"]), rec("k2", ["a", "c"]))
    assert not same_music(rec("k", ["a", "b"]), rec("k", ["a", "b"], used=2))
    assert not same_music({}, rec("k", ["a"]))


def test_a_reference_set_is_decoded_and_embedded_one_file_at_a_time(tmp_path, monkeypatch):
    # load_reference kept every reference file decoded at 48 kHz, and FAD embedded all their windows in one
    # list: a reference set of thousands of tracks needed tens of GB. Now one file's audio at a time.
    from scipy.io import wavfile

    from imaudible.evaluate import reference

    for i in range(3):
        wavfile.write(tmp_path / f"r{i}.wav", synth.RATE, synth.varied(21.0, seed=i).astype(np.float32))
    (tmp_path / "short.wav").write_bytes((tmp_path / "r0.wav").read_bytes()[:44 + 4 * synth.RATE])   # 1 s

    class Model:
        sampling_rate, calls = 8000, []

        def embed(self, windows):
            self.calls.append(len(windows))
            return np.random.default_rng(len(self.calls)).normal(size=(len(windows), 4))

    monkeypatch.setattr(reference, "KEPT_BYTES", 4 * 21 * 48000 * 2)   # the check's audio of two files is kept
    ref = reference.load_reference(tmp_path)
    assert sorted(ref._kept) == [0, 1]
    result = reference.fad_spaces(ref, ref, {"m": Model()})["spaces"]["m"]
    assert (result["windows_generated"], result["windows_reference"]) == (6, 6)   # 21 s -> 2 windows; 1 s -> none
    assert Model.calls == [2, 2, 2, 2, 2, 2] and result["fad"] is not None
    count, nothing = reference.per_clip([(np.zeros(100), 48000)], Model(), Model().embed)
    assert (count, nothing) == (0, None)


def test_a_reference_file_longer_than_any_clip_is_read_only_that_far(tmp_path):
    """An hour-long reference track decoded whole at 48 kHz took gigabytes; only its first minutes are used."""
    from scipy.io import wavfile

    from imaudible.evaluate import reference

    rate = 1000
    wavfile.write(tmp_path / "long.wav", rate, np.zeros((reference.REFERENCE_SECONDS + 120) * rate, np.int16))
    (samples, sample_rate), = list(reference.load_reference(tmp_path))
    assert sample_rate == 48000 and samples.shape[-1] == reference.REFERENCE_SECONDS * 48000


def test_a_mood_read_from_a_tempo_of_doubtful_octave_gives_the_other_octaves_reading_too(monkeypatch):
    # the mood model weighs tempo heavily: 90 bpm read as 180 lifts arousal by ~0.3
    extract = features.extract

    def octave_in_doubt(*args):
        import dataclasses
        return dataclasses.replace(extract(*args), tempo_bpm=180.0, tempo_alternative_bpm=90.0)

    monkeypatch.setattr(features, "extract", octave_in_doubt)
    m = measures.clip_measures(synth.varied(8.0), synth.RATE)
    other = m["at_alternative_tempo"]
    assert other["tempo_bpm"] == 90.0 and other["arousal"] < m["arousal"] - 0.2 and other["valence"] < m["valence"]
    records = [{"id": str(i), "drafts": {}, "image_mood": {"valence": 0.5, "arousal": v},
                "takes": [{"chosen": True, "number": 1, "measures": m}]} for i, v in enumerate((0.2, 0.5, 0.8))]
    mood = measures.gallery_measures(records)["summary"]["mood"]
    assert mood["tempo_in_doubt"]["clips"] == 3 and mood["tempo_in_doubt"]["of"] == 3
    assert mood["tempo_in_doubt"]["mean_distance_at_other_octave"] != mood["mean_distance"]
    monkeypatch.setattr(features, "extract", extract)
    assert "at_alternative_tempo" not in measures.clip_measures(synth.varied(3.0), synth.RATE)   # no mood at all


def test_p_values_stated_together_are_adjusted_as_one_family():
    """Benjamini-Hochberg over the tests that have a p-value: p(i) * k / rank, made monotone, at most 1."""
    family = [{"p_value": 0.01}, {"p_value": 0.04}, None, {"p_value": None}, {"p_value": 0.03}, {"p_value": 0.5}]
    assert control.adjust_p_values(family) == 4
    assert [t["p_adjusted"] for t in family if t and t["p_value"] is not None] == \
        pytest.approx([0.04, 0.0533, 0.0533, 0.5], abs=1e-4)
    assert "p_adjusted" not in family[3]
    lone = [{"p_value": 0.02}]
    assert control.adjust_p_values(lone) == 1 and "p_adjusted" not in lone[0]   # nothing to adjust for


def test_the_gallery_summary_adjusts_its_tests_for_each_other():
    from . import sample

    recs, _ = sample.records(with_audio=False)
    summary = measures.gallery_measures(recs)["summary"]
    mood = summary["mood"]
    tests = [mood["control"], mood["valence_correlation"], mood["arousal_correlation"]]
    with_p = [t for t in tests if t["p_value"] is not None]
    assert summary["multiple_tests"] == {"tests": len(with_p), "adjustment": "Benjamini-Hochberg"}
    assert len(with_p) >= 2
    for t in with_p:
        assert t["p_value"] <= t["p_adjusted"] <= 1


@pytest.mark.parametrize("n", [3, 4, 5])
def test_small_galleries_get_the_exact_permutation_p_value(n):
    """With n! re-pairings at most the permutation budget, p is the exact share of them, never a random sample's
    estimate under the 1/n! a gallery that small can reach (3 artworks read 0.152 where the exact p is 1/6)."""
    import itertools

    rng = np.random.default_rng(n)
    scores = rng.normal(size=(n, n)) + np.eye(n)
    result = control.shuffled_control(scores)
    true = np.trace(scores) / n
    exact = np.mean([scores[np.arange(n), p].mean() >= true - 1e-12 for p in itertools.permutations(range(n))])
    assert result.exact and result.permutations == math.factorial(n)
    assert result.p_value == pytest.approx(exact) and result.p_value >= 1 / math.factorial(n)
    assert result.to_dict()["exact"] is True
    big = control.shuffled_control(rng.normal(size=(8, 8)))
    assert not big.exact and big.permutations == control.PERMUTATIONS


def test_correlation_of_fewer_than_three_distinct_points_is_undefined():
    """Two artworks hanging one image (same music too) beside a third: any two points lie on a line, so
    r = 1 with p = 0 would be an artefact of the duplicate."""
    got = control.correlation([0.2, 0.2, 0.7], [0.3, 0.3, 0.9])
    assert got["r"] is None and got["p_value"] is None and got["distinct"] == 2


def _record(art_id, sha, valence, arousal, curator=()):
    clip = {"valence": valence, "arousal": arousal, "health": {"loudness_lufs": -14.0, "true_peak_dbtp": -1.0,
                                                                 "repetition": 0.1, "problems": []}}
    mood = {"valence": 0.5, "arousal": 0.5, **({"set_by_curator": list(curator)} if curator else {})}
    return {"id": art_id, "image_sha256": sha, "image_mood": mood, "drafts": {}, "takes": [
        {"number": 1, "chosen": True, "measures": clip}]}


def test_the_summary_names_curator_moods_and_images_hung_twice():
    records = [_record("a", "x", 0.4, 0.6, curator=("valence", "arousal")), _record("b", "x", 0.3, 0.2),
               _record("c", "y", 0.8, 0.5, curator=("arousal",)), _record("d", "z", 0.1, 0.9)]
    mood = measures.gallery_measures(records)["summary"]["mood"]
    assert mood["curator_moods"] == {"artworks": ["a", "c"], "of": 4}
    assert mood["same_images"] == [["a", "b"]]
    from imaudible.evaluate import text

    facts = dict((label, value) for label, value, _ in text.facts({"summary": {"mood": mood}, "artworks": records}))
    assert "a, c" in facts["image moods set by the curator"]
    assert "not independent" in facts["one image, several artworks"]


def test_a_nearly_constant_measure_gives_its_correlation_without_a_warning(recwarn):
    """scipy warns on stderr when an input barely varies: the command line prints one line a problem, and
    this is none (the r found is reported, with its p-value)."""
    from imaudible.evaluate.control import correlation

    found = correlation([1.0, 1.0, 1.0 + 1e-15, 1.0], [1.0, 2.0, 3.0, 4.0])
    assert found["n"] == 4 and found["r"] is not None and 0 <= found["p_value"] <= 1
    assert not recwarn.list

"""Finished audio, measured by meters that are not ours: pyloudnorm and ffmpeg's ebur128 filter."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from signal import SIGKILL

import numpy as np
import pytest
import pyloudnorm
from scipy import signal

from imaudible import audio, ffmpeg_run
from imaudible.audio import AudioError, clip_from_bytes, clip_to_bytes, encode, finish, measure
from imaudible.compose import Clip, MusicRequest, ProceduralComposer
from imaudible.mood import Mood, PaletteColour, mood_words
from imaudible.settings import AudioSettings, MusicSettings

from .test_compose import count_clicks

FFMPEG = audio.ffmpeg_exe()
DEFAULT = AudioSettings()


def procedural(valence, arousal, duration, seed=0) -> Clip:
    mood = Mood(valence=valence, arousal=arousal, brightness=valence, saturation=0.4, warmth=0.5, contrast=0.4,
                colourfulness=0.5, edge_density=0.3, words=mood_words(valence, arousal),
                palette=(PaletteColour("#cc2427", "red", 0.5), PaletteColour("#2a5cb8", "blue", 0.5)))
    request = MusicRequest("", mood, MusicSettings(duration=duration, seed=seed), "c" * 64)
    return ProceduralComposer().generate([request])[0]


def spiky_mono_32k(seconds=6.0) -> Clip:
    """A quiet tone with loud clicks every half second: needs hard true-peak limiting to reach -14 LUFS."""
    sr = 32000
    t = np.arange(int(seconds * sr)) / sr
    x = 0.05 * np.sin(2 * np.pi * 220 * t)
    x[:: sr // 2] += 0.9
    return Clip(x[np.newaxis].astype(np.float32), sr)


RAW = {
    "calm": lambda: procedural(0.2, 0.1, 12.0),
    "lively": lambda: procedural(0.9, 0.9, 7.5),
    "spiky": spiky_mono_32k,
}


@pytest.fixture(scope="module", params=sorted(RAW))
def finished(request):
    raw = RAW[request.param]()
    clip = finish(raw, DEFAULT)
    return raw, clip, encode(clip, DEFAULT)


def ebur128(data: bytes, suffix: str) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) from ffmpeg's ebur128 filter."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"a.{suffix}"
        path.write_bytes(data)
        out = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                              "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = out[out.rindex("Summary:"):]
    loudness = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return loudness, peak


def ffmpeg_decode(data: bytes, suffix: str, channels: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"a.{suffix}"
        path.write_bytes(data)
        raw = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "f32le",
                              "-ac", str(channels), "-ar", "48000", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<f4").reshape(-1, channels).T


def probe(data: bytes, suffix: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"a.{suffix}"
        path.write_bytes(data)
        return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def oversampled_peak_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(signal.resample_poly(np.atleast_2d(x), 8, 1, axis=1)).max()))


# --- finished clips ---------------------------------------------------------------------------------------------

def test_finished_clip_is_on_target(finished):
    raw, clip, _ = finished
    assert clip.sample_rate == 48000 and clip.channels == raw.channels
    assert clip.duration == pytest.approx(raw.duration, abs=1e-3)
    meter = pyloudnorm.Meter(48000)
    assert meter.integrated_loudness(clip.samples.T.astype(np.float64)) == pytest.approx(DEFAULT.loudness, abs=0.3)
    assert oversampled_peak_db(clip.samples) <= DEFAULT.true_peak
    assert np.abs(clip.samples.mean(axis=1)).max() < 1e-3


@pytest.mark.parametrize("fmt", ["webm", "m4a"])
def test_encoded_files_keep_loudness_peak_and_duration(finished, fmt):
    _, clip, files = finished
    loudness, peak = ebur128(files[fmt], fmt)
    assert loudness == pytest.approx(DEFAULT.loudness, abs=1.0)
    assert peak <= DEFAULT.true_peak
    decoded = ffmpeg_decode(files[fmt], fmt, clip.channels)
    assert decoded.shape[1] / 48000 == pytest.approx(clip.duration, abs=0.005)
    assert pyloudnorm.Meter(48000).integrated_loudness(decoded.T.astype(np.float64)) == pytest.approx(
        DEFAULT.loudness, abs=1.0)


def test_measure_agrees_with_ffmpeg(finished):
    _, clip, files = finished
    for fmt, data in files.items():
        ours = measure(data, fmt)
        loudness, peak = ebur128(data, fmt)
        assert ours["loudness_lufs"] == pytest.approx(loudness, abs=0.2)
        assert ours["true_peak_dbtp"] == pytest.approx(peak, abs=0.3)
        assert ours["duration"] == pytest.approx(clip.duration, abs=0.005)


def test_formats_are_opus_in_webm_and_aac_in_mp4(finished):
    _, _, files = finished
    webm, m4a = files["webm"], files["m4a"]
    assert webm[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in webm[:64]
    assert m4a[4:8] == b"ftyp"
    assert re.search(r"Audio: opus", probe(webm, "webm"))
    assert re.search(r"Audio: aac", probe(m4a, "m4a"))
    assert encode(finished[1], DEFAULT) == files        # byte-for-byte reproducible


def test_bitrates_and_targets_are_configurable():
    clip = procedural(0.6, 0.6, 6.0)
    quiet = AudioSettings(loudness=-20.0, true_peak=-3.0, opus_bitrate=24, aac_bitrate=48)
    loud = AudioSettings(opus_bitrate=128, aac_bitrate=192)
    small, big = encode(finish(clip, quiet), quiet), encode(finish(clip, loud), loud)
    assert len(big["webm"]) > 2.5 * len(small["webm"])
    assert len(big["m4a"]) > 2.0 * len(small["m4a"])
    for fmt, data in small.items():
        loudness, peak = ebur128(data, fmt)
        assert loudness == pytest.approx(-20.0, abs=1.0)
        assert peak <= -3.0


def test_fades_in_and_out():
    clip = finish(procedural(0.5, 0.8, 6.0), AudioSettings(fade_in=0.5, fade_out=2.0))
    x, ms = clip.samples, 480
    rms = lambda a: float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))  # noqa: E731
    middle = rms(x[:, 2 * 48000:3 * 48000])
    assert rms(x[:, :ms]) < 0.02 * middle
    assert rms(x[:, 24000 - ms:24000]) > 0.3 * middle
    assert rms(x[:, -ms:]) < 0.02 * middle
    assert rms(x[:, -96000 - ms:-96000]) > 0.3 * middle


def test_loop_is_seamless_and_shorter_by_the_crossfade():
    raw = procedural(0.5, 0.3, 12.0)
    settings = AudioSettings(loop=True, fade_out=1.5)
    clip = finish(raw, settings)
    assert clip.duration == pytest.approx(12.0 - 1.5, abs=1e-3)
    x = clip.samples
    twice = np.concatenate([x, x], axis=1)
    assert count_clicks(twice) == 0
    seam = np.abs(x[:, 0] - x[:, -1]).max()
    assert seam < 4 * np.percentile(np.abs(np.diff(x, axis=1)), 99)
    assert np.abs(x[:, :480]).max() > 0.01                   # no fade-in: the loop starts mid-music
    assert pyloudnorm.Meter(48000).integrated_loudness(x.T.astype(np.float64)) == pytest.approx(-14.0, abs=0.3)


def test_silence_passes_through():
    clip = finish(Clip(np.zeros((2, 48000), np.float32), 48000), DEFAULT)
    assert clip.duration == 1.0 and not clip.samples.any()


# --- lossless storage -------------------------------------------------------------------------------------------

def test_store_round_trip_is_lossless_and_compact():
    clip = procedural(0.7, 0.5, 5.0)
    data = clip_to_bytes(clip)
    assert data[:4] == b"fLaC"
    assert data == clip_to_bytes(clip)
    assert len(data) < 0.6 * clip.samples.nbytes                 # well under float32 WAV
    back = clip_from_bytes(data)
    assert back.sample_rate == 48000 and back.samples.shape == clip.samples.shape
    assert np.abs(back.samples - clip.samples).max() < 2 ** -22


def test_store_keeps_rate_channels_and_overs():
    loud = Clip((3.0 * np.sin(np.linspace(0, 300, 32000)))[np.newaxis].astype(np.float32), 32000)
    back = clip_from_bytes(clip_to_bytes(loud))
    assert (back.sample_rate, back.channels) == (32000, 1)
    assert np.abs(back.samples - loud.samples).max() < 3 * 2 ** -21


def test_resampled_to_48k_keeping_duration():
    clip = finish(spiky_mono_32k(2.0), DEFAULT)
    assert (clip.sample_rate, clip.channels, clip.samples.shape[1]) == (48000, 1, 96000)


# --- errors -----------------------------------------------------------------------------------------------------

def test_bad_input_gives_one_line_errors():
    with pytest.raises(AudioError, match="not a FLAC stream"):
        clip_from_bytes(b"RIFF0000WAVE")
    with pytest.raises(AudioError, match="empty webm"):
        measure(b"", "webm")
    with pytest.raises(AudioError, match="ffmpeg failed") as info:
        measure(b"this is not audio at all" * 10, "m4a")
    assert "\n" not in str(info.value)
    nan = np.zeros((2, 4800), np.float32)
    nan[0, 10] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        finish(Clip(nan, 48000), DEFAULT)


# --- the web encode: one ffmpeg run for both files ------------------------------------------------------------

def test_one_ffmpeg_run_writes_both_files_keeping_channels(monkeypatch):
    clip = finish(spiky_mono_32k(3.0), DEFAULT)
    runs = []
    real_popen = ffmpeg_run.subprocess.Popen
    monkeypatch.setattr(ffmpeg_run.subprocess, "Popen", lambda cmd, **kw: runs.append(cmd) or real_popen(cmd, **kw))
    files = encode(clip, DEFAULT)
    assert len(runs) == 1 and runs[0][0] == FFMPEG
    for fmt, data in files.items():
        assert re.search(r"Audio: (opus|aac).*48000 Hz, mono", probe(data, fmt)), fmt
        loudness, peak = ebur128(data, fmt)
        assert loudness == pytest.approx(DEFAULT.loudness, abs=1.0) and peak <= DEFAULT.true_peak
        assert ffmpeg_decode(data, fmt, 1).shape[1] / 48000 == pytest.approx(3.0, abs=0.005)


KILLED_MID_ENCODE = """
import sys, numpy as np
from imaudible import audio
from imaudible.compose import Clip
from imaudible.settings import AudioSettings
audio.ffmpeg_exe()   # imageio-ffmpeg checks its binary with a short `ffmpeg -version` child: done before the encode
noise = np.random.default_rng(0).standard_normal((2, 48000 * 240), dtype=np.float32) * 0.1
print("encoding", flush=True)
audio.encode(Clip(noise, 48000), AudioSettings())
"""


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="scratch files in memory need memfd (Linux)")
def test_a_build_killed_mid_encode_leaves_no_scratch_files(tmp_path):
    """The encodes are written where ffmpeg can seek (faststart, cues): a temporary folder in /tmp was left
    behind, files and all, by every worker killed with SIGKILL mid-encode. Now they are in memory."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    worker = subprocess.Popen([sys.executable, "-c", KILLED_MID_ENCODE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(scratch)},
                              start_new_session=True)
    try:
        said = worker.stdout.readline()
        assert said == b"encoding\n", (said, worker.poll())
        deadline = time.monotonic() + 60
        encoders = []
        while not encoders and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            encoders = _children_named(worker.pid, "ffmpeg")
        assert encoders, ("ffmpeg never started", worker.poll())
        time.sleep(0.3)
        assert all(_alive(pid) for pid in encoders), "the encode ended before the kill: nothing was tested"
    finally:
        os.killpg(worker.pid, SIGKILL)
        worker.wait()
    assert worker.returncode == -SIGKILL, (worker.returncode, worker.stderr.read().decode()[-500:])
    assert sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*")) == []


def test_without_memfd_the_encodes_go_through_a_scratch_folder_with_the_same_bytes(tmp_path, monkeypatch):
    """Where the system has no memfd (macOS), ffmpeg writes into a scratch folder instead: the same files,
    and the folder is gone afterwards."""
    clip = finish(procedural(0.5, 0.5, 2.0), DEFAULT)
    in_memory = encode(clip, DEFAULT)
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert encode(clip, DEFAULT) == in_memory
    assert list(tmp_path.iterdir()) == []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _children_named(pid: int, name: str) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, _, rest = status.read_text().partition("(")[2].rpartition(")")
            parent = int(rest.split()[1])
        except (OSError, IndexError, ValueError):   # a process that ended while being read
            continue
        if parent == pid and name in comm:
            found.append(int(status.parent.name))
    return found


@pytest.mark.parametrize("formats", [("webm",), ("m4a",), ("m4a", "webm")])
def test_formats_picks_the_web_encodes(formats):
    settings = AudioSettings(formats=formats)
    files = encode(finish(procedural(0.5, 0.5, 3.0), settings), settings)
    assert sorted(files) == sorted(formats)
    for fmt, data in files.items():
        assert re.search(r"Audio: opus" if fmt == "webm" else r"Audio: aac", probe(data, fmt))


def test_a_dc_offset_goes_without_a_click_at_the_start():
    """The DC high-pass starts in its steady state: a clip that starts at a large offset neither keeps it nor
    begins with the step a filter started at rest would leave (with no fade-in to hide it)."""
    t = np.arange(4 * 48000) / 48000
    raw = Clip((0.3 + 0.1 * np.sin(2 * np.pi * 440 * t))[np.newaxis].astype(np.float32), 48000)
    clip = finish(raw, AudioSettings(fade_in=0.0, fade_out=0.0, loudness=-20.0))
    x = clip.samples[0].astype(np.float64)
    assert abs(x[48000:].mean()) < 0.01 * np.abs(x).max()
    envelope = [np.abs(x[i:i + 480]).max() for i in range(0, x.size, 480)]
    assert max(envelope[:20]) < 1.05 * np.median(envelope)


def test_an_unlimited_clip_is_only_scaled():
    """Peaks that stay under the ceiling: finishing is a DC high-pass, the fades and one exact gain."""
    raw = procedural(0.2, 0.1, 6.0)
    quiet = AudioSettings(loudness=-30.0, fade_in=0.0, fade_out=0.0)
    clip = finish(raw, quiet)
    reference = audio.remove_dc(raw.samples.astype(np.float64))
    ratio = clip.samples.astype(np.float64) / np.where(np.abs(reference) > 1e-3, reference, np.nan)
    gains = ratio[np.isfinite(ratio)]
    assert gains.std() < 1e-5 * abs(gains.mean())
    assert audio.integrated_loudness(clip.samples) == pytest.approx(-30.0, abs=0.001)


def test_limiter_dips_only_around_peaks_over_the_ceiling():
    """The limiter filters only the stretches near peaks; the result matches filtering the whole clip."""
    from imaudible.loudness import true_peak_envelope
    t = np.arange(6 * 48000) / 48000
    x = 0.5 * np.sin(2 * np.pi * 110 * t)[np.newaxis]
    for at in (1.0, 1.05, 4.0):                 # two clicks close together (one stretch) and one alone
        x[0, int(at * 48000)] = 1.2
    ceiling = 0.8
    peaks = true_peak_envelope(x, floor=ceiling)
    limited = audio.limit(x, peaks, ceiling)
    whole = audio.limit(x, peaks, ceiling, circular=True)     # the circular limiter filters everything
    gain = limited[0] / np.where(np.abs(x[0]) > 1e-3, x[0], np.nan)
    assert np.allclose(limited, whole, atol=1e-12)
    assert np.nanmax(gain[:int(0.9 * 48000)]) == 1.0 and np.nanmin(gain[:int(0.9 * 48000)]) == 1.0
    assert np.nanmin(gain[int(2.0 * 48000):int(3.9 * 48000)]) == 1.0
    for at in (1.0, 1.05, 4.0):
        assert abs(limited[0, int(at * 48000)]) <= ceiling


def test_a_stored_clip_longer_than_any_this_tool_makes_is_cut_when_read():
    """A cache may come with a gallery: 3 MB of FLAC can hold an hour of silence, which took 7 GB to read."""
    import subprocess

    from imaudible import audio

    hour = subprocess.run([audio.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                           "anullsrc=r=8000:cl=mono", "-t", "3600", "-c:a", "flac", "-f", "flac", "pipe:1"],
                          capture_output=True, check=True).stdout
    clip = audio.clip_from_bytes(hour)
    assert clip.sample_rate == 8000 and clip.duration <= audio.MAX_CLIP_SECONDS


@pytest.mark.parametrize("loudness, ceiling", [(-5.0, -1.0), (-9.0, -3.0), (-14.0, -9.0)])
def test_no_encode_passes_the_ceiling_even_when_the_target_is_out_of_reach(loudness, ceiling):
    """A target the limiter cannot reach under its ceiling limits the clip hard, and a codec raises hard-limited
    peaks past the finishing margin: every published file is still measured under the ceiling, and the stage
    records how loud the clip came out, so the build can say it fell short (test_build)."""
    from imaudible.stages.audio import finish_and_encode

    settings = AudioSettings(loudness=loudness, true_peak=ceiling)
    result = finish_and_encode((clip_to_bytes(procedural(0.9, 0.9, 8.0)), settings))
    for fmt in settings.formats:
        measured, peak = ebur128(result.files[f"audio.{fmt}"], fmt)
        assert peak <= ceiling
        assert measured == pytest.approx(result.meta["loudness"], abs=0.5)
    assert result.meta["loudness"] < loudness - 1.0


def test_the_clip_returned_with_the_encodes_is_the_one_they_were_made_from(monkeypatch):
    """When every try still reads over the ceiling (a meter that never agrees), the last turn-down made a clip
    no file was encoded from: its loudness, recorded as the published files', was theirs less the turn-down."""
    encoded = []
    real_encode = audio.encode
    monkeypatch.setattr(audio, "encode", lambda clip, settings: encoded.append(clip) or real_encode(clip, settings))
    monkeypatch.setattr(audio, "_encoded_peak_db", lambda data, fmt, ceiling: ceiling + 0.05)
    settings = AudioSettings(loudness=-5.0, true_peak=-1.0, formats=["webm"])
    clip, files = audio.encode_under_ceiling(finish(procedural(0.9, 0.9, 4.0), settings), settings)
    assert len(encoded) == audio.ENCODE_TRIES and list(files) == ["webm"]
    assert np.array_equal(clip.samples, encoded[-1].samples)

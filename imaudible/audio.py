"""Audio finishing and encoding: loudness (ITU-R BS.1770-4), true-peak limiting, fades or a seamless loop,
lossless storage of raw clips (FLAC) and web encodes (Opus in WebM, AAC in .m4a).

Everything that touches a codec runs the ffmpeg binary shipped by `imageio-ffmpeg` (no system ffmpeg);
one ffmpeg run writes both web encodes.
Finished clips are 48 kHz, the rate Opus works at, with the input's channel count.
"""
from __future__ import annotations

import contextlib
import math
import os
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from .compose import Clip
from .ffmpeg_run import AudioError, ffmpeg_exe, run_ffmpeg as _ffmpeg  # noqa: F401 - AudioError, ffmpeg_exe: audio's API
from .loudness import SAMPLE_RATE, integrated_loudness, true_peak, true_peak_envelope
from .scratch import scratch_folder
from .settings import AudioSettings

# This module's code version is versions.AUDIO: bump it there when the same inputs give other output.

PEAK_MARGIN_DB = 0.5          # headroom kept below the ceiling: lossy codecs raise peaks a little
CODEC_OVERSHOOT_DB = 1.0      # no codec was measured to raise a peak more: a clip further under the ceiling is not decoded
METER_SLACK_DB = 0.2          # how far two true-peak meters (ours, ffmpeg's ebur128) may disagree
ENCODE_TRIES = 3
LIMITER_WINDOW = 0.02         # seconds: how far ahead the limiter looks, and how smoothly it recovers
FLAC_BITS = 24
MAX_CLIP_SECONDS = 610        # music.duration is at most 600 s
_WAV_HEADROOM = 4096          # bytes of a decoded WAV stream besides its samples (ffmpeg's header)
# scipy is imported inside the functions that need it, so a rebuild from cache never loads it.


# --- finishing ------------------------------------------------------------------------------------------------

def finish(clip: Clip, settings: AudioSettings) -> Clip:
    """Resample to 48 kHz, remove DC, fade (or loop), normalise loudness and limit the true peak.

    With `settings.loop` the tail is crossfaded into the head (over `fade_out` seconds, at most a third of
    the clip) so the clip repeats without a seam; the clip gets that much shorter and has no fades.
    """
    from scipy import signal
    x = _checked(clip)
    if clip.sample_rate != SAMPLE_RATE:
        g = math.gcd(SAMPLE_RATE, clip.sample_rate)
        x = signal.resample_poly(x, SAMPLE_RATE // g, clip.sample_rate // g, axis=1)
    x = remove_dc(x)
    if settings.loop:
        x = make_loop(x, settings.fade_out)
    else:
        x = apply_fades(x, settings.fade_in, settings.fade_out)
    x = normalise(x, settings.loudness, settings.true_peak, circular=settings.loop)
    return Clip(x.astype(np.float32), SAMPLE_RATE)


def apply_fades(x: np.ndarray, fade_in: float, fade_out: float) -> np.ndarray:
    n = x.shape[1]
    x = x.copy()
    for seconds, at_start in ((fade_in, True), (fade_out, False)):
        m = min(int(round(seconds * SAMPLE_RATE)), n // 2)
        if m < 2:
            continue
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, m))
        if at_start:
            x[:, :m] *= ramp
        else:
            x[:, n - m:] *= ramp[::-1]
    return x


def make_loop(x: np.ndarray, crossfade: float) -> np.ndarray:
    """Equal-power crossfade of the last `crossfade` seconds into the first: sample n-1 flows into sample 0."""
    n = x.shape[1]
    m = min(int(round(max(crossfade, 0.05) * SAMPLE_RATE)), n // 3)
    if m < 2:
        return x
    t = np.linspace(0, 1, m, endpoint=False)
    head, tail = x[:, :m], x[:, n - m:]
    looped = x[:, : n - m].copy()
    looped[:, :m] = head * np.sin(0.5 * math.pi * t) + tail * np.cos(0.5 * math.pi * t)
    return looped


def normalise(x: np.ndarray, target_lufs: float, ceiling_dbtp: float, circular: bool = False) -> np.ndarray:
    """Gain to the loudness target and a look-ahead true-peak limiter, repeated until both hold.

    A gain alone moves the loudness by exactly itself, so a clip whose peaks stay under the ceiling is
    done after one measurement. Limiting an asymmetric waveform leaves a DC offset, so each limited round
    also removes DC (a constant for loops, whose seam must stay intact; a 10 Hz high-pass otherwise),
    trims any peak that creates and measures again.
    """
    level = integrated_loudness(x)
    if not math.isfinite(level):
        return x                                     # silence: nothing to normalise
    ceiling = 10 ** ((ceiling_dbtp - PEAK_MARGIN_DB) / 20)
    for _ in range(6):
        x = x * 10 ** ((target_lufs - level) / 20)
        peaks = true_peak_envelope(x, floor=ceiling, circular=circular)
        if peaks.max() <= ceiling:
            return x
        x = limit(x, peaks, ceiling, circular)
        x = x - x.mean(axis=1, keepdims=True) if circular else remove_dc(x)
        # exact wherever it passes the ceiling: only blocks that cannot are left un-oversampled
        peak = float(true_peak_envelope(x, floor=ceiling, circular=circular).max())
        if peak > ceiling:
            x *= ceiling / peak
        level = integrated_loudness(x)
        if abs(level - target_lufs) < 0.05:
            break
    return x


def remove_dc(x: np.ndarray) -> np.ndarray:
    """A 10 Hz high-pass, one pass started in its steady state (no transient at the start). Its phase shift is
    8 degrees at 100 Hz and under one above 1 kHz; twice as fast as a zero-phase forward-backward pass."""
    from scipy import signal
    if x.shape[1] <= 64:
        return x - x.mean(axis=1, keepdims=True)
    b, a, initial = _dc_highpass()
    return signal.lfilter(b, a, x, axis=1, zi=initial * x[:, :1])[0]


@lru_cache(maxsize=1)
def _dc_highpass() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One biquad, as (b, a) (a quarter faster than as second-order sections) and its steady-state initial
    conditions for a unit input."""
    from scipy import signal
    b, a = signal.butter(2, 10, "highpass", fs=SAMPLE_RATE)
    return b, a, signal.lfilter_zi(b, a)[np.newaxis, :]


def limit(x: np.ndarray, peaks: np.ndarray, ceiling: float, circular: bool = False) -> np.ndarray:
    """Scale down, smoothly and ahead of time, wherever the oversampled peak envelope `peaks` (from
    `true_peak_envelope(x, floor=ceiling)`) passes `ceiling`."""
    from scipy import ndimage
    n = peaks.size
    width = max(3, int(LIMITER_WINDOW * SAMPLE_RATE) | 1)
    mode = "wrap" if circular else "nearest"
    over = np.flatnonzero(peaks > ceiling)
    if over.size == 0:
        return x
    if circular:
        spans = [(0, n)]
    else:   # the gain dips only within `reach` of a peak over the ceiling: filter just those stretches
        reach = width + width // 2 + 1
        gaps = np.flatnonzero(np.diff(over) > 2 * reach)
        starts, stops = over[np.r_[0, gaps + 1]], over[np.r_[gaps, over.size - 1]]
        spans = zip(np.maximum(starts - reach, 0), np.minimum(stops + reach + 1, n))
    gain = np.ones(n)
    for lo, hi in spans:
        need = np.minimum(1.0, ceiling / np.maximum(peaks[lo:hi], 1e-12))
        # Each smoothed value averages minima whose windows all contain this sample: never above `need`.
        dips = ndimage.minimum_filter1d(need, size=2 * width + 1, mode=mode)
        gain[lo:hi] = ndimage.uniform_filter1d(dips, size=width, mode=mode)
    return x * gain


# --- measurement ---------------------------------------------------------------------------------------------

def measure(data: bytes, fmt: str) -> dict:
    """Loudness (LUFS), true peak (dBTP) and duration (s) of an encoded file, decoded at 48 kHz."""
    clip = decode(data, fmt)
    peak = true_peak(clip.samples)
    return {"loudness_lufs": integrated_loudness(clip.samples),
            "true_peak_dbtp": _db(peak),
            "duration": clip.duration}


# --- codecs ---------------------------------------------------------------------------------------------------

# (container, codec, codec options) of each web format; the bitrates come from the settings
WEB_FORMATS = {
    "webm": ("webm", "libopus", ["-vbr", "constrained", "-cues_to_front", "1"]),
    # the "fast" AAC coder: 0.18 s against 0.41 s of CPU for 20 s of stereo, within 1% of the size
    "m4a": ("ipod", "aac", ["-aac_coder", "fast", "-movflags", "+faststart"]),
}


def encode(clip: Clip, settings: AudioSettings) -> dict[str, bytes]:
    """The web encodes `settings.formats` names, from one ffmpeg run: Opus in WebM (primary) and AAC in .m4a
    (the fallback for Safari 16 and older).

    The float samples go in on a pipe, read once by every encoder; the files are written to scratch files
    (`_scratch_files`) because MP4's `faststart` and WebM's cues go back into the file.
    """
    x = _checked(clip, np.float32)
    bitrates = {"webm": settings.opus_bitrate, "m4a": settings.aac_bitrate}
    with _scratch_files(settings.formats) as (paths, read, keep_open):
        outputs = []
        for fmt in settings.formats:
            container, codec, options = WEB_FORMATS[fmt]
            outputs += ["-map", "0:a", "-c:a", codec, "-b:a", f"{bitrates[fmt]}k", *options,
                        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                        "-f", container, paths[fmt]]
        _ffmpeg(["-f", "f32le", "-ar", str(clip.sample_rate), "-ac", str(clip.channels), "-i", "pipe:0",
                 *outputs], np.ascontiguousarray(x.T, "<f4").tobytes(), f"encode {' and '.join(paths)}",
                pass_fds=keep_open)
        return {fmt: read(fmt) for fmt in settings.formats}


def encode_under_ceiling(clip: Clip, settings: AudioSettings) -> tuple[Clip, dict[str, bytes]]:
    """`encode`, with every encode's true peak held under `settings.true_peak`: the clip as encoded, and the
    files.

    `PEAK_MARGIN_DB` is not always enough: a codec can raise peaks by more (measured: Opus +0.8 dB on a
    hard-limited clip, AAC at 16 kbit/s +0.8 dB). So the encodes of a clip that comes within `CODEC_OVERSHOOT_DB` of the
    ceiling are decoded and measured, and one over it (less `METER_SLACK_DB`, so that another meter agrees) is
    made again from the clip turned down by its excess.
    """
    ceiling = settings.true_peak - METER_SLACK_DB
    gate = 10 ** ((settings.true_peak - CODEC_OVERSHOOT_DB) / 20)   # exact above it, cheap below: the usual clip
    for tried in range(1, ENCODE_TRIES + 1):
        files = encode(clip, settings)
        # the last encode is kept as it is: a clip turned down after it would be returned with files not its own
        if tried == ENCODE_TRIES or float(true_peak_envelope(clip.samples, floor=gate).max()) < gate:
            break
        over = max(_encoded_peak_db(data, fmt, ceiling) for fmt, data in files.items()) - ceiling
        if over <= 0:
            break
        clip = Clip((clip.samples * 10 ** (-(over + 0.1) / 20)).astype(np.float32), clip.sample_rate)
    return clip, files


def finish_for_web(clip: Clip, settings: AudioSettings) -> tuple[Clip, dict[str, bytes], float]:
    """What the audio stage does with a raw clip: finished, encoded under the ceiling, and its loudness (LUFS;
    -inf for silence) as published, which a build compares with `settings.loudness`."""
    finished, files = encode_under_ceiling(finish(clip, settings), settings)
    return finished, files, integrated_loudness(finished.samples)


def _encoded_peak_db(data: bytes, fmt: str, ceiling_dbtp: float) -> float:
    """The true peak of an encode, exact wherever it passes the ceiling."""
    samples = decode(data, fmt).samples
    return _db(float(true_peak_envelope(samples, floor=10 ** (ceiling_dbtp / 20)).max()))


def _db(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


@contextlib.contextmanager
def _scratch_files(names):
    """Files ffmpeg can write and seek in, one per name: (their paths for ffmpeg, a reader of each, the file
    descriptors ffmpeg must inherit). In memory where the system has memfd (Linux): they vanish with this
    process, even one killed with SIGKILL. Elsewhere, a scratch folder (removed by the next encode if this
    process is killed)."""
    if hasattr(os, "memfd_create") and os.path.isdir("/dev/fd"):
        fds: dict[str, int] = {}
        try:
            for name in names:
                fds[name] = os.memfd_create(f"imaudible-{name}")
            yield ({name: f"/dev/fd/{fd}" for name, fd in fds.items()},
                   lambda name: os.pread(fds[name], os.fstat(fds[name]).st_size, 0), tuple(fds.values()))
        finally:
            for fd in fds.values():
                os.close(fd)
        return
    with scratch_folder("encode") as tmp:
        paths = {name: os.fspath(tmp / f"out.{name}") for name in names}
        yield paths, lambda name: Path(paths[name]).read_bytes(), ()


def decode(data: bytes, fmt: str) -> Clip:
    """Any audio ffmpeg reads (webm, m4a, flac, wav, ...), as bytes, to a 48 kHz float clip (see `decode_file`)."""
    if not data:
        raise AudioError(f"decode: empty {fmt} data")
    with scratch_folder("decode") as tmp:   # a file, not a pipe: MP4 is read by seeking
        path = tmp / f"in.{fmt.lstrip('.') or 'bin'}"
        path.write_bytes(data)
        return decode_file(path, fmt)


def decode_file(path: Path, what: str, max_seconds: float = MAX_CLIP_SECONDS) -> Clip:
    """The first `max_seconds` of an audio file as a 48 kHz float clip, mono or stereo. Files come from disk (a
    cache, a reference folder): what lies beyond the longest clip this tool makes is never decoded, and more
    channels are mixed down, so neither an hour-long file nor 64 channels of silence can take gigabytes."""
    # Surround is mixed down to stereo; a file of more channels than ffmpeg can mix down fails. Either way, and
    # whatever the file holds, no more than max_seconds of stereo at 48 kHz is read back.
    wav = _ffmpeg(["-i", str(Path(path).absolute()), "-map", "0:a:0", "-t", f"{max_seconds:g}",
                   "-af", "aformat=channel_layouts=mono|stereo", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_f32le",
                   "-f", "wav", "pipe:1"], None, f"decode {what}",
                  max_output=_WAV_HEADROOM + math.ceil(max_seconds * SAMPLE_RATE) * 2 * 4,
                  too_much=f"decodes to more than {max_seconds:g} s of stereo audio")
    return _parse_wav(wav)


def clip_to_bytes(clip: Clip) -> bytes:
    """A raw clip as 24-bit FLAC (lossless at that depth). A clip louder than full scale is stored scaled
    down, its gain kept in the IMAUDIBLE_GAIN tag."""
    x = _checked(clip)
    peak = float(np.abs(x).max())
    gain = peak / 0.999 if peak > 0.999 else 1.0
    top = 2 ** (FLAC_BITS - 1) - 1
    ints = np.clip(np.round(x / gain * top), -top, top).astype(np.int32) << (32 - FLAC_BITS)
    return _ffmpeg(["-f", "s32le", "-ar", str(clip.sample_rate), "-ac", str(clip.channels), "-i", "pipe:0",
                    "-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", str(FLAC_BITS),
                    "-compression_level", "8", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                    "-map_metadata", "-1", "-metadata", f"IMAUDIBLE_GAIN={gain!r}", "-f", "flac", "pipe:1"],
                   ints.T.tobytes(), "store clip")


def clip_from_bytes(data: bytes) -> Clip:
    """The clip that `clip_to_bytes` stored. A stored clip is data from disk (a cache may come with a
    gallery): one that claims more than any clip this tool makes is refused, and decoding stops at that
    length, so a 3 MB FLAC of an hour's silence cannot take gigabytes."""
    rate, channels, tags = _flac_info(data)
    if not (8000 <= rate <= 192000 and channels <= 8):
        raise AudioError(f"read clip: a FLAC stream of {rate} Hz and {channels} channels is not one this tool stores")
    raw = _ffmpeg(["-f", "flac", "-i", "pipe:0", "-t", str(MAX_CLIP_SECONDS), "-f", "s32le", "-c:a", "pcm_s32le",
                   "pipe:1"], data, "read clip", max_output=MAX_CLIP_SECONDS * SAMPLE_RATE * 2 * 4,
                  too_much=f"the FLAC stream holds more than {MAX_CLIP_SECONDS} s of stereo at {SAMPLE_RATE} Hz, "
                           "more than any clip this tool stores")
    ints = np.frombuffer(raw, "<i4")
    if ints.size == 0 or ints.size % channels:
        raise AudioError("read clip: the FLAC stream holds no whole samples")
    gain = float(tags.get("IMAUDIBLE_GAIN", "1"))
    x = ints.reshape(-1, channels).T.astype(np.float64) * (gain / (2 ** 31 - 2 ** (32 - FLAC_BITS)))
    return Clip(x.astype(np.float32), rate)


# --- helpers --------------------------------------------------------------------------------------------------

def _checked(clip: Clip, dtype=np.float64) -> np.ndarray:
    x = np.asarray(clip.samples, dtype)
    if x.ndim != 2 or x.shape[1] == 0:
        raise AudioError(f"audio: expected samples shaped (channels, n), got {x.shape}")
    if not np.isfinite(x).all():
        raise AudioError("audio: the clip contains NaN or infinite samples")
    return x


def _parse_wav(data: bytes) -> Clip:
    """A float32 WAV from ffmpeg's pipe (its size fields may be placeholders, so the data runs to the end)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("decode: ffmpeg did not return a WAV stream")
    pos, channels, rate = 12, None, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk == b"fmt ":
            channels, rate = struct.unpack("<HI", data[pos + 10:pos + 16])
        elif chunk == b"data":
            if channels is None:
                break
            body = data[pos + 8:]
            body = body[: len(body) - len(body) % (4 * channels)]
            x = np.frombuffer(body, "<f4").reshape(-1, channels).T
            if x.shape[1] == 0:
                raise AudioError("decode: the file holds no audio samples")
            return Clip(x.copy(), rate)
        pos += 8 + size + (size & 1)
    raise AudioError("decode: malformed WAV stream from ffmpeg")


def _flac_info(data: bytes) -> tuple[int, int, dict[str, str]]:
    """Sample rate, channel count and Vorbis comments from a FLAC stream's metadata blocks."""
    if data[:4] != b"fLaC":
        raise AudioError("read clip: not a FLAC stream")
    pos, rate, channels, tags = 4, None, None, {}
    while pos + 4 <= len(data):
        header = data[pos]
        kind, size = header & 0x7F, int.from_bytes(data[pos + 1:pos + 4], "big")
        body = data[pos + 4:pos + 4 + size]
        if kind == 0 and len(body) >= 18:                        # STREAMINFO
            bits = int.from_bytes(body[10:18], "big")
            rate, channels = bits >> 44, ((bits >> 41) & 0x7) + 1
        elif kind == 4:                                          # VORBIS_COMMENT
            tags = _vorbis_comments(body)
        pos += 4 + size
        if header & 0x80:
            break
    if not rate or not channels:
        raise AudioError("read clip: FLAC stream without STREAMINFO")
    return rate, channels, tags


def _vorbis_comments(body: bytes) -> dict[str, str]:
    try:
        vendor = struct.unpack("<I", body[:4])[0]
        pos = 4 + vendor
        count = struct.unpack("<I", body[pos:pos + 4])[0]
        pos += 4
        tags = {}
        for _ in range(count):
            size = struct.unpack("<I", body[pos:pos + 4])[0]
            key, _, value = body[pos + 4:pos + 4 + size].decode("utf-8", "replace").partition("=")
            tags[key.upper()] = value
            pos += 4 + size
        return tags
    except struct.error:
        return {}

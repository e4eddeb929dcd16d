"""Built-in composer and audio finishing speed, on one core.

    .venv/bin/python benchmarks/bench_composer.py [--seconds 30] [--repeat 3]

Prints, for 30 s clips:
- the composer's real-time factor (audio seconds per compute second) per mood, its ratio to the 50x
  target, and its cost relative to a baseline measured in this same process (one float64 sine the
  length of the clip: a yardstick for how fast this machine runs numpy);
- finishing (loudness + limiter), the web encode (Opus/WebM + AAC/m4a in one ffmpeg run) and the FLAC
  store, each in seconds per clip and against a baseline ffmpeg run that decodes nothing.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imaudible import audio  # noqa: E402
from imaudible.compose import MusicRequest, ProceduralComposer  # noqa: E402
from imaudible.mood import Mood, PaletteColour, mood_words  # noqa: E402
from imaudible.settings import AudioSettings, MusicSettings  # noqa: E402

TARGET_RTF = 50.0
MOODS = {  # name: (valence, arousal, brightness, saturation, palette)
    "calm dark": (0.15, 0.1, 0.2, 0.1, ("#1b2650", "#36454f")),
    "middling": (0.5, 0.5, 0.5, 0.3, ("#3a8a3a", "#8a8a8a")),
    "bright energetic": (0.9, 0.95, 0.8, 0.7, ("#ee7f1b", "#f2d92b")),
}


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def mood(valence, arousal, brightness, saturation, palette) -> Mood:
    return Mood(valence=valence, arousal=arousal, brightness=brightness, saturation=saturation, warmth=0.5,
                contrast=0.4, colourfulness=0.5, edge_density=0.3, words=mood_words(valence, arousal),
                palette=tuple(PaletteColour(h, "x", 1 / len(palette)) for h in palette))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 s clips, one run each")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeat = 10.0, 1
    seconds, repeat = args.seconds, args.repeat
    composer = ProceduralComposer()

    n = int(seconds * 48000)
    baseline = timed(lambda: np.sin(np.arange(2 * n) * 0.01), repeat)
    print(f"one core, {seconds:g} s clips, best of {repeat}")
    print(f"baseline: one float64 sine of {2 * n} samples: {baseline * 1000:.1f} ms\n")
    print(f"{'composer':<18} {'seconds':>8} {'realtime x':>11} {'vs 50x':>7} {'vs baseline':>12}")
    clips, rtfs = {}, []
    for name, params in MOODS.items():
        request = MusicRequest("", mood(*params), MusicSettings(duration=seconds), "bench")
        composer.generate([request])                                   # warm caches
        t = timed(lambda r=request: clips.__setitem__(name, composer.generate([r])[0]), repeat)
        rtf = seconds / t
        rtfs.append(rtf)
        print(f"{name:<18} {t:8.3f} {rtf:10.0f}x {rtf / TARGET_RTF:6.1f}x {t / baseline:11.1f}x")

    settings = AudioSettings()
    clip = clips["middling"]
    ffmpeg_start = timed(lambda: subprocess.run([audio.ffmpeg_exe(), "-hide_banner", "-version"],
                                                capture_output=True, check=True), repeat)
    finished = audio.finish(clip, settings)
    print(f"\nbaseline: starting ffmpeg: {ffmpeg_start * 1000:.1f} ms")
    print(f"{'per clip':<30} {'seconds':>8} {'realtime x':>11} {'vs ffmpeg start':>16}")
    for label, fn in (("finish (loudness, limiter)", lambda: audio.finish(clip, settings)),
                      ("encode (Opus/WebM + AAC/m4a)", lambda: audio.encode(finished, settings)),
                      ("store (FLAC 24-bit)", lambda: audio.clip_to_bytes(clip))):
        t = timed(fn, repeat)
        print(f"{label:<30} {t:8.3f} {seconds / t:10.0f}x {t / ffmpeg_start:15.1f}x")
    files = audio.encode(finished, settings)
    sizes = ", ".join(f"{fmt} {len(data) / 1024:.0f} KiB" for fmt, data in files.items())
    per_20s = (timed(lambda: audio.finish_for_web(clip, settings), repeat)) * 20.0 / seconds
    print(f"finish + encode, scaled to a 20 s clip: {per_20s:.3f} s (target 0.3 s: "
          f"{'meets' if per_20s <= 0.3 else 'MISSES'})")
    print(f"\nsizes for {seconds:g} s: {sizes}, FLAC store {len(audio.clip_to_bytes(clip)) / 1024:.0f} KiB")
    worst = min(rtfs)
    print(f"slowest composer mood: {worst:.0f}x real time ({'meets' if worst >= TARGET_RTF else 'MISSES'} "
          f"the {TARGET_RTF:.0f}x target)")


if __name__ == "__main__":
    main()

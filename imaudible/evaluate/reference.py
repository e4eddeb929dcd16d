"""FAD against a reference set (`evaluate --reference AUDIO_DIR`), in every embedding space available.

The reference folder's audio files (anything ffmpeg reads) and the generated clips are cut alike by
`fad.cut_windows` into windows of the embedding model's length; each side's window count is reported.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import fad

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".webm", ".m4a", ".aac", ".aiff", ".aif"}
RECIPE = (f"non-overlapping {fad.WINDOW_SECONDS:g} s windows, a last window under "
          f"{fad.MIN_WINDOW_SHARE:.0%} of that dropped, mono, resampled to the model's rate")


class ReferenceSetError(ValueError):
    """A --reference folder that cannot be used (one-line message)."""


def reference_files(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.exists():
        raise ReferenceSetError(f"--reference: no such folder '{folder}'")
    if not folder.is_dir():
        raise ReferenceSetError(f"--reference: '{folder}' is a file; give the folder that holds the reference audio")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise ReferenceSetError(f"--reference: '{folder}' holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
    return files


def load_reference(folder: Path) -> list[tuple[np.ndarray, int]]:
    """Every reference file decoded (48 kHz); one that does not decode is a ReferenceSetError naming it."""
    from ..audio import AudioError, decode

    clips = []
    for path in reference_files(folder):
        try:
            clips.append((decode(path.read_bytes(), path.suffix.lstrip(".")).samples, 48000))
        except (AudioError, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ReferenceSetError(f"--reference: cannot read '{path}' as audio ({reason})") from None
    return clips


def _windows(clips: list[tuple[np.ndarray, int]], model) -> list[np.ndarray]:
    from ..backends.clap import resample

    out = []
    for samples, rate in clips:
        x = np.asarray(samples, np.float64)
        x = x.mean(axis=0) if x.ndim == 2 else x
        out += fad.cut_windows(resample(x, rate, model.sampling_rate), model.sampling_rate)
    return out


def fad_spaces(generated: list[tuple[np.ndarray, int]], reference: list[tuple[np.ndarray, int]],
               spaces: dict) -> dict:
    """{"recipe", "spaces": {name: {fad, windows_generated, windows_reference, and `fad.assess`'s dimensions,
    covariance, reliable, warning}}}; `spaces` maps a name to a model with `sampling_rate` and
    `embed(windows) -> (n, d)`."""
    result = {"recipe": RECIPE, "spaces": {}}
    for name, model in spaces.items():
        gen, ref = _windows(generated, model), _windows(reference, model)
        entry = {"windows_generated": len(gen), "windows_reference": len(ref), "fad": None}
        if len(gen) >= 2 and len(ref) >= 2:
            entry.update(fad.assess(model.embed(gen), model.embed(ref)))
        else:
            entry["note"] = "FAD needs at least two windows on each side"
        result["spaces"][name] = entry
    return result

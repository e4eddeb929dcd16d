"""FAD against a reference set (`evaluate --reference AUDIO_DIR`), in every embedding space available.

The reference folder's audio files (anything ffmpeg reads) and the generated clips are cut alike by
`fad.cut_windows` into windows of the embedding model's length; each side's window count is reported.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import fad

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".webm", ".m4a", ".aac", ".aiff", ".aif"}
REFERENCE_SECONDS = 600   # of each reference file: what a clip of this tool can last
RECIPE = (f"non-overlapping {fad.WINDOW_SECONDS:g} s windows, a last window under "
          f"{fad.MIN_WINDOW_SHARE:.0%} of that dropped, mono, resampled to the model's rate; "
          f"at most the first {REFERENCE_SECONDS // 60} minutes of each reference file")


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


KEPT_BYTES = 256 * 2**20   # decoded audio kept from the check for reuse; the rest is decoded again when used


class ReferenceSet:
    """The reference files, each checked to decode; iterated, (samples, 48000) pairs. Up to KEPT_BYTES of
    decoded audio is kept from the check, the other files are decoded again one at a time, so that memory
    never holds the whole set's audio (thousands of reference tracks decoded at 48 kHz ran to tens of GB)."""

    def __init__(self, files: list[Path], kept: dict[int, np.ndarray] | None = None):
        self.files = list(files)
        self._kept = kept or {}

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self):
        for i, path in enumerate(self.files):
            yield (self._kept[i] if i in self._kept else _decoded(path)), 48000


def _decoded(path: Path) -> np.ndarray:
    from ..audio import AudioError, decode_file
    from ..types import first_line

    try:
        return decode_file(path, path.suffix.lstrip(".") or "file", REFERENCE_SECONDS).samples
    except (AudioError, OSError) as exc:
        raise ReferenceSetError(f"--reference: cannot read '{path}' as audio ({first_line(exc)})") from None


def load_reference(folder: Path) -> ReferenceSet:
    """The reference set, every file decoded once to check it (48 kHz); one that does not decode is a
    ReferenceSetError naming it, raised here, before any work."""
    files, kept, size = reference_files(folder), {}, 0
    for i, path in enumerate(files):
        samples = _decoded(path)
        if size + samples.nbytes <= KEPT_BYTES:
            kept[i], size = samples, size + samples.nbytes
    return ReferenceSet(files, kept)


def _clip_windows(clip: tuple[np.ndarray, int], model) -> list[np.ndarray]:
    from ..backends.clap import resample

    samples, rate = clip
    x = np.asarray(samples, np.float64)
    x = x.mean(axis=0) if x.ndim == 2 else x
    return fad.cut_windows(resample(x, rate, model.sampling_rate), model.sampling_rate)


def per_clip(clips, model, fn) -> tuple[int, np.ndarray | None]:
    """(window count, fn(windows) of every clip's windows stacked): one clip at a time, so that the windows
    of a whole reference set are never in memory at once."""
    count, parts = 0, []
    for clip in clips:
        windows = _clip_windows(clip, model)
        if windows:
            count += len(windows)
            parts.append(np.asarray(fn(windows)))
    return count, (np.concatenate(parts) if parts else None)


def fad_spaces(generated, reference, spaces: dict) -> dict:
    """{"recipe", "spaces": {name: {fad, windows_generated, windows_reference, and `fad.assess`'s dimensions,
    covariance, reliable, warning}}}; `generated` and `reference` are iterables of (samples, rate) (a
    `ReferenceSet`); `spaces` maps a name to a model with `sampling_rate` and `embed(windows) -> (n, d)`."""
    result = {"recipe": RECIPE, "spaces": {}}
    for name, model in spaces.items():
        (n_gen, gen), (n_ref, ref) = per_clip(generated, model, model.embed), per_clip(reference, model, model.embed)
        entry = {"windows_generated": n_gen, "windows_reference": n_ref, "fad": None}
        if n_gen >= 2 and n_ref >= 2:
            entry.update(fad.assess(gen, ref))
        else:
            entry["note"] = "FAD needs at least two windows on each side"
        result["spaces"][name] = entry
    return result

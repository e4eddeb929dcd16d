"""Music: the `Composer` interface, the clip type, the built-in procedural composer and the backend factory."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np

from .mood import Mood

if TYPE_CHECKING:
    from .settings import MusicSettings

VERSION = "2"  # of the procedural composer: bump when the music for the same mood changes


class ComposeError(ValueError):
    """A composer was asked for something it cannot make."""


@dataclass(frozen=True)
class MusicRequest:
    prompt: str
    mood: Mood
    settings: "MusicSettings"      # the artwork's effective settings (gallery music + its overrides)
    content_hash: str


@dataclass(frozen=True, eq=False)
class Clip:
    """Audio samples, float32 of shape (channels, n), and their sample rate."""
    samples: np.ndarray = field(repr=False)
    sample_rate: int

    def __post_init__(self):
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[np.newaxis, :]
        if samples.ndim != 2 or samples.shape[0] not in (1, 2) or samples.shape[1] == 0:
            raise ComposeError(f"clip: expected samples of shape (1 or 2 channels, n > 0), got {samples.shape}")
        if int(self.sample_rate) <= 0:
            raise ComposeError(f"clip: sample rate must be positive, got {self.sample_rate}")
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "sample_rate", int(self.sample_rate))

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate


class Composer(Protocol):
    name: str
    revision: str
    is_model: bool

    def generate(self, requests: list[MusicRequest]) -> list[Clip]: ...


class ProceduralComposer:
    """Deterministic music from the mood and the image's structure (see `composer`); the prompt is not read.

    Stereo float32 at 48 kHz, exactly `settings.duration` long, seeded by (content_hash, settings.seed).
    """
    name = "builtin:procedural"
    revision = VERSION
    is_model = False

    def generate(self, requests: Sequence[MusicRequest]) -> list[Clip]:
        from . import composer  # here, not at the top: rebuilding from cache never needs scipy

        clips = []
        for request in requests:
            duration = float(request.settings.duration)
            if not duration > 0:
                raise ComposeError(f"music.duration must be positive, got {duration}")
            seed = composer.seed_for(request.content_hash, int(request.settings.seed))
            clips.append(Clip(composer.compose(request.mood, duration, seed), composer.SAMPLE_RATE))
        return clips


def make_composer(resolved, settings: "MusicSettings") -> Composer:
    """The composer for a resolved model (see models.py): procedural, MusicGen via transformers or audiocraft."""
    backend = resolved.backend
    if backend == "builtin":
        return ProceduralComposer()
    if backend == "transformers":
        from .backends.hf_musicgen import MusicgenComposer

        return MusicgenComposer(resolved, settings)
    if backend == "audiocraft":
        from .backends.audiocraft_musicgen import AudiocraftComposer

        return AudiocraftComposer(resolved, settings)
    raise ComposeError(f"unknown music backend {backend!r} (expected builtin, transformers or audiocraft)")

"""Music: the `Composer` interface, the clip type, the built-in procedural composer and the backend factory."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np

from .mood import Mood

if TYPE_CHECKING:
    from .settings import MusicSettings

VERSION = "1"  # of the procedural composer: bump when the music for the same mood changes


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
    """Deterministic music from the mood (see `procedural`); the prompt is not read, the mood is played.

    Stereo float32 at 48 kHz, exactly `settings.duration` long, seeded by (content_hash, settings.seed).
    """
    name = "builtin:procedural"
    revision = VERSION
    is_model = False

    def generate(self, requests: Sequence[MusicRequest]) -> list[Clip]:
        return self.generate_takes(requests)[0]

    def generate_takes(self, requests: Sequence[MusicRequest]) -> tuple[list[Clip], list, list[list[Clip]]]:
        """(chosen clips, how each was chosen or None for one take, every take): `takes` seeds of the same
        mood, chosen like the model backends' takes. Keeps no state, so threads may share the composer."""
        from . import procedural  # here, not at the top: rebuilding from cache never needs scipy
        from .backends.takes import choose_take, take_seed

        clips, choices, every = [], [], []
        for request in requests:
            duration = float(request.settings.duration)
            if not duration > 0:
                raise ComposeError(f"music.duration must be positive, got {duration}")
            seed = procedural.seed_for(request.content_hash, int(request.settings.seed))
            takes = [Clip(procedural.compose(request.mood, duration, take_seed(seed, t)), procedural.SAMPLE_RATE)
                     for t in range(max(1, int(request.settings.takes)))]
            choice = choose_take([c.samples for c in takes], procedural.SAMPLE_RATE, request.prompt) \
                if len(takes) > 1 else None
            clips.append(takes[choice.chosen if choice else 0])
            choices.append(choice)
            every.append(takes)
        return clips, choices, every


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

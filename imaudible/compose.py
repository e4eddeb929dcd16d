"""Music: the `Composer` interface and the built-in procedural composer (backends are found in `backends.registry`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from .types import Clip, ComposeError, MusicRequest  # noqa: F401 - the composer's vocabulary

if TYPE_CHECKING:
    from .settings import MusicSettings

VERSION = "2"  # of the procedural composer: bump when the music for the same mood changes


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

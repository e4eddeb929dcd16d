"""Music: the `Composer` interface and the built-in procedural composer (backends are found in `backends.registry`)."""
from __future__ import annotations

from typing import Protocol, Sequence

from .types import Clip, ComposeError, MusicRequest  # noqa: F401 - the composer's vocabulary

VERSION = "3"  # of the procedural composer: bump when the music for the same mood or prompt changes


def model_seed(request: MusicRequest, take: int) -> int:
    """Seed of take `take` of a music model's generation for `request`: the artwork's seed mixed with its image's
    content hash. Seeded by `music.seed` alone (0 for every artwork unless set), two artworks given one prompt
    (a curator's series, or a writer model's stock answer) got the very same clip, and all the others the same
    random draws."""
    import hashlib

    mixed = int.from_bytes(hashlib.sha256(f"{request.content_hash}:{int(request.settings.seed)}".encode())
                           .digest()[:8], "little") % (2**63 - 1)
    return take_seed(mixed, take)


def take_seed(seed: int, take: int) -> int:
    """Seed of take `take` of an artwork: take 0 uses the artwork's seed itself, so `takes: 1` is unchanged."""
    return seed if take == 0 else (seed * 1_000_003 + take * 7919) % (2**63 - 1)


class Composer(Protocol):
    name: str
    revision: str
    is_model: bool

    def generate(self, requests: list[MusicRequest]) -> list[Clip]: ...


class ProceduralComposer:
    """Deterministic music from the mood and the image's structure, steered by the words of the prompt that
    name what it can play (instruments, tempo, mode, dynamics; see `composer`).

    Stereo float32 at 48 kHz, exactly `settings.duration` long, seeded by (content_hash, settings.seed).
    """
    name = "builtin:procedural"
    revision = VERSION
    is_model = False

    def generate(self, requests: Sequence[MusicRequest]) -> list[Clip]:
        return [takes[0] for takes in self.generate_takes(requests)]

    def generate_takes(self, requests: Sequence[MusicRequest]) -> list[list[Clip]]:
        """Every take of each request (`takes` seeds of the same mood; take 1 is what `generate` returns).
        The music stage chooses among them like the model backends do. Keeps no state: threads may share it."""
        from . import composer  # here, not at the top: rebuilding from cache never needs scipy

        out = []
        for request in requests:
            duration = float(request.settings.duration)
            if not duration > 0:
                raise ComposeError(f"music.duration must be positive, got {duration}")
            seed = composer.seed_for(request.content_hash, int(request.settings.seed))
            out.append([Clip(composer.compose(request.mood, duration, take_seed(seed, t), request.prompt or ""),
                             composer.SAMPLE_RATE) for t in range(max(1, int(request.settings.takes)))])
        return out

    def describe(self, request: MusicRequest) -> str:
        """What the clip of `request` plays and which prompt words it followed (the same for every take)."""
        from . import composer

        return composer.describe(request.mood, request.prompt or "", float(request.settings.duration))

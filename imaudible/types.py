"""The value types every stage shares: what flows between stages, between processes and into the site.

A leaf module: it imports nothing from the package, so any module (a stage, a backend, the site, a worker
process) can use these types without pulling in anything else. Every type here is plain data and pickles.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ---- mood ------------------------------------------------------------------------------------------------

# Mood words by (valence, arousal) cell: rows valence low/mid/high, columns arousal low/mid/high.
MOOD_WORDS = {
    ("low", "low"): ("melancholic", "sombre", "still"),
    ("low", "mid"): ("brooding", "uneasy", "heavy"),
    ("low", "high"): ("tense", "turbulent", "anxious"),
    ("mid", "low"): ("quiet", "contemplative", "hushed"),
    ("mid", "mid"): ("reflective", "wistful", "balanced"),
    ("mid", "high"): ("restless", "dramatic", "urgent"),
    ("high", "low"): ("serene", "peaceful", "tender"),
    ("high", "mid"): ("warm", "hopeful", "gentle"),
    ("high", "high"): ("joyful", "exuberant", "lively"),
}
LOW, HIGH = 0.42, 0.58


def mood_words(valence: float, arousal: float) -> tuple[str, ...]:
    return MOOD_WORDS[(_band(valence), _band(arousal))]


def _band(x: float) -> str:
    return "low" if x < LOW else "high" if x > HIGH else "mid"


def _clip01(x: float) -> float:
    return float(min(max(float(x), 0.0), 1.0))


@dataclass(frozen=True)
class PaletteColour:
    hex: str
    name: str
    share: float


@dataclass(frozen=True)
class Mood:
    """The mood read from an image. Every number is in 0..1; words and palette derive from them."""
    valence: float
    arousal: float
    brightness: float
    saturation: float
    warmth: float
    contrast: float
    colourfulness: float
    edge_density: float
    words: tuple[str, ...]
    palette: tuple[PaletteColour, ...]
    structure: tuple[float, ...] = ()     # see structure.fingerprint; empty for moods made by hand

    def to_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies every value, and a build asks for this per artwork
        return {**{name: getattr(self, name) for name in _MOOD_NUMBERS}, "words": list(self.words),
                "palette": [{"hex": p.hex, "name": p.name, "share": p.share} for p in self.palette],
                "structure": list(self.structure)}

    @classmethod
    def from_dict(cls, d: dict) -> "Mood":
        fields = _MOOD_NUMBERS
        missing = [name for name in fields if name not in d]
        if missing:
            raise ValueError(f"mood: missing {', '.join(missing)}")
        numbers = {name: float(d[name]) for name in fields}
        palette = tuple(PaletteColour(str(p["hex"]), str(p["name"]), float(p["share"])) for p in d.get("palette", ()))
        structure = tuple(float(x) for x in d.get("structure", ()))
        return cls(**numbers, words=tuple(str(w) for w in d.get("words", ())), palette=palette, structure=structure)

    def with_override(self, valence: float | None = None, arousal: float | None = None) -> "Mood":
        v = self.valence if valence is None else _clip01(valence)
        a = self.arousal if arousal is None else _clip01(arousal)
        return dataclasses.replace(self, valence=v, arousal=a, words=mood_words(v, a))


_MOOD_NUMBERS = tuple(f.name for f in dataclasses.fields(Mood) if f.name not in ("words", "palette", "structure"))


# ---- music -----------------------------------------------------------------------------------------------

class ComposeError(ValueError):
    """A composer was asked for something it cannot make."""


@dataclass(frozen=True)
class MusicRequest:
    prompt: str
    mood: Mood
    settings: Any                  # the artwork's effective MusicSettings (gallery music + its overrides)
    content_hash: str


@dataclass(frozen=True, eq=False)
class Clip:
    """Audio samples, float32 of shape (channels, n), and their sample rate."""
    samples: Any = field(repr=False)    # numpy.ndarray (numpy is imported only where clips are made)
    sample_rate: int

    def __post_init__(self):
        import numpy as np

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


@dataclass
class TakeChoice:
    """How one artwork's music was chosen among its takes: the winner, the ranker, each take's score and
    what was wrong with the rejected ones."""
    chosen: int
    ranker: str
    scores: list[float] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"chosen": self.chosen, "ranker": self.ranker,
                "scores": [round(s, 4) if math.isfinite(s) else None for s in self.scores],
                "problems": self.problems}


# ---- images ----------------------------------------------------------------------------------------------

# Characters no text of the tool's may hold (controls but tab and newlines; lone surrogates): the manifest
# refuses them, and a cached result holding them is damaged. They would reach pages, file names, terminals.
UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Every control character, tab and newlines too: what a one-line terminal message or a file name must not hold.
_CONTROL_RANGES = "\x00-\x1f\x7f-\x9f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL_RANGES}]")

# Bidirectional formatting characters: embeddings and overrides (closed by U+202C) and isolates (closed by U+2069).
BIDI_OPENERS = {"\u202a": "left-to-right embedding", "\u202b": "right-to-left embedding",
                "\u202d": "left-to-right override", "\u202e": "right-to-left override",
                "\u2066": "left-to-right isolate", "\u2067": "right-to-left isolate", "\u2068": "first-strong isolate"}
_BIDI_RANGES = "\u202a-\u202e\u2066-\u2069"
BIDI_CONTROLS = re.compile(f"[{_BIDI_RANGES}]")
# What a terminal line must show escaped: control characters, bidirectional controls and marks (U+061C,
# U+200E, U+200F), and lone surrogates (a file name's bytes that are no UTF-8).
TERMINAL_UNSAFE = re.compile(f"[{_CONTROL_RANGES}\u061c\u200e\u200f{_BIDI_RANGES}\ud800-\udfff]")


def open_bidi(text: str) -> str | None:
    """The bidirectional control `text` leaves open (UAX #9: U+202C closes the last embedding or override,
    U+2069 the last isolate and all opened inside it), or None. Left open, it turns around whatever a page or
    a terminal writes after the text (", 1889" after an artist); a newline does not end it inside an HTML element."""
    stack: list[str] = []
    for match in BIDI_CONTROLS.finditer(text):
        char = match.group()
        if char in BIDI_OPENERS:
            stack.append(char)
        elif char == "\u202c":
            if stack and stack[-1] < "\u2066":
                stack.pop()
        elif any(c >= "\u2066" for c in stack):       # U+2069
            while stack.pop() < "\u2066":
                pass
    return stack[0] if stack else None


# The formats the site's files may have: a cached result naming another (.html, .js) is damaged, never published.
DERIVATIVE_FORMATS = ("webp", "jpg")
REPORT_DIR = "report"   # GALLERY/report/: what `evaluate` writes, beside the site and never inside it
WEB_AUDIO_FORMATS = ("webm", "m4a")


@dataclass(frozen=True)
class Derivative:
    name: str  # a size it fills ("1024"), the source's own long edge when it fills none ("192"), or "thumb"
    fmt: str  # one of DERIVATIVE_FORMATS
    width: int
    height: int
    data: bytes = field(repr=False)


# ---- what the site reads ---------------------------------------------------------------------------------

class CacheWriteFailed(Exception):
    """The cache could not store a result (a full disk, a folder that cannot be written): the build stops
    there, before the site is touched, instead of failing artwork after artwork."""


class DamagedResult(Exception):
    """A cached file is missing or is not the bytes that were stored."""

    def __init__(self, stage: str, key: str, name: str, why: str):
        super().__init__(f"cached {stage} result {key[:12]}: {name} {why}")
        self.stage, self.key, self.name, self.why = stage, key, name, f"{name} {why}"


class NotHeld(DamagedResult):
    """A file that a stage hands on in memory only (`Stage.transient_files`), asked for after the build let
    it go or in a later build: its stage is computed again for the artwork, with no warning; the stored
    result stays as it is."""


class HeldFile:
    """A file of a result computed in this build, held in memory for the later stages that read it and never
    written to the cache; `let_go` drops the bytes once no later stage of the build will read them."""

    def __init__(self, stage: str, key: str, name: str, data: bytes):
        self.stage, self.key, self.name, self._data = stage, key, name, data
        self.path = Path(name)       # as a StoredFile's, for messages that name the file

    def read(self) -> bytes:
        if self._data is None:
            raise NotHeld(self.stage, self.key, self.name, "is no longer held (it is not kept in the cache)")
        return self._data

    def let_go(self) -> None:
        self._data = None


def naming(path: str | os.PathLike, exc: OSError) -> OSError:
    """`exc` as the same kind of error about `path`: a write through a temporary file fails naming that
    temporary name, or no file at all (a full disk fails the write, not the open), and neither tells the
    reader which file could not be written."""
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(path))


def published_model(model: str | None) -> str | None:
    """A model as the site and reports name it: a model given as an absolute or home path by its folder's name
    alone (also in results cached before the build named it so), so that no path of the curator's machine is
    shown; anything else as written."""
    absolute = model and re.match(r"\s*(?:~|[A-Za-z]:)?[/\\]", model)
    return re.split(r"[/\\]", model.strip().rstrip("/\\"))[-1] if absolute else model


def first_line(exc: BaseException) -> str:
    """An exception's message cut to its first line, or its type's name when it has none: one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class StoredFile:
    """A file of a stage result: where it is, and the key of the result (names published copies); with
    the stage, size and SHA-256 recorded when it was stored, which `read` checks. `location` may be a plain
    string: a no-op build makes thousands of these and reads few, so `path` is made when first asked for."""
    location: str | os.PathLike
    key: str
    stage: str = ""
    size: int = -1
    sha256: str = ""

    @functools.cached_property
    def path(self) -> Path:
        return Path(self.location)

    def read(self) -> bytes:
        """The bytes, checked against the recorded size and SHA-256 (DamagedResult when they differ)."""
        import hashlib

        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise DamagedResult(self.stage, self.key, self.path.name, f"cannot be read ({exc.strerror or exc})") from None
        if self.sha256:
            if len(data) != self.size:
                raise DamagedResult(self.stage, self.key, self.path.name, f"has {len(data)} bytes instead of {self.size}")
            if hashlib.sha256(data).hexdigest() != self.sha256:
                raise DamagedResult(self.stage, self.key, self.path.name, "changed since it was stored (SHA-256 differs)")
        return data


@dataclass(frozen=True)
class ImageView:
    """One derivative of an artwork's image, as the site publishes it."""
    name: str
    fmt: str
    width: int
    height: int
    file: StoredFile


@dataclass(frozen=True)
class ArtworkView:
    """Everything the site shows of one artwork, assembled from the stages' read sides."""
    art: Any                        # the manifest's Artwork
    width: int
    height: int
    images: tuple[ImageView, ...]
    mood: Mood
    caption: str
    caption_model: str
    caption_draft: bool
    prompt: str
    music_model: str
    music_draft: bool
    audio: dict[str, StoredFile]    # format -> file
    duration: float
    takes: dict | None = None       # how the music was chosen among takes (None for a single take)
    prompt_writer: str = ""         # who wrote the prompt: a model's label, builtin:template or curator
    music_description: str = ""     # what the built-in composer played, in words ("" from a model)

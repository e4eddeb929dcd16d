"""Captions: the `Captioner` interface, the built-in describer and caption clean-up (backends are found in
`backends.registry`).

The built-in describer speaks only about what the colour statistics measure (palette, light, contrast,
energy, mood). It never names a subject: it cannot know what the image depicts. It never contradicts
itself: a remark on texture that disagrees with the energy (smooth areas in a vigorous read, which a
curator's mood override can produce) is left out rather than stated beside it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence

from .mood_music import hex_to_lab
from .textcheck import without_controls
from .types import Mood

if TYPE_CHECKING:
    from PIL import Image

VERSION = "3"


class CaptionError(ValueError):
    """A captioner was given input it cannot caption."""


@dataclass(frozen=True)
class CaptionResult:
    """A caption, who wrote it when not the captioner itself (a fallback), and why it fell back."""
    text: str
    model: str | None = None
    fallback: str = ""


class Captioner(Protocol):
    name: str
    revision: str
    is_model: bool

    def caption(self, images: list[Image.Image], moods: list[Mood]) -> list[str]: ...


class BuiltinDescriber:
    """The captioner used when no captioning model is available: `describe` on each mood."""
    name = "builtin:describer"
    revision = VERSION
    is_model = False

    def caption(self, images: Sequence[Image.Image], moods: Sequence[Mood]) -> list[str]:
        if len(images) != len(moods):
            raise CaptionError(f"caption: got {len(images)} images but {len(moods)} moods")
        return [describe(m) for m in moods]


def described_instead(mood: Mood, reason: str) -> CaptionResult:
    """The describer's caption in place of a model's answer that cannot be used, with the reason."""
    return CaptionResult(describe(mood), model=BuiltinDescriber.name, fallback=reason)


def caption_results(captioner, images, moods) -> list[CaptionResult]:
    """Every captioner's answers as `CaptionResult`s (only vision-language models fall back)."""
    if hasattr(captioner, "caption_results"):
        return captioner.caption_results(images, moods)
    return [CaptionResult(text) for text in captioner.caption(images, moods)]


# --- the built-in describer ---------------------------------------------------------------------------------

def describe(mood: Mood) -> str:
    """One or two sentences on colours, light, energy and mood."""
    colours = _colour_phrase(mood)
    light = _light_phrase(mood)
    energy = _energy_phrase(mood)
    words = [w for w in mood.words if w not in energy][:2]
    feeling = " and ".join(words) if words else "balanced"
    joiner = ", and" if "," in energy else " and"
    return f"{colours}, {light}. The energy is {energy}{joiner} the mood {feeling}."


def _colour_phrase(mood: Mood) -> str:
    names = [p.name for p in mood.palette if p.share >= 0.08][:3] or [p.name for p in mood.palette[:1]]
    tone = ("Vivid" if mood.colourfulness > 0.6 else "Muted" if mood.colourfulness < 0.3 else "Rich")
    if mood.colourfulness < 0.3 and mood.saturation < 0.08:
        tone = "Nearly colourless"
    if not names:
        return f"{tone} tones"
    if len(names) == 1:
        text = f"{tone} {names[0]} tones fill the frame"
    else:
        text = f"{tone} tones of " + ", ".join(names[:-1]) + f" and {names[-1]}"
    accents = [p for p in mood.palette if p.name not in names and _chroma(p.hex) > 30]
    if accents:
        text += f", with touches of {max(accents, key=lambda p: _chroma(p.hex)).name}"
    return text


def _light_phrase(mood: Mood) -> str:
    b = mood.brightness
    even = "soft, even light" if mood.contrast <= 0.5 else "mixed light"   # "even" beside strong contrast contradicts
    light = ("deep darkness" if b < 0.22 else "dim, low light" if b < 0.4 else even if b < 0.58
             else "bright light" if b < 0.75 else "radiant, pale light")
    contrast = ("with gentle contrast" if mood.contrast < 0.3 else "with strong contrast" if mood.contrast > 0.5
                else "with moderate contrast")
    return f"in {light} {contrast}"


def _energy_phrase(mood: Mood) -> str:
    a = mood.arousal
    base = ("still" if a < 0.25 else "calm" if a < 0.42 else "measured" if a < 0.58 else "lively" if a < 0.75
            else "vigorous")
    if mood.edge_density > 0.45 and a >= 0.42:        # busy detail only beside a measured or livelier read
        base += ", busy with fine detail"
    elif mood.edge_density < 0.08 and a < 0.58:       # smooth areas only beside a measured or calmer read
        base += ", with smooth, open areas"
    return base


def _chroma(hex_colour: str) -> float:
    lab = hex_to_lab(hex_colour)
    return float((lab[1] ** 2 + lab[2] ** 2) ** 0.5)


# --- clean-up of model captions -----------------------------------------------------------------------------

# BLIP's well-known nonsense tokens: "arafed", "araffe", "arafe", "arrafed", "araffed", ...
_ARTEFACT = r"ar+af+(?:ed|e|es|s)?"
_ARTICLE_BEFORE_ARTEFACT = re.compile(rf"\b(an?)\s+(?:{_ARTEFACT}\s+)+(\w)", re.IGNORECASE)
_ARTEFACT_WORD = re.compile(rf"\b{_ARTEFACT}\b\s*", re.IGNORECASE)
_REPEATED_WORDS = re.compile(r"\b(\w+(?:\s+\w+){0,2})(?:\s+\1\b)+", re.IGNORECASE)
# "there is a araffe that is standing": the artefact stands where the noun should, so it becomes "figure"
_ARTEFACT_AS_NOUN = re.compile(
    rf"\b(?:(an?)\s+)?{_ARTEFACT}\b(?=\s*(?:$|[,.;:!?]|(?:that|who|which|with|is|are|was|in|on|at|of|and|or|by|near|"
    rf"under|sitting|standing|walking|holding|wearing|looking|playing|riding)\b))", re.IGNORECASE)


def clean_caption(text: str) -> str:
    """Tidy a model caption: drop control characters and 'arafed'-style artefacts, collapse repeats, fix spacing
    and punctuation."""
    text = " ".join(without_controls(text).split())
    if not re.fullmatch(rf"(?:{_ARTEFACT}\b\s*)*", text, re.IGNORECASE):   # a caption of nothing but the artefact says nothing
        text = _ARTEFACT_AS_NOUN.sub(lambda m: (_article(m.group(1), "f") + " " if m.group(1) else "") + "figure", text)
    text = _ARTICLE_BEFORE_ARTEFACT.sub(lambda m: _article(m.group(1), m.group(2)) + " " + m.group(2), text)
    text = _ARTEFACT_WORD.sub("", text)
    while (fewer := _REPEATED_WORDS.sub(r"\1", text)) != text:   # "a a a a cat" needs more than one pass
        text = fewer
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,.;:!?])(?:\s*[,.;:!?])+", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    return text[:1].upper() + text[1:]


def _article(original: str, next_letter: str) -> str:
    article = "an" if next_letter.lower() in "aeiou" else "a"
    return article.capitalize() if original[0].isupper() else article

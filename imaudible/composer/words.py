"""What the built-in composer reads in a music prompt: a small word table, no language model.

A prompt is read word by word (lower case, hyphens as spaces), the longest phrase of the table first, so
"soft brass" is an instrument and "soft minor" a mode before "soft" alone means quiet dynamics. An explicit
"NN bpm" wins over tempo words; otherwise the first word of each aspect wins, and later ones count only
when they agree with it ("tense, dissonant"; not "slow ... fast"). "no", "not" and "without" cancel the
next instrument, drums or bass ("no drums", "without any percussion", "no piano or bass") and make the
next other word of the table not count ("not too fast").

Two parts of a template prompt are not read: its "Inspired by: <caption>" tail (it describes the image,
not the music) and its mood phrase (`prompt.mood_phrase`), which only restates what the plan already takes
from the mood, so a gallery without a curator's prompt keeps the mood's music.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..mood import Mood
from ..prompt import mood_phrase


def _rows(*groups: tuple[str, object, str]) -> dict[str, tuple[str, object]]:
    return {phrase.strip(): (aspect, value) for aspect, value, phrases in groups for phrase in phrases.split(",")}


# phrase -> (aspect, value). Instrument values are keys of `orchestra.INSTRUMENTS`.
TABLE = _rows(
    ("tempo", 52, "largo, lento, grave, very slow"),
    ("tempo", 64, "adagio, slow, slowly, calm, relaxed, leisurely, unhurried"),
    ("tempo", 90, "andante, moderato, moderate, walking pace, mid tempo, midtempo"),
    ("tempo", 126, "allegro, fast, quick, brisk, upbeat, lively, energetic"),
    ("tempo", 144, "presto, very fast, driving, frantic, racing"),
    ("mode", "minor", "minor, minor key, minor keys"),
    ("mode", "major", "major, major key, major keys"),
    ("mode", "harmonic minor", "harmonic minor, dark minor"),
    ("mode", "aeolian", "aeolian, natural minor"),
    ("mode", "dorian", "dorian, soft minor"),
    ("mode", "mixolydian", "mixolydian, mellow major"),
    ("mode", "ionian", "ionian"),
    ("mode", "lydian", "lydian, bright major"),
    ("tension", True, "dissonant, dissonance, discordant, tense, tension, unsettling, unsettled, eerie, ominous, "
                      "menacing, anxious, dread"),
    ("dynamics", "soft", "soft, quiet, quietly, gentle, gently, delicate, tender, hushed, intimate, pianissimo"),
    ("dynamics", "loud", "loud, epic, powerful, bold, intense, massive, huge, fortissimo, triumphant"),
    ("density", "sparse", "sparse, minimal, minimalist, spare, simple, bare"),
    ("density", "dense", "dense, busy, layered, lush, complex"),
    ("solo", True, "solo, unaccompanied, alone"),
    ("crescendo", True, "build, builds, building, crescendo, swell, swells, swelling, rising"),
    ("drums", True, "drums, drum, percussion, beat, beats, groove, drum kit"),
    ("bass", True, "bass, basses, bassline, bass line, double bass, contrabass, upright bass"),
    ("instrument", "strings", "strings, string, string section, string quartet, string orchestra, warm strings"),
    ("instrument", "violin", "violin, violins, fiddle"),
    ("instrument", "viola", "viola, violas"),
    ("instrument", "cello", "cello, cellos, violoncello"),
    ("instrument", "piano", "piano, pianos, felt piano, grand piano, keyboard, keys"),
    ("instrument", "electric piano", "electric piano, e piano, rhodes, wurlitzer"),
    ("instrument", "marimba", "marimba, marimbas, xylophone, mallets, kalimba"),
    ("instrument", "guitar", "guitar, guitars, acoustic guitar, nylon guitar, harp, pizzicato, plucked strings"),
    ("instrument", "bells", "bells, bell, chimes, vibraphone, vibes, glockenspiel, celesta, music box"),
    ("instrument", "brass", "brass, soft brass, horn, horns, french horn, trumpet, trumpets, trombone, tuba"),
    ("instrument", "flute", "flute, flutes, recorder, pan flute, piccolo"),
    ("instrument", "woodwinds", "woodwinds, woodwind, winds, reeds, clarinet, clarinets, oboe, bassoon, "
                                "saxophone, sax"),
    ("instrument", "pads", "pad, pads, soft pads, warm pads"),
    ("instrument", "synth", "synth, synths, synthesizer, synthesizers, glassy pads, synth pads"),
    ("instrument", "organ", "organ, organs"),
)
LONGEST = max(len(phrase.split()) for phrase in TABLE)
NEGATABLE = ("instrument", "drums", "bass")
NEGATIONS = frozenset({"no", "not", "without"})
FILLERS = frozenset({"any", "a", "an", "the", "too", "so", "much", "more", "other", "heavy", "real"})
JOINS = frozenset({"and", "or", "nor"})
BPM = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b")
TOKEN = re.compile(r"[a-z]+|[^\sa-z]")


@dataclass(frozen=True)
class Said:
    """One phrase of the prompt that the table knows: where it stood, what it was, what it asks."""
    position: int
    text: str
    aspect: str
    value: object


@dataclass(frozen=True)
class Reading:
    """What a prompt asks for: per aspect the words that agree with its first (`asked`), the instruments in
    the order named and those cancelled. Nothing is applied here: `plan` and `orchestra` decide what the
    composer can honour."""
    asked: dict[str, list[Said]] = field(default_factory=dict)
    instruments: tuple[Said, ...] = ()
    without: tuple[Said, ...] = ()

    def value(self, aspect: str, default=None):
        said = self.asked.get(aspect)
        return default if not said else said[0].value

    def cancelled(self, what: str) -> bool:
        return any((s.value if s.aspect == "instrument" else s.aspect) == what for s in self.without)


def music_part(prompt: str, mood: Mood) -> str:
    """The part of the prompt that speaks about the music (see the module docstring)."""
    text = re.split(r"\binspired by\b", prompt.lower(), maxsplit=1)[0]
    return text.replace(mood_phrase(mood).lower(), " , ")


def read_prompt(prompt: str, mood: Mood) -> Reading:
    text = music_part(prompt, mood)
    asked: dict[str, list[Said]] = {}
    for match in BPM.finditer(text):
        bpm = int(match.group(1))
        if 30 <= bpm <= 240 and "tempo" not in asked:
            asked["tempo"] = [Said(match.start(), match.group(0), "tempo", min(max(bpm, 40), 200))]
    tokens = [(m.start(), m.group(0)) for m in TOKEN.finditer(BPM.sub(lambda m: "," * len(m.group(0)), text)
                                                               .replace("-", " "))]
    instruments, without = [], []
    negating, negator, i = 0, "", 0     # 0: no; 1: after "no" (and fillers); 2: after a cancelled phrase (and joins)
    while i < len(tokens):
        said, length = _phrase_at(tokens, i)
        word = tokens[i][1]
        if said is None:
            if not word.isalpha():
                negating = 0
            elif word in NEGATIONS:
                negating, negator = 1, word
            elif word not in (FILLERS if negating == 1 else JOINS):
                negating = 0
            i += 1
            continue
        i += length
        if negating:
            if said.aspect in NEGATABLE:
                without.append(Said(said.position, f"{negator} {said.text}", said.aspect, said.value))
                negating = 2
            else:
                negating = 0        # "not fast": the word does not count
            continue
        if said.aspect == "instrument":
            instruments.append(said)
        elif said.aspect not in asked:
            asked[said.aspect] = [said]
        elif said.value == asked[said.aspect][0].value:
            asked[said.aspect].append(said)
    return Reading(asked, tuple(instruments), tuple(without))


def _phrase_at(tokens: list[tuple[int, str]], i: int) -> tuple[Said | None, int]:
    for length in range(min(LONGEST, len(tokens) - i), 0, -1):
        words = [w for _, w in tokens[i:i + length]]
        if not all(w.isalpha() for w in words):
            continue
        phrase = " ".join(words)
        if phrase in TABLE:
            aspect, value = TABLE[phrase]
            return Said(tokens[i][0], phrase, aspect, value), length
    return None, 1

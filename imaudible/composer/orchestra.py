"""Who plays: the voices of each part (melody, pads, keys, bass, drums), from the mood's instrument family
or from the instruments a prompt names, and the words that say what was played.

The voices are the instruments module's: melody `brass`, `clarinet`, `vibraphone`, `flute`, `strings`
(bowed) or a struck keys voice; pads `strings`, `glass`, `reeds`, `organ`, `brass`; keys `piano`,
`electric piano`, `marimba`, `guitar`. A prompt that names instruments gets those instruments and a bass
(drums only when it names them). Each named instrument takes the part it is first (a cello the melody,
strings the pads, a piano the keys), then a free part it can also play (strings the melody too when no
melody instrument is named). "solo" keeps the melody alone, with its own keys for a piano or a guitar.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..mood_music import MODE_PHRASES
from .words import Reading, Said

PARTS = ("lead", "pad", "keys")
FAMILY_PAD = "family"            # a pad that names no timbre ("pads") plays the mood's


@dataclass(frozen=True)
class Instrument:
    lead: str | None                 # the melody voice it plays, if any
    pad: str | None                  # the pad voice
    keys: str | None                 # the keys voice
    main: str                        # the part it takes first
    name: str = ""                   # what the description calls its melody ("" -> the voice's name)
    octave: int = 0                  # the melody's octave


INSTRUMENTS = {
    "strings": Instrument("strings", "strings", None, "pad"),
    "violin": Instrument("strings", "strings", None, "lead", "violin"),
    "viola": Instrument("strings", "strings", None, "lead", "viola"),
    "cello": Instrument("strings", "strings", None, "lead", "cello", -1),
    "piano": Instrument("piano", None, "piano", "keys"),
    "electric piano": Instrument("electric piano", None, "electric piano", "keys"),
    "marimba": Instrument("marimba", None, "marimba", "keys"),
    "guitar": Instrument("guitar", None, "guitar", "keys"),
    "bells": Instrument("vibraphone", None, None, "lead"),
    "brass": Instrument("brass", "brass", None, "lead"),
    "flute": Instrument("flute", None, None, "lead"),
    "woodwinds": Instrument("clarinet", "reeds", None, "lead"),
    "pads": Instrument(None, FAMILY_PAD, None, "pad"),
    "synth": Instrument(None, "glass", None, "pad"),
    "organ": Instrument(None, "organ", None, "pad"),
}
PAD_NAMES = {"strings": "strings", "glass": "glassy pads", "reeds": "reed pads", "organ": "organ pads",
             "brass": "brass"}
# (melody, pads, keys) of each instrument family (`mood.timbre_family`)
FAMILIES = {"warm": ("brass", "strings", "piano"), "cool": ("vibraphone", "glass", "electric piano"),
            "green": ("clarinet", "reeds", "marimba"), "muted": ("flute", "organ", "piano")}
# a pad voice that can carry the melody when the prompt cancels the family's melody instrument
PAD_LEADS = {"strings": "strings", "brass": "brass", "reeds": "clarinet"}


@dataclass(frozen=True)
class Orchestra:
    lead: str | None
    pad: str | None
    keys: str | None
    bass: bool
    drums: bool
    lead_name: str = ""
    octave: int = 0

    @property
    def melody_name(self) -> str:
        return self.lead_name or self.lead or ""


def family_orchestra(family: str, arousal: float) -> Orchestra:
    lead, pad, keys = FAMILIES[family]
    return Orchestra(lead, pad, keys, bass=True, drums=arousal > 0.55)


def orchestrate(reading: Reading, family: str, arousal: float) -> tuple[Orchestra, list[Said]]:
    """The orchestra the prompt asks for, and the prompt's instrument words it follows."""
    default = family_orchestra(family, arousal)
    named = [s for s in reading.instruments if not reading.cancelled(s.value)]
    followed: list[Said] = []
    if named:
        chosen = _cast(named)
        followed = sorted({id(s): s for s in chosen.values()}.values(), key=lambda s: s.position)
        lead = chosen.get("lead")
        inst = INSTRUMENTS[lead.value] if lead else None
        orchestra = Orchestra(inst.lead if inst else None, _voice(chosen, "pad", family),
                              _voice(chosen, "keys", family), bass=True, drums=False,
                              lead_name=inst.name if inst else "", octave=inst.octave if inst else 0)
    else:
        orchestra = _cancel(default, reading)
    solo = reading.value("solo", False)
    if solo:
        own_keys = orchestra.keys if orchestra.keys == orchestra.lead else None
        orchestra = replace(orchestra, pad=None, keys=own_keys, bass=False, drums=False)
    drums = (orchestra.drums and reading.value("density") != "sparse") or reading.value("drums", False)
    bass = orchestra.bass or reading.value("bass", False)
    return replace(orchestra, drums=drums and not reading.cancelled("drums"),
                   bass=bass and not reading.cancelled("bass")), followed


def _cast(named: list[Said]) -> dict[str, Said]:
    """Each part to the first named instrument whose main part it is; the pads and the melody, if still
    free, to the first that can play them (strings the melody too, a cello or brass the pads)."""
    chosen: dict[str, Said] = {}
    for part in PARTS:
        mains = [s for s in named if INSTRUMENTS[s.value].main == part]
        if mains:
            chosen[part] = mains[0]
    able = [s for s in named if INSTRUMENTS[s.value].pad]
    if "pad" not in chosen and able:
        chosen["pad"] = able[0]
    able = [s for s in named if INSTRUMENTS[s.value].lead]
    if "lead" not in chosen and able:
        chosen["lead"] = able[0]
    return chosen


def _voice(chosen: dict[str, Said], part: str, family: str) -> str | None:
    said = chosen.get(part)
    voice = getattr(INSTRUMENTS[said.value], part) if said else None
    return FAMILIES[family][1] if voice == FAMILY_PAD else voice


def _cancel(orchestra: Orchestra, reading: Reading) -> Orchestra:
    """The mood's orchestra without the instruments the prompt cancels ("no piano"); if its melody goes,
    the keys or the pads take it over when they can."""
    gone = {part: getattr(orchestra, part) for part in PARTS}
    for said in reading.without:
        if said.aspect != "instrument":
            continue
        inst = INSTRUMENTS[said.value]
        for part in PARTS:
            if gone[part] is not None and gone[part] == getattr(inst, part):
                gone[part] = None
    if gone["lead"] is None and orchestra.lead is not None:
        gone["lead"] = gone["keys"] or PAD_LEADS.get(gone["pad"] or "")
    return replace(orchestra, **gone)


def ensemble_words(orchestra: Orchestra) -> str:
    """E.g. 'brass melody over strings, piano and bass', 'solo cello', 'piano with bass and drums'."""
    lead = orchestra.melody_name
    others = [PAD_NAMES[orchestra.pad] if orchestra.pad else "", orchestra.keys or "",
              "bass" if orchestra.bass else "", "drums" if orchestra.drums else ""]
    accompanied = [w for w in others if w]
    same = () if orchestra.lead_name else (orchestra.lead, PAD_NAMES.get(orchestra.lead or ""))
    rest = [w for w in accompanied if w not in same]
    if not lead:
        return _join(accompanied) or "silence"
    if not rest:
        return f"solo {lead}"
    if len(rest) < len(accompanied):        # the melody's instrument also plays the chords
        return f"{lead} with {_join(rest)}"
    return f"{lead} melody over {_join(rest)}"


def describe(plan, mood) -> str:
    """What the site says a built-in draft plays, and which prompt words it followed."""
    from ..listening import pace

    character = [pace(plan.bpm)] + (["dissonant"] if plan.tension else []) \
        + ([plan.dynamics] if plan.dynamics else []) + ([plan.density] if plan.density else []) \
        + (["building"] if plan.crescendo else [])
    if mood.words and not plan.steered & {"tempo", "mode", "tension", "dynamics"}:
        character.append(mood.words[0])     # the image's feeling, where the prompt did not set another
    head = ("built-in draft following " + ", ".join(f"'{w}'" for w in plan.followed)) if plan.followed \
        else "built-in draft from the mood"
    return (f"{head}: {', '.join(character)} {ensemble_words(plan.orchestra)} {MODE_PHRASES[plan.mode]}, "
            f"about {plan.bpm} bpm")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}" if words else ""

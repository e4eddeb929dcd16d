"""Checks on what language models write: captions from vision-language models and music prompts from writer
models. Each check returns the cleaned text, or None and the reason it was refused; the caller then falls
back (to the describer, or to the prompt template) and records the reason."""
from __future__ import annotations

import re

from .types import BIDI_CONTROLS, UNSAFE_TEXT, open_bidi

REFUSAL = re.compile(
    r"\b(as an ai|as a language model|language model|i(?:'m| am) (?:sorry|unable|not able)|i cannot|i can't|"
    r"i can not|i won't|i do not have|i don't have|unable to (?:see|view|describe|help)|cannot (?:see|view|describe)|"
    r"sorry, but|i apologi[sz]e|"
    # hedges about the image itself: a painting's own hidden face or faint lighthouse is a description
    r"(?:{image}|this) (?:can ?not|can't|could not|couldn't) be (?:described|seen|determined|identified|made out)|"
    r"i(?:'m| am) not (?:sure|certain)|(?:hard|difficult|impossible) for me to \w+|"
    r"(?:hard|difficult|impossible) to (?:tell|say|determine) what (?:(?:it|this|the {image}) (?:shows|depicts|is)|"
    r"is (?:shown|depicted))|(?:(?:{image}|it) is )?too (?:blurry|dark|small|unclear|faint) for me to|"
    r"(?:{image}|it) is too (?:blurry|dark|small|unclear|faint) to|"
    r"no (?:image|picture) (?:was |is )?(?:provided|attached|given))\b".format(
        image=r"(?:the |this )?(?:image|picture|photo(?:graph)?|painting|artwork|scene|content)"),
    re.IGNORECASE)
PREAMBLE = re.compile(r"^\s*(?:sure[,!.]?|certainly[,!.]?|here(?:'s| is) (?:a|the|your) [\w -]*?:|"
                      r"(?:music )?prompt:|caption:|answer:|assistant:)\s*", re.IGNORECASE)
MUSIC_WORDS = frozenset("""
    music musical song tune melody melodic harmony harmonic chord chords rhythm rhythmic beat beats bpm tempo
    key major minor mode dorian lydian mixolydian aeolian ionian scale modal
    piano pianos keys strings string violin violins viola cello cellos bass contrabass guitar guitars harp
    flute flutes clarinet oboe bassoon horn horns brass trumpet trumpets trombone tuba sax saxophone
    woodwind woodwinds synth synths synthesizer pad pads organ marimba vibraphone bells celesta glockenspiel
    percussion drums drum timpani cymbals orchestra orchestral ensemble quartet choir
    ambient classical jazz folk electronic cinematic lofi lo-fi soundtrack score waltz lullaby nocturne
    ballad minimal minimalist chamber baroque romantic impressionist acoustic instrumental
    slow fast moderate adagio andante allegro largo staccato legato crescendo reverb
    blues gospel soul funk disco reggae ska samba bossa nova tango salsa cumbia afrobeat motown swing bebop
""".split())
VOCALS = re.compile(r"\b(vocals?|vocalist|vocali[sz]e|singer|singers|singing|sung|sings|lyrics?|choir|choral|rap|rapping|"
                    r"rapper|verse about|chorus about|voice|voices|a ?cappella|chant|chants|"
                    r"chanting|chanted|aria|arias|opera|operatic|soprano|mezzo|baritone|falsetto|crooning|croons?|"
                    r"scat|yodel(?:l?ing)?|spoken word|narration|narrator|"
                    r"(?:tenor|alto)(?! ?(?:sax(?:ophone)?|flute|clarinet|recorder|trombone|horn|guitar|drum|"
                    r"banjo|ukulele|viol|violin|line|register|clef|synth|notes?)))\b", re.IGNORECASE)
# Two or more capitalised words in a row, none of them a music word: read as a person's (or band's) name,
# e.g. "Hans Zimmer", "Vincent van Gogh". Title-cased music words ("Ambient Piano") are not names.
NAME = re.compile(r"\b([A-Z][a-z'\-]+(?:\s+(?:(?:van|von|de|da|del|der|la|le)\s+)?[A-Z][a-z'\-]+)+)\b")
# A single capitalised word introduced as a model to follow ("in the style of Zimmer", "like Radiohead",
# "Einaudi-esque") is an artist, unless it is a music word or a place's or period's adjective.
ARTIST_REFERENCE = re.compile(
    r"(?i:\b(?:in the (?:style|manner|vein|spirit) of|(?:style|manner|sound) of|inspired by|influenced by|"
    r"reminiscent of|similar to|(?:in )?homage to|tribute to|a la|\u00e0 la|like|by|after|channell?ing|think|evoking)"
    r"\s+(?:the\s+|early\s+|late\s+)?)([A-Z][\w'\u2019\-]*(?: [A-Z][\w'\u2019\-]*)*)|\b([A-Z][\w'\u2019]+)-(?:esque|like|style|inspired)\b")
STYLE_ADJECTIVES = frozenset("""
    african american andean arabic balinese brazilian byzantine celtic chinese cuban eastern english flamenco
    french german gothic greek gregorian indian irish italian japanese javanese klezmer latin medieval
    mediterranean middle nordic oriental persian renaissance russian scandinavian scottish spanish turkish
    victorian western impressionism expressionism expressionist minimalism romanticism modernism modernist
    art deco nouveau
""".split())
# Capitalised after "like", "after" or "inspired by" without being anyone: days, months, seasons, times, feasts.
TIME_WORDS = frozenset("""
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december spring summer autumn fall winter midnight noon dawn dusk morning evening
    night christmas easter halloween
""".split())
# What no caption or music prompt holds: a web address, an e-mail address, HTML/XML tags and character
# references. A caption can carry an instruction ("... output a URL"), and what a model writes reaches
# MusicGen, the site and the report; the site escapes it, but a link in a plaque is still someone's link.
LINK_OR_MARKUP = re.compile(
    r"\b[a-z][a-z0-9+.\-]*:/\S*|\b(?:https?|ftp)\b|\bwww\.\S+|\b(?:javascript|data|mailto|file):\S+|[\w.+\-]+@[\w\-]+\.[\w.\-]+|"
    r"\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|net|org|io|ai|xyz|ru|cn|info|biz|app|dev|co|me|ly|gg|to)\b(?:/\S*)?|"
    r"</?\s*[a-z!?][^<>]*>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
# An answer that talks about instructions carries someone's injected orders, not a description.
INSTRUCTION_TALK = re.compile(r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|prompts?|rules|"
                              r"messages?)\b|\bsystem (?:prompt|message|instructions?)\b", re.IGNORECASE)
BPM = re.compile(r"(\d+)\s*bpm\b", re.IGNORECASE)
TEMPO_RANGE = (20, 300)


def without_controls(text: str) -> str:
    """`text` without what `UNSAFE_TEXT` finds, which the manifest and the cache refuse: control characters
    (tab and newlines aside) become spaces, lone surrogates are dropped, and bidirectional controls when one is
    left open. A model's answer is anyone's text, and an escape sequence in it would reach terminals, pages and
    gallery.json."""
    text = UNSAFE_TEXT.sub(lambda m: "" if "\ud800" <= m.group() <= "\udfff" else " ", str(text))
    return BIDI_CONTROLS.sub("", text) if open_bidi(text) else text


def clean_model_text(text: str) -> str:
    """First paragraph, without chat preambles, quotes, markdown, control characters or stray whitespace."""
    text = without_controls(text).replace("\r", "\n").strip()
    text = re.split(r"\n\s*\n", text)[0]
    text = re.sub(r"\*+|__+|`+|^#+\s*", "", " ".join(text.split()))
    for _ in range(2):
        text = PREAMBLE.sub("", text).strip().strip('"\u201c\u201d\'').strip()
    return text


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return match.group(1) if match else text


def check_caption(raw: str, max_words: int) -> tuple[str | None, str]:
    """(caption, "") for a usable one-sentence caption within `max_words`, else (None, reason)."""
    text = clean_model_text(raw)
    if not re.search(r"[A-Za-z]{2,}", text):
        return None, "not in English" if _foreign(text) else "empty caption"
    if reason := unusable(text):
        return None, reason
    if REFUSAL.search(text):
        return None, "the model refused or spoke about itself"
    sentence = first_sentence(text)
    words = sentence.split()
    if len(words) > max_words:
        return None, f"overlong caption ({len(words)} words > caption.max_words {max_words})"
    if len(words) < 3:
        return None, f"too short to be a caption ({len(words)} words)"
    if _foreign(sentence):
        return None, "not in English"
    if _garbled(sentence):
        return None, "garbled text (not words)"
    if reason := _repeated(sentence):
        return None, reason
    sentence = sentence[:1].upper() + sentence[1:]
    return (sentence if sentence[-1] in ".!?" else sentence + "."), ""


def check_prompt(raw: str, max_words: int, *, vocals_asked: bool = False, names: tuple[str, ...] = (),
                 asked: str = "", caption: str = "") -> tuple[str | None, str]:
    """(prompt, "") for a usable music prompt, else (None, reason). `names` are people's names the prompt
    must not repeat (the artwork's artist); any other personal name is refused too: it may be a living artist.
    `asked` is the message the writer was given (an answer that copies its field labels parroted it) and
    `caption` the caption it was given (an answer that is only the caption describes no music)."""
    text = clean_model_text(raw).rstrip(".")
    if not re.search(r"[A-Za-z]{2,}", text):
        return None, "not in English" if _foreign(text) else "empty prompt"
    if reason := unusable(text) or _echoed(text, asked, caption):
        return None, reason
    if REFUSAL.search(text):
        return None, "the model refused or spoke about itself"
    words = text.split()
    if len(words) > max_words:
        return None, f"overlong prompt ({len(words)} words > prompt.max_words {max_words})"
    if _foreign(text):
        return None, "not in English (MusicGen reads English descriptions)"
    if _garbled(text):
        return None, "garbled text (not words)"
    if reason := _repeated(text):
        return None, reason
    tempos = [int(bpm) for bpm in BPM.findall(text)]
    if any(not TEMPO_RANGE[0] <= bpm <= TEMPO_RANGE[1] for bpm in tempos):
        return None, f"an impossible tempo ({', '.join(f'{bpm} bpm' for bpm in tempos)})"
    tokens = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-]*", text)}
    if not tokens & MUSIC_WORDS and not re.search(r"\d+\s*bpm", text, re.IGNORECASE):
        return None, "not a music prompt (no instrument, genre, tempo or key)"
    if not vocals_asked and VOCALS.search(text):
        return None, f"mentions vocals or lyrics ('{VOCALS.search(text).group(0)}') though none were asked for"
    for name in names:
        if name and re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE):
            return None, f"names an artist ('{name}')"
    for match in ARTIST_REFERENCE.finditer(text):
        named = re.sub(r"['\u2019]s?$", "", match.group(1) or match.group(2))     # "Zimmer's" -> "Zimmer"
        word = named.split()[0]
        if word.lower() not in MUSIC_WORDS | STYLE_ADJECTIVES | TIME_WORDS and not re.fullmatch(r"[A-G][#b]?", word):
            # a place or a piece reads the same ("evoking Paris"): the reason says only what is certain
            return None, f"names '{named}' as a model to follow (perhaps an artist); prompts name no artists"
    for match in NAME.finditer(text):
        if not {w.lower() for w in match.group(1).split()} & MUSIC_WORDS:
            return None, f"names a person ('{match.group(1)}'); prompts name no artists"
    return text, ""


def unusable(text: str) -> str:
    """Why `text` (a model's caption or prompt) is no caption or prompt at all, or ""."""
    found = LINK_OR_MARKUP.search(text)
    if found:
        return f"contains a link or markup ('{found.group(0)[:40]}')"
    found = INSTRUCTION_TALK.search(text)
    return f"talks about instructions ('{found.group(0)[:40]}')" if found else ""


def _echoed(text: str, asked: str, caption: str) -> str:
    """Why the answer copies its input instead of answering, or "": the labels of the message's lines
    ("Artwork description:", "Suggested:"), or nothing but the caption."""
    labels = {line.split(":", 1)[0].strip().lower() for line in asked.splitlines() if ":" in line}
    lowered = text.lower()
    copied = sorted(label for label in labels if label and f"{label}:" in lowered)
    if copied:
        return f"copies the message it was given ('{copied[0]}:') instead of writing a prompt"
    said = " ".join(clean_model_text(caption).lower().rstrip(".").split())
    if len(said.split()) >= 3 and said in " ".join(lowered.split()) and len(text.split()) < len(said.split()) + 4:
        return "repeats the caption instead of describing music"
    return ""


def _repeated(text: str) -> str:
    """Why the text loops (a phrase said three times or more: a model stuck in a loop), or ""."""
    phrases = [" ".join(p.lower().split()) for p in re.split(r"[,.;:!?]", text) if p.strip()]
    words = text.lower().replace(",", " ").split()
    phrases += [" ".join(words[i:i + 3]) for i in range(len(words) - 2)]
    counts: dict[str, int] = {}
    for phrase in phrases:
        counts[phrase] = counts.get(phrase, 0) + 1
    looped = [p for p, n in counts.items() if n >= 3]
    return f"repeats itself ('{looped[0][:40]}' {counts[looped[0]]} times)" if looped else ""


def _foreign(text: str) -> bool:
    """Mostly letters outside the Latin alphabet (Chinese, Cyrillic, ...): not the English the checks and
    MusicGen read."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if c > "\u024f") > 0.3 * len(letters)


def asks_for_vocals(*texts: str) -> bool:
    return any(VOCALS.search(t or "") for t in texts)


def _garbled(text: str) -> bool:
    """Mostly non-words: few alphabetic tokens with a vowel, or many symbols (random weights write this)."""
    tokens = text.split()
    wordlike = [t for t in tokens if _wordlike(t.strip(",.;:!?()"))]
    symbols = sum(1 for c in text if not (c.isalnum() or c.isspace() or c in ",.;:!?'-()"))
    return len(wordlike) < 0.7 * len(tokens) or symbols > 0.1 * len(text)


def _wordlike(token: str) -> bool:
    if re.fullmatch(r"\d+(?:[./-]\d+)?[a-zA-Z]*|[A-G][#b]?", token):      # 90, 4/4, 120bpm, C, F#
        return True
    return bool(re.fullmatch(r"[A-Za-z][a-z'\-]*", token)) and (bool(re.search(r"[aeiouy]", token, re.I))
                                                             or token.lower() in MUSIC_WORDS)

"""Prompt composition, overrides, stop words; the built-in describer and caption clean-up."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from PIL import Image

from imaudible.backends.registry import load_backend
from imaudible.caption import BuiltinDescriber, CaptionError, clean_caption, describe
from imaudible.mood import Mood, PaletteColour, estimate_mood, mood_words, tempo_bpm
from imaudible.prompt import MAX_WORDS, music_prompt, remove_stopwords
from imaudible.settings import CaptionSettings, PromptSettings

ART = Path(__file__).resolve().parents[1] / "demo" / "art"


def mood(valence=0.5, arousal=0.5, brightness=0.5, saturation=0.3, palette=(("#3a8a3a", "green", 0.6),
                                                                            ("#8a8a8a", "grey", 0.4))):
    return Mood(valence=valence, arousal=arousal, brightness=brightness, saturation=saturation, warmth=0.5,
                contrast=0.4, colourfulness=0.4, edge_density=0.3, words=mood_words(valence, arousal),
                palette=tuple(PaletteColour(*p) for p in palette))


CALM = mood(valence=0.8, arousal=0.1)
TENSE = mood(valence=0.1, arousal=0.9, palette=(("#cc2427", "red", 0.7), ("#101010", "black", 0.3)))


# --- stop words -------------------------------------------------------------------------------------------------

def test_remove_stopwords_uses_sklearn_list_plus_look_and_like():
    assert remove_stopwords("a painting of a woman that looks like a cat") == "painting woman cat"
    assert remove_stopwords("Look at the boats, like toys.") == "boats, toys."
    assert remove_stopwords("the and of") == ""


@pytest.mark.parametrize("caption, kept", [
    ("a street with no people", "street no people"),
    ("two women and a child sitting together", "two women child sitting together"),
    ("a house on fire at the bottom of a hill", "house fire bottom hill"),
    ("an empty room, nothing on the walls", "empty room, nothing walls"),
    ("a man alone in thick fog", "man alone thick fog"),
])
def test_remove_stopwords_keeps_negations_counts_and_what_is_seen(caption, kept):
    """scikit-learn's list holds 'no', 'two', 'fire', 'empty', 'alone': dropping them made 'a street with
    no people' into 'street people'."""
    assert remove_stopwords(caption) == kept


def test_the_stop_word_list_enters_the_prompt_key_only_when_the_setting_is_on():
    from imaudible import prompt as prompt_module
    from imaudible.settings import Gallery
    from imaudible.stages.prompt import STAGE

    off = Gallery(title="t", artworks=())
    on = dataclasses.replace(off, prompt=PromptSettings(remove_stopwords=True))
    assert "stop_words" not in STAGE.settings(off, None, None)["prompt"]     # the default's keys stay as they were
    assert STAGE.settings(on, None, None)["prompt"]["stop_words"] == prompt_module.STOP_WORDS_VERSION


# --- prompts ----------------------------------------------------------------------------------------------------

def test_prompt_carries_mood_tempo_mode_style_and_caption():
    prompt = music_prompt(caption="a pond with water lilies", mood=CALM, style="ambient, piano",
                          settings=PromptSettings(), override=None)
    assert prompt.startswith("ambient, piano. ")
    assert CALM.words[0].capitalize() in prompt and CALM.words[1] in prompt
    assert f"{tempo_bpm(CALM)} bpm" in prompt and "slow tempo" in prompt
    assert "major key" in prompt and "no drums" in prompt
    assert prompt.endswith("Inspired by: a pond with water lilies")


def test_prompts_differ_with_mood():
    calm = music_prompt(caption="a room", mood=CALM, style="", settings=PromptSettings(), override=None)
    tense = music_prompt(caption="a room", mood=TENSE, style="", settings=PromptSettings(), override=None)
    assert calm != tense
    assert "minor key" in tense and "with drums" in tense and "warm strings" in tense
    bpm = [int(re.search(r"(\d+) bpm", p).group(1)) for p in (calm, tense)]
    assert bpm[0] < bpm[1]


def test_override_replaces_everything():
    prompt = music_prompt(caption="a pond", mood=CALM, style="ambient",
                          settings=PromptSettings(remove_stopwords=True), override="  solo cello,  in the rain ")
    assert prompt == "solo cello, in the rain"
    blank = music_prompt(caption="a pond", mood=CALM, style="", settings=PromptSettings(), override="   ")
    assert "pond" in blank and "bpm" in blank


def test_stopword_setting_applies_to_the_caption_only():
    prompt = music_prompt(caption="a painting of a man in the rain", mood=CALM, style="the quiet piano",
                          settings=PromptSettings(remove_stopwords=True), override=None)
    assert prompt.startswith("the quiet piano. ")
    assert prompt.endswith("Inspired by: painting man rain")


def test_without_mood_only_style_and_caption_remain():
    settings = PromptSettings(include_mood=False)
    assert music_prompt(caption="a pond", mood=TENSE, style="lofi", settings=settings,
                        override=None) == "lofi. Inspired by: a pond"
    assert music_prompt(caption="a pond", mood=TENSE, style="", settings=settings, override=None) == "a pond"


def test_long_captions_are_trimmed():
    caption = " ".join(f"word{i}" for i in range(200))
    prompt = music_prompt(caption=caption, mood=TENSE, style="orchestral", settings=PromptSettings(),
                          override=None)
    assert len(prompt.split()) <= MAX_WORDS
    assert "word0 word1" in prompt


# --- the built-in describer -------------------------------------------------------------------------------------

SUBJECT_WORDS = re.compile(r"\b(depict\w*|shows?|showing|portrait|painting of|photo\w*|person|people|sky|sea|"
                           r"water|tree\w*|face|woman|man|scene of)\b", re.IGNORECASE)


@pytest.mark.parametrize("name", ["starry_night.jpg", "the_scream.jpg", "water_lilies.jpg", "udnie.jpg"])
def test_describer_speaks_of_colour_light_and_mood_only(name):
    image = Image.open(ART / name).convert("RGB")
    image.thumbnail((512, 512))
    m = estimate_mood(image)
    text = describe(m)
    without_colour_names = text
    for p in m.palette:                     # "sea green" and "sky blue" name colours, not things
        without_colour_names = without_colour_names.replace(p.name, "")
    assert not SUBJECT_WORDS.search(without_colour_names), text
    assert m.palette[0].name in text
    assert "light" in text and "energy" in text and m.words[0] in text
    assert 1 <= text.count(".") <= 2 and text.endswith(".")


def test_describer_follows_the_mood():
    dark = describe(mood(valence=0.1, arousal=0.1, brightness=0.1))
    bright = describe(mood(valence=0.9, arousal=0.9, brightness=0.85))
    assert dark != bright
    assert "dark" in dark and ("bright" in bright or "radiant" in bright)
    assert "still" in dark and "vigorous" in bright


CONTRADICTIONS = [   # words that must never meet in one description
    ({"still", "calm"}, {"vigorous", "lively", "busy"}),
    ({"vigorous", "lively"}, {"smooth", "still", "calm", "hushed", "peaceful", "serene"}),
    ({"Vivid"}, {"colourless", "Muted"}),
    ({"darkness"}, {"radiant", "bright light"}),
    ({"even"}, {"strong"}),              # "soft, even light with strong contrast"
]


def test_describer_never_contradicts_itself():
    """Over a grid of moods, including texture that disagrees with an overridden arousal."""
    import itertools

    checked = 0
    for v, a, edges, bright, colourful, sat, contrast in itertools.product(
            (0.1, 0.5, 0.9), (0.05, 0.3, 0.5, 0.7, 0.95), (0.02, 0.3, 0.6), (0.1, 0.5, 0.9),
            (0.1, 0.7), (0.02, 0.4), (0.2, 0.7)):
        m = mood(valence=v, arousal=a, brightness=bright, saturation=sat)
        m = dataclasses.replace(m, edge_density=edges, colourfulness=colourful, contrast=contrast)
        text = describe(m)
        words = set(re.findall(r"[A-Za-z]+", text)) | {p for p in ("bright light",) if p in text}
        for left, right in CONTRADICTIONS:
            assert not (words & left and words & right), text
        checked += 1
    assert checked == 3 * 5 * 3 * 3 * 2 * 2 * 2
    # the case a curator saw: a vigorous read (an override) of a smooth image
    smooth_vigorous = dataclasses.replace(mood(valence=0.6, arousal=0.9), edge_density=0.01)
    assert "vigorous" in describe(smooth_vigorous) and "smooth" not in describe(smooth_vigorous)
    assert "smooth" in describe(dataclasses.replace(mood(valence=0.6, arousal=0.2), edge_density=0.01))


def test_builtin_captioner_and_factory():
    class Resolved:
        backend, model_id, revision, path = "builtin", "builtin", None, None

    captioner = load_backend("caption", Resolved(), CaptionSettings())
    assert isinstance(captioner, BuiltinDescriber)
    assert (captioner.name, captioner.is_model) == ("builtin:describer", False)
    images = [Image.new("RGB", (8, 8))] * 2
    assert captioner.caption(images, [CALM, TENSE]) == [describe(CALM), describe(TENSE)]
    with pytest.raises(CaptionError, match="2 images but 1 moods"):
        captioner.caption(images, [CALM])


# --- clean-up of model captions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,clean", [
    ("arafed man sitting on a bench", "Man sitting on a bench"),
    ("a arafed woman with a hat", "A woman with a hat"),
    ("there is an araffe dog on the grass", "There is a dog on the grass"),
    ("an arafed arafe image of a owl", "An image of a owl"),
    ("a painting of of a tree tree", "A painting of a tree"),
    ("a boat on the sea on the sea", "A boat on the sea"),
    ("  a cat ,  sitting  .  ", "A cat, sitting."),
    ("arrafed", ""),
])
def test_clean_caption(raw, clean):
    assert clean_caption(raw) == clean


@pytest.mark.parametrize("caption, kept", [
    ("Die Frau steht näher am Wasser", "Die Frau steht näher Wasser"),   # not "nä": "her" is a stop word
    ("la rivière, wäre sie allein", "la rivière, wäre sie allein"),      # not "riviè", "wä"
    ("a café in the evening, naïve", "café evening, naïve"),
    ("the artist's wife doesn't smile", "artist's wife doesn't smile"),
])
def test_remove_stopwords_reads_whole_words_in_any_script(caption, kept):
    assert remove_stopwords(caption) == kept


def test_a_writer_model_is_given_bounded_texts_on_one_line_each():
    """A `caption:` pasted from a catalogue (thousands of words) overflowed a small writer's context and padded
    every prompt of its batch to its length: the writer gets at most WRITER_INPUT_WORDS of each text."""
    from imaudible.prompt import WRITER_INPUT_WORDS, PromptRequest, writer_message

    caption = " ".join(["a calm blue sea under a pale sky,\nnear the shore"] * 1000)
    request = PromptRequest(caption, CALM, style="ambient\n" * 500, title="T " * 500, artist="A", year="1900")
    lines = writer_message(request, PromptSettings(include_metadata=True)).splitlines()
    assert len(lines) == 7
    description = lines[0].removeprefix("Artwork description: ")
    assert len(description.split()) == WRITER_INPUT_WORDS["caption"] + 1 and description.endswith(" ...")
    assert description.startswith("a calm blue sea under a pale sky, near the shore a calm")
    assert len(lines[4].split()) <= WRITER_INPUT_WORDS["style"] + 5 and len(lines[5].split()) <= 32
    short = writer_message(PromptRequest("a calm sea", CALM), PromptSettings()).splitlines()[0]
    assert short == "Artwork description: a calm sea"


@pytest.mark.parametrize("raw,clean", [
    ("a a a a cat cat", "A cat"),                                        # repeats left by a first pass
    ("a cat cat cat on on the mat mat", "A cat on the mat"),
    ("there is a araffe that is standing", "There is a figure that is standing"),   # the artefact as a noun
    ("an araffe with a arafed", "A figure with a figure"),
    ("a man next to a araffe.", "A man next to a figure."),
    ("arafed arafe", ""),
])
def test_clean_caption_leaves_no_repeat_and_no_hole_where_an_artefact_was(raw, clean):
    assert clean_caption(raw) == clean

"""The checks on what a language model writes, for the class of answer each rule names and not only the
issue's example: any artist named as a model to follow, any singing, any refusal or hedge in place of a
caption. Legitimate prompts and captions that sit close to these must still pass."""
from __future__ import annotations

import pytest

from imaudible.textcheck import asks_for_vocals, check_caption, check_prompt


@pytest.mark.parametrize("answer,name", [
    ("slow ambient piano in the style of Zimmer, 70 bpm, D minor", "Zimmer"),
    ("cinematic strings like Radiohead, 80 bpm", "Radiohead"),
    ("slow piano inspired by Einaudi, 60 bpm", "Einaudi"),
    ("Einaudi-esque felt piano, 60 bpm", "Einaudi"),
    ("slow piano like Debussy's nocturnes, 60 bpm", "Debussy"),
    ("Like Satie, sparse slow piano, 60 bpm", "Satie"),
    ("a slow waltz after Chopin, 90 bpm", "Chopin"),
    ("ambient pads reminiscent of Sheeran, 70 bpm", "Sheeran"),
    ("warm strings like Glass's etudes, 70 bpm", "Glass"),           # the possessive only goes: not the name's s
    ("epic orchestral score like Hans Zimmer, 80 bpm", "Hans Zimmer"),
])
def test_a_single_artist_name_given_as_a_model_is_refused(answer, name):
    prompt, reason = check_prompt(answer, 40)
    assert prompt is None and f"'{name}'" in reason and reason.endswith("prompts name no artists")


@pytest.mark.parametrize("answer,word", [
    ("warm jazz piano evoking Paris at night, 90 bpm", "Paris"),
    ("cinematic strings reminiscent of Japan, slow", "Japan"),
])
def test_a_place_after_like_or_evoking_is_not_called_a_person(answer, word):
    """Refused all the same (a single capitalised word may be an artist), but the recorded reason is true."""
    prompt, reason = check_prompt(answer, 40)
    assert prompt is None and f"'{word}'" in reason and "person" not in reason


@pytest.mark.parametrize("answer", [
    "soft piano with a soprano line above, 70 bpm", "gregorian chant over an organ drone, 60 bpm",
    "a cappella ballad, 70 bpm", "slow piano under whispered spoken word, 60 bpm",
    "opera aria with orchestra, 70 bpm", "tenor crooning over jazz trio, 90 bpm", "falsetto over synths, 100 bpm",
])
def test_every_kind_of_singing_is_refused_unless_asked(answer):
    prompt, reason = check_prompt(answer, 40)
    assert prompt is None and "mentions vocals or lyrics" in reason
    assert check_prompt(answer, 40, vocals_asked=True)[0] is not None


@pytest.mark.parametrize("answer", [
    "calm piano, 70 bpm, D minor", "Calm Piano In D Minor, 70 bpm", "tenor saxophone jazz ballad, 80 bpm",
    "bass guitar and alto flute, 80 bpm", "warm bass and soft pads, 80 bpm", "slow Celtic harp in the style of Irish folk, 60 bpm",
    "Baroque-style harpsichord, 90 bpm", "slow piano, like a lullaby, 60 bpm", "Ambient, Cinematic, Strings, 70 bpm",
    "piano in the style of Japanese koto music, 60 bpm", "a low drone humming under strings, 60 bpm",
])
def test_musical_prompts_near_those_rules_pass(answer):
    assert check_prompt(answer, 40) == (answer, "")


def test_a_style_that_asks_for_singing_is_read_as_asking():
    assert asks_for_vocals("opera") and asks_for_vocals("a cappella") and not asks_for_vocals("warm bass")


@pytest.mark.parametrize("answer", [
    "Unfortunately the image cannot be described.", "The image is too blurry for me to tell what it shows.",
    "I am not sure what this painting shows.", "I'm not certain, but it may be a lake.",
    "It is hard to tell what the picture shows.", "No image was provided, so there is nothing to describe.",
])
def test_a_caption_that_hedges_or_refuses_falls_back(answer):
    caption, reason = check_caption(answer, 40)
    assert caption is None and "refused" in reason


@pytest.mark.parametrize("answer", [
    "The dark sea makes me feel uneasy because it is hard to see the horizon.",
    "A calm harbour that makes me feel at peace because of the soft light.",
])
def test_an_emotional_caption_passes(answer):
    assert check_caption(answer, 40) == (answer, "")


@pytest.mark.parametrize("answer", [
    "calm piano like Sunday morning rain, 60 bpm", "slow strings after Midnight, hushed, 50 bpm",
    "warm guitar inspired by Autumn leaves, 70 bpm", "a bright waltz like a May morning, 90 bpm",
    "soft guitar like Bossa Nova, 90 bpm", "dreamy piano in the style of Impressionism, 60 bpm",
    "think Motown, upbeat bass and drums, 110 bpm", "sparse piano in the style of Minimalism, 60 bpm",
])
def test_a_time_a_genre_or_a_movement_capitalised_after_like_is_no_artist(answer):
    assert check_prompt(answer, 40) == (answer, "")


@pytest.mark.parametrize("answer", [
    "A small boat, too small to make out, drifts on a stormy sea.",
    "A hooded figure whose face cannot be seen stands in the rain.",
    "An abstract canvas where it is hard to tell what is sky and what is sea.",
    "A lighthouse too faint to see through the fog.",
    "A dark forest whose path could not be made out in the dusk.",
])
def test_a_caption_that_describes_something_hidden_or_small_passes(answer):
    """The hedges are the model's about the image ('the image cannot be described', 'too blurry for me to'),
    not a painting's own obscurity, which is what many paintings show."""
    assert check_caption(answer, 40) == (answer, "")

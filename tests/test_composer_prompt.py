"""The built-in composer follows the words of its music prompt that name what it can play, and says so.

The plan is checked directly (instruments, tempo, mode, dynamics), then the rendered audio with the
listening tools of test_compose (tempo by onset autocorrelation, key by profile correlation, spectral
centroid), and the description a draft shows.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from imaudible import composer
from imaudible.compose import MusicRequest, ProceduralComposer
from imaudible.composer.harmony import Harmony
from imaudible.composer.plan import make_plan
from imaudible.prompt import music_prompt
from imaudible.settings import MusicSettings, PromptSettings
from tests.test_compose import count_clicks, estimate_key, estimate_tempo, spectral_centroid, synthetic_mood

WARM = ("#c85720", "#9f784c")          # the warm family: brass melody over strings, piano and bass
COOL = ("#616598", "#2a5cb8")          # the cool family: vibraphone over glassy pads and electric piano


def plan(prompt, mood=None, seed=0):
    return make_plan(mood or synthetic_mood(palette=WARM), 20.0, np.random.default_rng(seed), prompt)


def render(prompt, mood=None, duration=16.0, seed=0, takes=1):
    request = MusicRequest(prompt, mood or synthetic_mood(palette=WARM),
                           MusicSettings(duration=duration, seed=seed, takes=takes), "c" * 64)
    return [clip.samples for clip in ProceduralComposer().generate_takes([request])[0]]


# --- the plan ---------------------------------------------------------------------------------------------------

def test_the_curators_examples():
    cello = plan("slow solo cello", synthetic_mood(palette=COOL))
    o = cello.orchestra
    assert (o.lead, o.melody_name, o.octave, o.pad, o.keys, o.bass, o.drums) == ("strings", "cello", -1, None, None,
                                                                                 False, False)
    assert cello.bpm == 64 and cello.followed == ("slow", "solo", "cello")

    tense = plan("tense strings, dissonant, slow build", synthetic_mood(valence=0.7, palette=WARM))
    assert (tense.orchestra.lead, tense.orchestra.pad, tense.orchestra.keys) == ("strings", "strings", None)
    assert tense.mode == "harmonic minor" and tense.tension and tense.crescendo and tense.bpm == 64
    assert tense.followed == ("tense", "strings", "dissonant", "slow", "build")


@pytest.mark.parametrize("prompt,lead,pad,keys", [
    ("violin", "strings", "strings", None), ("viola", "strings", "strings", None),
    ("string quartet", "strings", "strings", None), ("piano", "piano", None, "piano"),
    ("felt piano and soft pads", "piano", "strings", "piano"),       # "pads" name no timbre: the mood's
    ("rhodes", "electric piano", None, "electric piano"), ("acoustic guitar", "guitar", None, "guitar"),
    ("xylophone", "marimba", None, "marimba"), ("glockenspiel and synth", "vibraphone", "glass", None),
    ("french horn", "brass", "brass", None), ("oboe", "clarinet", "reeds", None), ("pan flute", "flute", None, None),
    ("organ", None, "organ", None), ("woodwinds, marimba and acoustic guitar", "clarinet", "reeds", "marimba"),
])
def test_instrument_words_pick_the_voices(prompt, lead, pad, keys):
    o = plan(prompt).orchestra
    assert (o.lead, o.pad, o.keys, o.bass, o.drums) == (lead, pad, keys, True, False)


def test_tempo_words_and_explicit_bpm():
    mood = synthetic_mood(arousal=0.5)
    assert plan("", mood).bpm == 98
    assert [plan(p, mood).bpm for p in ("largo", "adagio", "calm", "andante", "allegro", "upbeat", "presto")] == \
        [52, 64, 64, 90, 126, 126, 144]
    assert plan("slow, around 120 bpm", mood).bpm == 120             # a number wins over words
    late = plan("slow at first, then fast", mood)
    assert late.bpm == 64 and "fast" not in late.followed            # the first word wins
    assert plan("not too fast", mood).bpm == 98 and plan("not too fast", mood).followed == ()


def test_mode_words_keep_the_moods_own_where_they_agree():
    dorian, ionian = synthetic_mood(valence=0.45, palette=WARM), synthetic_mood(valence=0.65, palette=WARM)
    assert (plan("", dorian).mode, plan("", ionian).mode) == ("dorian", "ionian")
    assert plan("minor", dorian).mode == "dorian" and plan("minor", ionian).mode == "aeolian"
    assert plan("major key", dorian).mode == "ionian" and plan("in a major key", ionian).mode == "ionian"
    assert plan("lydian", dorian).mode == "lydian" and plan("dark minor", ionian).mode == "harmonic minor"
    assert plan("eerie", ionian).mode == "harmonic minor" and plan("tense but major", ionian).mode == "ionian"


def test_dissonance_stacks_sevenths_and_ninths():
    mood = synthetic_mood(valence=0.3)
    calm, tense = plan("harmonic minor", mood), plan("dissonant", mood)
    assert calm.chords == tense.chords and not calm.tension
    for bar in range(calm.bars):
        plain, clashing = Harmony(mood, calm).chord_degrees(bar), Harmony(mood, tense).chord_degrees(bar)
        assert set(plain) < set(clashing) and len(clashing) == (4 if calm.chords[bar] == 0 else 5)


def test_dynamics_density_drums_and_negation():
    lively = synthetic_mood(arousal=0.8, palette=WARM)
    assert plan("", lively).orchestra.drums and plan("", lively).energy == "busy"
    assert plan("soft", lively).arousal == 0.2 and plan("epic", synthetic_mood(arousal=0.3)).arousal == 0.85
    assert plan("sparse", lively).energy == "calm" and not plan("sparse", lively).orchestra.drums
    assert plan("dense", synthetic_mood(arousal=0.2)).energy == "busy"
    assert not plan("no drums", lively).orchestra.drums
    assert not plan("without any percussion", lively).orchestra.drums
    assert plan("piano and drums", synthetic_mood(arousal=0.2)).orchestra.drums
    gone = plan("no piano or bass", lively).orchestra
    assert (gone.lead, gone.pad, gone.keys, gone.bass) == ("brass", "strings", None, False)
    assert plan("no brass", lively).orchestra.lead == "piano"        # the keys take the melody over
    assert plan("no drums", lively).followed == ("no drums",)


@pytest.mark.parametrize("valence,arousal,palette", [(0.2, 0.1, COOL), (0.5, 0.5, WARM), (0.9, 0.9, ("#3a8a3a",)),
                                                     (0.3, 0.3, ("#777777",)), (0.2, 0.8, WARM)])
def test_prompts_without_table_words_leave_the_mood_plan_unchanged(valence, arousal, palette):
    mood = synthetic_mood(valence=valence, arousal=arousal, palette=palette)
    template = music_prompt(caption="A man playing a guitar by a fast river", mood=mood, style="instrumental",
                            settings=PromptSettings(), override=None)
    assert "guitar" in template and mood.words[0] in template.lower()
    for prompt in ("A harbour at dusk, oil on canvas", "Portrait of a woman in a red hat", template):
        assert plan(prompt, mood) == plan("", mood), prompt


# --- the audio ----------------------------------------------------------------------------------------------------

def near_tempo(measured: float, bpm: int) -> bool:
    """The estimator may lock onto the half beat of a slow piece (it prefers about 120 bpm)."""
    return any(abs(measured - k * bpm) <= 0.05 * k * bpm for k in (1, 2))


def test_rendered_tempo_follows_the_prompt():
    mood = synthetic_mood(arousal=0.5)
    slow, fast = estimate_tempo(render("60 bpm", mood)[0]), estimate_tempo(render("140 bpm", mood)[0])
    assert near_tempo(slow, 60) and not near_tempo(slow, 98), slow
    assert near_tempo(fast, 140), fast


@pytest.mark.parametrize("content_hash", ["1", "2"])
def test_rendered_mode_follows_the_prompt(content_hash):
    happy = synthetic_mood(valence=0.85, palette=("#cc2427", "#ee7f1b"))
    sad = synthetic_mood(valence=0.15, palette=("#2a5cb8", "#1b2650"))
    key = lambda prompt, mood: estimate_key(ProceduralComposer().generate([MusicRequest(   # noqa: E731
        prompt, mood, MusicSettings(duration=12.0), content_hash * 64)])[0].samples)[1]
    assert (key("", happy), key("minor", happy)) == ("major", "minor")
    assert (key("", sad), key("major", sad)) == ("minor", "major")


def test_rendered_solo_timbre_register_and_crescendo():
    strings, flute, cello = (render(p, duration=12.0)[0] for p in ("solo strings", "solo flute", "solo cello"))
    assert spectral_centroid(strings) > 1.5 * spectral_centroid(flute)      # bowed strings against a flute
    assert spectral_centroid(strings) > 1.5 * spectral_centroid(cello)      # a cello plays an octave lower

    def below_120_hz(x):
        f, p = signal.welch(np.mean(x, axis=0), fs=48000, nperseg=8192)
        return p[f < 120].sum() / p.sum()
    assert below_120_hz(cello) < 0.01 < 0.1 < below_120_hz(render("", duration=12.0)[0])   # no bass under a solo

    def rise(x):
        m = np.mean(x, axis=0)
        q = len(m) // 4
        return float(np.sqrt(np.mean(m[-q:] ** 2) / np.mean(m[:q] ** 2)))
    assert rise(render("slow strings, slow build")[0]) > 2 * rise(render("slow strings")[0])


@pytest.mark.parametrize("prompt", ["tense strings, dissonant, slow build", "upbeat guitar and drums, epic",
                                    "slow solo cello", "solo piano", "ambient synth pads, soft"])
def test_steered_music_is_clean_and_deterministic(prompt):
    first, second = render(prompt, duration=8.0, takes=2)
    assert np.array_equal(first, render(prompt, duration=8.0)[0])           # same request, same audio
    assert not np.allclose(first, second)                                    # another take, other music
    assert first.shape == (2, 8 * 48000) and np.isfinite(first).all()
    assert np.abs(first).max() < 0.99 and count_clicks(first) == 0
    assert np.abs(first[:, 0]).max() < 1e-3 and np.abs(first[:, -1]).max() < 1e-3


def test_unrelated_prompt_gives_the_same_audio():
    mood = synthetic_mood(valence=0.3, arousal=0.6, palette=COOL)
    assert np.array_equal(render("", mood, 6.0)[0], render("a still life with apples", mood, 6.0)[0])


# --- what the draft says it plays -------------------------------------------------------------------------------

def describe(prompt, mood=None):
    request = MusicRequest(prompt, mood or synthetic_mood(palette=WARM), MusicSettings(duration=20.0), "c" * 64)
    return ProceduralComposer().describe(request)


def test_description_says_what_was_played_and_which_words_were_followed():
    cool = synthetic_mood(valence=0.3, arousal=0.2, palette=COOL)
    assert describe("slow solo cello", cool) == \
        "built-in draft following 'slow', 'solo', 'cello': slow solo cello in a minor key, about 64 bpm"
    tense = describe("tense strings, dissonant, slow build")
    assert tense.startswith("built-in draft following 'tense', 'strings', 'dissonant', 'slow', 'build': ")
    assert "dissonant, building strings with bass in a dark minor key, about 64 bpm" in tense
    assert "brass" not in tense and "piano" not in tense
    own = describe("")
    assert own == describe("a harbour at dusk") == composer.describe(synthetic_mood(palette=WARM))
    assert own.startswith("built-in draft from the mood: ") and "brass melody over strings, piano and bass" in own
    assert "electric piano" in describe("", cool) and "vibraphone melody" in describe("", cool)
    assert describe("upbeat guitar and drums, major").endswith(   # the mood's own major mode (mixolydian) stays
        ": fast guitar with bass and drums in a mellow major key, about 126 bpm")

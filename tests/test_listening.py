"""Words for the music and the rooms (imaudible/listening.py): what a piece sounds like, read from the
same mood numbers the composer plays, and room names from the moods of their works."""
from __future__ import annotations

from imaudible.listening import music_description, room_title
from imaudible.mood import Mood, PaletteColour, mode_name, tempo_bpm


def mood(valence: float, arousal: float, hexes=("#2040a0",), saturation=0.5) -> Mood:
    palette = tuple(PaletteColour(h, "c", 1 / len(hexes)) for h in hexes)
    return Mood(valence, arousal, 0.5, saturation, 0.5, 0.5, 0.5, 0.5, ("calm", "dreamy") if arousal < 0.4 else ("tense", "wild"), palette)


def test_description_follows_tempo_mode_and_feeling():
    calm = music_description(mood(0.3, 0.1))
    assert calm.startswith("slow, calm ") and "in a minor key" in calm
    assert calm.endswith(f"about {tempo_bpm(mood(0.3, 0.1))} bpm")
    wild = music_description(mood(0.8, 0.95))
    assert wild.startswith("driving, tense ") and "major key" in wild and mode_name(mood(0.8, 0.95)) == "lydian"
    # Grey pictures get the muted instruments.
    assert "felt piano" in music_description(mood(0.5, 0.5, hexes=("#808080",), saturation=0.05))


def test_room_titles_name_the_calm_and_the_colour():
    assert room_title([mood(0.5, 0.1), mood(0.5, 0.2)]) == "Calm blues"
    assert room_title([mood(0.5, 0.9, hexes=("#c02020",)), mood(0.5, 0.8, hexes=("#c02020",))]) == "Intense reds"
    assert room_title([mood(0.5, 0.5, hexes=("#808080",), saturation=0.0)]) == "Lively greys"
    assert room_title([]) == ""

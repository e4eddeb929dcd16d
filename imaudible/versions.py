"""The code versions of the work modules whose results are cached (each enters its stage's keys).

Bump one when the same inputs give a different result. They live here, not in their modules, so that
making the keys of a no-op rebuild imports none of those modules' numpy, SciPy or Pillow.
"""
IMAGES = "3"   # images.py: decoding and the analysis copy (stage ingest; its key is upstream of everything)
DERIVATIVES = "6"  # images.py + resample.py: the web derivatives (stage derive; only the site reads them)
MOOD = "2"     # mood.py + structure.py: the mood and the structural fingerprint
MUSIC = "2"    # stages/music.py + backends: generating and storing takes (a model's or the composer's own version is in its identity)
# MUSIC stays 2 with the codec decoding each artwork alone: a clip decoded in a batch before that differs from
# one decoded alone in its last bits only (~6e-7), and a bump would regenerate every cached MusicGen clip.
AUDIO = "4"    # audio.py + loudness.py: finishing and encoding the clip

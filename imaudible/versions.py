"""The code versions of the work modules whose results are cached (each enters its stage's keys).

Bump one when the same inputs give a different result. They live here, not in their modules, so that
making the keys of a no-op rebuild imports none of those modules' numpy, SciPy or Pillow.
"""
IMAGES = "3"   # images.py: decoding and the analysis copy (stage ingest; its key is upstream of everything)
DERIVATIVES = "6"  # images.py + resample.py: the web derivatives (stage derive; only the site reads them)
MOOD = "2"     # mood.py + structure.py: the mood and the structural fingerprint
MUSIC = "3"    # stages/music.py + backends: generating and storing takes (a model's or the composer's own version is in its identity)
# 3: a model's takes are seeded by the seed and the image (compose.model_seed): by the seed alone, two artworks
# given one prompt got the very same clip. (The codec decoding each artwork alone, before it, changed clips in
# their last bits only, ~6e-7, and did not bump it.)
AUDIO = "5"    # audio.py + loudness.py: finishing and encoding the clip
# 5: the true-peak ceiling is measured in the encodes (a codec could pass it after hard limiting), and the
# finished loudness is recorded, so a build says which clips fall short: re-encodes, regenerates no music.

"""The stages of a build, one module each, in the order the data flows:

    ingest -> mood -> caption -> prompt -> music -> audio
          `-> derive (the web derivatives: only the site reads them)

Each module declares one `Stage` (see `imaudible.engine.stage`). `STAGES` is the plan's list: adding a
stage is one module here and one line below.
"""
from __future__ import annotations

from . import audio, caption, derive, ingest, mood, music, prompt

STAGES = (
    ingest.STAGE,
    derive.STAGE,
    mood.STAGE,
    caption.STAGE,
    prompt.STAGE,
    music.STAGE,
    audio.STAGE,
)

"""Stage `mood`: the analysis image -> valence, arousal, palette and mood words (with the curator's
override applied, so the override is part of the key and everything downstream follows it)."""
from __future__ import annotations

import dataclasses

from . import shapes
from ..engine.stage import settings_dict, Result, Stage, per_item
from ..types import Mood


def estimate(item) -> Result:
    import io

    from PIL import Image

    from .. import mood

    analysis, override = item
    with Image.open(io.BytesIO(analysis)) as img:
        estimated = mood.estimate_mood(img.convert("RGB"))
    if override["valence"] is not None or override["arousal"] is not None:
        estimated = estimated.with_override(**override)
    return Result(estimated.to_dict())


class MoodStage(Stage):
    name = "mood"
    check_result = staticmethod(shapes.mood)
    needs = ("ingest",)
    compute = per_item(estimate)
    preload = ("imaudible.mood", "scipy.cluster.vq", "scipy.ndimage")   # what `estimate` imports, lazily too

    @property
    def version(self) -> str:
        from .. import versions

        return versions.MOOD

    def settings(self, gallery, art, model):
        return {"override": settings_dict(art.mood)}

    def inputs(self, gallery, art, upstream, model):
        return upstream["ingest"].analysis_bytes(), dataclasses.asdict(art.mood)

    def reads_transient(self, model):
        return ("ingest",)

    def read(self, entry) -> Mood:
        return Mood.from_dict(entry.meta)


STAGE = MoodStage()

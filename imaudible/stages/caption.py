"""Stage `caption`: the analysis image (and mood) -> a caption, by a captioning model or the built-in
describer; a caption written in the manifest replaces it."""
from __future__ import annotations

from dataclasses import dataclass

from . import shapes
from ..engine.stage import LoadedModel, Result, Stage, StageWarning
from ..types import Mood


@dataclass(frozen=True)
class CaptionView:
    text: str
    model: str        # the model's label, or "curator"
    draft: bool       # written by the built-in describer
    fallback: str = ""  # why a vision-language model's answer was replaced by the describer's


def compute(items: list, model: LoadedModel) -> list[Result]:
    import io

    from PIL import Image

    pictures = []
    for analysis, _ in items:
        if analysis is None:       # for the built-in describer
            pictures.append(None)
            continue
        with Image.open(io.BytesIO(analysis)) as img:
            pictures.append(img.convert("RGB"))
    from ..caption import VERSION, caption_results

    results = caption_results(model.backend, pictures, [Mood.from_dict(m) for _, m in items])
    return [Result({"caption": r.text, "model": r.model or model.label,
                    "revision": model.revision if r.model is None else VERSION,
                    "draft": (not model.is_model) or r.model is not None, "fallback": r.fallback})
            for r in results]


class Caption(Stage):
    name = "caption"
    check_result = staticmethod(shapes.caption)
    needs = ("ingest", "mood")
    needs_with_model = ("ingest",)      # a captioning model reads the picture only
    model = "caption"
    compute = staticmethod(compute)
    preload = ("PIL.Image",)        # the built-in describer's compute imports nothing heavier

    @property
    def version(self) -> str:
        from .. import caption

        return caption.VERSION

    def settings(self, gallery, art, model):
        if model is None or not model.is_model:
            return None
        from ..models import architecture

        s = gallery.caption
        if architecture(model) in ("blip", ""):
            return {"num_beams": s.num_beams, "max_new_tokens": s.max_new_tokens}
        return {"num_beams": s.num_beams, "max_new_tokens": s.max_new_tokens, "instruction": s.instruction,
                "max_words": s.max_words}


    def given(self, art):
        return art.caption

    def read_given(self, value) -> CaptionView:
        return CaptionView(value, "curator", False)

    def reads_transient(self, model):
        # the built-in describer reads the mood only: no picture is read, checked and sent for it
        return ("ingest",) if model is not None and model.is_model else ()

    def inputs(self, gallery, art, upstream, model):
        picture = upstream["ingest"].analysis_bytes() if self.reads_transient(model) else None
        return picture, upstream["mood"].to_dict()

    def read(self, entry) -> CaptionView:
        meta = entry.meta
        return CaptionView(meta["caption"], meta["model"], bool(meta["draft"]), meta.get("fallback", ""))

    def details(self, view) -> dict | None:
        return {"fallback": view.fallback} if view.fallback else None

    def warnings(self, gallery, art, view: CaptionView) -> list[StageWarning]:
        """A model's answer that failed the checks: the site shows the describer's draft in its place."""
        if not view.fallback:
            return []
        return [StageWarning(f"{art.file}: the caption model's answer was not used ({view.fallback}); the built-in "
                             "describer's caption stands in (a draft)", "captions fell back to the built-in describer")]

    def batch_size(self, gallery, model) -> int:
        return gallery.caption.batch_size


STAGE = Caption()

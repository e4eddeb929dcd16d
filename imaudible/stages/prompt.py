"""Stage `prompt`: caption, mood, the gallery's style and prompt settings -> the music prompt, written by the
template (`prompt.model: builtin`) or by an instruct language model (model kind "prompt"); a prompt written
in the manifest replaces it. A writer model's refused answer falls back to the template, reason recorded."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import shapes
from ..engine.stage import settings_dict, LoadedModel, Result, Stage
from ..types import Mood

TEMPLATE = "builtin:template"
# Prompt settings that change no prompt (how it is computed, not what): out of the key.
RUNTIME_SETTINGS = ("batch_size", "device", "model", "revision")


@dataclass(frozen=True)
class PromptView:
    text: str
    given: bool = False
    model: str = TEMPLATE     # who wrote it: a writer model's label, the template, or "curator"
    fallback: str = ""        # why a writer model's answer was replaced by the template


def compute(items: list, model: LoadedModel) -> list[Result]:
    from ..prompt import PromptRequest
    from ..settings import PromptSettings

    requests = [PromptRequest(caption, Mood.from_dict(mood), style, *metadata)
                for caption, mood, style, metadata, _ in items]
    written = model.backend.write(requests, PromptSettings(**items[0][4]))
    return [Result({"prompt": w.text, "writer": model.label if w.writer == model.backend.name else w.writer,
                    "revision": model.revision, "fallback": w.fallback}) for w in written]


class PromptStage(Stage):
    name = "prompt"
    check_result = staticmethod(shapes.prompt)
    needs = ("caption", "mood")
    model = "prompt"
    compute = staticmethod(compute)

    @property
    def version(self) -> str:
        from .. import prompt

        return prompt.VERSION

    def settings(self, gallery, art, model):
        prompt = {k: v for k, v in settings_dict(gallery.prompt).items() if k not in RUNTIME_SETTINGS}
        if prompt.get("remove_stopwords"):           # only then does the word list change a prompt
            from ..prompt import STOP_WORDS_VERSION

            prompt["stop_words"] = STOP_WORDS_VERSION
        if model is None or not model.is_model:      # the template reads neither instruction nor metadata
            prompt = {k: v for k, v in prompt.items() if k in ("remove_stopwords", "stop_words", "include_mood")}
            return {"style": gallery.style, "prompt": prompt}
        return {"style": gallery.style, "prompt": prompt, "artwork": [art.title, art.artist, art.year]}

    def given(self, art):
        return art.prompt if art.prompt is not None and art.prompt.strip() else None

    def read_given(self, value) -> PromptView:
        from ..prompt import music_prompt
        from ..settings import PromptSettings

        text = music_prompt(caption="", mood=None, style="", settings=PromptSettings(), override=value)
        return PromptView(text, given=True, model="curator")

    def inputs(self, gallery, art, upstream, model):
        metadata = (art.title, art.artist, art.year)
        return (upstream["caption"].text, upstream["mood"].to_dict(), gallery.style, metadata,
                dataclasses.asdict(gallery.prompt))

    def read(self, entry) -> PromptView:
        meta = entry.meta
        return PromptView(meta["prompt"], model=meta.get("writer", TEMPLATE), fallback=meta.get("fallback", ""))

    def details(self, view) -> dict | None:
        return {"writer": view.model, **({"fallback": view.fallback} if view.fallback else {})}

    def batch_size(self, gallery, model) -> int:
        return gallery.prompt.batch_size


STAGE = PromptStage()

"""Stage `prompt`: caption, mood, the gallery's style and prompt settings -> the music prompt; a prompt
written in the manifest replaces it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import shapes
from ..engine.stage import Result, Stage, per_item
from ..types import Mood


@dataclass(frozen=True)
class PromptView:
    text: str
    given: bool = False


def write_prompt(item) -> Result:
    from ..prompt import compose_prompt
    from ..settings import PromptSettings

    caption, mood, style, settings = item
    return Result({"prompt": compose_prompt(caption=caption, mood=Mood.from_dict(mood), style=style,
                                            settings=PromptSettings(**settings), override=None)})


class PromptStage(Stage):
    name = "prompt"
    check_result = staticmethod(shapes.prompt)
    needs = ("caption", "mood")
    compute = per_item(write_prompt)

    @property
    def version(self) -> str:
        from .. import prompt

        return prompt.VERSION

    def settings(self, gallery, art, model):
        return {"style": gallery.style, "prompt": dataclasses.asdict(gallery.prompt)}

    def given(self, art):
        return art.prompt if art.prompt is not None and art.prompt.strip() else None

    def read_given(self, value) -> PromptView:
        from ..prompt import compose_prompt
        from ..settings import PromptSettings

        text = compose_prompt(caption="", mood=None, style="", settings=PromptSettings(), override=value)
        return PromptView(text, given=True)

    def inputs(self, gallery, art, upstream):
        return (upstream["caption"].text, upstream["mood"].to_dict(), gallery.style,
                dataclasses.asdict(gallery.prompt))

    def read(self, entry) -> PromptView:
        return PromptView(entry.meta["prompt"])


STAGE = PromptStage()

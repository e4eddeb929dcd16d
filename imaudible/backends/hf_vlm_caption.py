"""Emotion-aware captions from any image-text-to-text model transformers supports natively
(`AutoModelForImageTextToText` + `AutoProcessor`: SmolVLM/Idefics3, Qwen2-VL, LLaVA, PaliGemma, ...).

The model is asked `caption.instruction` (by default, in the spirit of ArtEmis: what the artwork shows, the
emotion it evokes and why), through its chat template when it has one. Each answer is checked
(`textcheck.check_caption`): one sentence within `caption.max_words`, no refusal, real words. An answer that
fails falls back to the built-in describer's text, and the reason is kept with the caption.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..caption import CaptionError, CaptionResult, described_instead
from ..textcheck import check_caption
from . import ModelBackend, chat

if TYPE_CHECKING:
    from PIL import Image

    from ..models import ResolvedModel
    from ..mood import Mood
    from ..settings import CaptionSettings

MIN_NEW_TOKENS = 60        # an emotional sentence is longer than BLIP's plain caption


class VlmCaptioner(ModelBackend):
    def __init__(self, resolved: "ResolvedModel", settings: "CaptionSettings"):
        super().__init__(resolved, settings)
        self._processor = None

    def caption(self, images: Sequence["Image.Image"], moods: Sequence["Mood"]) -> list[str]:
        return [r.text for r in self.caption_results(images, moods)]

    def caption_results(self, images: Sequence["Image.Image"], moods: Sequence["Mood"]) -> list[CaptionResult]:
        if len(images) != len(moods):
            raise CaptionError(f"caption: got {len(images)} images but {len(moods)} moods")
        if not images:
            return []
        if self._model is None:
            self._model, self._processor = chat.load(self.resolved, self.device, "AutoModelForImageTextToText",
                                                     "AutoProcessor")
        messages = [{"role": "user", "content": [{"type": "image"},
                                                 {"type": "text", "text": self.settings.instruction}]}]
        text = chat.chat_text(self._processor, messages, fallback=self.settings.instruction)
        size = max(1, self.settings.batch_size)
        results: list[CaptionResult] = []
        for start in range(0, len(images), size):
            batch = [img.convert("RGB") for img in images[start:start + size]]
            answers = chat.generate(self._model, self._processor, [text] * len(batch), images=batch,
                                    max_new_tokens=max(self.settings.max_new_tokens, MIN_NEW_TOKENS),
                                    num_beams=self.settings.num_beams)
            for answer, mood in zip(answers, moods[start:start + size]):
                cleaned, reason = check_caption(answer, self.settings.max_words)
                results.append(CaptionResult(cleaned) if cleaned else described_instead(mood, reason))
        return results

    def close(self) -> None:
        """Release the model (and its GPU memory)."""
        self._model = self._processor = None
        chat.release(self.device)

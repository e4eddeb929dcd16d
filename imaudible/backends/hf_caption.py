"""Image captions with BLIP (or any compatible image-to-text checkpoint) through transformers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..caption import CaptionError, CaptionResult, clean_caption, described_instead
from ..textcheck import unusable
from ..models import ModelError
from ..types import first_line
from . import ModelBackend, load_pretrained, quiet_transformers, require_torch

if TYPE_CHECKING:
    from PIL import Image

    from ..models import ResolvedModel
    from ..mood import Mood
    from ..settings import CaptionSettings


EMPTY_CAPTION = "the model's caption was empty"


class BlipCaptioner(ModelBackend):
    """Captions images in batches with beam search. The model is loaded on first use, once, and kept until
    `close()`. Moods are not used: the prompt stage fuses them with the caption."""

    def __init__(self, resolved: "ResolvedModel", settings: "CaptionSettings"):
        super().__init__(resolved, settings)
        self._processor = None

    def _load(self) -> None:
        if self._model is not None:
            return
        require_torch()
        quiet_transformers()
        from transformers import AutoProcessor, BlipForConditionalGeneration

        path = str(self.resolved.path)
        try:
            self._processor = AutoProcessor.from_pretrained(path, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load captioning model '{self.name}' from {path}: {first_line(exc)}") from None
        model = load_pretrained(self.resolved, BlipForConditionalGeneration, self.device, what="captioning model")
        self._model = model.to(self.device).eval()

    def caption(self, images: Sequence["Image.Image"], moods: Sequence["Mood"]) -> list[str]:
        if len(images) != len(moods):
            raise CaptionError(f"caption: got {len(images)} images but {len(moods)} moods")
        if not images:
            return []
        self._load()
        torch = require_torch()
        size = max(1, self.settings.batch_size)
        captions: list[str] = []
        for start in range(0, len(images), size):
            batch = [img.convert("RGB") for img in images[start:start + size]]
            inputs = self._processor(images=batch, return_tensors="pt").to(self.device)
            pixels = inputs["pixel_values"].to(self._model.dtype)
            with torch.inference_mode():
                ids = self._model.generate(pixel_values=pixels, num_beams=self.settings.num_beams,
                                           max_new_tokens=self.settings.max_new_tokens, do_sample=False)
            texts = self._processor.batch_decode(ids, skip_special_tokens=True)
            captions += [clean_caption(t) for t in texts]
        return captions

    def caption_results(self, images: Sequence["Image.Image"], moods: Sequence["Mood"]) -> list[CaptionResult]:
        """`caption`, where a caption that is empty once cleaned (special tokens only, or artefact words) is
        the describer's draft, with the reason: an empty caption went into the site as the model's own."""
        results = []
        for text, mood in zip(self.caption(images, moods), moods):
            reason = unusable(text) if text else EMPTY_CAPTION
            results.append(described_instead(mood, reason) if reason else CaptionResult(text))
        return results

    def close(self) -> None:
        """Release the model (and its GPU memory)."""
        self._model = self._processor = None
        if self.device.startswith("cuda"):
            require_torch().cuda.empty_cache()

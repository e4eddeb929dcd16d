"""Music prompts written by an instruct language model (`AutoModelForCausalLM` with its chat template:
SmolLM2-Instruct, Qwen2.5-Instruct, Llama-3.2-Instruct, ...).

The system turn is `prompt.instruction`; the user turn is `prompt.writer_message` (caption, mood, palette,
style, optional title/artist/year). Answers are decoded greedily in left-padded batches (the same tokens as
one by one) and checked by `textcheck.check_prompt`; a failing answer is replaced by the template prompt,
with the reason recorded.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..prompt import PromptRequest, WrittenPrompt, template_prompt, with_style, writer_message
from ..textcheck import asks_for_vocals, check_prompt
from . import ModelBackend, chat

if TYPE_CHECKING:
    from ..models import ResolvedModel
    from ..settings import PromptSettings


class LlmPromptWriter(ModelBackend):
    def __init__(self, resolved: "ResolvedModel", settings: "PromptSettings"):
        super().__init__(resolved, settings)
        self._tokenizer = None

    def chat_prompt(self, request: PromptRequest) -> str:
        system, user = self.settings.instruction, writer_message(request, self.settings)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            return chat.chat_text(self._tokenizer, messages, fallback=f"{system}\n\n{user}\n\nPrompt:")
        except Exception:  # noqa: BLE001 - some templates (Gemma's) refuse a system turn: fold it into the user's
            merged = [{"role": "user", "content": f"{system}\n\n{user}"}]
            return chat.chat_text(self._tokenizer, merged, fallback=f"{system}\n\n{user}\n\nPrompt:")

    def write(self, requests: Sequence[PromptRequest], settings: "PromptSettings | None" = None) -> list[WrittenPrompt]:
        """Prompts for `requests`; `settings` (the build's, the same as those loaded with) may be passed again."""
        if settings is not None:
            self.settings = settings
        if not requests:
            return []
        if self._model is None:
            self._model, self._tokenizer = chat.load(self.resolved, self.device, "AutoModelForCausalLM",
                                                     "AutoTokenizer")
        templated = bool(getattr(self._tokenizer, "chat_template", None))
        size = max(1, self.settings.batch_size)
        written: list[WrittenPrompt] = []
        for start in range(0, len(requests), size):
            batch = list(requests[start:start + size])
            answers = chat.generate(self._model, self._tokenizer, [self.chat_prompt(r) for r in batch],
                                    max_new_tokens=self.settings.max_new_tokens, seed=self.settings.seed,
                                    templated=templated)
            written += [self.checked(answer, request) for answer, request in zip(answers, batch)]
        return written

    def checked(self, answer: str, request: PromptRequest) -> WrittenPrompt:
        vocals = asks_for_vocals(request.style)      # only the curator's style can ask for vocals
        names = (request.artist,) if request.artist.strip() else ()
        text, reason = check_prompt(answer, self.settings.max_words, vocals_asked=vocals, names=names,
                                    asked=writer_message(request, self.settings), caption=request.caption)
        if text is not None:
            styled = with_style(text, request.style)
            if len(styled.split()) <= self.settings.max_words:
                return WrittenPrompt(styled, self.name)
            reason = f"overlong with the gallery style ({len(styled.split())} words > {self.settings.max_words})"
        return WrittenPrompt(template_prompt(request, self.settings), "builtin:template", fallback=reason)

    def close(self) -> None:
        """Release the model (and its GPU memory)."""
        self._model = self._tokenizer = None
        chat.release(self.device)

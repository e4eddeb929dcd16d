"""What the chat-model backends share: loading with the project's rules, chat prompts, batched generation.

Generation is greedy (or beam search), so it is deterministic; the seed is set anyway for models whose
generation config samples. Prompts are padded on the left, so a batch gives the same tokens as one-by-one.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..models import ModelError
from ..types import first_line
from . import load_pretrained, quiet_transformers, require_torch


def load(resolved, device: str, model_class: str, processor_class: str):
    """(model, processor or tokenizer) from a resolved local directory: safetensors only, no remote code."""
    require_torch()
    quiet_transformers()
    import transformers

    path = str(resolved.path)
    try:
        processor = getattr(transformers, processor_class).from_pretrained(
            path, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelError(f"cannot load '{resolved.model_id}' from {path} as {model_class}: {first_line(exc)}") from None
    model = load_pretrained(resolved, getattr(transformers, model_class), device, what="model")
    tokenizer = getattr(processor, "tokenizer", processor)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device).eval(), processor


def chat_text(processor, messages: list[dict], fallback: str) -> str:
    """The model's chat template applied (with the assistant's turn opened), or `fallback` without one."""
    template_owner = processor if getattr(processor, "chat_template", None) else getattr(processor, "tokenizer", None)
    if template_owner is None or not getattr(template_owner, "chat_template", None):
        return fallback
    return template_owner.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def generate(model, processor, texts: Sequence[str], *, images: Sequence[Any] | None = None, max_new_tokens: int,
             num_beams: int = 1, seed: int = 0, templated: bool = True) -> list[str]:
    """Decoded new text for each prompt in `texts` (with one image each when `images` is given). A text
    made by a chat template already holds its special tokens, so the tokenizer adds none."""
    torch = require_torch()
    kwargs = {"text": list(texts), "return_tensors": "pt", "padding": True}
    if images is not None:
        kwargs["images"] = [[image] for image in images]
    elif templated:
        kwargs["add_special_tokens"] = False
    inputs = processor(**kwargs).to(model.device)
    if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
        inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    tokenizer = getattr(processor, "tokenizer", processor)
    torch.manual_seed(seed)
    with torch.inference_mode():
        ids = model.generate(**inputs, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    new = ids[:, inputs["input_ids"].shape[1]:]
    return tokenizer.batch_decode(new, skip_special_tokens=True)


def release(device: str) -> None:
    if device.startswith("cuda"):
        require_torch().cuda.empty_cache()

"""The one registry of model backends: which class runs a resolved model of each kind.

`models.py` decides *which* weights a build uses and through which library (`ResolvedModel.backend`);
this table maps (kind, backend) to the class that runs them. Backend modules import torch at import time,
so each entry imports its module only when called. Adding a backend is one function and one table row.
"""
from __future__ import annotations

from typing import Any, Callable


def _describer(resolved, settings, **options):
    from ..caption import BuiltinDescriber

    return BuiltinDescriber()


def _hf_captioner(resolved, settings, **options):
    """BLIP for a BLIP checkpoint; any other image-text-to-text model answers `caption.instruction`."""
    from ..models import architecture

    if architecture(resolved) in ("blip", ""):
        from .hf_caption import BlipCaptioner

        return BlipCaptioner(resolved, settings)
    from .hf_vlm_caption import VlmCaptioner

    return VlmCaptioner(resolved, settings)


def _template_writer(resolved, settings, **options):
    from ..prompt import TemplateWriter

    return TemplateWriter()


def _llm_writer(resolved, settings, **options):
    from .hf_prompt_writer import LlmPromptWriter

    return LlmPromptWriter(resolved, settings)


def _procedural(resolved, settings, **options):
    from ..compose import ProceduralComposer

    return ProceduralComposer()


def _musicgen(resolved, settings, **options):
    from .hf_musicgen import MusicgenComposer

    return MusicgenComposer(resolved, settings, **options)


def _audiocraft(resolved, settings, **options):
    from .audiocraft_musicgen import AudiocraftComposer

    return AudiocraftComposer(resolved, settings, **options)


BACKENDS: dict[tuple[str, str], Callable[..., Any]] = {
    ("caption", "builtin"): _describer,
    ("caption", "transformers"): _hf_captioner,
    ("prompt", "builtin"): _template_writer,
    ("prompt", "transformers"): _llm_writer,
    ("music", "builtin"): _procedural,
    ("music", "transformers"): _musicgen,
    ("music", "audiocraft"): _audiocraft,
}


def load_backend(kind: str, resolved, settings, **options):
    """The object that runs `resolved` (a captioner for kind "caption", a prompt writer for "prompt", a
    composer for "music")."""
    factory = BACKENDS.get((kind, resolved.backend))
    if factory is None:
        from ..types import ComposeError

        known = ", ".join(sorted(b for k, b in BACKENDS if k == kind))
        raise ComposeError(f"unknown {kind} backend {resolved.backend!r} (expected {known})")
    return factory(resolved, settings, **options)

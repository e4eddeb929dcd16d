"""Model backends behind the `Captioner` and `Composer` interfaces.

Each backend module imports torch and its model library at import time, so nothing here is imported
unless a build actually needs a model (the base install has no torch). This package module itself stays
light: it only chooses devices and reports missing libraries.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..models import ModelError
from ..types import first_line


def require_torch():
    """Import torch, or fail with the install hint."""
    try:
        import torch
    except ImportError:
        from ..extras import install_command

        raise ModelError(f"model backends need PyTorch and transformers: {install_command('models')} "
                         "(or set caption.model / music.model to 'builtin')") from None
    return torch


def choose_device(name: str) -> str:
    """'auto' picks CUDA, then Apple MPS, then the CPU; a named device must exist."""
    torch = require_torch()
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelError(f"device '{name}' was requested but PyTorch sees no CUDA GPU (use device: auto or cpu)")
        index = int(name.split(":", 1)[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ModelError(f"device '{name}' does not exist: {torch.cuda.device_count()} CUDA device(s) found")
        return name
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ModelError("device 'mps' was requested but Apple's MPS backend is not available here")
        return name
    if name == "cpu":
        return name
    raise ModelError(f"unknown device '{name}' (use auto, cpu, cuda, cuda:N or mps)")


class ModelBackend:
    """Where every transformers backend starts: a resolved model whose weights are present (else a one-line
    error), its settings, the name and revision the site shows, and the device. Subclasses load the model
    itself on first use."""
    is_model = True

    def __init__(self, resolved, settings):
        if not resolved.available or resolved.path is None:
            raise ModelError(resolved.missing_message())
        self.resolved, self.settings = resolved, settings
        self.name, self.revision = resolved.model_id, resolved.revision
        self.device = choose_device(settings.device)
        self._model = None


def half_precision(device: str) -> bool:
    """fp16 on CUDA only: MPS fp16 generation is unreliable and CPUs are slower in fp16."""
    return device.startswith("cuda")


def load_options(resolved, device: str, *, half: bool | None = None) -> dict:
    """Keyword arguments for every `from_pretrained` call: local files, safetensors, no remote code; fp16
    where `half` (default: `half_precision(device)`)."""
    torch = require_torch()
    options = {"local_files_only": True, "use_safetensors": True, "trust_remote_code": False}
    if half_precision(device) if half is None else half:
        import transformers
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        options["dtype" if (major, minor) >= (4, 56) else "torch_dtype"] = torch.float16
    return options


def quiet_transformers() -> None:
    """Silence transformers' progress bars and config chatter (e.g. MusicGen's pad id outside the vocab)."""
    try:
        from transformers.utils import logging
    except ImportError:  # pragma: no cover
        return
    logging.set_verbosity_error()
    logging.disable_progress_bar()


# How much more memory than its weights files a model may need once built (fp16/bf16 weights load as fp32 where
# the checkpoint does not say otherwise; buffers), plus a fixed allowance.
MEMORY_PER_WEIGHT_BYTE = 4
MEMORY_ALLOWANCE = 1 << 30


def model_bytes(model_class, config) -> int:
    """Bytes of parameters and buffers a model of `config` would hold, measured on PyTorch's meta device
    (nothing is allocated)."""
    torch = require_torch()
    with torch.device("meta"):
        build = getattr(model_class, "from_config", None) or model_class._from_config
        model = build(config)
    tensors = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return sum(t.numel() * t.element_size() for t in tensors.values())


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):   # not on this system
        return None


def load_pretrained(resolved, model_class, device: str, *, what: str, half: bool | None = None, config=None):
    """`model_class.from_pretrained` on a resolved local directory with the project's rules (`load_options`),
    after checking on the meta device that the model its config.json describes fits: a config that asks for
    absurd sizes (a hostile or broken folder) is refused with a one-line ModelError instead of allocating tens
    of gigabytes. Any loading failure is a one-line ModelError too."""
    path = Path(resolved.path)
    try:
        if config is None:
            from transformers import AutoConfig

            config = AutoConfig.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
        need = model_bytes(model_class, config)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError, MemoryError) as exc:
        raise ModelError(f"cannot build {what} '{resolved.model_id}' from {path}/config.json: {first_line(exc)}") from None
    try:
        weights = sum(f.stat().st_size for f in path.glob("*.safetensors"))
    except OSError as exc:   # a weights file removed (or a snapshot's blob) since the model was resolved
        raise ModelError(f"cannot load {what} '{resolved.model_id}' from {path}: {first_line(exc)}") from None
    memory = physical_memory()
    if need > MEMORY_PER_WEIGHT_BYTE * weights + MEMORY_ALLOWANCE or (memory and need > memory):
        raise ModelError(f"{what} '{resolved.model_id}': {path}/config.json describes a model of {need / 2**30:.1f} GiB, "
                         f"but its weights files hold {weights / 2**30:.2f} GiB"
                         + (f" and this machine has {memory / 2**30:.0f} GiB of memory" if memory else "")
                         + "; refusing to load it (is config.json from another model?)")
    from safetensors import SafetensorError

    try:
        return model_class.from_pretrained(str(path), **load_options(resolved, device, half=half))
    except (OSError, ValueError, KeyError, RuntimeError, MemoryError, SafetensorError) as exc:
        raise ModelError(f"cannot load {what} '{resolved.model_id}' from {path}: {first_line(exc)}") from None

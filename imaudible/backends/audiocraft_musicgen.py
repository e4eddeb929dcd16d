"""Music with MusicGen through Meta's audiocraft (used when audiocraft is importable and the model directory
holds audiocraft's `state_dict.bin` + `compression_state_dict.bin`).

audiocraft generates past its 30 s window itself, continuing from the tokens of the previous window (no
audio crossfade is needed). Its sampler draws from torch's global random stream; `_per_row_sampling` swaps
audiocraft's `multinomial` helper for one that draws each row from its own seeded generator while a batch
is generated, and `_decode_row_by_row` decodes each artwork's tokens alone, so, as with the transformers
backend, an artwork's stored clip does not depend on its batch-mates, to the byte.
"""
from __future__ import annotations

import contextlib
import gc
import math
from typing import TYPE_CHECKING

import numpy as np

from ..types import Clip
from ..models import ModelError
from . import choose_device, require_torch
from ..compose import model_seed
from .takes import RankedTakes, TakeChoice, every_take, keep_best, take_rows

if TYPE_CHECKING:
    from ..types import MusicRequest
    from ..models import ResolvedModel
    from ..settings import MusicSettings

EXTEND_STRIDE_S = 18.0   # audiocraft's default: each window past 30 s keeps 12 s of the previous one as prompt


class AudiocraftComposer(RankedTakes):
    is_model = True

    def __init__(self, resolved: "ResolvedModel", settings: "MusicSettings", *, clap: "ResolvedModel | None" = None):
        if not resolved.available or resolved.path is None:
            raise ModelError(resolved.missing_message())
        try:
            import audiocraft.models  # noqa: F401
        except ImportError as exc:
            raise ModelError(f"the audiocraft backend cannot be used: {str(exc).strip().splitlines()[0]} (install "
                             f"audiocraft, or set music.backend: transformers)") from None
        self.resolved, self.settings = resolved, settings
        self.name, self.revision = resolved.model_id, resolved.revision
        self.device = choose_device(settings.device)
        self._clap_resolved = clap
        self._model = self._ranker = None
        self.choices: list[TakeChoice] = []
        self.takes: list[list[Clip]] = []      # every take of each request of the last batch

    def _load(self) -> None:
        if self._model is None:
            from audiocraft.models import MusicGen

            try:
                self._model = MusicGen.get_pretrained(str(self.resolved.path), device=self.device)
            except (OSError, RuntimeError, KeyError) as exc:
                raise ModelError(f"cannot load audiocraft model from {self.resolved.path}: "
                                 f"{str(exc).strip().splitlines()[0]}") from None
            self.sample_rate = int(self._model.sample_rate)
            self.frame_rate = float(self._model.frame_rate)

    def generate(self, requests: list["MusicRequest"]) -> list[Clip]:
        if not requests:
            return []
        self._load()
        rows = take_rows(requests)
        groups: dict[tuple, list] = {}
        for r, t in rows:  # one audiocraft call takes one set of generation parameters
            s = requests[r].settings
            groups.setdefault((float(s.duration), s.guidance_scale, s.top_k, s.temperature), []).append((r, t))
        size = max(1, self.settings.batch_size)
        audio: dict[tuple[int, int], np.ndarray] = {}
        for params, group in groups.items():
            for start in range(0, len(group), size):
                chunk = group[start:start + size]
                for row, samples in zip(chunk, self._generate_rows(requests, chunk, *params)):
                    audio[row] = samples
        ranker = self._get_ranker() if len(rows) > len(requests) else None
        kept, self.choices = keep_best(requests, audio, self.sample_rate, ranker)
        self.takes = [[Clip(samples=t, sample_rate=self.sample_rate) for t in takes] for takes in every_take(requests, audio)]
        return [Clip(samples=samples, sample_rate=self.sample_rate) for samples in kept]

    def _generate_rows(self, requests, rows, duration, guidance, top_k, temperature) -> list[np.ndarray]:
        torch = require_torch()
        card = int(self._model.lm.card)
        frames = math.ceil(duration * self.frame_rate) + 1
        self._model.set_generation_params(use_sampling=True, top_k=min(int(top_k), card), top_p=0.0,
                                          temperature=float(temperature), duration=frames / self.frame_rate,
                                          cfg_coef=float(guidance),
                                          extend_stride=min(EXTEND_STRIDE_S, 0.6 * self._model.max_duration))
        generators = [torch.Generator(device=self.device).manual_seed(model_seed(requests[r], t)) for r, t in rows]
        with _per_row_sampling(generators), _decode_row_by_row(self._model.compression_model):
            wav = self._model.generate([requests[r].prompt for r, _ in rows], progress=False)
        total = int(round(duration * self.sample_rate))
        return [a[:, :total] for a in wav.float().cpu().numpy()]

    def close(self) -> None:
        if self._ranker:
            self._ranker.close()
        self._model = self._ranker = None
        gc.collect()
        if self.device.startswith("cuda"):
            require_torch().cuda.empty_cache()


@contextlib.contextmanager
def _decode_row_by_row(codec):
    """Decode each artwork's tokens alone: a batched decode rounds differently (~1e-6), which would make an
    artwork's stored clip depend on its batch-mates, as in the transformers backend (`hf_musicgen`)."""
    import torch

    decode = codec.decode

    def by_row(codes, scale=None):
        return torch.cat([decode(codes[i:i + 1], None if scale is None else scale[i:i + 1])
                          for i in range(codes.shape[0])])

    codec.decode = by_row
    try:
        yield
    finally:
        del codec.decode


@contextlib.contextmanager
def _per_row_sampling(generators):
    """Make audiocraft's `utils.multinomial` (used by its top-k and plain sampling) draw row b of a batch from
    `generators[b]`."""
    import torch
    from audiocraft.utils import utils

    original = utils.multinomial

    def multinomial(probs, num_samples, replacement=False, *, generator=None):
        if probs.shape[0] != len(generators):
            return original(probs, num_samples, replacement, generator=generator)
        rows = []
        for b, gen in enumerate(generators):
            flat = probs[b].reshape(-1, probs.shape[-1])
            drawn = torch.multinomial(flat, num_samples=num_samples, replacement=replacement, generator=gen)
            rows.append(drawn.reshape(*probs.shape[1:-1], num_samples))
        return torch.stack(rows)

    utils.multinomial = multinomial
    try:
        yield
    finally:
        utils.multinomial = original

"""Music with MusicGen through transformers: batched, seeded per artwork, windowed past 30 s, best of N takes.

Reproducible seeds in a batch: transformers samples a whole batch from one global random stream, so an
artwork's music would depend on its batch-mates. Here generation runs in greedy mode and `SeededSampler`
(a logits processor) does the sampling itself: classifier-free guidance, temperature, top-k, then one
`torch.multinomial` draw per artwork from that artwork's own `torch.Generator`, seeded with its seed mixed
with its image's hash (`compose.model_seed`, so artworks sharing a prompt do not share a clip) and take number. The chosen token is left as the only finite score, so greedy decoding picks it. An artwork's
random draws are therefore the same in any batch, and so are its tokens; the codec then decodes each artwork
alone (a batched decode rounds differently, ~1e-6), so its stored clip is byte for byte the same in any batch.
"""
from __future__ import annotations

import contextlib
import copy
import gc
import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers import LogitsProcessor, LogitsProcessorList

from ..types import Clip, first_line
from ..models import ModelError
from . import choose_device, load_pretrained, quiet_transformers
from .crossfade import crossfade_join
from ..compose import model_seed
from .takes import RankedTakes, TakeChoice, every_take, keep_best, take_rows

if TYPE_CHECKING:
    from ..types import MusicRequest
    from ..models import ResolvedModel
    from ..settings import MusicSettings

WINDOW_S = 30.0     # MusicGen was trained on 30 s excerpts
PROMPT_S = 10.0     # audio carried over as the prompt of the next window
CROSSFADE_S = 2.0   # the last part of that prompt, where old and new audio are crossfaded
MELODY_TEXT_TOKENS = 128
RESERVED = -1e4     # score of every token but the sampled one (finite: guidance arithmetic stays NaN-free)


class SeededSampler(LogitsProcessor):
    """Per-row sampling with per-artwork generators (see the module docstring).

    Rows of `scores` are (artwork, codebook) pairs, artwork-major, plus the same again for the unconditional
    half when classifier-free guidance doubled the batch. Guidance, temperature and top-k may differ per
    artwork. The result is the same in both halves, so transformers' own guidance step leaves it unchanged.
    """

    def __init__(self, generators, num_codebooks: int, guidance, temperature, top_k):
        self.generators, self.k = generators, num_codebooks
        self.guidance, self.temperature, self.top_k = list(guidance), list(temperature), list(top_k)
        self._per_row: dict = {}

    def _column(self, name: str, values, device):
        """`values` (one per artwork) repeated per codebook, as a (rows, 1) tensor, built once per device."""
        key = (name, str(device))
        if key not in self._per_row:
            column = torch.tensor(values, dtype=torch.float32, device=device)
            self._per_row[key] = column.repeat_interleave(self.k)[:, None]
        return self._per_row[key]

    def __call__(self, input_ids, scores):
        rows = len(self.generators) * self.k
        doubled = scores.shape[0] == 2 * rows
        if scores.shape[0] not in (rows, 2 * rows):
            raise RuntimeError(f"SeededSampler: {scores.shape[0]} score rows for {rows} sequences")
        logits = scores[:rows].float()
        if doubled:
            g = self._column("guidance", self.guidance, scores.device)
            uncond = scores[rows:].float()
            logits = torch.where(g > 1, uncond + (logits - uncond) * g, logits)
        logits = logits / self._column("temperature", self.temperature, scores.device)
        vocab = logits.shape[-1]
        ks = [min(k, vocab) if k > 0 else vocab for k in self.top_k]
        if min(ks) < vocab:
            top = torch.topk(logits, max(ks), dim=-1).values
            kth = top.gather(1, self._column("top_k", ks, scores.device).long() - 1)
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        chosen = torch.cat([torch.multinomial(probs[i * self.k:(i + 1) * self.k], 1, generator=gen)
                            for i, gen in enumerate(self.generators)])
        out = torch.full_like(scores[:rows], RESERVED)
        out.scatter_(1, chosen, 0.0)
        return torch.cat([out, out]) if doubled else out


class MusicgenComposer(RankedTakes):
    """The Composer for MusicGen checkpoints (small/medium/large/stereo, or a local directory)."""
    is_model = True

    def __init__(self, resolved: "ResolvedModel", settings: "MusicSettings", *,
                 clap: "ResolvedModel | None" = None, window_s: float = WINDOW_S, prompt_s: float = PROMPT_S,
                 crossfade_s: float = CROSSFADE_S, half: bool | None = None):
        if not resolved.available or resolved.path is None:
            raise ModelError(resolved.missing_message())
        if not 0 < crossfade_s <= prompt_s < window_s:
            raise ModelError("music windows need 0 < crossfade <= prompt < window")
        self.resolved, self.settings = resolved, settings
        self.name, self.revision = resolved.model_id, resolved.revision
        self.device = choose_device(settings.device)
        self.window_s, self.prompt_s, self.crossfade_s = window_s, prompt_s, crossfade_s
        self._clap_resolved, self.half = clap, half   # half: None = fp16 on CUDA only
        self._model = self._tokenizer = self._ranker = None
        self.choices: list[TakeChoice] = []   # one per request of the last batches, for reports
        self.takes: list[list[Clip]] = []      # every take of each request of the last batch

    # ---- loading ----------------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        quiet_transformers()
        from transformers import AutoConfig, AutoTokenizer

        path = str(self.resolved.path)
        try:
            config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
            model_class = _model_class(config.model_type)
            # Only the tokenizer: prompts are text, and the melody model's feature extractor needs torchaudio.
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load music model '{self.name}' from {path}: {first_line(exc)}") from None
        model = load_pretrained(self.resolved, model_class, self.device, what="music model", half=self.half, config=config)
        self._model = model.to(self.device).eval()
        self.sample_rate = int(self._model.config.audio_encoder.sampling_rate)
        self.frame_rate = float(self._model.config.audio_encoder.frame_rate)
        self.num_codebooks = int(self._model.decoder.config.num_codebooks)

    # ---- generation -------------------------------------------------------------------------------------
    def generate(self, requests: list["MusicRequest"]) -> list[Clip]:
        """One clip per request; each request's takes are generated and the best one is kept."""
        if not requests:
            return []
        self._load()
        rows = take_rows(requests)
        audio: dict[tuple[int, int], np.ndarray] = {}
        by_duration: dict[float, list] = {}
        for row in rows:
            by_duration.setdefault(float(requests[row[0]].settings.duration), []).append(row)
        size = max(1, self.settings.batch_size)
        for duration, group in by_duration.items():
            for start in range(0, len(group), size):
                chunk = group[start:start + size]
                for row, samples in zip(chunk, self._generate_rows(requests, chunk, duration)):
                    audio[row] = samples
        ranker = self._get_ranker() if len(rows) > len(requests) else None
        kept, self.choices = keep_best(requests, audio, self.sample_rate, ranker)
        self.takes = [[Clip(samples=t, sample_rate=self.sample_rate) for t in takes] for takes in every_take(requests, audio)]
        return [Clip(samples=samples, sample_rate=self.sample_rate) for samples in kept]

    def _generate_rows(self, requests, rows, duration: float) -> list[np.ndarray]:
        """Audio (channels, n) for each (request, take) row, all of the same duration, in one batch."""
        settings = [requests[r].settings for r, _ in rows]
        prompts = [requests[r].prompt for r, _ in rows]
        generators = [torch.Generator(device=self.device).manual_seed(model_seed(requests[r], t)) for r, t in rows]
        sampler = SeededSampler(generators, self.num_codebooks, [s.guidance_scale for s in settings],
                                [s.temperature for s in settings], [s.top_k for s in settings])
        guidance = max(s.guidance_scale for s in settings)
        text = self._tokenize(prompts)
        total = int(round(duration * self.sample_rate))
        first = min(duration, self.window_s)
        audio = self._window(text, sampler, guidance, first, prompt=None)
        prompt_n, fade_n = self._samples(self.prompt_s), self._samples(self.crossfade_s)
        while audio.shape[-1] < total:
            new_s = min(self.window_s - self.prompt_s, (total - audio.shape[-1]) / self.sample_rate)
            window = self._window(text, sampler, guidance, new_s, prompt=audio[..., -prompt_n:])
            audio = np.stack([crossfade_join(old, new[:, prompt_n - fade_n:], fade_n)
                              for old, new in zip(audio, window)])
        return [a[:, :total] for a in audio]

    def _tokenize(self, prompts: list[str]):
        # The melody model prepends the text to the audio tokens, so the padding length shifts the positions
        # of the audio tokens: pad to a fixed length there, or an artwork's music would depend on its batch.
        fixed = self._model.config.model_type == "musicgen_melody"
        padding = {"padding": "max_length", "max_length": MELODY_TEXT_TOKENS, "truncation": True} if fixed \
            else {"padding": True}
        return self._tokenizer(prompts, return_tensors="pt", **padding).to(self.device)

    def _samples(self, seconds: float) -> int:
        """Whole codec frames' worth of samples, so a prompt re-encodes onto the same frame grid."""
        hop = self.sample_rate / self.frame_rate
        return int(round(round(seconds * self.frame_rate) * hop))

    def _window(self, text, sampler, guidance: float, seconds: float, prompt: np.ndarray | None) -> np.ndarray:
        """One generate call: `seconds` of new audio (after the re-decoded prompt, when there is one)."""
        frames = math.ceil(seconds * self.frame_rate)
        config = copy.deepcopy(self._model.generation_config)
        config.do_sample, config.top_k, config.top_p, config.temperature = False, None, None, None
        config.guidance_scale = guidance if guidance > 1 else None
        config.max_new_tokens, config.max_length = frames + self.num_codebooks - 1, None
        kwargs = dict(text)
        with torch.inference_mode():
            if prompt is not None:
                kwargs["decoder_input_ids"] = self._encode_prompt(prompt)
            with _codec_row_by_row(self._model.audio_encoder):
                out = self._model.generate(**kwargs, generation_config=config,
                                           logits_processor=LogitsProcessorList([sampler]))
        audio = out.float().cpu().numpy()
        expected = round(frames * self.sample_rate / self.frame_rate) + (0 if prompt is None else prompt.shape[-1])
        if audio.shape[-1] < expected:
            raise RuntimeError(f"MusicGen returned {audio.shape[-1]} samples where {expected} were expected")
        return audio

    def _encode_prompt(self, prompt: np.ndarray):
        """EnCodec codes of the audio prompt as decoder input ids (rows: artwork-major, then codebook), the
        way transformers' own audio-prompt path builds them; done here because the melody model's generate
        takes no audio prompt. Stereo checkpoints interleave left and right codebooks."""
        values = torch.from_numpy(np.ascontiguousarray(prompt)).to(self.device, self._model.dtype)
        codec = self._model.audio_encoder
        channels = [values[:, c:c + 1] for c in range(values.shape[1])]
        # one artwork at a time, like the decode: a batched codec's rounding would depend on the batch-mates
        codes = [torch.cat([codec.encode(input_values=ch[i:i + 1], return_dict=True).audio_codes[0]
                            for i in range(ch.shape[0])]) for ch in channels]  # (B, K', T)
        stacked = torch.stack(codes, dim=2).flatten(1, 2) if len(codes) > 1 else codes[0]
        return stacked.reshape(-1, stacked.shape[-1])

    def close(self) -> None:
        """Release the model (and its GPU memory)."""
        if self._ranker:
            self._ranker.close()
        self._model = self._tokenizer = self._ranker = None
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()


@contextlib.contextmanager
def _codec_row_by_row(codec):
    """Let `generate` decode each artwork's tokens alone. The tokens do not depend on the batch, but a batched
    EnCodec decode rounds differently (~1e-6) from a single one, which changed the stored 24-bit clip's bytes
    with the artwork's batch-mates, the batch size and the gallery's size."""
    decode = codec.decode

    def by_row(audio_codes, audio_scales, *args, **kwargs):
        rows = []
        for i in range(audio_codes.shape[1]):
            scales = [s if s is None else s[i:i + 1] for s in audio_scales]   # one entry per codec chunk
            rest = [a[i:i + 1] if isinstance(a, torch.Tensor) else a for a in args]
            rows.append(decode(audio_codes[:, i:i + 1], scales, *rest,
                               **{k: v[i:i + 1] if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}))
        first = rows[0]
        first.audio_values = torch.cat([r.audio_values for r in rows])
        return first

    codec.decode = by_row
    try:
        yield
    finally:
        del codec.decode   # the instance attribute goes; the class's method shows through again


def _model_class(model_type: str):
    from transformers import MusicgenForConditionalGeneration

    if model_type == "musicgen":
        return MusicgenForConditionalGeneration
    if model_type == "musicgen_melody":
        from transformers import MusicgenMelodyForConditionalGeneration
        return MusicgenMelodyForConditionalGeneration
    raise ModelError(f"'{model_type}' is not a MusicGen checkpoint (config.json model_type should be 'musicgen')")

"""Choosing the best of several takes: reject degenerate audio, rank the rest.

Degenerate takes (checked on the audio, so every backend shares the checks):
- near-silence: overall level under SILENT_DBFS, or more than half of the 100 ms blocks under BLOCK_SILENT_DBFS;
- clipping: more than CLIPPED_SHARE of the samples at or beyond full scale (|x| >= 0.999);
- collapse into a short loop: the log-spectrogram of the second half (its last 20 s at most) correlates
  above LOOP_CORRELATION with itself shifted by some lag between 0.1 and 2 s (ordinary music repeats bars,
  but never that exactly).

The rest are ranked by CLAP text-audio similarity (cosine between the prompt's and the take's embeddings)
when a CLAP model's weights are available. Without CLAP the fallback score is the negated loop
correlation: of the healthy takes, the least repetitive one wins (ties keep the earlier take). When every take
is degenerate, the one with the fewest problems (then the loudest) is kept and the choice says so.
"""
from __future__ import annotations

from math import gcd

import numpy as np

from ..models import FALLBACK_RANKER
from ..types import TakeChoice

SILENT_DBFS = -45.0
BLOCK_SILENT_DBFS = -50.0
CLIPPED_SHARE = 0.001
LOOP_CORRELATION = 0.95
LOOP_LAGS_S = (0.1, 2.0)


def take_seed(seed: int, take: int) -> int:
    """Seed of take `take` of an artwork: take 0 uses the artwork's seed itself, so `takes: 1` is unchanged."""
    return seed if take == 0 else (seed * 1_000_003 + take * 7919) % (2**63 - 1)


def _mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    return samples.mean(axis=0) if samples.ndim == 2 else samples


def _dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(max(float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0, 1e-12))


def loop_correlation(samples: np.ndarray, sample_rate: int) -> float:
    """How exactly the second half repeats itself at a lag of 0.1-2 s (1.0 = a perfect short loop)."""
    x = _mono(samples)
    hop = max(1, sample_rate // 100)
    frame = 4 * hop
    half = x[len(x) // 2:] if len(x) >= 6 * sample_rate else x
    half = half[-20 * sample_rate:]  # the last 20 s at most: enough to see a loop, bounded memory
    if len(half) < frame * 4:
        return 0.0
    n = 1 + (len(half) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(half[idx] * np.hanning(frame), axis=1))
    bands = np.array_split(np.arange(1, spec.shape[1]), 48)  # pooled bands keep it fast
    logspec = np.log(np.stack([spec[:, b].mean(axis=1) for b in bands], axis=1) + 1e-6)
    z = (logspec - logspec.mean(axis=0)) / (logspec.std(axis=0) + 1e-9)
    best = 0.0
    lo, hi = (int(round(s * sample_rate / hop)) for s in LOOP_LAGS_S)
    for lag in range(max(1, lo), min(hi, n // 2) + 1):  # at least two repetitions must be visible
        a, b = z[:-lag].ravel(), z[lag:].ravel()
        denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
        if denom > 0:
            best = max(best, float(np.dot(a, b) / denom))
    return best


def take_problems(samples: np.ndarray, sample_rate: int) -> list[str]:
    """What is wrong with a take, in words; empty when it is healthy."""
    x = _mono(samples)
    problems = []
    level = _dbfs(x)
    block = max(1, sample_rate // 10)
    blocks = [_dbfs(x[i:i + block]) for i in range(0, len(x) - block + 1, block)]
    quiet_share = float(np.mean([b < BLOCK_SILENT_DBFS for b in blocks])) if blocks else 1.0
    if level < SILENT_DBFS or quiet_share > 0.5:
        problems.append(f"near-silent ({level:.0f} dBFS, {quiet_share:.0%} of it silent)")
    clipped = float(np.mean(np.abs(np.asarray(samples)) >= 0.999)) if np.size(samples) else 0.0
    if clipped > CLIPPED_SHARE:
        problems.append(f"clipping ({clipped:.2%} of samples at full scale)")
    loop = loop_correlation(samples, sample_rate)
    if loop > LOOP_CORRELATION:
        problems.append(f"collapsed into a short loop (self-similarity {loop:.3f})")
    return problems


def choose_take(takes: list[np.ndarray], sample_rate: int, prompt: str, ranker=None) -> TakeChoice:
    """Index of the take to keep. `ranker`, if given, has `name` and `scores(prompt, takes, sample_rate)`."""
    problems = [take_problems(t, sample_rate) for t in takes]
    if len(takes) == 1:
        return TakeChoice(0, "single take", [0.0], problems)
    healthy = [i for i, p in enumerate(problems) if not p]
    if not healthy:
        worst_first = sorted(range(len(takes)), key=lambda i: (len(problems[i]), -_dbfs(_mono(takes[i])), i))
        return TakeChoice(worst_first[0], "all takes degenerate: fewest problems", [0.0] * len(takes), problems)
    if ranker is not None:
        scores = [float(s) for s in ranker.scores(prompt, [takes[i] for i in healthy], sample_rate)]
        name = ranker.name
    else:
        scores = [-loop_correlation(takes[i], sample_rate) for i in healthy]
        name = FALLBACK_RANKER
    full = [float("-inf")] * len(takes)
    for i, s in zip(healthy, scores):
        full[i] = s
    chosen = max(healthy, key=lambda i: (full[i], -i))
    return TakeChoice(chosen, name, full, problems)


def take_rows(requests) -> list[tuple[int, int]]:
    """(request index, take number) for every take of every request."""
    return [(r, t) for r, req in enumerate(requests) for t in range(max(1, int(req.settings.takes)))]


def keep_best(requests, audio: dict, sample_rate: int, ranker=None) -> tuple[list[np.ndarray], list[TakeChoice]]:
    """For each request, the chosen take's audio (from `audio[(request, take)]`) and how it was chosen."""
    kept, choices = [], []
    for r, req in enumerate(requests):
        takes = [audio[(r, t)] for t in range(max(1, int(req.settings.takes)))]
        choice = choose_take(takes, sample_rate, req.prompt, ranker if len(takes) > 1 else None)
        kept.append(takes[choice.chosen])
        choices.append(choice)
    return kept, choices


def make_ranker(clap, device: str):
    """A ClapRanker when `clap` (the resolved `music.ranker`, None for 'none') has its weights here, else None."""
    return ClapRanker(clap, device) if clap is not None and clap.available and clap.path is not None else None


class ClapRanker:
    """Text-audio similarity with transformers' ClapModel (e.g. laion/clap-htsat-unfused), loaded on first use."""
    SECONDS = 10.0  # CLAP's window; longer takes are scored on up to three evenly spaced windows

    def __init__(self, resolved, device: str):
        self.resolved, self.device = resolved, device
        self.name = f"clap:{resolved.identity}"
        self._model = self._processor = None

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoProcessor, ClapModel

            from . import load_options
            path = str(self.resolved.path)
            self._processor = AutoProcessor.from_pretrained(path, local_files_only=True, trust_remote_code=False)
            self._model = ClapModel.from_pretrained(path, **load_options(self.resolved, self.device))
            self._model = self._model.to(self.device).eval()

    def scores(self, prompt: str, takes: list[np.ndarray], sample_rate: int) -> list[float]:
        import torch

        self._load()
        extractor = self._processor.feature_extractor
        rate = int(extractor.sampling_rate)
        windows, owner = [], []
        for i, take in enumerate(takes):
            for w in self._windows(_resample(_mono(take), sample_rate, rate), rate):
                windows.append(w.astype(np.float32))
                owner.append(i)
        fused = bool(getattr(self._model.config.audio_config, "enable_fusion", False))
        # Our windows are never longer than CLAP's, so "rand_trunc" never draws a random crop.
        features = extractor(windows, sampling_rate=rate, return_tensors="pt",
                             truncation="fusion" if fused else "rand_trunc", padding="repeatpad")
        # RoBERTa positions start after the padding index: a text may use max_position_embeddings - 2 tokens.
        longest = int(getattr(self._model.config.text_config, "max_position_embeddings", 514)) - 2
        text = self._processor.tokenizer([prompt], padding=True, truncation=True, return_tensors="pt",
                                         max_length=min(longest, int(self._processor.tokenizer.model_max_length)))
        dtype = self._model.dtype
        with torch.inference_mode():
            audio_emb = _embedding(self._model.get_audio_features(
                input_features=features["input_features"].to(self.device, dtype),
                is_longer=features.get("is_longer", torch.zeros(len(windows), 1, dtype=torch.bool)).to(self.device)))
            text_emb = _embedding(self._model.get_text_features(**text.to(self.device)))
        owner_t = torch.tensor(owner, device=audio_emb.device)
        out = []
        for i in range(len(takes)):
            mean = torch.nn.functional.normalize(audio_emb[owner_t == i].mean(dim=0), dim=-1)
            out.append(float((mean * text_emb[0]).sum()))
        return out

    def _windows(self, x: np.ndarray, rate: int) -> list[np.ndarray]:
        size = int(self.SECONDS * rate)
        if len(x) <= size:
            return [x]
        starts = np.linspace(0, len(x) - size, num=min(3, int(np.ceil(len(x) / size)))).astype(int)
        return [x[s:s + size] for s in starts]

    def close(self) -> None:
        self._model = self._processor = None


def _embedding(output):
    import torch

    tensor = output.pooler_output if hasattr(output, "pooler_output") else output  # transformers 5 vs 4
    return torch.nn.functional.normalize(tensor.float(), dim=-1)


def _resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return x
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(x, target // g, rate // g)


class RankedTakes:
    """Mixin for composers that choose among takes: the CLAP ranker, loaded on first use.

    Expects `self._clap_resolved`, `self.device` and `self._ranker` (None until loaded)."""

    @property
    def take_ranker(self) -> str:
        """Which ranker chooses among takes: part of what a cached result depends on when takes > 1."""
        ranker = self._get_ranker()
        return ranker.name if ranker is not None else FALLBACK_RANKER

    def _get_ranker(self):
        if self._ranker is None:
            self._ranker = make_ranker(self._clap_resolved, self.device) or False
        return self._ranker or None

"""The one CLAP scorer: text and audio embeddings from transformers' ClapModel (e.g. laion/clap-htsat-unfused).

The take ranker (`takes.py`) and `evaluate` (prompt adherence, shuffled control, zero-shot mood, FAD in CLAP
space) all go through `ClapScorer`, loaded on first use from a resolved local model directory.
"""
from __future__ import annotations

from math import gcd

import numpy as np


def _mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    return samples.mean(axis=0) if samples.ndim == 2 else samples


def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return x
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(x, target // g, rate // g)


def _normalised(output):
    import torch

    tensor = output.pooler_output if hasattr(output, "pooler_output") else output  # transformers 5 vs 4
    return torch.nn.functional.normalize(tensor.float(), dim=-1)


class ClapScorer:
    """Unit-length CLAP embeddings of texts and clips, and their cosine similarities."""
    SECONDS = 10.0  # CLAP's window; longer clips are embedded as the mean of up to three evenly spaced windows

    def __init__(self, resolved, device: str = "cpu"):
        self.resolved, self.device = resolved, device
        self.name = f"clap:{resolved.identity}"
        self._model = self._processor = None

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoProcessor, ClapModel

            from ..models import ModelError
            from ..types import first_line
            from . import load_pretrained, quiet_transformers
            quiet_transformers()   # no "Loading weights" bars in evaluate's or the ranker's output
            path = str(self.resolved.path)
            try:
                self._processor = AutoProcessor.from_pretrained(path, local_files_only=True, trust_remote_code=False)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelError(f"cannot load CLAP model '{self.resolved.model_id}' from {path}: {first_line(exc)}") from None
            self._model = load_pretrained(self.resolved, ClapModel, self.device, what="CLAP model")
            self._model = self._model.to(self.device).eval()

    @property
    def sampling_rate(self) -> int:
        self._load()
        return int(self._processor.feature_extractor.sampling_rate)

    def windows(self, x: np.ndarray, rate: int, most: int = 3) -> list[np.ndarray]:
        size = int(self.SECONDS * rate)
        if len(x) <= size:
            return [x]
        starts = np.linspace(0, len(x) - size, num=min(most, int(np.ceil(len(x) / size)))).astype(int)
        return [x[s:s + size] for s in starts]

    def embed_windows(self, windows: list[np.ndarray], batch: int = 16) -> np.ndarray:
        """One unit vector per window (mono, at `sampling_rate`, at most SECONDS long)."""
        import torch

        self._load()
        extractor = self._processor.feature_extractor
        fused = bool(getattr(self._model.config.audio_config, "enable_fusion", False))
        out = []
        for i in range(0, len(windows), batch):
            chunk = [w.astype(np.float32) for w in windows[i:i + batch]]
            # Windows are never longer than CLAP's, so "rand_trunc" never draws a random crop.
            features = extractor(chunk, sampling_rate=extractor.sampling_rate, return_tensors="pt",
                                 truncation="fusion" if fused else "rand_trunc", padding="repeatpad")
            longer = features.get("is_longer", torch.zeros(len(chunk), 1, dtype=torch.bool))
            with torch.inference_mode():
                emb = _normalised(self._model.get_audio_features(
                    input_features=features["input_features"].to(self.device, self._model.dtype),
                    is_longer=longer.to(self.device)))
            out.append(emb.cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 0))

    embed = embed_windows  # the interface FAD's embedding spaces share

    def embed_audio(self, clips: list[np.ndarray], sample_rate: int | list[int]) -> np.ndarray:
        """One unit vector per clip: the normalised mean of its windows' embeddings."""
        rates = sample_rate if isinstance(sample_rate, list) else [sample_rate] * len(clips)
        windows, owner = [], []
        for i, (clip, rate) in enumerate(zip(clips, rates)):
            for w in self.windows(resample(_mono(clip), rate, self.sampling_rate), self.sampling_rate):
                windows.append(w)
                owner.append(i)
        emb = self.embed_windows(windows)
        owner = np.asarray(owner)
        means = np.stack([emb[owner == i].mean(axis=0) for i in range(len(clips))])
        return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        import torch

        self._load()
        # RoBERTa positions start after the padding index: a text may use max_position_embeddings - 2 tokens.
        longest = int(getattr(self._model.config.text_config, "max_position_embeddings", 514)) - 2
        tokens = self._processor.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt",
                                           max_length=min(longest, int(self._processor.tokenizer.model_max_length)))
        with torch.inference_mode():
            return _normalised(self._model.get_text_features(**tokens.to(self.device))).cpu().numpy()

    def scores(self, prompt: str, takes: list[np.ndarray], sample_rate: int) -> list[float]:
        """The take ranker's interface: cosine similarity of each take with the prompt."""
        audio = self.embed_audio(takes, sample_rate)
        text = self.embed_text([prompt])[0]
        return [float(v) for v in audio @ text]

    def close(self) -> None:
        self._model = self._processor = None

"""Hugging Face audio models named by id for `evaluate`: any audio encoder (a second FAD space) and an
audio classifier (the genre-KL proxy). Loaded from resolved local directories through `from_pretrained`.
"""
from __future__ import annotations

import numpy as np

from ..backends.clap import resample


def _mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x.mean(axis=0) if x.ndim == 2 else x


class HFAudioModel:
    """Mean-pooled last hidden states (`embed`) or label probabilities (`classify`) of audio windows."""

    def __init__(self, resolved, device: str = "cpu", classifier: bool = False):
        self.resolved, self.device, self.classifier = resolved, device, classifier
        self.name = resolved.identity
        self._model = self._extractor = None

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoFeatureExtractor, AutoModel, AutoModelForAudioClassification

            from ..backends import load_pretrained, quiet_transformers
            quiet_transformers()
            path = str(self.resolved.path)
            self._extractor = AutoFeatureExtractor.from_pretrained(path, local_files_only=True, trust_remote_code=False)
            kind = AutoModelForAudioClassification if self.classifier else AutoModel
            what = "audio classifier" if self.classifier else "audio encoder"
            self._model = load_pretrained(self.resolved, kind, self.device, what=what).to(self.device).eval()

    @property
    def sampling_rate(self) -> int:
        self._load()
        return int(self._extractor.sampling_rate)

    @property
    def labels(self) -> list[str]:
        self._load()
        config = self._model.config
        return [config.id2label[i] for i in range(config.num_labels)]

    def _forward(self, windows: list[np.ndarray]):
        import torch

        self._load()
        inputs = self._extractor([w.astype(np.float32) for w in windows], sampling_rate=self.sampling_rate,
                                 return_tensors="pt", padding=True)
        with torch.inference_mode():
            return self._model(**{k: v.to(self.device) for k, v in inputs.items()})

    def embed(self, windows: list[np.ndarray], batch: int = 8) -> np.ndarray:
        out = []
        for i in range(0, len(windows), batch):
            hidden = self._forward(windows[i:i + batch]).last_hidden_state
            out.append(hidden.float().mean(dim=1).cpu().numpy())
        return np.concatenate(out)

    def classify(self, windows: list[np.ndarray], batch: int = 8) -> np.ndarray:
        out = []
        for i in range(0, len(windows), batch):
            out.append(self._forward(windows[i:i + batch]).logits.float().softmax(dim=-1).cpu().numpy())
        return np.concatenate(out)

    def prepare(self, clip: np.ndarray, rate: int) -> np.ndarray:
        return resample(_mono(clip), rate, self.sampling_rate)

    def close(self) -> None:
        self._model = self._extractor = None

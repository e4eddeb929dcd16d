"""The music's valence and arousal, estimated from the audio itself (no weights needed).

The feature model follows the cue tables of Gabrielsson & Lindström (2010, "The role of structure in the
musical expression of emotions", in Juslin & Sloboda, Handbook of Music and Emotion) and the regression
models of Eerola, Lartillot & Toiviainen (2009, "Prediction of multidimensional emotional ratings in music
from audio using multivariate regression models", ISMIR) and Eerola & Vuoskoski (2011, "A comparison of the
discrete and dimensional models of emotion in music", Psychology of Music 39(1)), placed on Russell's (1980)
circumplex (valence x arousal), the same two axes the image mood stage uses (0..1 each).

Cues and their direction, as those studies report them:
- arousal rises with tempo, onset (event) density, loudness and spectral brightness (centroid);
- valence rises with major mode (the strongest cue), and a little with faster tempo and brighter timbre.
Each cue is standardised around a typical value (CUE_CENTRES / CUE_SCALES) and combined linearly; a logistic
squashes the sum into 0..1. The weights are the cues' relative importance in those studies, not a fit to data
of ours: treat the output as an estimate on the same scale as the image mood, good for ranking and distance.

Mode is the difference between the best major and best minor correlation of the clip's chroma with the
Krumhansl & Kessler (1982) key profiles (Krumhansl 1990, "Cognitive Foundations of Musical Pitch").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import tempo

ANALYSIS_RATE = 16000
FRAME, HOP = 1024, 256

# Krumhansl & Kessler (1982) probe-tone profiles, C major and C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

CUE_CENTRES = {"tempo_bpm": 100.0, "onset_rate": 3.0, "loudness_db": -20.0, "centroid_octaves": 0.0, "mode": 0.0}
CUE_SCALES = {"tempo_bpm": 30.0, "onset_rate": 2.0, "loudness_db": 6.0, "centroid_octaves": 1.0, "mode": 0.15}
CENTROID_REFERENCE_HZ = 1500.0
AROUSAL_WEIGHTS = {"tempo_bpm": 0.8, "onset_rate": 0.8, "loudness_db": 0.5, "centroid_octaves": 0.7}
VALENCE_WEIGHTS = {"mode": 1.2, "tempo_bpm": 0.35, "centroid_octaves": 0.3}

# Seconds of audio a cue needs before its number means anything; a shorter clip gets no number for it, and
# the reason (`measures.clip_measures`). Tempo: the autocorrelation must see several beats; of 84 built-in
# composer clips per length (28 moods, 3 seeds) two thirds of the 3 s readings are wrong, one in seven at
# 5 s, and from 8 s each is right or an octave off and flagged (`tempo`; tests/evaluate/test_tempo.py keeps
# a sample). Mode and key: a four-chord progression takes
# 7 to 16 s at the composer's tempi, so a shorter clip may hold one or two chords. Onset rate: its threshold
# is relative to the clip's own onsets (mean + one standard deviation), which a few seconds do not settle.
# Valence and arousal combine the cues, tempo and mode among them. Loudness, centroid and the health
# numbers hold for any clip the tool makes (1 s or more).
MIN_SECONDS = {"tempo_bpm": 8.0, "tempo_alternative_bpm": 8.0, "mode": 8.0, "key": 8.0, "onset_rate": 5.0,
               "valence": 8.0, "arousal": 8.0}
CUE_NAMES = {"tempo_bpm": "tempo", "tempo_alternative_bpm": "tempo", "mode": "mode", "key": "key",
             "onset_rate": "onset rate", "valence": "valence", "arousal": "arousal"}


@dataclass(frozen=True)
class MusicFeatures:
    tempo_bpm: float
    onset_rate: float        # onsets per second
    loudness_db: float       # RMS level of the active part, dBFS
    centroid_hz: float       # mean spectral centroid
    mode: float              # best major minus best minor key-profile correlation (> 0: major)
    key: str
    tempo_alternative_bpm: float | None = None   # half or double the tempo, when it fits nearly as well (`tempo`)

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _frames_spectrum(x: np.ndarray) -> np.ndarray:
    if len(x) < FRAME:
        x = np.pad(x, (0, FRAME - len(x)))
    n = 1 + (len(x) - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:n]
    return np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1))


def _chroma(x: np.ndarray) -> np.ndarray:
    """Energy per pitch class, from long frames (4 Hz bins resolve semitones down to about 80 Hz)."""
    size = 4 * FRAME
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, size)[::size // 2]
    spec = np.abs(np.fft.rfft(frames * np.hanning(size), axis=1))
    freqs = np.fft.rfftfreq(size, 1 / ANALYSIS_RATE)
    keep = (freqs >= 80) & (freqs <= 4000)
    pitch = np.round(12 * np.log2(freqs[keep] / 440.0) + 9).astype(int) % 12  # 0 = C
    return np.bincount(pitch, weights=(spec[:, keep] ** 2).sum(axis=0), minlength=12)


def _mode(chroma: np.ndarray) -> tuple[float, str]:
    if not chroma.any():
        return 0.0, ""
    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    best = {}
    for kind, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        corr = [np.corrcoef(chroma, np.roll(profile, k))[0, 1] for k in range(12)]
        k = int(np.nanargmax(corr))
        best[kind] = (float(corr[k]), f"{names[k]} {kind}")
    mode = best["major"][0] - best["minor"][0]
    return mode, best["major" if mode >= 0 else "minor"][1]


def analysis_signal(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono at ANALYSIS_RATE: what the features (and the evaluation's repetition score) are computed on."""
    from scipy.signal import resample_poly

    x = np.asarray(samples, np.float32)
    x = x.mean(axis=0) if x.ndim == 2 else x
    if sample_rate != ANALYSIS_RATE:
        g = math.gcd(sample_rate, ANALYSIS_RATE)
        x = resample_poly(x, ANALYSIS_RATE // g, sample_rate // g).astype(np.float32)
    return x


def extract(samples: np.ndarray, sample_rate: int) -> MusicFeatures:
    """The five cues of a clip (any rate, mono or (channels, n))."""
    from scipy.signal import find_peaks

    x = analysis_signal(samples, sample_rate) if sample_rate != ANALYSIS_RATE or np.ndim(samples) != 1 \
        else np.asarray(samples, np.float32)
    spec = _frames_spectrum(x)
    power = spec ** 2
    frame_energy = power.sum(axis=1)
    active = frame_energy > frame_energy.max() * 1e-4 if frame_energy.any() else np.zeros(len(spec), bool)
    freqs = np.fft.rfftfreq(FRAME, 1 / ANALYSIS_RATE)
    centroid = float((power[active] @ freqs).sum() / max(power[active].sum(), 1e-12)) if active.any() else 0.0
    rms = np.sqrt(frame_energy / (FRAME * FRAME * 0.375 / 2))  # Hann window power gain, one-sided spectrum
    loudness = 20 * math.log10(max(float(np.sqrt(np.mean(rms[active] ** 2))) if active.any() else 0.0, 1e-9))
    logspec = np.log1p(spec / (spec.max() + 1e-12) * 1000)
    flux = np.maximum(np.diff(logspec, axis=0), 0).sum(axis=1) if len(spec) > 1 else np.zeros(1)
    seconds = len(x) / ANALYSIS_RATE
    if flux.any():
        frame_rate = ANALYSIS_RATE / HOP
        peaks, _ = find_peaks(flux, height=flux.mean() + flux.std(), distance=max(1, int(0.05 * frame_rate)))
        onset_rate = len(peaks) / max(seconds, 1e-9)
    else:
        onset_rate = 0.0
    mode, key = _mode(_chroma(x))
    beat = tempo.estimate(spec, FRAME, HOP, ANALYSIS_RATE)
    return MusicFeatures(beat.bpm, onset_rate, loudness, centroid, mode, key, beat.alternative)


def _standardised(features: MusicFeatures) -> dict[str, float]:
    raw = {"tempo_bpm": features.tempo_bpm, "onset_rate": features.onset_rate, "loudness_db": features.loudness_db,
           "centroid_octaves": math.log2(max(features.centroid_hz, 1.0) / CENTROID_REFERENCE_HZ), "mode": features.mode}
    return {k: float(np.clip((v - CUE_CENTRES[k]) / CUE_SCALES[k], -3, 3)) for k, v in raw.items()}


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def valence_arousal(features: MusicFeatures) -> tuple[float, float]:
    """(valence, arousal), each 0..1, from the cue model above."""
    z = _standardised(features)
    arousal = _logistic(sum(w * z[k] for k, w in AROUSAL_WEIGHTS.items()) / 1.5)
    valence = _logistic(sum(w * z[k] for k, w in VALENCE_WEIGHTS.items()) / 1.5)
    return valence, arousal

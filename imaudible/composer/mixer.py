"""The mixer of the built-in composer: places voices in the stereo mix and the reverb send, adds the hall
and masters the result."""
from __future__ import annotations

import math

import numpy as np
from scipy import fft as sfft
from scipy import signal

from ..mood import Mood
from .instruments import SAMPLE_RATE
from .plan import Note

PEAK = 0.8


class Mixer:
    """The stereo mix and the mono reverb send of one clip, `n` samples long."""

    def __init__(self, n: int):
        self.n = n
        self.mix = np.zeros((2, n), np.float32)
        self.send = np.zeros(n, np.float32)

    def add(self, voice: np.ndarray, note: Note, gain: float, send_level: float) -> None:
        """Place a voice (mono, panned by the note; or already stereo) at the note's start."""
        i0 = int(round(note.start * SAMPLE_RATE))
        if i0 >= self.n or i0 < 0:
            return
        v = voice[..., : self.n - i0] * np.float32(gain * note.velocity)
        if v.ndim == 2:          # already stereo (pads carry their own width)
            left, right = v[0], v[1]
        else:
            theta = (note.pan + 1) * math.pi / 4
            left, right = v * math.cos(theta), v * math.sin(theta)
        end = i0 + left.shape[-1]
        self.mix[0, i0:end] += left
        self.mix[1, i0:end] += right
        self.send[i0:end] += (left + right) * (0.5 * send_level)

    def hit(self, sample: np.ndarray, start: float, level: float, pan: float, send_level: float) -> None:
        self.add(sample, Note(max(start, 0.0), 0.0, 0, 1.0, pan), level, send_level)

    def finish(self, mood: Mood, rng: np.random.Generator, crescendo: bool = False) -> np.ndarray:
        """The hall added to the mix, mastered; a crescendo rises 12 dB evenly (in dB) over the clip."""
        mix = self.mix + reverb(self.send, mood, rng)
        if crescendo:
            mix *= np.geomspace(0.25, 1.0, self.n, dtype=np.float32)
        return master(mix)



def reverb(send: np.ndarray, mood: Mood, rng: np.random.Generator) -> np.ndarray:
    """Convolution with decorrelated decaying noise per side: a simple, dense hall; calm moods ring longer."""
    calm = 1 - mood.arousal
    t60 = 1.3 + 1.8 * calm
    length = int(min(t60 * 0.8, 2.4) * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    decay = np.exp(-6.91 * t / t60)
    onset = np.clip((t - 0.012) / 0.01, 0, 1)          # pre-delay, then a smooth start
    lowpass = signal.butter(1, 4000 + 4000 * mood.brightness, fs=SAMPLE_RATE, output="sos")
    wet_level = 0.22 + 0.3 * calm
    out = np.empty((2, len(send)), np.float32)
    nfft = sfft.next_fast_len(len(send) + length, real=True)
    spectrum_in = sfft.rfft(send.astype(np.float32), nfft)
    for side in range(2):
        ir = signal.sosfilt(lowpass, rng.standard_normal(length)) * decay * onset
        ir *= wet_level / math.sqrt(float(np.sum(ir ** 2)))
        out[side] = sfft.irfft(spectrum_in * sfft.rfft(ir.astype(np.float32), nfft), nfft)[: len(send)]
    return out


def master(mix: np.ndarray) -> np.ndarray:
    """Remove DC and rumble, smooth the clip's edges, set the peak."""
    sos = signal.butter(2, 30, "highpass", fs=SAMPLE_RATE, output="sos")
    mix = signal.sosfilt(sos, mix, axis=1).astype(np.float32)
    mix -= mix.mean(axis=1, keepdims=True)
    edge = min(int(0.02 * SAMPLE_RATE), mix.shape[1] // 4)
    if edge > 1:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, math.pi, edge))).astype(np.float32)
        mix[:, :edge] *= ramp
        mix[:, -edge:] *= ramp[::-1]
    peak = float(np.abs(mix).max())
    if peak > 0:
        mix *= PEAK / peak
    return mix


"""Per-clip and per-gallery measures, over plain data.

`clip_measures` is what a cache can keep per clip (health, features, the music's valence/arousal, and a
feature vector for the audio map). `gallery_measures` combines the artworks' records into scores, controls
and map coordinates; it is cheap, so it runs afresh every time from the cached per-clip results.

An artwork record is a dict: id, title, caption, prompt, image_mood {valence, arousal}, drafts
{caption, music}, models {caption, music}, and takes: [{number, chosen, reason, measures, clap}] where
`measures` is `clip_measures(...)` and `clap` an optional unit CLAP audio embedding.
"""
from __future__ import annotations

import math

import numpy as np

from . import control, features, health

VERSION = "1"

# CLAP zero-shot mood: descriptions at the corners of Russell's circumplex (valence, arousal).
EMOTION_DESCRIPTIONS = {
    "joyful, excited, energetic music": (0.9, 0.9),
    "calm, peaceful, serene music": (0.8, 0.15),
    "sad, melancholic, slow music": (0.15, 0.15),
    "tense, angry, aggressive music": (0.15, 0.9),
}
ZERO_SHOT_TEMPERATURE = 0.05


def clip_measures(samples: np.ndarray, sample_rate: int) -> dict:
    """Health and the feature model's estimate for one clip (JSON-ready)."""
    h = health.check(samples, sample_rate)  # the take chooser's checks, on the same signal
    h.loudness_lufs, h.true_peak_dbtp = loudness_and_peak(samples, sample_rate)
    f = features.extract(features.analysis_signal(samples, sample_rate), features.ANALYSIS_RATE)
    valence, arousal = features.valence_arousal(f)
    z = features._standardised(f)
    return {"health": h.to_dict(), "features": f.to_dict(), "valence": round(valence, 4), "arousal": round(arousal, 4),
            "vector": [round(z[k], 4) for k in sorted(z)] + [round(h.repetition, 4)]}


def loudness_and_peak(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """BS.1770 integrated loudness (LUFS) and true peak (dBTP) of a clip."""
    from ..audio import integrated_loudness

    x = np.atleast_2d(np.asarray(samples, np.float64))
    peak = true_peak_near_max(x)
    return integrated_loudness(x, sample_rate), (20 * math.log10(peak) if peak > 0 else -math.inf)


def true_peak_near_max(x: np.ndarray, block: int = 4800, within_db: float = 6.0) -> float:
    """BS.1770 true peak (4x oversampled), computed only on the blocks whose sample peak lies within
    `within_db` of the clip's: an inter-sample peak more than 6 dB above its neighbouring samples needs
    contrived near-Nyquist signals, not music. Much faster than oversampling the whole clip."""
    from ..audio import true_peak, true_peak_envelope

    x = np.atleast_2d(x)
    env = np.abs(x).max(axis=0)
    top = float(env.max()) if env.size else 0.0
    if top == 0.0 or x.shape[1] <= 4 * block:
        return true_peak(x) if top > 0 else 0.0
    n = x.shape[1] // block + 1
    peaks = np.array([env[i * block:(i + 1) * block].max(initial=0.0) for i in range(n)])
    context, best = 64, top
    for i in np.flatnonzero(peaks >= top * 10 ** (-within_db / 20)):
        start, end = i * block, min(x.shape[1], (i + 1) * block)
        lo, hi = max(0, start - context), min(x.shape[1], end + context)
        # only the block itself counts: the cut edges of the context ring when oversampled
        best = max(best, float(true_peak_envelope(x[:, lo:hi])[start - lo:end - lo].max()))
    return best


def chosen_take(record: dict) -> dict:
    return next((t for t in record["takes"] if t.get("chosen")), record["takes"][0])


def zero_shot_mood(audio: np.ndarray, descriptions: np.ndarray) -> np.ndarray:
    """(n, 2) valence/arousal: softmax over the emotion descriptions' CLAP similarities, averaging their corners."""
    logits = np.asarray(audio) @ np.asarray(descriptions).T / ZERO_SHOT_TEMPERATURE
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ np.array(list(EMOTION_DESCRIPTIONS.values()))


def gallery_measures(records: list[dict], clap=None) -> dict:
    """Scores per artwork and for the gallery. `clap` (a ClapScorer) adds prompt adherence and zero-shot mood."""
    n = len(records)
    out = {"artworks": {r["id"]: {} for r in records}, "summary": {}}
    if n == 0:
        return out
    image = np.array([[r["image_mood"]["valence"], r["image_mood"]["arousal"]] for r in records], np.float64)
    music = np.array([[chosen_take(r)["measures"]["valence"], chosen_take(r)["measures"]["arousal"]] for r in records])
    fit = control.mood_fit_matrix(music, image)
    for i, r in enumerate(records):
        out["artworks"][r["id"]]["mood_distance"] = round(float(-fit[i, i]), 4)
    out["summary"]["mood"] = {
        "model": "audio features (tempo, mode, onset density, loudness, centroid)",
        "mean_distance": round(float(-np.trace(fit) / n), 4),
        "control": _negated(control.shuffled_control(fit).to_dict()),
        "valence_correlation": control.correlation(image[:, 0], music[:, 0]),
        "arousal_correlation": control.correlation(image[:, 1], music[:, 1]),
    }
    health_rows = [chosen_take(r)["measures"]["health"] for r in records]
    out["summary"]["health"] = {
        "mean_loudness_lufs": _mean([h["loudness_lufs"] for h in health_rows]),
        "max_true_peak_dbtp": _max([h["true_peak_dbtp"] for h in health_rows]),
        "mean_repetition": _mean([h["repetition"] for h in health_rows]),
        "clips_with_problems": sum(1 for h in health_rows if h["problems"]),
    }
    out["summary"]["drafts"] = {"caption": sum(bool(r["drafts"].get("caption")) for r in records),
                                "music": sum(bool(r["drafts"].get("music")) for r in records)}
    if clap is not None and all(chosen_take(r).get("clap") is not None for r in records):
        _clap_measures(records, clap, image, out)
    return out


def _clap_measures(records: list[dict], clap, image: np.ndarray, out: dict) -> None:
    audio = np.array([chosen_take(r)["clap"] for r in records], np.float64)
    prompts = clap.embed_text([r["prompt"] for r in records])
    captions = clap.embed_text([r["caption"] or r["title"] for r in records])
    emotions = clap.embed_text(list(EMOTION_DESCRIPTIONS))
    by_prompt, by_caption = audio @ prompts.T, audio @ captions.T
    zero_shot = zero_shot_mood(audio, emotions)
    zs_fit = control.mood_fit_matrix(zero_shot, image)
    for i, r in enumerate(records):
        row = out["artworks"][r["id"]]
        row["clap_prompt"] = round(float(by_prompt[i, i]), 4)
        row["clap_caption"] = round(float(by_caption[i, i]), 4)
        row["clap_mood"] = {"valence": round(float(zero_shot[i, 0]), 4), "arousal": round(float(zero_shot[i, 1]), 4),
                            "distance": round(float(-zs_fit[i, i]), 4)}
    out["summary"]["clap"] = {
        "model": clap.name,
        "prompt": control.shuffled_control(by_prompt).to_dict(),
        "caption": control.shuffled_control(by_caption).to_dict(),
        "zero_shot_mood": {"mean_distance": round(float(-np.trace(zs_fit) / len(records)), 4),
                           "control": _negated(control.shuffled_control(zs_fit).to_dict())},
    }
    out["prompt_embeddings"] = prompts.tolist()


def _negated(c: dict) -> dict:
    """Controls computed on -distance, reported as distances (lower true than shuffled is good)."""
    flip = {k: (None if c[k] is None else round(-c[k], 4)) for k in ("true_mean", "shuffled_mean")}
    margin = None if c["margin"] is None else round(c["margin"], 4)  # shuffled minus true distance: > 0 is good
    return {**c, **flip, "margin": margin}


def _mean(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    return round(float(np.mean(v)), 4) if v else None


def _max(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    return round(float(np.max(v)), 4) if v else None

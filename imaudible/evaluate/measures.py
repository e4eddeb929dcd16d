"""Per-clip and per-gallery measures, over plain data.

`clip_measures` is what a cache can keep per clip (health, features, the music's valence/arousal, and a
feature vector for the audio map). `gallery_measures` combines the artworks' records into scores, controls
and map coordinates; it is cheap, so it runs afresh every time from the cached per-clip results.

An artwork record is a dict: id, title, caption, prompt, image_mood {valence, arousal, set_by_curator?},
image_sha256 (of the source image), drafts
{caption, music}, models {caption, music}, and takes: [{number, chosen, reason, measures, heard, clap}] where
`measures` is `clip_measures(...)` of the raw take, `heard` is `heard_measures(...)` of its web encode and
`clap` an optional unit CLAP audio embedding.

Raw and heard: the music stage stores each take as generated; the site plays it finished (loudness
normalised, true-peak limited, faded: `audio.finish`) and encoded. Loudness and true peak are reported for
both, and the summary's figures are the heard ones: that is what a visitor hears. The other measures read
the raw take (the take chooser's checks, and the cues of the music's mood, which finishing does not change
beyond the level).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import control, features, health

VERSION = "3"

# CLAP zero-shot mood: descriptions at the corners of Russell's circumplex (valence, arousal).
EMOTION_DESCRIPTIONS = {
    "joyful, excited, energetic music": (0.9, 0.9),
    "calm, peaceful, serene music": (0.8, 0.15),
    "sad, melancholic, slow music": (0.15, 0.15),
    "tense, angry, aggressive music": (0.15, 0.9),
}
ZERO_SHOT_TEMPERATURE = 0.05


TOO_SHORT = "too short to measure"


def clip_measures(samples: np.ndarray, sample_rate: int) -> dict:
    """Health and the feature model's estimate for one clip (JSON-ready). A measure the clip is too short
    for (`features.MIN_SECONDS`) is None, with its reason in `unmeasured`; in the audio map's `vector` such a
    cue sits at its typical value."""
    h = health.check(samples, sample_rate)  # the take chooser's checks, on the same signal
    h.loudness_lufs, h.true_peak_dbtp = loudness_and_peak(samples, sample_rate)
    seconds = np.shape(samples)[-1] / sample_rate
    f = features.extract(features.analysis_signal(samples, sample_rate), features.ANALYSIS_RATE)
    valence, arousal = features.valence_arousal(f)
    z = features._standardised(f)
    unmeasured = too_short(seconds)
    values = {**f.to_dict(), "valence": round(valence, 4), "arousal": round(arousal, 4)}
    values.update(dict.fromkeys(unmeasured))
    out = {"seconds": round(seconds, 3), "health": h.to_dict(), "features": {k: values[k] for k in f.to_dict()},
           "valence": values["valence"], "arousal": values["arousal"], "unmeasured": unmeasured,
           "vector": [round(0.0 if k in unmeasured else z[k], 4) for k in sorted(z)] + [round(h.repetition, 4)]}
    if f.tempo_alternative_bpm and "arousal" not in unmeasured:
        # tempo weighs on both readings, and an octave off moves arousal by ~0.3: give the other octave's too
        other = features.valence_arousal(dataclasses.replace(f, tempo_bpm=f.tempo_alternative_bpm))
        out["at_alternative_tempo"] = {"tempo_bpm": round(f.tempo_alternative_bpm, 4),
                                       "valence": round(other[0], 4), "arousal": round(other[1], 4)}
    return out


def too_short(seconds: float) -> dict[str, str]:
    """Measure name -> why a clip of `seconds` gets no number for it (empty when it is long enough)."""
    return {name: f"{TOO_SHORT}: {seconds:.1f} s of audio, {features.CUE_NAMES[name]} needs at least {least:g} s"
            for name, least in features.MIN_SECONDS.items() if seconds < least}


def heard_measures(encoded: bytes, fmt: str) -> dict:
    """Loudness, true peak and length of a take's web encode, decoded as a browser would: what a visitor
    hears, after the audio stage's finishing."""
    from ..audio import measure

    m = measure(encoded, fmt)
    return {"format": fmt, "loudness_lufs": _finite(m["loudness_lufs"]), "true_peak_dbtp": _finite(m["true_peak_dbtp"]),
            "seconds": round(float(m["duration"]), 3)}


def loudness_and_peak(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """BS.1770 integrated loudness (LUFS) and true peak (dBTP) of a clip. The true peak is the one the audio
    stage normalises with: it oversamples only the blocks loud enough to hold the peak."""
    from ..loudness import integrated_loudness, true_peak

    x = np.atleast_2d(np.asarray(samples, np.float32))
    peak = true_peak(x)
    return integrated_loudness(x, sample_rate), (20 * math.log10(peak) if peak > 0 else -math.inf)


def chosen_take(record: dict) -> dict:
    return next((t for t in record["takes"] if t.get("chosen")), record["takes"][0])


def zero_shot_mood(audio: np.ndarray, descriptions: np.ndarray) -> np.ndarray:
    """(n, 2) valence/arousal: softmax over the emotion descriptions' CLAP similarities, averaging their corners."""
    logits = np.asarray(audio) @ np.asarray(descriptions).T / ZERO_SHOT_TEMPERATURE
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ np.array(list(EMOTION_DESCRIPTIONS.values()))


def music_mood_gap(record: dict) -> str | None:
    """Why the chosen take has no valence/arousal (too short), or None when it has both."""
    m = chosen_take(record)["measures"]
    if m["valence"] is not None and m["arousal"] is not None:
        return None
    unmeasured = m.get("unmeasured") or {}
    return unmeasured.get("arousal") or unmeasured.get("valence") or TOO_SHORT


def gallery_measures(records: list[dict], clap=None) -> dict:
    """Scores per artwork and for the gallery. `clap` (a ClapScorer) adds prompt adherence and zero-shot mood.
    Artworks whose music is too short for a mood reading get no mood distance and stay out of the mood
    control and correlations (`summary.mood.left_out` counts them)."""
    n = len(records)
    out = {"artworks": {r["id"]: {} for r in records}, "summary": {}}
    if n == 0:
        return out
    image = np.array([[r["image_mood"]["valence"], r["image_mood"]["arousal"]] for r in records], np.float64)
    out["summary"]["mood"] = _mood_summary(records, image, out["artworks"])
    health_rows = [chosen_take(r)["measures"]["health"] for r in records]
    heard_rows = [chosen_take(r).get("heard") or {} for r in records]
    out["summary"]["health"] = {
        "heard_mean_loudness_lufs": _mean([h.get("loudness_lufs") for h in heard_rows]),
        "heard_max_true_peak_dbtp": _max([h.get("true_peak_dbtp") for h in heard_rows]),
        "raw_mean_loudness_lufs": _mean([h["loudness_lufs"] for h in health_rows]),
        "raw_max_true_peak_dbtp": _max([h["true_peak_dbtp"] for h in health_rows]),
        "mean_repetition": _mean([h["repetition"] for h in health_rows]),
        "clips_with_problems": sum(1 for h in health_rows if h["problems"]),
    }
    out["summary"]["drafts"] = {"caption": sum(bool(r["drafts"].get("caption")) for r in records),
                                "music": sum(bool(r["drafts"].get("music")) for r in records)}
    if clap is not None and all(chosen_take(r).get("clap") is not None for r in records):
        _clap_measures(records, clap, image, out)
    _adjust(out["summary"])
    return out


def _adjust(summary: dict) -> None:
    """The summary's tests are one family: each gets its p-value adjusted for the others."""
    mood, clap = summary.get("mood", {}), summary.get("clap", {})
    family = [mood.get("control"), mood.get("valence_correlation"), mood.get("arousal_correlation"),
              clap.get("prompt"), clap.get("caption"), (clap.get("zero_shot_mood") or {}).get("control")]
    tests = control.adjust_p_values(family)
    if tests >= 2:
        summary["multiple_tests"] = {"tests": tests, "adjustment": control.ADJUSTMENT}


# The built-in composer plays the image's own valence and arousal (tempo, mode, dynamics, density), the very cues
# the audio-feature mood reads back: its drafts agree with their images whatever the fit of a music model.
DRAFTS_BY_CONSTRUCTION = ("{which} the built-in composer's drafts, which take their "
                          "tempo, mode and dynamics from the image's own valence and arousal: their mood agreement "
                          "holds by construction and is no evidence that a music model fits the images")


def _mood_summary(records: list[dict], image: np.ndarray, artworks: dict) -> dict:
    summary = {"model": "audio features (tempo, mode, onset density, loudness, centroid)"}
    kept = []
    for i, r in enumerate(records):
        gap = music_mood_gap(r)
        if gap is None:
            kept.append(i)
        else:
            artworks[r["id"]].update(mood_distance=None, unmeasured={"mood_distance": gap})
    summary["left_out"] = len(records) - len(kept)
    if not kept:
        summary["note"] = f"{TOO_SHORT}: every clip is shorter than the {features.MIN_SECONDS['arousal']:g} s " \
                          "that valence and arousal need"
        return summary
    music = np.array([[chosen_take(records[i])["measures"][k] for k in ("valence", "arousal")] for i in kept])
    fit = control.mood_fit_matrix(music, image[kept])
    for row, i in enumerate(kept):
        artworks[records[i]["id"]]["mood_distance"] = round(float(-fit[row, row]), 4)
    doubtful = [i for i in kept if chosen_take(records[i])["measures"].get("at_alternative_tempo")]
    if doubtful:
        other = np.array([[(chosen_take(records[i])["measures"].get("at_alternative_tempo")
                            or chosen_take(records[i])["measures"])[k] for k in ("valence", "arousal")] for i in kept])
        summary["tempo_in_doubt"] = {
            "clips": len(doubtful), "of": len(kept),
            "mean_distance_at_other_octave": round(float(np.linalg.norm(other - image[kept], axis=1).mean()), 4)}
    drafts = sum(bool(records[i]["drafts"].get("music")) for i in kept)
    if drafts:
        which = ("the one clip measured is" if len(kept) == 1 else f"all {drafts} clips measured are"
                 if drafts == len(kept) else f"{drafts} of the {len(kept)} clips measured are")
        summary["circular"] = DRAFTS_BY_CONSTRUCTION.format(which=which.capitalize())
    curator = [records[i]["id"] for i in kept if records[i]["image_mood"].get("set_by_curator")]
    if curator:
        summary["curator_moods"] = {"artworks": curator, "of": len(kept)}
    same = _same_images([records[i] for i in kept])
    if same:
        summary["same_images"] = same
    return {**summary, "mean_distance": round(float(-np.trace(fit) / len(kept)), 4),
            "control": _negated(control.shuffled_control(fit).to_dict()),
            "valence_correlation": control.correlation(image[kept, 0], music[:, 0]),
            "arousal_correlation": control.correlation(image[kept, 1], music[:, 1])}


def _same_images(records: list[dict]) -> list[list[str]]:
    """Ids of artworks that hang one image file more than once (groups of 2 or more): their pairs are not
    independent, which every test here assumes."""
    groups: dict[str, list[str]] = {}
    for r in records:
        if r.get("image_sha256"):
            groups.setdefault(r["image_sha256"], []).append(r["id"])
    return [ids for ids in groups.values() if len(ids) > 1]


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


def _finite(value):
    return round(float(value), 4) if value is not None and math.isfinite(value) else None


def _mean(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    return round(float(np.mean(v)), 4) if v else None


def _max(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    return round(float(np.max(v)), 4) if v else None

"""How the report states its numbers: the summary's rows and facts, the words for what was not measured, the
page's number filters and report.csv. A measure a clip is too short for is written as `measures.TOO_SHORT`,
never as a number."""
from __future__ import annotations

import csv
import io
import math

from ..engine.report import spreadsheet_cells as _cells   # the build report's CSV guards its cells so too
from . import features, measures

TOO_SHORT = measures.TOO_SHORT


def num(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def p_value(value) -> str:
    """A p-value to three decimals; one that rounds to 0 reads "< 0.001" (a p-value is never 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 0.0005:
        return "< 0.001"
    return num(float(value)) if isinstance(value, int) and not isinstance(value, bool) else num(value)


def pct(value) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) and math.isfinite(value) else "–"


def bpm(value) -> str:
    return f"{value:.0f} bpm" if isinstance(value, (int, float)) and math.isfinite(value) else "–"


def unmeasured_line(unmeasured: dict, seconds) -> str:
    """One sentence for a take's measures that its length does not allow, e.g. "too short to measure: 3.0 s
    of audio; tempo, mode, key, valence and arousal need at least 8 s, onset rate 5 s"."""
    by_least: dict[float, list[str]] = {}
    for name in sorted(unmeasured, key=lambda n: list(features.MIN_SECONDS).index(n) if n in features.MIN_SECONDS else 99):
        names = by_least.setdefault(features.MIN_SECONDS.get(name, 0.0), [])
        if features.CUE_NAMES.get(name, name) not in names:
            names.append(features.CUE_NAMES.get(name, name))
    parts = []
    for i, (least, names) in enumerate(sorted(by_least.items(), reverse=True)):
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = ("needs" if len(names) == 1 else "need") + " at least " if i == 0 else ""
        parts.append(f"{listed} {verb}{least:g} s")
    length = f"{seconds:.1f} s of audio; " if isinstance(seconds, (int, float)) else ""
    return f"{TOO_SHORT}: {length}{', '.join(parts)}"


def summary_rows(summary: dict) -> list[dict]:
    rows = []
    mood = summary.get("mood", {})
    if mood.get("control"):
        rows.append(_control_row("mood distance, audio features (lower is better)", mood["control"]))
    elif mood.get("note"):
        rows.append({"label": "mood distance, audio features", "note": mood["note"]})
    clap = summary.get("clap")
    if clap:
        for key, label in (("prompt", "CLAP clip-prompt similarity"), ("caption", "CLAP clip-caption similarity")):
            rows.append(_control_row(label, clap[key]))
        rows.append(_control_row("mood distance, CLAP zero-shot (lower is better)", clap["zero_shot_mood"]["control"]))
    return rows


def _control_row(label: str, c: dict) -> dict:
    """One summary row: a shuffled-pair control (`control.PairedControl.to_dict`) and its adjusted p."""
    return {"label": label, "true": c["true_mean"], "shuffled": c["shuffled_mean"], "margin": c["margin"],
            "p": c["p_value"], "p_adjusted": c.get("p_adjusted"), "exact": c.get("exact")}


def fad_line(space: dict) -> str:
    """One FAD figure with what it rests on: window counts, and the dimensions and covariance estimator."""
    fitted = f"; {space['dimensions']} dimensions, {space['covariance']}" if space.get("covariance") else ""
    note = f"; {space['note']}" if space.get("note") else ""
    return (f"{num(space['fad'])} ({space['windows_generated']} generated windows, "
            f"{space['windows_reference']} reference windows{fitted}{note})")


def facts(report: dict) -> list[tuple]:
    """(label, value, css class or None) rows of the summary."""
    s = report["summary"]
    out = []
    failed = report.get("failed") or []
    if failed:
        out.append(("not evaluated", f"{len(failed)} artwork(s) failed to build and are in no measure below "
                    f"(these figures cover the other {len(report['artworks'])}): " + "; ".join(failed), "problems"))
    mood = s.get("mood", {})
    if mood.get("note"):
        out.append(("music mood", mood["note"], "problems"))
    else:
        for key, label in (("valence_correlation", "valence correlation, image vs music"),
                           ("arousal_correlation", "arousal correlation, image vs music")):
            c = mood.get(key) or {}
            if c.get("r") is None:   # `control.correlation`: fewer than 3 points, or one side does not vary
                why = "fewer than 3 artworks" if c.get("n", 0) < 3 else \
                    f"only {c['distinct']} distinct image-music points (identical artworks)" if c.get("distinct") \
                    else "the image or the music mood does not vary"
                out.append((label, f"not defined (n = {c.get('n', 0)}: {why})"))
                continue
            adjusted = f", adjusted {p_value(c['p_adjusted'])}" if c.get("p_adjusted") is not None else ""
            stated = p_value(c.get("p_value"))
            out.append((label, f"r = {num(c.get('r'))} (p {stated if stated.startswith('<') else '= ' + stated}"
                        f"{adjusted}, n = {c.get('n', 0)})"))
        doubt = mood.get("tempo_in_doubt")
        if doubt:
            out.append(("tempo octave in doubt", f"{doubt['clips']} of {doubt['of']} mood readings rest on a tempo "
                        "that may be an octave off (half or double fits nearly as well); with the other octave the "
                        f"mean mood distance is {num(doubt['mean_distance_at_other_octave'])}, not "
                        f"{num(mood.get('mean_distance'))}", "problems"))
        if mood.get("circular"):
            out.append(("mood agreement by construction", mood["circular"], "problems"))
        curator = mood.get("curator_moods")
        if curator:
            out.append(("image moods set by the curator", f"{len(curator['artworks'])} of the {curator['of']} "
                        f"image moods come from gallery.yaml (mood:), not from the image: "
                        f"{', '.join(curator['artworks'])}; their mood agreement compares the music with the "
                        "curator's numbers", "problems"))
        for ids in mood.get("same_images") or []:
            out.append(("one image, several artworks", f"{', '.join(ids)} hang the same image file: their pairs "
                        "are not independent, which the tests and correlations assume", "problems"))
        if mood.get("left_out"):
            out.append(("left out of the mood measures", f"{mood['left_out']} artwork(s): their music is "
                        f"{TOO_SHORT} (valence and arousal need at least {features.MIN_SECONDS['arousal']:g} s)",
                        "problems"))
    family = s.get("multiple_tests")
    if family:
        out.append(("several tests at once", f"{family['tests']} tests are stated together, so some p-values "
                    f"fall under 0.05 by chance alone: read the adjusted p ({family['adjustment']}, which keeps the "
                    "expected share of false findings at the level read off)"))
    h = s.get("health", {})
    out.append(("loudness as heard on the site", f"mean {num(h.get('heard_mean_loudness_lufs'))} LUFS, highest true "
                f"peak {num(h.get('heard_max_true_peak_dbtp'))} dBTP (each take finished with the gallery's audio "
                "settings, encoded and decoded again)"))
    out.append(("loudness of the raw takes", f"mean {num(h.get('raw_mean_loudness_lufs'))} LUFS, highest true peak "
                f"{num(h.get('raw_max_true_peak_dbtp'))} dBTP (as generated: before loudness normalisation, "
                "limiter and fades)"))
    out.append(("audio health", f"mean repetition {num(h.get('mean_repetition'))}, "
                f"{h.get('clips_with_problems', 0)} clip(s) with problems"))
    d = s.get("drafts", {})
    out.append(("drafts", f"{d.get('caption', 0)} draft caption(s), {d.get('music', 0)} draft clip(s)"))
    fad = report.get("fad") or {}
    if "note" in fad:
        out.append(("FAD", fad["note"]))
    for space, value in (fad.get("spaces") or {}).items():
        out.append((f"FAD ({space})", fad_line(value)))
        if value.get("warning"):
            out.append((f"FAD ({space}) is unreliable", value["warning"], "problems"))
    if report.get("genre_kl"):
        g = report["genre_kl"]
        out.append((g["label"], num(g.get("value"))))
    return [(*fact, None)[:3] for fact in out]


CSV_COLUMNS = ["id", "title", "prompt", "seed", "duration", "caption_model", "caption_draft", "prompt_model",
               "music_model", "music_draft", "image_valence", "image_arousal", "image_mood_set_by_curator",
               "music_valence", "music_arousal", "mood_distance", "valence_at_alternative_tempo", "arousal_at_alternative_tempo", "clap_prompt", "clap_caption",
               "seconds", "tempo_bpm", "tempo_alternative_bpm", "heard_loudness_lufs", "heard_true_peak_dbtp",
               "raw_loudness_lufs", "raw_true_peak_dbtp", "silent_share", "clipped_share", "repetition", "problems",
               "unmeasured", "takes", "chosen_take"]


def render_csv(report: dict) -> str:
    """One row per artwork, for its take in the site. `heard_*`: that take as visitors hear it; `raw_*`: as
    generated. A measure the clip is too short for reads TOO_SHORT, and `unmeasured` says why."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for a in report["artworks"]:
        chosen = next((t for t in a["takes"] if t["chosen"]), a["takes"][0])
        h, f, heard = chosen["health"], chosen["features"], chosen.get("heard") or {}
        gaps = chosen.get("unmeasured") or {}
        other = chosen.get("at_alternative_tempo") or {}   # the reading at the other tempo octave, when in doubt

        def measured(value, *names):
            return TOO_SHORT if any(n in gaps for n in names) else value

        generation = a.get("generation") or {}
        writer.writerow(_cells({"id": a["id"], "title": a["title"], "prompt": a["prompt"],
                                "seed": generation.get("seed"), "duration": generation.get("duration"),
                                "caption_model": a["models"].get("caption"),
                                "caption_draft": a["drafts"].get("caption"), "prompt_model": a["models"].get("prompt"),
                                "music_model": a["models"].get("music"),
                                "music_draft": a["drafts"].get("music"), "image_valence": a["image_mood"]["valence"],
                                "image_arousal": a["image_mood"]["arousal"],
                                "image_mood_set_by_curator": " ".join(a["image_mood"].get("set_by_curator") or ()),
                                "music_valence": measured(a["music_mood"]["valence"], "valence"),
                                "music_arousal": measured(a["music_mood"]["arousal"], "arousal"),
                                "mood_distance": measured(a["scores"].get("mood_distance"), "valence", "arousal"),
                                "valence_at_alternative_tempo": other.get("valence"),
                                "arousal_at_alternative_tempo": other.get("arousal"),
                                "clap_prompt": a["scores"].get("clap_prompt"), "clap_caption": a["scores"].get("clap_caption"),
                                "seconds": chosen.get("seconds"), "tempo_bpm": measured(f.get("tempo_bpm"), "tempo_bpm"),
                                "tempo_alternative_bpm": measured(f.get("tempo_alternative_bpm"), "tempo_bpm"),
                                "heard_loudness_lufs": heard.get("loudness_lufs"),
                                "heard_true_peak_dbtp": heard.get("true_peak_dbtp"),
                                "raw_loudness_lufs": h["loudness_lufs"], "raw_true_peak_dbtp": h["true_peak_dbtp"],
                                "silent_share": h["silent_share"], "clipped_share": h["clipped_share"],
                                "repetition": h["repetition"], "problems": "; ".join(h["problems"]),
                                "unmeasured": unmeasured_line(gaps, chosen.get("seconds")) if gaps else "",
                                "takes": len(a["takes"]), "chosen_take": chosen["number"]}))
    return buf.getvalue()


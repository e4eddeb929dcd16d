"""The curator's report: `report/index.html` (static SVG plots, one row per artwork, a player per take),
`report/report.json` and `report/report.csv`, written into the gallery folder beside build/, never inside it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
from pathlib import Path

from .. import __version__
from ..headers import CSP as SITE_CSP
from . import measures, plots

REPORT_DIR = "report"
ASSETS = Path(__file__).parent / "assets"
# The site's policy, minus frame-ancestors (ignored, with a console error, in a <meta> policy).
CSP = "; ".join(part for part in SITE_CSP.split("; ") if not part.startswith("frame-ancestors"))
FAD_NEEDS_REFERENCE = "FAD needs a reference set: run `imaudible-site evaluate --reference AUDIO_DIR`"


def assemble(records: list[dict], scores: dict, *, title: str, skipped: list[str], fad: dict | None = None,
             genre: dict | None = None, variants: list[dict] | None = None, previous: dict | None = None) -> dict:
    """report.json: records (see `measures`) with their scores, the gallery summary and the maps. A map whose
    inputs match the `previous` report's is reused, so an unchanged gallery imports no scikit-learn."""
    artworks = []
    for r in records:
        chosen = measures.chosen_take(r)
        artworks.append({
            "id": r["id"], "title": r["title"], "artist": r.get("artist", ""), "thumb": r.get("thumb"),
            "caption": r["caption"], "prompt": r["prompt"], "models": r["models"], "drafts": r["drafts"],
            "image_mood": r["image_mood"],
            "music_mood": {"valence": chosen["measures"]["valence"], "arousal": chosen["measures"]["arousal"]},
            "audio": chosen.get("audio"),
            "scores": scores["artworks"][r["id"]],
            "takes": [{"number": t["number"], "chosen": bool(t.get("chosen")), "reason": t.get("reason", ""),
                       "rank_score": t.get("rank_score"), "audio": t.get("audio"), "health": t["measures"]["health"],
                       "features": t["measures"]["features"], "valence": t["measures"]["valence"],
                       "arousal": t["measures"]["arousal"]} for t in r["takes"]],
        })
    clap_audio = [measures.chosen_take(r).get("clap") for r in records]
    prompt_vectors = scores.get("prompt_embeddings")
    earlier = (previous or {}).get("maps") or {}
    has_clap_audio = all(v is not None for v in clap_audio) and bool(records)
    maps = {
        "prompts": _map(earlier.get("prompts"), "CLAP text embeddings" if prompt_vectors else
                        "TF-IDF of the prompt words (no CLAP)", prompt_vectors or [r["prompt"] for r in records],
                        lambda: plots.pca_2d(prompt_vectors if prompt_vectors else
                                             plots.text_vectors([r["prompt"] for r in records]))),
        "audio": _map(earlier.get("audio"), "CLAP audio embeddings" if has_clap_audio else
                      "standardised audio features (no CLAP)",
                      clap_audio if has_clap_audio else [measures.chosen_take(r)["measures"]["vector"] for r in records],
                      lambda: plots.pca_2d(clap_audio if has_clap_audio else
                                           [measures.chosen_take(r)["measures"]["vector"] for r in records])),
    }
    return {"generator": f"imaudible {__version__}", "measures_version": measures.VERSION, "gallery": title,
            "skipped": list(skipped), "summary": scores["summary"],
            "fad": fad or {"note": FAD_NEEDS_REFERENCE}, "genre_kl": genre, "variants": variants or [],
            "maps": maps, "artworks": artworks, "links": {}}


def _map(earlier: dict | None, source: str, inputs: list, compute) -> dict:
    digest = hashlib.sha256(json.dumps([source, inputs], allow_nan=False).encode()).hexdigest()
    if isinstance(earlier, dict) and earlier.get("inputs") == digest and isinstance(earlier.get("points"), list) \
            and len(earlier["points"]) == len(inputs):
        return {"source": source, "inputs": digest, "points": earlier["points"]}
    return {"source": source, "inputs": digest, "points": _rounded(compute())}


def previous_report(gallery_root: Path) -> dict | None:
    """The report.json an earlier evaluation wrote, or None when there is none or it does not parse."""
    try:
        data = json.loads((Path(gallery_root) / REPORT_DIR / "report.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _rounded(points) -> list[list[float]]:
    return [[round(float(x), 4), round(float(y), 4)] for x, y in points]


def _num(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _summary_rows(summary: dict) -> list[dict]:
    rows = []
    mood = summary.get("mood", {}).get("control")
    if mood:
        rows.append({"label": "mood distance, audio features (lower is better)", "true": mood["true_mean"],
                     "shuffled": mood["shuffled_mean"], "margin": mood["margin"], "p": mood["p_value"]})
    clap = summary.get("clap")
    if clap:
        for key, label in (("prompt", "CLAP clip-prompt similarity"), ("caption", "CLAP clip-caption similarity")):
            c = clap[key]
            rows.append({"label": label, "true": c["true_mean"], "shuffled": c["shuffled_mean"],
                         "margin": c["margin"], "p": c["p_value"]})
        c = clap["zero_shot_mood"]["control"]
        rows.append({"label": "mood distance, CLAP zero-shot (lower is better)", "true": c["true_mean"],
                     "shuffled": c["shuffled_mean"], "margin": c["margin"], "p": c["p_value"]})
    return rows


def fad_line(space: dict) -> str:
    """One FAD figure with what it rests on: window counts, and the dimensions and covariance estimator."""
    fitted = f"; {space['dimensions']} dimensions, {space['covariance']}" if space.get("covariance") else ""
    note = f"; {space['note']}" if space.get("note") else ""
    return (f"{_num(space['fad'])} ({space['windows_generated']} generated windows, "
            f"{space['windows_reference']} reference windows{fitted}{note})")


def _facts(report: dict) -> list[tuple]:
    """(label, value, css class or None) rows of the summary."""
    s = report["summary"]
    facts = []
    for key, label in (("valence_correlation", "valence correlation, image vs music"),
                       ("arousal_correlation", "arousal correlation, image vs music")):
        c = s.get("mood", {}).get(key) or {}
        facts.append((label, f"r = {_num(c.get('r'))} (p = {_num(c.get('p_value'))}, n = {c.get('n', 0)})"))
    h = s.get("health", {})
    facts.append(("audio health", f"mean {_num(h.get('mean_loudness_lufs'))} LUFS, highest peak "
                  f"{_num(h.get('max_true_peak_dbtp'))} dBTP, mean repetition {_num(h.get('mean_repetition'))}, "
                  f"{h.get('clips_with_problems', 0)} clip(s) with problems"))
    d = s.get("drafts", {})
    facts.append(("drafts", f"{d.get('caption', 0)} draft caption(s), {d.get('music', 0)} draft clip(s)"))
    fad = report.get("fad") or {}
    if "note" in fad:
        facts.append(("FAD", fad["note"]))
    for space, value in (fad.get("spaces") or {}).items():
        facts.append((f"FAD ({space})", fad_line(value)))
        if value.get("warning"):
            facts.append((f"FAD ({space}) is unreliable", value["warning"], "problems"))
    if report.get("genre_kl"):
        g = report["genre_kl"]
        facts.append((g["label"], _num(g.get("value"))))
    return [(*fact, None)[:3] for fact in facts]


def render_html(report: dict, token: str | None = None) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ASSETS)), autoescape=True)
    env.filters["num"], env.filters["pct"] = _num, _pct
    items = [{"id": a["id"], "title": a["title"], "thumb": a["thumb"], "audio": a["audio"],
              "image_mood": a["image_mood"], "music_mood": a["music_mood"]} for a in report["artworks"]]
    svg = {"mood": plots.mood_map(items),
           "prompts": plots.pca_map(items, report["maps"]["prompts"]["points"], "PCA of prompt embeddings"),
           "audio": plots.pca_map(items, report["maps"]["audio"]["points"], "PCA of audio embeddings")}
    return env.get_template("report.html").render(report=report, plots=svg, csp=CSP, token=token,
                                                  summary_rows=_summary_rows(report["summary"]),
                                                  facts=_facts(report))


CSV_COLUMNS = ["id", "title", "caption_model", "caption_draft", "music_model", "music_draft", "image_valence",
               "image_arousal", "music_valence", "music_arousal", "mood_distance", "clap_prompt", "clap_caption",
               "loudness_lufs", "true_peak_dbtp", "silent_share", "clipped_share", "repetition", "problems",
               "takes", "chosen_take"]


def render_csv(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for a in report["artworks"]:
        chosen = next((t for t in a["takes"] if t["chosen"]), a["takes"][0])
        h = chosen["health"]
        writer.writerow({"id": a["id"], "title": a["title"], "caption_model": a["models"].get("caption"),
                         "caption_draft": a["drafts"].get("caption"), "music_model": a["models"].get("music"),
                         "music_draft": a["drafts"].get("music"), "image_valence": a["image_mood"]["valence"],
                         "image_arousal": a["image_mood"]["arousal"], "music_valence": a["music_mood"]["valence"],
                         "music_arousal": a["music_mood"]["arousal"], "mood_distance": a["scores"].get("mood_distance"),
                         "clap_prompt": a["scores"].get("clap_prompt"), "clap_caption": a["scores"].get("clap_caption"),
                         "loudness_lufs": h["loudness_lufs"], "true_peak_dbtp": h["true_peak_dbtp"],
                         "silent_share": h["silent_share"], "clipped_share": h["clipped_share"],
                         "repetition": h["repetition"], "problems": "; ".join(h["problems"]),
                         "takes": len(a["takes"]), "chosen_take": chosen["number"]})
    return buf.getvalue()


class ReportLocationError(ValueError):
    """The report folder cannot be written where it belongs (one-line message)."""


def check_location(gallery_root: Path, out: Path) -> Path:
    """GALLERY/report, refused when it is not a real folder, or when it and the build's output folder overlap:
    the report must not be published with the site, and its clean-up must never delete the site."""
    folder = Path(gallery_root).resolve() / REPORT_DIR
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ReportLocationError(f"'{folder}' is a file or a link; evaluate writes its report folder there "
                                  "(move it away and run again)")
    out = Path(out).resolve()
    if folder == out or out in folder.parents:
        where = "would be the published folder" if folder == out else f"would be inside the published folder {out}"
        raise ReportLocationError(f"the report folder {folder} {where} (choose another --out)")
    if folder in out.parents:
        raise ReportLocationError(f"the output folder {out} is inside the report folder {folder}, which evaluate "
                                  "rewrites (choose another --out)")
    return folder


def write_report(gallery_root: Path, out: Path, report: dict, media: dict[str, bytes | Path]) -> Path:
    """Write report/ into the gallery folder (refusing a folder inside `out`); media maps report-relative
    paths (e.g. "media/x.webm") to bytes or files to copy. Files of an earlier report not written now go."""
    folder = check_location(gallery_root, out)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes | Path] = {
        "index.html": render_html(report).encode(), "report.json": _json(report), "report.csv": render_csv(report).encode(),
        "report.js": ASSETS / "report.js", "report.css": ASSETS / "report.css", **media}
    for rel, source in files.items():
        _write(folder / rel, source)
    wanted = {(folder / rel).resolve() for rel in files}
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.resolve() not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return folder


def add_to_site(gallery_root: Path, add, data: dict) -> None:
    """`report: public`: the build copies report/ (when `evaluate` wrote one) into build/report/ and links it."""
    folder = Path(gallery_root) / REPORT_DIR
    if (folder / "index.html").is_file():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                add(f"{REPORT_DIR}/{path.relative_to(folder).as_posix()}", path.read_bytes())
        data["report"] = f"{REPORT_DIR}/"


def _json(report: dict) -> bytes:
    return json.dumps(report, indent=1, ensure_ascii=False, allow_nan=False).encode()


def _write(path: Path, source: bytes | Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(source, Path):
        if path.exists() and path.stat().st_size == source.stat().st_size and path.read_bytes() == source.read_bytes():
            return
        try:
            os.link(source, tmp)   # cached results never change: a hard link is a free copy
        except OSError:
            shutil.copyfile(source, tmp)
    else:
        tmp.write_bytes(source)
    os.replace(tmp, path)

"""The curator's report: `report/index.html` (static SVG plots, one row per artwork, a player per take),
`report/report.json` and `report/report.csv`, written into the gallery folder beside build/, never inside it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from pathlib import Path

from .. import __version__
from ..engine.atomic import write_if_changed
from ..headers import CSP as SITE_CSP
from ..state_files import read_state_file
from ..types import REPORT_DIR
from . import measures, plots, text
from .public import public_report
from .text import render_csv

ASSETS = Path(__file__).parent / "assets"
# The site's policy, minus frame-ancestors (ignored, with a console error, in a <meta> policy).
CSP = "; ".join(part for part in SITE_CSP.split("; ") if not part.startswith("frame-ancestors"))
FAD_NEEDS_REFERENCE = "FAD needs a reference set: run `imaudible-site evaluate --reference AUDIO_DIR`"


def assemble(records: list[dict], scores: dict, *, title: str, skipped: list[str], fad: dict | None = None,
             genre: dict | None = None, variants: list[dict] | None = None, previous: dict | None = None,
             failed: list[str] | None = None) -> dict:
    """report.json: records (see `measures`) with their scores, the gallery summary and the maps. A map whose
    inputs match the `previous` report's is reused, so an unchanged gallery imports no scikit-learn. `failed`:
    a line per artwork that failed to build (as `build` says it), left out of every measure."""
    artworks = []
    for r in records:
        chosen = measures.chosen_take(r)
        gap = measures.music_mood_gap(r)
        artworks.append({
            "id": r["id"], "title": r["title"], "artist": r.get("artist", ""), "thumb": r.get("thumb"),
            "caption": r["caption"], "prompt": r["prompt"], "models": r["models"], "drafts": r["drafts"],
            "generation": r.get("generation"),
            "image_mood": r["image_mood"],
            "music_mood": {"valence": chosen["measures"]["valence"], "arousal": chosen["measures"]["arousal"],
                           **({"unmeasured": gap} if gap else {})},
            "audio": chosen.get("audio"),
            "scores": scores["artworks"][r["id"]],
            "takes": [{"number": t["number"], "chosen": bool(t.get("chosen")), "reason": t.get("reason", ""),
                       "rank_score": t.get("rank_score"), "audio": t.get("audio"),
                       "seconds": t["measures"].get("seconds"), "heard": t.get("heard"),
                       "health": t["measures"]["health"], "features": t["measures"]["features"],
                       "valence": t["measures"]["valence"], "arousal": t["measures"]["arousal"],
                       "at_alternative_tempo": t["measures"].get("at_alternative_tempo"),
                       "unmeasured": t["measures"].get("unmeasured") or {}} for t in r["takes"]],
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
            "skipped": list(skipped), "failed": list(failed or []), "summary": scores["summary"],
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
        data = json.loads(read_state_file(Path(gallery_root) / REPORT_DIR / "report.json").decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _rounded(points) -> list[list[float]]:
    return [[round(float(x), 4), round(float(y), 4)] for x, y in points]


def render_html(report: dict, token: str | None = None) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ASSETS)), autoescape=True)
    env.filters.update(num=text.num, p_value=text.p_value, pct=text.pct, bpm=text.bpm, unmeasured_line=text.unmeasured_line)
    env.globals["TOO_SHORT"] = text.TOO_SHORT
    items = [{"id": a["id"], "title": a["title"], "thumb": a["thumb"], "audio": a["audio"],
              "image_mood": a["image_mood"], "music_mood": a["music_mood"]} for a in report["artworks"]]
    svg = {"mood": plots.mood_map(items),
           "prompts": plots.pca_map(items, report["maps"]["prompts"]["points"], "PCA of prompt embeddings"),
           "audio": plots.pca_map(items, report["maps"]["audio"]["points"], "PCA of audio embeddings")}
    return env.get_template("report.html").render(report=report, plots=svg, csp=CSP, token=token,
                                                  summary_rows=text.summary_rows(report["summary"]),
                                                  facts=text.facts(report))


REPORT_FILES = ("index.html", "report.json", "report.csv", "report.js", "report.css")
_TEMPORARY = re.compile(r"\..+\.tmp")   # what a killed atomic_write leaves


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
    paths (e.g. "media/x.webm") to bytes or files to copy. Files of an earlier report not written now go: the
    media/ this writer fills and its killed writes' temporary files, never other files a curator keeps in
    report/ (notes, an image the manifest names). A symlink found in it (a gallery may ship one) is removed,
    the link only, and replaced by a real folder or file: nothing is written through it."""
    folder = check_location(gallery_root, out)
    folder.mkdir(parents=True, exist_ok=True)
    # What the pages name first, the pages last, stale files after them: a write cut short leaves the last
    # report's pages whole, and every file a page names present.
    files: dict[str, bytes | Path] = {
        **media, "report.js": ASSETS / "report.js", "report.css": ASSETS / "report.css",
        "report.csv": render_csv(report).encode(), "report.json": _json(report), "index.html": render_html(report).encode()}
    for rel, source in files.items():
        _write(folder, rel, source)
    wanted = {folder / rel for rel in files}
    media_folder = folder / "media"
    for top, dirs, names in os.walk(folder, topdown=False):   # lists symlinked folders without entering them
        for name in names + dirs:
            path = Path(top) / name
            ours = path == media_folder or _written_by_evaluate(folder, path) or bool(_TEMPORARY.fullmatch(name))
            if path.is_symlink() or (ours and path not in wanted and not path.is_dir()):
                path.unlink()
            elif ours and path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return folder


def add_to_site(gallery_root: Path, add, data: dict, warn=None) -> None:
    """`report: public`: the build copies report/ (when `evaluate` wrote one) into build/report/ and links it.
    Only the report's own regular files are published (its pages, data and media/, never other files kept in
    report/); a symlink in report/ (or report/ itself being one) could lead anywhere on
    this machine, so it is skipped with a warning, and its target never read. The page, report.json and
    report.csv are made afresh from report.json by `public.public_report`: no local path is published (a
    report without report.json, which `evaluate` always writes, is published as it is)."""
    warn = warn or _warn
    folder = Path(gallery_root) / REPORT_DIR
    if folder.is_symlink():
        warn(f"not publishing the report: '{folder}' is a symlink to '{os.readlink(folder)}'")
        return
    found: dict[str, Path] = {}
    for top, dirs, names in os.walk(folder):   # never enters a symlinked folder
        dirs[:] = [d for d in dirs if not d.startswith(".")]   # hidden, like the gallery's own static/ files
        for name in sorted(dirs + [n for n in names if not n.startswith(".")]):
            path = Path(top) / name
            if path.is_symlink():
                warn(f"not publishing '{path}' with the report: it is a symlink to '{os.readlink(path)}'")
            elif name in names and stat.S_ISREG(os.lstat(path).st_mode) and _written_by_evaluate(folder, path):
                found[path.relative_to(folder).as_posix()] = path
    if "index.html" not in found:
        return
    made = {}
    if "report.json" in found:   # else a page evaluate did not write: there is nothing to make it from
        try:
            report = public_report(json.loads(read_state_file(found["report.json"]).decode("utf-8")))
            made = {"index.html": render_html(report).encode(), "report.json": _json(report),
                    "report.csv": render_csv(report).encode()}
        except Exception as exc:  # noqa: BLE001 - an old or hand-edited report.json must not fail the build
            warn(f"not publishing the report: report.json cannot be read ({type(exc).__name__}: {exc}); "
                 "run `imaudible-site evaluate` again")
            return
    for rel, path in sorted(found.items()):
        add(f"{REPORT_DIR}/{rel}", made[rel] if rel in made else read_state_file(path))
    for rel in sorted(set(made) - set(found)):
        add(f"{REPORT_DIR}/{rel}", made[rel])
    data["report"] = f"{REPORT_DIR}/"


def _written_by_evaluate(folder: Path, path: Path) -> bool:
    """A page, data file or medium of the report, not a file the curator keeps in report/ (notes, an image):
    those are neither swept nor published."""
    return path.parent == folder and path.name in REPORT_FILES or folder / "media" in path.parents


def _warn(message: str) -> None:
    from ..progress import printable

    print(printable(f"warning: {message}"), file=sys.stderr, flush=True)


def _json(report: dict) -> bytes:
    return json.dumps(report, indent=1, ensure_ascii=False, allow_nan=False).encode()


def _write(folder: Path, rel: str, source: bytes | Path) -> None:
    """folder/rel, written whole or not at all. Whatever is not a real folder where one belongs, and a symlink
    where the file goes, is removed first (the link itself, never its target); the temporary file is created
    afresh. Sources are copied, never hard-linked: editing the report in place must not change the package's
    own report.js or a cached result."""
    here = folder
    for part in rel.split("/")[:-1]:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            here.unlink()
        here.mkdir(exist_ok=True)
    path = folder / rel
    # a cached file (StoredFile) is read through its recorded size and SHA-256: damaged bytes are never copied
    data = source.read_bytes() if isinstance(source, Path) else source if isinstance(source, bytes) else source.read()
    if path.is_symlink():
        path.unlink()
    write_if_changed(path, data, durable=False)

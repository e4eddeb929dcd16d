"""`imaudible-site evaluate`: build (from cache where it can), measure, and write the report.

The build's results are read as plain `ArtworkInput`s (`inputs_from_build`), so the measures never see
the build's internals.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import CACHE_DIR_NAME, Cache
from . import control, measures, report, variants
from .run import ArtworkInput, ClipMeasurer, TakeInput, records_and_media


@dataclass
class Evaluation:
    folder: Path
    data: dict
    computed: int = 0
    cached: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _thumb(run) -> Path | None:
    for d in run.entries["ingest"].meta.get("derivatives", []):
        if d["name"] == "thumb":
            return run.entries["ingest"].file(d["file"])
    return None


def inputs_from_build(result) -> list[ArtworkInput]:
    """One input per built artwork: its image mood, texts, models and every take the cache holds."""
    from ..audio import clip_from_bytes
    from ..backends.takes import take_file, take_reason

    out = []
    for run in result.runs:
        if run.error:
            continue
        music, audio = run.entries["music"], run.entries["audio"]
        choice = music.meta.get("takes") or {"chosen": 0, "count": 1, "ranker": "single take"}
        pinned = run.art.music.take
        if pinned is not None and not music.file(take_file(pinned, choice["chosen"])).is_file():
            pinned = None       # the build warned and used the ranked choice
        used = pinned or choice["chosen"] + 1
        encoded = {f: audio.file(f"audio.{f}") for f in audio.meta.get("formats", ["webm", "m4a"])}
        takes = []
        for number in range(1, int(choice["count"]) + 1):
            name = take_file(number, choice["chosen"])

            def load(entry=music, name=name):
                clip = clip_from_bytes(entry.read(name))
                return clip.samples, clip.sample_rate

            scores = choice.get("scores") or []
            takes.append(TakeInput(number=number, chosen=number == used, reason=take_reason(choice, number, pinned),
                                   clip_key=f"{music.key}/{name}", load=load,
                                   encoded=encoded if number == used else {},
                                   rank_score=scores[number - 1] if len(scores) >= number and len(scores) > 1 else None))
        out.append(ArtworkInput(
            id=run.id, title=run.art.title, artist=run.art.artist, caption=run.caption, prompt=run.prompt,
            image_mood={"valence": round(run.mood.valence, 4), "arousal": round(run.mood.arousal, 4)},
            models={"caption": run.caption_model, "music": music.meta.get("model", "")},
            drafts={"caption": bool(run.caption_draft), "music": bool(music.meta.get("draft"))},
            takes=takes, thumb=_thumb(run)))
    return out


def _build(gallery, out: Path, jobs: int, progress):
    from ..pipeline import Builder

    return Builder(gallery, out, jobs=jobs, progress=progress).build()


def _clap(gallery, skipped: list[str]):
    from ..models import resolve_clap_model

    resolved = resolve_clap_model(gallery.evaluate.clap_model, gallery_root=gallery.root)
    if not resolved.available or resolved.path is None:
        skipped.append(f"Prompt adherence, CLAP zero-shot mood and FAD in CLAP space skipped: "
                       f"{resolved.missing_message()}")
        return None
    try:
        from ..backends import choose_device
        from ..backends.clap import ClapScorer
        return ClapScorer(resolved, choose_device("auto"))
    except Exception as exc:  # noqa: BLE001 - e.g. torch missing: say so, run the weight-free measures
        skipped.append(f"CLAP measures skipped: {str(exc).splitlines()[0]}")
        return None


def _measure(gallery, out: Path, jobs: int, progress, clap) -> tuple[list[ArtworkInput], list[dict], dict, ClipMeasurer, list]:
    result = _build(gallery, out, jobs, progress)
    artworks = inputs_from_build(result)
    measurer = ClipMeasurer(Cache(gallery.root / CACHE_DIR_NAME), gallery.audio, jobs=jobs, clap=clap)
    entries = measurer.measure(artworks)
    records, media = records_and_media(artworks, entries, measurer.clap_embeddings(artworks))
    failed = [f"{r.id}: {r.error}" for r in result.failures]
    return artworks, records, media, measurer, failed


VARIANT_MEASURES = {
    "mood distance (features)": lambda s, r: s["artworks"][r["id"]]["mood_distance"],
    "CLAP clip-prompt similarity": lambda s, r: s["artworks"][r["id"]].get("clap_prompt"),
    "repetition": lambda s, r: measures.chosen_take(r)["measures"]["health"]["repetition"],
    "music arousal": lambda s, r: measures.chosen_take(r)["measures"]["arousal"],
    "music valence": lambda s, r: measures.chosen_take(r)["measures"]["valence"],
}


def _variant(gallery, assignment: str, base_records, base_scores, jobs, progress, clap) -> dict:
    changed = variants.apply(gallery, assignment)
    with tempfile.TemporaryDirectory(prefix="imaudible-variant-") as tmp:  # the variant's site is thrown away
        _, records, _, measurer, _ = _measure(changed, Path(tmp) / "site", jobs, progress, clap)
    scores = measures.gallery_measures(records, clap)
    by_id = {r["id"]: r for r in records}
    shared = [r for r in base_records if r["id"] in by_id]
    tests = {}
    for name, value in VARIANT_MEASURES.items():
        current = [value(base_scores, r) for r in shared]
        variant = [value(scores, by_id[r["id"]]) for r in shared]
        if all(v is not None for v in current + variant):
            tests[name] = control.paired_test(current, variant)
    return {"name": assignment, "test": "Wilcoxon signed-rank", "tests": tests,
            "summary": scores["summary"], "computed": measurer.computed}


def evaluate(gallery, out: Path, *, reference: Path | None = None, variant_args=(), jobs: int = 1,
             progress=None) -> Evaluation:
    from ..progress import Progress

    progress = progress or Progress(quiet=True)
    for assignment in variant_args:   # bad --variant: fail before any work
        variants.apply(gallery, assignment)
    skipped: list[str] = []
    clap = _clap(gallery, skipped)
    artworks, records, media, measurer, failed = _measure(gallery, out, jobs, progress, clap)
    scores = measures.gallery_measures(records, clap)
    fad = _fad(gallery, artworks, reference, clap, skipped) if reference else None
    genre = _genre(gallery, artworks, reference, skipped) if gallery.evaluate.genre_model else None
    variant_results = [_variant(gallery, v, records, scores, jobs, progress, clap) for v in variant_args]
    data = report.assemble(records, scores, title=gallery.title, skipped=skipped, fad=fad, genre=genre,
                           variants=variant_results)
    if gallery.report == "public":
        data["links"]["site"] = "../"
    folder = report.write_report(gallery.root, out, data, media)
    if gallery.report == "public":
        _build(gallery, out, jobs, progress)   # all cached: only copies the new report into the site
    return Evaluation(folder, data, measurer.computed, measurer.cached, skipped, failed)


def _fad(gallery, artworks, reference: Path, clap, skipped: list[str]) -> dict:
    from . import reference as ref

    spaces = {}
    if clap is not None:
        spaces["CLAP"] = clap
    if gallery.evaluate.audio_encoder:
        from ..models import resolve_evaluation_model
        resolved = resolve_evaluation_model("encoder", gallery.evaluate.audio_encoder, gallery_root=gallery.root)
        if resolved.available:
            from .encoders import HFAudioModel
            spaces[gallery.evaluate.audio_encoder] = HFAudioModel(resolved)
        else:
            skipped.append(f"FAD in the encoder's space skipped: {resolved.missing_message()}")
    if not spaces:
        return {"note": "FAD needs an embedding model: no CLAP weights and no evaluate.audio_encoder available"}
    generated = [take.load() for art in artworks for take in art.takes if take.chosen]
    return ref.fad_spaces(generated, ref.load_reference(reference), spaces)


def _genre(gallery, artworks, reference: Path | None, skipped: list[str]) -> dict | None:
    from ..models import resolve_evaluation_model
    from . import genre
    from . import reference as ref

    if reference is None:
        return {"label": genre.LABEL, "value": None, "note": "genre-KL needs a reference set (--reference)"}
    resolved = resolve_evaluation_model("genre", gallery.evaluate.genre_model, gallery_root=gallery.root)
    if not resolved.available:
        skipped.append(f"Genre-KL skipped: {resolved.missing_message()}")
        return None
    from .encoders import HFAudioModel

    model = HFAudioModel(resolved, classifier=True)
    generated = [take.load() for art in artworks for take in art.takes if take.chosen]
    probs_gen = model.classify(ref._windows(generated, model))
    probs_ref = model.classify(ref._windows(ref.load_reference(reference), model))
    return {"label": genre.LABEL, "model": gallery.evaluate.genre_model,
            "value": round(genre.genre_kl(probs_gen, probs_ref), 4)}

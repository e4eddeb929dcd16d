"""`imaudible-site evaluate`: the build's stages plus the `evaluate` stage (all cached), then the gallery's
scores, controls and maps, written as the report beside build/."""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import summary
from ..scratch import scratch_folder
from . import control, measures, report, variants
from .run import clap_embeddings, records_and_media


@dataclass
class Evaluation:
    folder: Path | None   # None: nothing could be evaluated and no report was written
    data: dict
    computed: int = 0
    cached: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _clap(gallery, skipped: list[str]):
    from ..models import resolve_clap_model

    name = gallery.evaluate.clap_model
    if name == "auto":   # the take ranker's model: one CLAP scorer for ranking and evaluation
        name = gallery.music.ranker if gallery.music.ranker != "none" else "auto"
    resolved = resolve_clap_model(name, gallery_root=gallery.root)
    if resolved is None or not resolved.available or resolved.path is None:
        skipped.append("Prompt adherence, CLAP zero-shot mood and FAD in CLAP space skipped: "
                       + (resolved.missing_message() if resolved else "no CLAP model"))
        return None
    try:
        from ..backends import choose_device
        from ..backends.clap import ClapScorer
        return ClapScorer(resolved, choose_device("auto"))
    except Exception as exc:  # noqa: BLE001 - e.g. torch missing: say so, run the weight-free measures
        skipped.append(f"CLAP measures skipped: {str(exc).splitlines()[0]}")
        return None


def _run(gallery, out: Path, options: dict, clap, keep: set | None = None):
    """Build with the `evaluate` stage; the records, media, counts and failures. `keep`: see `_keeping`."""
    from ..engine.cache import CACHE_DIR_NAME, Cache
    from ..stages import STAGES
    from ..stages import evaluate as evaluate_stage

    cache = Cache(gallery.root / CACHE_DIR_NAME)
    with _keeping(cache, keep) as used:
        result = _build(gallery, out, stages=(*STAGES, evaluate_stage.STAGE), **options)
        states = [s for s in result.runs if not s.error]
        embeddings, clap_computed = {}, 0
        if clap is not None:
            embeddings, clap_used, clap_computed = clap_embeddings(states, cache, clap)
            used |= clap_used
    records, media = records_and_media(states, embeddings, gallery.music)
    counts = result.to_dict()["totals"]["by_stage"]["evaluate"]
    failed = [summary.failure(s) for s in result.failures]   # as `build` names them: id, file and stage
    return records, media, counts["computed"] + clap_computed, counts["cached"], failed, states


def _build(gallery, out: Path, **options):
    from ..build import build_gallery

    return build_gallery(gallery, out, **options)


@contextlib.contextmanager
def _keeping(cache, keep: set | None):
    """Around a build: afterwards the cache's in-use list (what `clean --unused` keeps) names what the build
    recorded, the results added to the yielded set (CLAP embeddings) and, with `keep`, the results in `keep`,
    which then gains all of those. A variant's build, or the rebuild that publishes the report, records only
    what it used: without `keep` (what the evaluation itself used), `clean --unused` after
    `evaluate --variant` deleted the site's music. Done when interrupted too."""
    used: set = set()
    try:
        yield used
    finally:
        if used or keep is not None:
            wanted = _in_use(cache) | used | (keep or set())
            if keep is not None:
                keep |= wanted
            try:
                cache.record_in_use(wanted)
            except OSError:
                if sys.exc_info()[0] is None:   # not while another error is on its way out
                    raise


def _in_use(cache) -> set[tuple[str, str]]:
    import json

    try:
        return {tuple(item) for item in json.loads((cache.root / "in-use.json").read_text())}
    except (FileNotFoundError, ValueError):
        return set()


VARIANT_MEASURES = {
    "mood distance (features)": lambda s, r: s["artworks"][r["id"]]["mood_distance"],
    "CLAP clip-prompt similarity": lambda s, r: s["artworks"][r["id"]].get("clap_prompt"),
    "repetition": lambda s, r: measures.chosen_take(r)["measures"]["health"]["repetition"],
    "music arousal": lambda s, r: measures.chosen_take(r)["measures"]["arousal"],
    "music valence": lambda s, r: measures.chosen_take(r)["measures"]["valence"],
}
MOOD_MEASURES = ("mood distance (features)", "music arousal", "music valence")   # None: the clip is too short


def _variant(gallery, assignment: str, base_records, base_scores, options, clap, keep: set) -> dict:
    changed = variants.apply(gallery, assignment)
    with scratch_folder("variant") as tmp:  # the variant's site is thrown away
        records, _, computed, _, _, _ = _run(changed, tmp / "site", options, clap, keep)
    scores = measures.gallery_measures(records, clap)
    by_id = {r["id"]: r for r in records}
    shared = [r for r in base_records if r["id"] in by_id]
    differ = sum(not variants.same_music(r, by_id[r["id"]]) for r in shared)
    # the prompt each variant clip was made from, and those that differ from the current ones (by id)
    prompts = {r["id"]: r["prompt"] for r in records}
    result = {"name": assignment, "test": "Wilcoxon signed-rank", "tests": {}, "summary": scores["summary"],
              "computed": computed, "artworks": len(shared), "music_changed": differ, "prompts": prompts,
              "prompts_changed": [r["id"] for r in shared if r["prompt"] != prompts[r["id"]]]}
    if shared and not differ:   # every pair is equal: p = 1 everywhere would look like a finding
        return {**result, "note": variants.NOTHING_TO_COMPARE}
    left_out = {}
    for name, value in VARIANT_MEASURES.items():
        pairs = [(value(base_scores, r), value(scores, by_id[r["id"]])) for r in shared]
        pairs = [p for p in pairs if None not in p]
        if pairs:
            result["tests"][name] = control.paired_test(*zip(*pairs))
        if len(pairs) < len(shared) and name in MOOD_MEASURES:
            left_out[name] = len(shared) - len(pairs)
    control.adjust_p_values(list(result["tests"].values()))   # a variant's tests are one family
    if left_out:
        result["left_out"] = {name: f"{count} artwork(s) left out: music {measures.TOO_SHORT}"
                              for name, count in left_out.items()}
    return result


def evaluate(gallery, out: Path, *, reference: Path | None = None, variant_args=(), jobs: int = 1,
             executor: str = "threads", progress=None) -> Evaluation:
    for assignment in variant_args:   # a bad --variant fails before any work
        variants.check_models(gallery, variants.apply(gallery, assignment), assignment)
    report.check_location(gallery.root, out)   # before any work: a clash would lose the site or the report
    reference_clips = None
    if reference is not None:
        from .reference import load_reference, reference_files
        reference_files(reference)      # likewise a missing or empty reference folder
    options = {"jobs": jobs, "executor": executor, "progress": progress}
    skipped: list[str] = []
    clap = _clap(gallery, skipped)
    if reference is not None and (clap is not None or gallery.evaluate.audio_encoder or gallery.evaluate.genre_model):
        reference_clips = load_reference(reference)   # decoded once, and a file that does not decode stops here
    records, media, computed, cached, failed, states = _run(gallery, out, options, clap)
    from ..engine.cache import CACHE_DIR_NAME, Cache
    cache = Cache(gallery.root / CACHE_DIR_NAME)
    keep = _in_use(cache)   # what the evaluation used: the builds below must not drop it from the in-use list
    if not records:   # every artwork failed: an empty report must not replace the last good one
        return Evaluation(None, {}, computed, cached, skipped, failed)
    scores = measures.gallery_measures(records, clap)
    fad = _fad(gallery, states, reference_clips, clap, skipped) if reference else None
    genre = _genre(gallery, states, reference_clips, skipped) if gallery.evaluate.genre_model else None
    variant_results = [_variant(gallery, v, records, scores, options, clap, keep) for v in variant_args]
    for v in variant_results:
        if v.get("note") and progress is not None:
            progress.warn(f"--variant {v['name']}: {v['note']}")
    data = report.assemble(records, scores, title=gallery.title, skipped=skipped, fad=fad, genre=genre,
                           variants=variant_results, previous=report.previous_report(gallery.root), failed=failed)
    # Under the build lock: two evaluations at once (or serve's refresh) wrote their files into report/ in
    # turn, and each deleted the other's media as stale, leaving a page of one run with the data of another.
    with cache.lock(on_wait=progress.wait if progress else None):
        folder = report.write_report(gallery.root, out, data, media)
    if gallery.report == "public":
        with _keeping(cache, keep):
            _build(gallery, out, **options)   # all cached: copies the new report into the site
    return Evaluation(folder, data, computed, cached, skipped, failed)


def _used_clips(states) -> list[tuple]:
    from ..audio import clip_from_bytes
    from .run import used_take

    clips = [clip_from_bytes(s.views["music"].take_clip(used_take(s)).read()) for s in states]
    return [(c.samples, c.sample_rate) for c in clips]


def _fad(gallery, states, reference: list | None, clap, skipped: list[str]) -> dict:
    from ..models import resolve_clap_model
    from . import reference as ref

    spaces = {"CLAP": clap} if clap is not None else {}
    if gallery.evaluate.audio_encoder:
        resolved = resolve_clap_model(gallery.evaluate.audio_encoder, gallery_root=gallery.root, kind="encoder")
        if resolved.available:
            from .encoders import HFAudioModel
            spaces[gallery.evaluate.audio_encoder] = HFAudioModel(resolved)
        else:
            skipped.append(f"FAD in the encoder's space skipped: {resolved.missing_message()}")
    if not spaces:
        return {"note": "FAD needs an embedding model: no CLAP weights and no evaluate.audio_encoder available"}
    return ref.fad_spaces(_used_clips(states), reference, spaces)


def _genre(gallery, states, reference: list | None, skipped: list[str]) -> dict | None:
    from ..models import resolve_clap_model
    from . import genre
    from . import reference as ref

    if reference is None:
        return {"label": genre.LABEL, "value": None, "note": "genre-KL needs a reference set (--reference)"}
    resolved = resolve_clap_model(gallery.evaluate.genre_model, gallery_root=gallery.root, kind="genre")
    if not resolved.available:
        skipped.append(f"Genre-KL skipped: {resolved.missing_message()}")
        return None
    from .encoders import HFAudioModel

    model = HFAudioModel(resolved, classifier=True)
    _, probs_gen = ref.per_clip(_used_clips(states), model, model.classify)
    _, probs_ref = ref.per_clip(reference, model, model.classify)
    if probs_gen is None or probs_ref is None:
        return {"label": genre.LABEL, "model": gallery.evaluate.genre_model, "value": None,
                "note": "genre-KL needs at least one window on each side"}
    return {"label": genre.LABEL, "model": gallery.evaluate.genre_model,
            "value": round(genre.genre_kl(probs_gen, probs_ref), 4)}

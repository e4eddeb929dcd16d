"""From a build with the `evaluate` stage to the plain records `measures` and `report` read.

The per-take measures come from the `evaluate` stage (cached by the engine); CLAP audio embeddings, when CLAP
weights are here, are cached per clip and CLAP model beside them. Everything else is recomputed each run.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.cache import stage_key

CLAP_STAGE = "evaluate-clap"
CLAP_VERSION = "1"   # of the cached embeddings: not measures.VERSION, whose changes leave a clip's embedding as it was


def used_take(state) -> int:
    """The take (1-based) the site uses: the pinned one if it exists, else the ranked choice."""
    music = state.views["music"]
    pinned = state.art.music.take
    if music.take_clips and pinned is not None and 1 <= pinned <= len(music.take_clips):
        return pinned
    return (music.takes or {}).get("chosen", 0) + 1 if music.take_clips else 1


def _thumb(state):
    """The artwork's thumbnail as a cached file (its bytes are checked when the report copies them), or None."""
    for image in state.views["derive"].images:
        if image.name == "thumb":
            return image.file
    return None


def records_and_media(states, embeddings: dict[str, list[float]], gallery_music=None) -> tuple[list[dict], dict[str, Path]]:
    """The records (see `measures`) of the built artworks, and the media files the report page links.
    `gallery_music`: the gallery's music settings, whose per-artwork values (seed, duration, ...) each record
    keeps, so that a reader of the report can make its clips again."""
    from ..backends.takes import take_reason
    from ..settings import MUSIC_OVERRIDABLE

    records, media = [], {}
    for state in states:
        views, art = state.views, state.art
        music, evaluation = views["music"], views["evaluate"]
        used = used_take(state)
        pinned = art.music.take if used == art.music.take else None
        choice = music.takes or {"chosen": 0, "ranker": "single take"}
        thumb = _thumb(state)
        if thumb is not None:
            media[f"media/{art.id}.thumb{thumb.path.suffix}"] = thumb
        takes = []
        for take in evaluation.takes:
            number = take["number"]
            sources = views["audio"].files if number == used else take["files"]   # StoredFiles: checked when read
            audio = {}
            for fmt, stored in sorted(sources.items()):
                audio[fmt] = f"media/{art.id}.take{number}.{fmt}"
                media[audio[fmt]] = stored
            scores = choice.get("scores") or []
            takes.append({"number": number, "chosen": number == used, "audio": audio, "measures": take["measures"],
                          "heard": take["heard"],
                          "reason": take_reason(choice, number, pinned) if music.takes else "the only take",
                          "rank_score": scores[number - 1] if music.takes and number <= len(scores) else None,
                          "clap": embeddings.get(art.id) if number == used else None})
        caption = views["caption"]
        records.append({
            "id": art.id, "title": art.title, "artist": art.artist,
            "thumb": f"media/{art.id}.thumb{thumb.path.suffix}" if thumb else None,
            "caption": caption.text, "prompt": views["prompt"].text,
            "models": {"caption": caption.model, "prompt": views["prompt"].model, "music": music.model},
            "drafts": {"caption": bool(caption.draft), "music": bool(music.draft)},
            "image_mood": image_mood(views["mood"], art.mood), "image_sha256": views["ingest"].sha256,
            "takes": takes, "music_identity": music_identity(music, used)})
        if gallery_music is not None:
            settings = art.music_settings(gallery_music)
            records[-1]["generation"] = {k: getattr(settings, k) for k in MUSIC_OVERRIDABLE}
    return records, media


def image_mood(mood, override) -> dict:
    """The mood the music was made for; `set_by_curator` names what gallery.yaml's `mood:` set instead of the
    image's own reading (the mood agreement then compares the music with the curator's numbers)."""
    out = {"valence": round(mood.valence, 4), "arousal": round(mood.arousal, 4)}
    curator = [k for k in ("valence", "arousal") if getattr(override, k) is not None]
    return {**out, "set_by_curator": curator} if curator else out


def music_identity(music, used: int) -> dict:
    """What tells two runs' music apart: the music result's key, and the SHA-256 of each take's stored clip
    with the take the site uses (equal keys mean equal music; other keys can still give the same bytes,
    e.g. when the composer ignores the option a variant changed)."""
    import hashlib

    clips = music.take_clips or (music.clip,)
    return {"key": music.clip.key, "used": used,
            "sha256": [c.sha256 or hashlib.sha256(c.read()).hexdigest() for c in clips]}


def clap_embeddings(states, cache, clap) -> tuple[dict[str, list[float]], set[tuple[str, str]], int]:
    """The used take's CLAP audio embedding per artwork (cached per clip and model), the cache entries used,
    and how many were computed."""
    from ..audio import clip_from_bytes

    out, used, todo = {}, set(), []
    for state in states:
        clip = state.views["music"].take_clip(used_take(state))
        key = stage_key(CLAP_STAGE, CLAP_VERSION, clip.key, clip.path.name, clap.name)
        entry = cache.get(CLAP_STAGE, key)
        if entry is not None:
            out[state.art.id] = entry.meta["embedding"]
        else:
            todo.append((state.art.id, clip, key))
        used.add((CLAP_STAGE, key))
    for start in range(0, len(todo), 8):
        batch = todo[start:start + 8]
        loaded = [clip_from_bytes(clip.read()) for _, clip, _ in batch]
        vectors = clap.embed_audio([c.samples for c in loaded], [c.sample_rate for c in loaded])
        for (art_id, _, key), vector in zip(batch, np.asarray(vectors)):
            out[art_id] = [round(float(v), 6) for v in vector]
            cache.put(CLAP_STAGE, key, {"embedding": out[art_id]}, {})
    return out, used, len(todo)

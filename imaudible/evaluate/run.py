"""Runs an evaluation over artworks described as plain inputs, caching each clip's measures.

Each take's measures (and its web encode, for takes the site did not use) are cached by the take's own
content key, so a second run recomputes nothing; the gallery-level scores, controls and maps are cheap and
recomputed each time from the cached results.
"""
from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..cache import stage_key
from . import measures

STAGE = "evaluate"


@dataclass
class TakeInput:
    number: int                       # 1-based, as the curator sees it
    chosen: bool
    reason: str
    clip_key: str                     # the content key of the raw take (e.g. the music result's cache key)
    load: Callable[[], tuple[np.ndarray, int]]
    encoded: dict[str, Path] = field(default_factory=dict)   # web encodes the build made (the chosen take)
    rank_score: float | None = None


@dataclass
class ArtworkInput:
    id: str
    title: str
    caption: str
    prompt: str
    image_mood: dict
    models: dict
    drafts: dict
    takes: list[TakeInput]
    artist: str = ""
    thumb: Path | None = None


class ClipMeasurer:
    """Per-take measures from the cache, or computed (on `jobs` threads) and stored."""

    def __init__(self, cache, audio_settings, jobs: int = 1, clap=None):
        self.cache, self.audio_settings, self.jobs, self.clap = cache, audio_settings, max(1, jobs), clap
        self.computed = self.cached = 0
        self.used: set[tuple[str, str]] = set()

    def key(self, take: TakeInput) -> str:
        finishing = dataclasses.asdict(self.audio_settings) if not take.encoded else None
        return stage_key(STAGE, measures.VERSION, take.clip_key, finishing)

    def _compute(self, take: TakeInput) -> tuple[dict, dict[str, bytes]]:
        samples, rate = take.load()
        meta = {"measures": measures.clip_measures(samples, rate)}
        files = {}
        if not take.encoded:   # a take the site did not use: finish and encode it so the report can play it
            from .. import audio
            from ..compose import Clip

            finished = audio.finish(Clip(np.atleast_2d(samples), rate), self.audio_settings)
            files = {f"audio.{fmt}": data for fmt, data in audio.encode(finished, self.audio_settings).items()}
        return meta, files

    def measure(self, artworks: list[ArtworkInput]) -> dict[tuple[str, int], object]:
        """{(artwork id, take number): cache Entry} for every take."""
        jobs, out = [], {}
        for art in artworks:
            for take in art.takes:
                key = self.key(take)
                entry = self.cache.get(STAGE, key)
                if entry is None:
                    jobs.append((art.id, take, key))
                else:
                    out[(art.id, take.number)] = entry
                    self.cached += 1

        def one(job):
            art_id, take, key = job
            meta, files = self._compute(take)
            return (art_id, take.number), self.cache.put(STAGE, key, meta, files)

        with ThreadPoolExecutor(self.jobs) as pool:
            for where, entry in pool.map(one, jobs):
                out[where] = entry
                self.computed += 1
        self.used |= {(STAGE, e.key) for e in out.values()}
        return out

    def clap_embeddings(self, artworks: list[ArtworkInput]) -> dict[str, list[float]]:
        """The chosen take's CLAP audio embedding per artwork, cached per clip and CLAP model."""
        if self.clap is None:
            return {}
        out, todo = {}, []
        for art in artworks:
            take = next(t for t in art.takes if t.chosen)
            key = stage_key(STAGE + "-clap", measures.VERSION, take.clip_key, self.clap.name)
            entry = self.cache.get(STAGE + "-clap", key)
            if entry is not None:
                out[art.id] = entry.meta["embedding"]
                self.used.add((STAGE + "-clap", key))
            else:
                todo.append((art.id, take, key))
        for start in range(0, len(todo), 8):
            batch = todo[start:start + 8]
            loaded = [t.load() for _, t, _ in batch]
            emb = self.clap.embed_audio([s for s, _ in loaded], [r for _, r in loaded])
            for (art_id, _, key), vector in zip(batch, emb):
                out[art_id] = [round(float(v), 6) for v in vector]
                self.cache.put(STAGE + "-clap", key, {"embedding": out[art_id]}, {})
                self.used.add((STAGE + "-clap", key))
                self.computed += 1
        return out


def records_and_media(artworks: list[ArtworkInput], entries: dict, embeddings: dict) -> tuple[list[dict], dict]:
    """The plain records `measures`/`report` read, and the media files the report page links."""
    records, media = [], {}
    for art in artworks:
        thumb = None
        if art.thumb is not None:
            thumb = f"media/{art.id}.thumb{art.thumb.suffix}"
            media[thumb] = art.thumb
        takes = []
        for take in art.takes:
            entry = entries[(art.id, take.number)]
            sources = take.encoded or {p.name.split(".", 1)[1]: p for p in entry.path.glob("audio.*")}
            audio = {}
            for fmt, path in sorted(sources.items()):
                rel = f"media/{art.id}.take{take.number}.{fmt}"
                media[rel] = path
                audio[fmt] = rel
            takes.append({"number": take.number, "chosen": take.chosen, "reason": take.reason,
                          "rank_score": take.rank_score, "audio": audio, "measures": entry.meta["measures"],
                          "clap": embeddings.get(art.id) if take.chosen else None})
        records.append({"id": art.id, "title": art.title, "artist": art.artist, "thumb": thumb, "caption": art.caption,
                        "prompt": art.prompt, "models": art.models, "drafts": art.drafts,
                        "image_mood": art.image_mood, "takes": takes})
    return records, media

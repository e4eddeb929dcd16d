"""Choosing the best of several takes: reject degenerate audio, rank the rest.

Degenerate takes (near-silence, clipping, collapse into a short loop) are found on the audio by the checks
in `evaluate/health.py`, which `evaluate` also reports for every clip, so every backend shares them.

The rest are ranked by CLAP text-audio similarity (cosine between the prompt's and the take's embeddings)
when a CLAP model's weights are available. Without CLAP the fallback score is the negated loop
correlation: of the healthy takes, the least repetitive one wins (ties keep the earlier take). When every take
is degenerate, the one with the fewest problems (then the loudest) is kept and the choice says so.
"""
from __future__ import annotations

import numpy as np

from ..compose import take_seed
from ..evaluate.health import dbfs as _dbfs
from ..evaluate.health import loop_correlation, take_problems
from ..evaluate.health import mono as _mono
from ..models import FALLBACK_RANKER
from ..types import TakeChoice
from .clap import ClapScorer

__all__ = ["ClapScorer", "RankedTakes", "TakeChoice", "choose_take", "every_take", "keep_best", "loop_correlation",
           "make_ranker", "take_problems", "take_reason", "take_rows", "take_seed"]


def choose_take(takes: list[np.ndarray], sample_rate: int, prompt: str, ranker=None) -> TakeChoice:
    """Index of the take to keep. `ranker`, if given, has `name` and `scores(prompt, takes, sample_rate)`."""
    problems = [take_problems(t, sample_rate) for t in takes]
    if len(takes) == 1:
        return TakeChoice(0, "single take", [0.0], problems)
    healthy = [i for i, p in enumerate(problems) if not p]
    if not healthy:
        worst_first = sorted(range(len(takes)), key=lambda i: (len(problems[i]), -_dbfs(_mono(takes[i])), i))
        return TakeChoice(worst_first[0], "all takes degenerate: fewest problems", [0.0] * len(takes), problems)
    if ranker is not None:
        scores = [float(s) for s in ranker.scores(prompt, [takes[i] for i in healthy], sample_rate)]
        name = ranker.name
    else:
        scores = [-loop_correlation(takes[i], sample_rate) for i in healthy]
        name = FALLBACK_RANKER
    full = [float("-inf")] * len(takes)
    for i, s in zip(healthy, scores):
        full[i] = s
    chosen = max(healthy, key=lambda i: (full[i], -i))
    return TakeChoice(chosen, name, full, problems)


def take_rows(requests) -> list[tuple[int, int]]:
    """(request index, take number) for every take of every request."""
    return [(r, t) for r, req in enumerate(requests) for t in range(max(1, int(req.settings.takes)))]


def keep_best(requests, audio: dict, sample_rate: int, ranker=None) -> tuple[list[np.ndarray], list[TakeChoice]]:
    """For each request, the chosen take's audio (from `audio[(request, take)]`) and how it was chosen."""
    kept, choices = [], []
    for r, req in enumerate(requests):
        takes = [audio[(r, t)] for t in range(max(1, int(req.settings.takes)))]
        choice = choose_take(takes, sample_rate, req.prompt, ranker if len(takes) > 1 else None)
        kept.append(takes[choice.chosen])
        choices.append(choice)
    return kept, choices


def every_take(requests, audio: dict) -> list[list[np.ndarray]]:
    """All takes of each request, in take order (the cache keeps them all, so a curator can pin any)."""
    return [[audio[(r, t)] for t in range(max(1, int(req.settings.takes)))] for r, req in enumerate(requests)]


def take_reason(choice: dict, number: int, pinned: int | None) -> str:
    """Why take `number` (1-based) is or is not the one the site uses, in words."""
    i = number - 1
    problems = (choice.get("problems") or [])[i] if i < len(choice.get("problems") or []) else []
    scores = choice.get("scores") or []
    score = scores[i] if i < len(scores) else None
    ranked = "best of the healthy takes" if len(scores) > 1 else "the only take"
    if pinned is not None:
        if number == pinned:
            return "kept: pinned by the curator (music.take)" + (f"; note: {'; '.join(problems)}" if problems else "")
        return "not used: the curator pinned take %d" % pinned
    if i == choice.get("chosen", 0):
        return f"kept: {ranked} ({choice.get('ranker', 'single take')})"
    if problems:
        return "rejected: " + "; ".join(problems)
    return f"not chosen: ranked lower ({choice.get('ranker')}, score {score:.3f})" if score is not None \
        else "not chosen"


def make_ranker(clap, device: str):
    """A ClapScorer when `clap` (the resolved `music.ranker`, None for 'none') has its weights here, else None."""
    return ClapScorer(clap, device) if clap is not None and clap.available and clap.path is not None else None


class RankedTakes:
    """Mixin for composers that choose among takes: the CLAP ranker, loaded on first use.

    Expects `self._clap_resolved`, `self.device` and `self._ranker` (None until loaded)."""

    @property
    def take_ranker(self) -> str:
        """Which ranker chooses among takes: part of what a cached result depends on when takes > 1."""
        ranker = self._get_ranker()
        return ranker.name if ranker is not None else FALLBACK_RANKER

    def _get_ranker(self):
        if self._ranker is None:
            self._ranker = make_ranker(self._clap_resolved, self.device) or False
        return self._ranker or None

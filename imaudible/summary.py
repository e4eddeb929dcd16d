"""What a build tells the curator around the stages: warnings about the site as a whole, and the closing
summary in artworks (built, from cache, drafts, failed) with the next step to take."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from .model_libraries import install_step, not_installed
from .progress import Progress

DRAFT_STEPS = ("run `imaudible-site models pull` in the gallery folder on a connected machine, or point "
               "caption.model / music.model at a local folder; `imaudible-site models list` shows details")
DRAFT_HINT = f"next: {DRAFT_STEPS}"


def draft_hint(resolved) -> str:
    """What to do about a draft: without the model's library (a plain `pip install imaudible`), install it
    first, since `models pull` needs it too."""
    if resolved.libraries:
        return f"next: {install_step(resolved.backend)}, then {DRAFT_STEPS}"
    return DRAFT_HINT


def draft_warning(resolved, count: int) -> str:
    """One line: which artworks get a draft and why (the details are in draft_hint and `models list`)."""
    what = "captions" if resolved.kind == "caption" else "music"
    stand_in = "the built-in describer" if resolved.kind == "caption" else "the built-in composer"
    reason = "has no weights on this machine" if not resolved.problem else "cannot be used here"
    if resolved.libraries:
        reason = f"cannot be loaded: {not_installed(resolved.libraries)}"
    return (f"{what} of {count} artwork{'s' if count != 1 else ''} {'are' if what == 'captions' else 'is'} a DRAFT "
            f"by {stand_in}: model '{resolved.model_id}' {reason}")


URL_WARNING = ("url: is not set in gallery.yaml, so link previews show no image (og:image is a relative URL) and "
               "404.html links from / (wrong for a site in a folder, such as a GitHub Pages project site)")
URL_HINT = "next: set `url:` to the address the site is published at (e.g. url: https://gallery.example.org/)"


def warn_about_site(gallery, progress: Progress) -> None:
    """Warnings about the built site as a whole, each once per session (a `serve` rebuilds many times)."""
    if not getattr(gallery, "url", None) and URL_WARNING not in progress.shown_hints:
        progress.shown_hints.add(URL_WARNING)
        progress.warn(URL_WARNING, URL_HINT)


def _is_draft(run) -> bool:
    """Whether a built-in stand-in wrote some stage's result (the stage's view says `draft`)."""
    return any(getattr(view, "draft", False) for view in run.views.values())


def artwork_counts(result) -> dict[str, int]:
    """Artworks, not stage results: built (something computed), from cache (nothing computed), drafts (a
    built-in stand-in wrote the caption or the music), failed."""
    counts = {"built": 0, "from_cache": 0, "drafts": 0, "failed": 0}
    for run in result.runs:
        if run.error:
            counts["failed"] += 1
            continue
        computed = any(record.status == "computed" for record in run.records.values())
        counts["built" if computed else "from_cache"] += 1
        counts["drafts"] += _is_draft(run)
    return counts


def _shown(path) -> str:
    rel = os.path.relpath(Path(path).resolve())
    return str(path) if rel.startswith("..") else rel


def failure(run) -> str:
    return f"artwork '{run.id}' ({run.art.file}) failed at {run.failed_stage}: {run.error}"


def failures_line(result) -> str:
    """The failed artworks in one line (the first named in full), as `serve` shows them over open pages."""
    first, more = failure(result.failures[0]), len(result.failures) - 1
    return first + (f"; and {more} more (see the terminal)" if more else "")


def print_summary(result, progress: Progress, next_step: bool, quiet: bool = False) -> None:
    for run in result.failures:
        progress.error(failure(run))
    counts = artwork_counts(result)
    total = len(result.runs)
    if quiet and not result.failures:
        return  # the warnings (drafts among them) were printed as they came
    out = _shown(result.out)
    progress.say(f"{total} artwork{'s' if total != 1 else ''} in {out} ({result.seconds:.1f}s): "
                 f"{counts['built']} built, {counts['from_cache']} from cache, {counts['drafts']} draft{'s' if counts['drafts'] != 1 else ''}, "
                 f"{counts['failed']} failed")
    if not next_step:
        return
    if result.failures:
        progress.say("next: fix the failures above and build again; finished artworks are cached")
        return
    gallery = _shown(result.gallery)
    progress.say(f"next: preview with `imaudible-site serve {shlex.quote(gallery)}`, then publish {out} "
                 f"(e.g. `netlify deploy --dir {shlex.quote(out)} --prod`)")

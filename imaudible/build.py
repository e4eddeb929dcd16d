"""`build`: gallery.yaml to build/, as a list of named phases.

1. plan     - which stages run, in which order (`engine.plan`, from `stages.STAGES`);
2. stages   - every artwork through every stage, from the cache where it can (`engine.runner`);
3. views    - each artwork's typed view, from the stages' read sides (`stages.view`);
4. site     - pages, data and assets written into build/ (`site`);
5. in use   - which cached results this build used, for `clean --unused`.

Everything runs under the cache's lock; only this process writes the cache and build/.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

from .engine.cache import CACHE_DIR_NAME, Cache
from .engine.executors import make_executor
from .engine.plan import make_plan
from .engine.report import ArtworkState, BuildReport
from .engine.runner import Runner
from .progress import Progress


def build_gallery(gallery, out: Path, *, force: bool | Iterable[str] = False, jobs: int = 2,
                  executor: str = "threads", progress: Progress | None = None, verbose: bool = False,
                  stages=None) -> BuildReport:
    from . import site
    from .stages import STAGES
    from .stages.view import artwork_view

    started = time.monotonic()
    out = Path(out)
    progress = progress or Progress(quiet=True)
    forced = {a.id for a in gallery.artworks} if force is True else set(force or ())
    cache = Cache(gallery.root / CACHE_DIR_NAME)
    plan = make_plan(STAGES if stages is None else stages, gallery)
    states = [ArtworkState(art) for art in gallery.artworks]
    report = BuildReport(str(gallery.root), str(out), tuple(s.name for s in plan),
                         tuple(s.name for s in plan if s.model), states)
    with cache.lock(on_wait=lambda: progress.log("waiting for another build of this gallery to finish...")):
        with make_executor(executor, jobs) as workers:
            runner = Runner(gallery, cache, workers, report, forced=forced, progress=progress, verbose=verbose)
            runner.run(plan, states)
        views = [artwork_view(s.art, s.views) for s in states if not s.error]
        report.pages_written, report.files_removed = site.render_site(gallery, views, out)
        cache.record_in_use(runner.used(states))
    report.seconds = time.monotonic() - started
    return report

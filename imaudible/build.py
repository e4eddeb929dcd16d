"""`build`: gallery.yaml to build/, as a list of named phases.

0. checks   - the out folder, the gallery's static/ and templates/, the front end (`site.preflight`) and
               the named models: what fails here fails before anything is written, the cache included;
   unchanged - with `skip_unchanged` (the CLI's builds), after the first of those checks: when the stamp a
               build that changed nothing left still holds (`engine.stamp`: same inputs by digest and stat,
               same cached results and site files by stat), its report is said again and nothing else runs;
1. plan     - which stages run, in which order (`engine.plan`, from `stages.STAGES`);
2. stages   - every artwork through every stage, from the cache where it can (`engine.runner`);
3. views    - each artwork's typed view, from the stages' read sides (`stages.view`);
4. site     - pages, data and assets written into build/ (`site`); a cached file found damaged while
               being copied is computed again and the site written again;
5. in use   - which cached results this build used, for `clean --unused`;
6. stamp    - when nothing was computed, failed or written: what it depended on, for `unchanged`.

Everything from 1 on runs under the cache's lock; only this process writes the cache and build/.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import time
from pathlib import Path
from typing import Iterable

from . import __version__, statcache
from .engine import last_build, stamp
from .engine.atomic import atomic_write
from .engine.cache import CACHE_DIR_NAME, Cache
from .engine.cache_lock import check_place
from .engine.executors import make_executor
from .engine.model_choice import ModelChoice
from .engine.plan import make_plan
from .engine.report import ArtworkState, BuildReport
from .engine.runner import Runner, results_used
from .progress import Progress


def open_executor(kind: str, jobs: int, run, address: str | None = None, verbose: bool = False,
                  may_spawn: bool = False):
    """The executor a build hands its batches to; `run` is the manifest's RunSettings."""
    if kind == "ray":
        from .engine.ray_executor import RayExecutor

        return RayExecutor(jobs, address or run.address, model_gpus=run.model_gpus, verbose=verbose)
    return make_executor(kind, jobs, may_spawn)


def build_gallery(gallery, out: Path, *, force: bool | Iterable[str] = False, jobs: int = 2,
                  executor: str | None = None, ray_address: str | None = None, progress: Progress | None = None,
                  verbose: bool = False, stages=None, skip_unchanged: bool = False,
                  not_inputs: Iterable[str | Path] = (), may_spawn: bool = False) -> BuildReport:
    """Build `gallery` into `out`. `skip_unchanged`: replay the last build when nothing it depended on changed
    (the report then holds records and the model and draft marks of views, not the views themselves);
    `not_inputs`: files the caller writes into the gallery folder itself (a report), not read by the build;
    `may_spawn`: the `auto` executor may start worker processes, which import the caller's main module (the
    command line's is guarded; leave it False from a script without `if __name__ == "__main__":`)."""
    from . import site
    from .stages import STAGES

    started = time.monotonic()
    out = Path(out)
    progress = progress or Progress(quiet=True)
    forced = {a.id for a in gallery.artworks} if force is True else set(force or ())
    plan = make_plan(STAGES if stages is None else stages, gallery)
    cache = Cache(gallery.root / CACHE_DIR_NAME,
                  shapes={stage.name: getattr(stage, "check_result", None) for stage in plan})
    states = [ArtworkState(art) for art in gallery.artworks]
    report = BuildReport(str(gallery.root), str(out), tuple(s.name for s in plan),
                         tuple(s.name for s in plan if s.model), states)
    kind = executor or gallery.run.executor
    # What can be found before the stages run is found first, before anything is written or started.
    check_place(cache.root)     # first: a cache linked elsewhere would make the site look inside it
    site.preflight(gallery, out)
    watched = lambda: _watched(gallery, out, not_inputs)  # noqa: E731
    if skip_unchanged and not forced and _replayed(gallery, out, plan, cache, report, progress, watched):
        report.seconds = time.monotonic() - started
        if report.executor.split(" ")[0] != kind:   # nothing ran: name the executor asked for, not the stamped one
            report.executor = kind
        return report
    with open_executor(kind, jobs, gallery.run, ray_address, verbose, may_spawn) as workers:
        report.executor = kind
        progress.detail = getattr(workers, "cluster_load", None)
        runner = Runner(gallery, cache, workers, report, forced=forced, progress=progress, verbose=verbose)
        cache.warn = runner.warn
        runner.models.check_early(plan, [s.art for s in states])
        with cache.lock(on_wait=progress.wait):
            stamp.discard(cache.root)
            runner.run(plan, states)
            statcache.close(cache.root)
            _say_warnings(gallery, plan, states, runner)
            report.pages_written, report.files_removed = _publish(gallery, out, runner, states)
            cache.record_in_use(results_used(states))
            if not cache.read_only:
                last_build.record(cache.root, runner.ran)
            cache.save_index()
            report.executor = workers.name        # `auto` has chosen by now
            if skip_unchanged and _changed_nothing(report):
                stamp.record(cache.root, _identity(gallery, out, plan, runner.models), watched(),
                             _checked_files(states, out), report.replay_payload(runner.said), atomic_write)
    report.seconds = time.monotonic() - started
    return report


WARNINGS_SHOWN = 5   # of one kind; more are counted in one line (the report lists each)


def _say_warnings(gallery, plan, states, runner: Runner) -> None:
    """Every build (cached or not) says what the stages have to say of their results: a few warnings of a
    kind one per line, a gallery of hundreds in one line, so they do not bury each other (the report keeps
    each)."""
    by_kind: dict[str, list[str]] = {}
    for stage in plan:
        for state in states:
            if stage.name in state.views:
                for warning in stage.warnings(gallery, state.art, state.views[stage.name]):
                    by_kind.setdefault(warning.kind, []).append(warning.message)
    for kind, messages in by_kind.items():
        shown = messages if len(messages) <= WARNINGS_SHOWN else messages[:WARNINGS_SHOWN - 2]
        for message in shown:
            runner.warn(message)
        if len(shown) < len(messages):
            runner.report.warnings.extend(messages[len(shown):])
            runner.warn(f"{len(messages) - len(shown)} more {kind} (each is listed in the build report: --report FILE)")


def _publish(gallery, out: Path, runner: Runner, states) -> tuple[int, int]:
    """Write the site, one build at a time in `out` (see `site.writing`)."""
    from . import site

    def wait() -> None:
        runner.progress.wait(f"waiting for another build writing '{out}' to finish...")

    with site.writing(out, on_wait=wait):
        written, removed, gone = _write_site(gallery, out, runner, states)
    _warn_of_gone_pages(gone - {s.id for s in states}, runner.warn)
    return written, removed


def _write_site(gallery, out: Path, runner: Runner, states) -> tuple[int, int, set[str]]:
    """A cached file found damaged while being copied is not published: its result is computed again and
    the site written again (twice at most; then that artwork fails and the site is written without it)."""
    from . import site
    from .stages.view import artwork_view

    written = removed = 0
    gone: set[str] = set()
    for attempt in range(4):
        views = [artwork_view(s.art, s.views) for s in states if not s.error]
        result = site.render_site(gallery, views, out, runner.warn)
        written, removed = written + result.written, removed + result.removed
        gone |= set(result.gone)
        if not result.damaged:
            break
        by_entry = {(e.stage, e.key): s for s in states for e in s.entries.values()}
        for exc in result.damaged:
            state = by_entry.get((exc.stage, exc.key))
            if state is None or state.error:
                continue
            if attempt >= 2:
                state.fail(exc.stage, f"its cached {exc.stage} result stays damaged: {exc.why}")
            else:
                runner.repair(state, exc)
    return written, removed, gone


def _warn_of_gone_pages(ids: set[str], warn) -> None:
    """An artwork's address is its id, made from its file name when not given: renaming the file moves its
    page, and links to the old one (shared, printed on a label) now reach the 404 page. Said once, when it
    happens; a failed artwork is left out (its failure is said)."""
    if not ids:
        return
    shown = ", ".join(f"art/{i}/" for i in sorted(ids)[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    example = sorted(ids)[0]
    warn(f"{len(ids)} artwork page{'s' if len(ids) > 1 else ''} of the last build {'are' if len(ids) > 1 else 'is'} "
         f"gone: {shown}; links to {'them' if len(ids) > 1 else 'it'} now reach the 404 page (if an image file was "
         f"renamed, give its artwork its old id to keep the address, e.g. `id: {example}`)")


# --- the stamp of a build that changed nothing (engine/stamp.py) -------------------------------------------
def _identity(gallery, out: Path, plan, models: ModelChoice) -> str:
    """Everything but files that the build's keys and site depend on."""
    parts = [stamp.HEADER, __version__, sys.version, sys.executable, gallery, os.path.realpath(out)]
    for stage in plan:
        parts.append((stage.name, stage.version, type(stage).__module__, type(stage).__qualname__))
        if stage.model:
            resolved = models.resolve(stage)
            parts.append(resolved)
            if resolved.is_model:
                parts.append(stage.model_options(gallery))
    return stamp.identity_of(parts)


def _watched(gallery, out: Path, not_inputs: Iterable[str | Path]) -> stamp.Watched:
    """The files the build reads: the gallery folder (but its output and cache), the tool's code and theme,
    the folders packages are installed in, the manifest and the sources (followed through symlinks)."""
    from . import site

    package = os.path.dirname(os.path.abspath(__file__))
    folders = [os.path.realpath(gallery.root), package,
               *(f for f in site.theme_folders() if not f.startswith(package + os.sep))]
    installed = {sysconfig.get_paths()[name] for name in ("purelib", "platlib")}
    files = [os.fspath(gallery.manifest_path), *(os.fspath(gallery.artwork_path(a)) for a in gallery.artworks),
             *sorted(installed)]
    return stamp.Watched(folders, files, {os.path.realpath(p) for p in (out, *not_inputs)})


def _checked_files(states, out: Path) -> list[str]:
    """What the build checked of its outputs: every cached result it used, every file of the site."""
    from . import site

    paths = [f"{entry.folder}/{name}" for state in states for entry in state.entries.values()
             for name in ("result.json", *(entry.files or ()))]
    return paths + site.written_files(out)


def _changed_nothing(report: BuildReport) -> bool:
    return not report.failures and not report.pages_written and not report.files_removed and all(
        record.status in ("cached", "skipped") for run in report.runs for record in run.records.values())


def _replayed(gallery, out: Path, plan, cache: Cache, report: BuildReport, progress: Progress, watched) -> bool:
    """Whether the stamp still holds; if it does, `report` is the stamped build's and its warnings are said."""
    if not (cache.root / stamp.FILE_NAME).is_file():
        return False
    identity = _identity(gallery, out, plan, ModelChoice(gallery, cache, set(), lambda *_: None))
    with cache.lock(on_wait=progress.wait):
        payload = stamp.check(cache.root, identity, watched())
    if payload is None:
        return False
    try:
        said = report.replay(payload)
    except (KeyError, TypeError, ValueError):
        return False      # a payload of another shape (the stamp's lines hold, its JSON was altered): a miss
    for message, hint in said:
        progress.warn(message, hint)
    return True

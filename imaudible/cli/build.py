"""`imaudible-site build`."""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shlex
import stat
import sys
from pathlib import Path

import click

from .. import summary
from ..manifest import MANIFEST_NAME
from ..progress import Progress
from ..settings import MAX_JOBS
from ..types import naming
from .errors import EXIT_FAILED, CliError, guarded
from .gallery import load_gallery
from .numbers import WholeNumber
from .paths import UserPath, not_a_gallery
from .where import display


def _is_gallery_path(target: str) -> bool:
    """Whether a `build` argument names the gallery (a folder or a manifest file) rather than an artwork id.
    Ids are slugs, so anything with a path separator, a manifest or a folder holding one is a path."""
    path = Path(target)
    return ((path / MANIFEST_NAME).is_file() or path.suffix in (".yaml", ".yml") or "/" in target
            or os.sep in target or target in (".", "..") or path.is_absolute())


def _split_targets(targets: tuple[str, ...], force: bool) -> tuple[Path, list[str]]:
    """`build [SITE_DIR] [--force [ARTWORK_ID ...]]`, in any order: the gallery folder is told from the ids by
    its shape (see `_is_gallery_path`); without --force, a single argument is the folder."""
    paths = [t for t in targets if _is_gallery_path(t)]
    ids = [t for t in targets if t not in paths]
    if not force and not paths and len(ids) == 1:
        paths, ids = ids, []
    if len(paths) > 1:
        raise click.UsageError(f"one gallery folder at a time: got '{paths[0]}' and '{paths[1]}'")
    if ids and not force:
        example = f"imaudible-site build {shlex.quote(paths[0] if paths else '.')} --force {shlex.quote(ids[0])}"
        raise click.UsageError(f"unexpected argument '{ids[0]}': artwork ids go after --force (e.g. `{example}`)")
    site_dir = Path(paths[0]) if paths else Path(".")
    folders = [t for t in ids if Path(t).is_dir()]
    if not paths and folders and not (site_dir / MANIFEST_NAME).is_file():
        raise click.UsageError(f"'{folders[0]}' is a folder without {MANIFEST_NAME}, and neither is '.' a gallery "
                               f"folder (create one with `imaudible-site init {shlex.quote(folders[0])}`)")
    if not site_dir.exists():
        raise click.UsageError(f"no such gallery folder: '{site_dir}'")
    if (problem := not_a_gallery(site_dir)) is not None:
        raise click.UsageError(problem)
    return site_dir, ids


@click.command()
@click.argument("targets", nargs=-1, metavar="[SITE_DIR] [--force [ARTWORK_ID ...]]")
@click.option("--out", "-o", type=UserPath(), help="Output folder (default: SITE_DIR/build).")
@click.option("--force", is_flag=True,
              help="Recompute everything, or only the artworks whose ids follow (e.g. --force starry-night).")
@click.option("--jobs", "-j", type=WholeNumber(1, MAX_JOBS), default=None,
              help="Parallel workers for image and audio stages (default: the CPUs this process may use, at most 64).")
@click.option("--executor", type=click.Choice(["auto", "threads", "processes", "ray"]), default=None,
              help="Where stages run: threads of this process, a pool of --jobs worker processes, or Ray (needs the "
                   "imaudible[ray] extra); auto (default): the pool for builds with enough image and audio work "
                   "(about 50 artworks and more), threads otherwise. Overrides the manifest's run.executor.")
@click.option("--ray-address", metavar="auto|ray://HOST:PORT|HOST:PORT", default=None,
              help="Ray cluster to join (implies --executor ray); without it, --executor ray starts a local Ray.")
@click.option("--strict", is_flag=True, help="Treat unknown manifest keys as errors.")
@click.option("--report", type=UserPath(dir_okay=False),
              help="Write a JSON report: per artwork and stage computed/cached/failed, timings, totals (a "
                   ".csv file: one row per artwork). It replaces an earlier report, never another file.")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of failures.")
def build(targets, out, force, jobs, executor, ray_address, strict, report, quiet, verbose):
    """Build the site from SITE_DIR/gallery.yaml (default: the current folder).

    With --force, recompute every stage of every artwork, or of the ARTWORK_IDs given.
    """
    from ..engine.report import report_csv, report_json
    from ..manifest import _suggest

    site_dir, ids = _split_targets(targets, force)
    if ray_address and executor not in (None, "ray"):
        raise click.UsageError(f"--ray-address needs --executor ray, not '{executor}'")
    if ray_address is not None:
        import re
        from ..settings import RAY_ADDRESS, RAY_ADDRESS_FORMS

        if not re.fullmatch(RAY_ADDRESS, ray_address):
            raise click.BadParameter(f"'{ray_address}' is not {RAY_ADDRESS_FORMS}", param_hint="--ray-address")
    gallery = load_gallery(site_dir, strict)
    executor = "ray" if ray_address else executor or gallery.run.executor
    if executor == "ray":
        _require_ray()
    known = {a.id for a in gallery.artworks}
    for art_id in ids:
        if art_id not in known:
            raise CliError(f"--force: no artwork with id '{art_id}' in {display(gallery.manifest_path)}"
                           f"{_suggest(art_id, known)}")
    progress = Progress(quiet=quiet)
    if report:
        _refuse_report_in_site(Path(report), Path(out) if out else gallery.root / "build", gallery.root)
    claimed = _claim_report(report) if report else []
    try:
        result = run_build(gallery, out, ids or force, jobs, progress, verbose, executor, ray_address, report)
    except BaseException:
        _unclaim(claimed)   # the build never got to write the report: leave no empty one behind
        raise
    if report:
        as_text = report_csv if Path(report).suffix.lower() == ".csv" else report_json
        _write_report(report, as_text(result.to_dict()).encode())
    summary.print_summary(result, progress, next_step=True, quiet=quiet)
    if result.failures:
        sys.exit(EXIT_FAILED)


def _refuse_report_in_site(report: Path, out: Path, gallery_root: Path) -> None:
    """The report names this machine's folders: inside the output folder it would be published with the site
    (and on a first build, its empty claim made the folder look like someone else's). An output folder that
    holds the gallery is left to the build's own refusal, which says what is wrong with it."""
    out, folder = out.resolve(), report.parent.resolve()
    if out == gallery_root.resolve() or out in gallery_root.resolve().parents:
        return
    if out == folder or out in folder.parents:
        raise CliError(f"--report: '{report}' is inside the output folder '{out}', which is published with the "
                       "site; write the report elsewhere (e.g. --report build-report.json)")


def _claim_report(path: Path) -> list[Path]:
    """Refuse, before any stage runs, a --report that could not be written after the build (a place the
    disk refuses, a file in the way of a folder). Writing is the one sure test, so the folders on the way and
    a report not there yet are created (empty); returns what was, for `_unclaim` if the build fails."""
    created: list[Path] = []
    try:
        missing = [p for p in reversed(path.parents) if not p.exists()]
        for folder in missing:
            folder.mkdir()
            created.append(folder)
        if path.is_symlink():   # replaced by the report, not written through
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "its folder cannot be written")
        elif os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            raise CliError(f"--report: refusing to write '{path}': it is not a regular file (a folder, a named "
                           "pipe or a device); name a new file, e.g. --report build-report.json")
        elif path.exists():     # opened, not truncated: a failed build keeps the last report
            if not _holds_a_report(path):
                raise CliError(f"--report: refusing to overwrite '{path}': it is not a build report "
                               "(name a new file, e.g. --report build-report.json)")
            os.close(os.open(path, os.O_WRONLY | os.O_NOFOLLOW))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CREAT | os.O_EXCL, 0o644))
            created.append(path)
    except OSError as exc:
        _unclaim(created)
        raise CliError(f"--report: cannot write '{path}': {exc.strerror or exc}") from None
    return created


def _holds_a_report(path: Path) -> bool:
    """Whether an existing --report file may be replaced: empty (a killed build's claim) or a report this
    command wrote (how `report_json` and `report_csv` start), never the manifest, an image or a curator's notes."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return True   # the write test that follows names the problem
    return not head or re.match(rb'\s*\{\s*"artworks"\s*:|id,file,title,', head) is not None


def _unclaim(created: list[Path]) -> None:
    for made in reversed(created):
        with contextlib.suppress(OSError):
            made.rmdir() if made.is_dir() and not made.is_symlink() else made.unlink()


def _write_report(path: Path, data: bytes) -> None:
    """Rewritten in place, which changes no folder's mtime (the build stamp watches the gallery folder, where
    a report may be), and never through a link (a gallery may ship one where the report goes)."""
    if path.is_symlink() or (path.exists() and os.lstat(path).st_nlink > 1):   # a hard link: its twin stays
        path.unlink()
    try:   # its folders are there: `_claim_report` made them before the build
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644), "wb") as fh:
            fh.write(data)
    except OSError as exc:   # a full disk fails the write, which names no file
        raise naming(path, exc) from exc


def _require_ray() -> None:
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        from ..engine.ray_executor import INSTALL_HINT

        raise CliError(INSTALL_HINT)


def run_build(gallery, out, force, jobs, progress: Progress, verbose, executor=None, ray_address=None, report=None):
    """Build (build_gallery checks what it can before any stage runs: exit 2, nothing written), replaying
    the last build when nothing changed; `report`, the --report file, is no input even inside the gallery."""
    from ..build import build_gallery
    from ..engine import executors

    out = Path(out) if out else gallery.root / "build"
    result = guarded(lambda: build_gallery(gallery, out, force=force, jobs=jobs or executors.usable_cpus(),
                                           executor=executor, ray_address=ray_address, progress=progress,
                                           verbose=verbose, skip_unchanged=True, not_inputs=[report] if report else [],
                                           may_spawn=True),
                     verbose, gallery)
    summary.warn_about_site(gallery, progress)
    return result

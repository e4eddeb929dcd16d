"""`imaudible-site build`."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..manifest import MANIFEST_NAME
from .errors import EXIT_FAILED, CliError, guarded
from .gallery import load_gallery


def _split_targets(targets: tuple[str, ...], force: bool) -> tuple[Path, list[str]]:
    """`build [SITE_DIR] [--force [ARTWORK_ID ...]]`: the first target is the gallery folder when it holds a
    manifest (or is a manifest file); the others are the artwork ids that --force recomputes."""
    site_dir, ids = Path("."), list(targets)
    if ids:
        first = Path(ids[0])
        if (first / MANIFEST_NAME).is_file() or (first.is_file() and first.suffix in (".yaml", ".yml")) \
                or (first.is_dir() and not force) or len(ids) == 1 and not force:
            site_dir = first
            ids = ids[1:]
    if ids and not force:
        raise click.UsageError(f"unexpected argument '{ids[0]}' (artwork ids go after --force)")
    if not site_dir.exists():
        raise click.UsageError(f"no such gallery folder: '{site_dir}'")
    return site_dir, ids


@click.command()
@click.argument("targets", nargs=-1, metavar="[SITE_DIR] [ARTWORK_ID ...]")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output folder (default: SITE_DIR/build).")
@click.option("--force", is_flag=True,
              help="Recompute everything, or only the artworks whose ids follow (e.g. --force starry-night).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Parallel workers for image and audio stages (default: number of CPUs).")
@click.option("--executor", type=click.Choice(["threads", "processes"]), default="threads", show_default=True,
              help="Where CPU stages run: threads of this process, or a pool of --jobs worker processes.")
@click.option("--strict", is_flag=True, help="Treat unknown manifest keys as errors.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JSON report: per artwork and stage computed/cached/failed, timings, totals.")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks of failures.")
def build(targets, out, force, jobs, executor, strict, report, quiet, verbose):
    """Build the site from SITE_DIR/gallery.yaml (default: the current folder).

    With --force, recompute every stage of every artwork, or of the ARTWORK_IDs given.
    """
    site_dir, ids = _split_targets(targets, force)
    gallery = load_gallery(site_dir, strict)
    known = {a.id for a in gallery.artworks}
    for art_id in ids:
        if art_id not in known:
            from ..manifest import _suggest
            raise CliError(f"--force: no artwork with id '{art_id}'{_suggest(art_id, known)}")
    result = run_build(gallery, out, ids or force, jobs, quiet, verbose, executor)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result.to_dict(), indent=1, sort_keys=True, allow_nan=False))
    summarise(result, quiet)
    if result.failures:
        sys.exit(EXIT_FAILED)


def run_build(gallery, out, force, jobs, quiet, verbose, executor="threads"):
    from ..build import build_gallery
    from ..progress import Progress

    out = Path(out) if out else gallery.root / "build"
    return guarded(lambda: build_gallery(gallery, out, force=force, jobs=jobs or os.cpu_count() or 1,
                                         executor=executor, progress=Progress(quiet=quiet), verbose=verbose),
                   verbose)


def summarise(result, quiet: bool) -> None:
    totals = result.to_dict()["totals"]
    for run in result.failures:
        click.echo(f"failed: {run.id} ({run.art.file}) at {run.failed_stage}: {run.error}", err=True)
    if not quiet or result.failures:
        ok = totals["artworks"] - totals["failed_artworks"]
        click.echo(f"built {ok}/{totals['artworks']} artworks into {result.out} in {result.seconds:.1f}s "
                   f"({totals['computed']} computed, {totals['cached']} cached, {totals['failed']} failed)", err=True)

"""`imaudible-site clean`."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import click

from ..engine.cache import CACHE_DIR_NAME, Cache
from ..engine.cache_lock import BuildLocked, CacheUnwritable
from ..manifest import gallery_folder
from ..progress import printable
from .errors import EXIT_BUILD_FAILED, CliError
from .paths import GalleryPath, UserPath


@click.command()
@click.argument("site_dir", required=False, default=".", type=GalleryPath())
@click.option("--out", "-o", type=UserPath(), help="Output folder (default: SITE_DIR/build).")
@click.option("--unused", is_flag=True,
              help="Keep build/; delete only the cached results the last build did not use (old seeds, removed "
                   "artworks...), e.g. before committing the cache.")
@click.option("--cache", "with_cache", is_flag=True, help="Also delete the whole cache (all generated music!); "
              "asks first on a terminal.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting the cache.")
def clean(site_dir, out, unused, with_cache, yes):
    """Delete the built site (and, with --cache, the cache; with --unused, only stale cache entries)."""
    from ..site import SiteError, clean as clean_out

    site_dir = gallery_folder(Path(site_dir))
    if unused and with_cache:
        raise click.UsageError("--unused keeps the cache and --cache deletes it: give one of them")
    cache = site_dir / CACHE_DIR_NAME
    if unused:
        if not cache.is_dir():
            raise CliError(f"no cache in {site_dir} (nothing was built there yet)")
        try:
            store = Cache(cache)
            with store.lock(timeout=0):
                removed = store.prune_unused()
        except (ValueError, OSError, BuildLocked, CacheUnwritable) as exc:
            raise CliError(str(exc)) from None
        click.echo(printable(f"removed {removed} unused cached results from {cache}"))
        return
    out = Path(out) if out else site_dir / "build"
    if with_cache and cache.is_dir() and not cache.is_symlink() and not yes and sys.stdin.isatty():
        click.confirm(f"delete {cache}: every cached result, the generated music among them?", abort=True)
    existed = out.exists()
    try:
        with _no_build_running(cache):
            count, kept = clean_out(out, site_dir, on_wait=lambda: click.echo(
                printable(f"waiting for a build writing '{out}' to finish..."), err=True))
    except SiteError as exc:
        raise CliError(str(exc)) from None
    for line in kept:
        click.echo(printable(f"warning: {line}"), err=True)
    if not existed:
        click.echo(printable(f"nothing to remove: {out} does not exist"))
    else:
        click.echo(printable(f"removed {out} ({count} files)" if not out.exists() else f"removed {count} files from {out}"))
    if with_cache and cache.is_symlink():
        cache.unlink()  # only the link: never delete what it points at
        click.echo(printable(f"removed the link {cache}"))
    elif with_cache and cache.is_dir():
        _delete_cache(cache)
        click.echo(printable(f"removed {cache}"))


@contextlib.contextmanager
def _no_build_running(cache: Path):
    """Hold the build lock while deleting the site: a build (or `serve`'s rebuild, or `evaluate`) publishing into
    it meanwhile would be left half deleted. A cache that cannot be locked (read-only: no build can run there
    either) or none at all does not stop `clean`."""
    with contextlib.ExitStack() as stack:
        if cache.is_dir() and not cache.is_symlink():
            try:
                stack.enter_context(Cache(cache).lock(timeout=0))
            except BuildLocked as exc:
                raise CliError(f"a build of this gallery is running ({exc}); nothing was deleted, from the site or "
                               "the cache") from None
            except CacheUnwritable:
                pass
        yield


def _delete_cache(cache: Path) -> None:
    """Take the build lock (never pull the cache from under a running build), rename the whole cache out of
    the way (one step: either it is gone or nothing changed), then delete the renamed folder."""
    try:
        with Cache(cache).lock(timeout=0):
            doomed = cache.with_name(f"{cache.name}.deleting-{os.getpid()}")
            os.rename(cache, doomed)
    except (BuildLocked, CacheUnwritable) as exc:
        raise CliError(f"{exc}; nothing was deleted from the cache") from None
    except OSError as exc:
        raise CliError(f"cannot delete '{cache}': {exc.strerror or exc}; nothing was deleted from it") from None
    failed: list[str] = []

    def note(path, exc):
        failed.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(doomed, onexc=lambda _fn, path, exc: note(path, exc))
    else:
        shutil.rmtree(doomed, onerror=lambda _fn, path, info: note(path, info[1]))
    if failed:
        raise CliError(f"the cache was moved to '{doomed}', but {len(failed)} of its files could not be deleted "
                       f"(first: {failed[0]}); delete that folder by hand",
                       exit_code=EXIT_BUILD_FAILED)

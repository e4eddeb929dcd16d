"""`imaudible-site clean`."""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from ..engine.cache import CACHE_DIR_NAME, BuildLocked, Cache
from .errors import CliError


@click.command()
@click.argument("site_dir", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output folder (default: SITE_DIR/build).")
@click.option("--unused", is_flag=True,
              help="Keep build/; delete only the cached results the last build did not use (old seeds, removed "
                   "artworks...), e.g. before committing the cache.")
@click.option("--cache", "with_cache", is_flag=True, help="Also delete the whole cache (all generated music!).")
def clean(site_dir, out, unused, with_cache):
    """Delete the built site (and, with --cache, the cache; with --unused, only stale cache entries)."""
    from ..site import SiteError, clean as clean_out

    cache = Path(site_dir) / CACHE_DIR_NAME
    if unused:
        if not cache.is_dir():
            raise CliError(f"no cache in {site_dir} (nothing was built there yet)")
        try:
            store = Cache(cache)
            with store.lock(timeout=0):
                removed = store.prune_unused()
        except (ValueError, OSError, BuildLocked) as exc:
            raise CliError(str(exc)) from None
        click.echo(f"removed {removed} unused cached results from {cache}")
        return
    out = Path(out) if out else Path(site_dir) / "build"
    try:
        count, kept = clean_out(out, Path(site_dir))
    except SiteError as exc:
        raise CliError(str(exc)) from None
    for line in kept:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"removed {out} ({count} files)" if not out.exists() else f"removed {count} files from {out}")
    if with_cache and cache.is_symlink():
        cache.unlink()  # only the link: never delete what it points at
        click.echo(f"removed the link {cache}")
    elif with_cache and cache.is_dir():
        shutil.rmtree(cache)
        click.echo(f"removed {cache}")

"""`imaudible-site pick | reroll | add`: the curator's edits of gallery.yaml (comments and layout kept)."""
from __future__ import annotations

import click

from ..progress import printable
from .errors import CliError
from .numbers import WholeNumber
from .paths import GalleryPath, UserPath

SITE = click.option("--site", "site_dir", default=".", type=GalleryPath(manifest_okay=False),
                    help="Gallery folder (default: the current folder).")


def _edit(fn, *args, **kwargs):
    from ..curate import CurateError

    try:
        return fn(*args, **kwargs)
    except CurateError as exc:
        raise CliError(str(exc)) from None


@click.command()
@click.argument("artwork_id")
@click.argument("take", type=WholeNumber(1, 16))
@SITE
def pick(artwork_id, take, site_dir):
    """Pin take TAKE (1 = the first) of ARTWORK_ID in gallery.yaml; the next build uses it."""
    from ..curate import pick as do_pick

    click.echo(printable(_edit(do_pick, site_dir, artwork_id, take)))


@click.command()
@click.argument("artwork_id")
@SITE
def reroll(artwork_id, site_dir):
    """Give ARTWORK_ID a new seed in gallery.yaml; the next build makes new music for it."""
    from ..curate import reroll as do_reroll

    click.echo(printable(_edit(do_reroll, site_dir, artwork_id)))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=UserPath())
@SITE
def add(paths, site_dir):
    """Append an artwork to gallery.yaml for each image (or image in a folder) not in it yet.

    Folders are searched below, except hidden ones and the tool's own (build output, cache, report, theme);
    a file found there that the build cannot read is skipped with a warning, a file named is refused."""
    from ..curate import add as do_add

    _check_site_given(paths, site_dir)
    added = _edit(do_add, site_dir, list(paths), warn=lambda line: click.echo(printable(f"warning: {line}"), err=True))
    for line in added:
        click.echo(printable(f"added {line}"))
    click.echo(printable(f"{len(added)} artwork(s) added" if added else "nothing to add: every image is in the manifest"))


def _check_site_given(paths, site_dir) -> None:
    """`add g1 photos/` with no gallery here but one in g1: the gallery is named with --site, like `pick`'s."""
    import shlex
    from pathlib import Path

    from ..manifest import find_manifest

    if find_manifest(Path(site_dir)).is_file():
        return
    for path in paths:
        if Path(path).is_dir() and find_manifest(Path(path)).is_file():
            named = [shlex.quote(str(p)) for p in paths if p != path] or [shlex.quote(str(path))]
            raise CliError(f"no gallery.yaml in {site_dir}, but there is one in {path}: name the gallery with --site, "
                           f"e.g. `imaudible-site add --site {shlex.quote(str(path))} {' '.join(named)}`")

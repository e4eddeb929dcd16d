"""`imaudible-site evaluate | pick | reroll | add`: measuring fit, and the curator's edits of gallery.yaml."""
from __future__ import annotations

import os
from pathlib import Path

import click


class CurateCommandError(click.ClickException):
    """A one-line error with exit code 2 (usage or configuration), like the rest of the CLI."""
    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True)


def _gallery(site_dir: Path):
    from .manifest import ManifestError, load_manifest

    try:
        gallery, _ = load_manifest(site_dir)
    except ManifestError as exc:
        raise CurateCommandError(str(exc.problems[0])) from None
    return gallery


def _guarded(fn):
    """Known errors as one line (exit 2), anything else as an internal error (exit 1), never a traceback."""
    from .audio import AudioError
    from .engine.cache import BuildLocked
    from .images import ImageError
    from .models import ModelError
    from .site import SiteError

    try:
        return fn()
    except (ModelError, SiteError, ImageError, AudioError, BuildLocked) as exc:
        raise CurateCommandError(str(exc).strip().splitlines()[0]) from None
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        raise CurateCommandError("interrupted; everything finished so far is cached") from None
    except OSError as exc:
        raise CurateCommandError(f"cannot read or write '{exc.filename}': {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - never a traceback
        error = CurateCommandError(f"internal error: {type(exc).__name__}: {exc}")
        error.exit_code = 1
        raise error from None


def _edit(fn, *args):
    from .curate import CurateError

    try:
        return fn(*args)
    except CurateError as exc:
        raise CurateCommandError(str(exc)) from None
    except OSError as exc:
        raise CurateCommandError(f"cannot write '{exc.filename}': {exc.strerror or exc}") from None


@click.command()
@click.argument("site_dir", required=False, default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output folder of the build (default: SITE_DIR/build).")
@click.option("--reference", type=click.Path(path_type=Path), help="Folder of reference audio for FAD.")
@click.option("--variant", "variant_args", multiple=True, metavar="KEY=VALUE",
              help="Also evaluate the gallery with this manifest option changed (repeatable), e.g. "
                   "prompt.remove_stopwords=true; its music goes to the cache, not the site.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Parallel workers.")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
def evaluate(site_dir, out, reference, variant_args, jobs, quiet):
    """Measure whether the music fits each image; write SITE_DIR/report/ (index.html, report.json, report.csv)."""
    from .evaluate.command import evaluate as run
    from .evaluate.variants import VariantError
    from .progress import Progress

    gallery = _gallery(site_dir)
    out = Path(out) if out else gallery.root / "build"

    def body():
        try:
            return run(gallery, out, reference=reference, variant_args=variant_args,
                       jobs=jobs or os.cpu_count() or 1, progress=Progress(quiet=quiet))
        except (VariantError, FileNotFoundError) as exc:
            raise CurateCommandError(str(exc).splitlines()[0]) from None

    result = _guarded(body)
    for line in result.skipped:
        click.echo(f"note: {line}", err=True)
    for line in result.failed:
        click.echo(f"failed: {line}", err=True)
    if not quiet:
        click.echo(f"evaluated {len(result.data['artworks'])} artworks ({result.computed} clips measured, "
                   f"{result.cached} from cache): {result.folder / 'index.html'}", err=True)
    if result.failed:
        raise SystemExit(1)


@click.command()
@click.argument("artwork_id")
@click.argument("take", type=click.IntRange(1, 16))
@click.option("--site", "site_dir", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Gallery folder (default: the current folder).")
def pick(artwork_id, take, site_dir):
    """Pin take TAKE (1 = the first) of ARTWORK_ID in gallery.yaml; the next build uses it."""
    from .curate import pick as do_pick

    click.echo(_edit(do_pick, site_dir, artwork_id, take))


@click.command()
@click.argument("artwork_id")
@click.option("--site", "site_dir", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Gallery folder (default: the current folder).")
def reroll(artwork_id, site_dir):
    """Give ARTWORK_ID a new seed in gallery.yaml; the next build makes new music for it."""
    from .curate import reroll as do_reroll

    click.echo(_edit(do_reroll, site_dir, artwork_id))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--site", "site_dir", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Gallery folder (default: the current folder).")
def add(paths, site_dir):
    """Append an artwork to gallery.yaml for each image (or image in a folder) not in it yet."""
    from .curate import add as do_add

    added = _edit(do_add, site_dir, list(paths))
    for line in added:
        click.echo(f"added {line}")
    click.echo(f"{len(added)} artwork(s) added" if added else "nothing to add: every image is in the manifest")


COMMANDS = (evaluate, pick, reroll, add)

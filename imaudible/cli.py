"""`imaudible-site`: the command line. The only place that prints errors and picks exit codes.

Exit codes: 0 built; 1 some artworks failed (the rest are built); 2 usage, manifest or configuration
error (when found before the stages run, nothing is written, the cache included); 3 the build itself
failed (an internal error, a disk that cannot be written); 130 interrupted.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import click

from . import __version__, summary
from .engine.cache import BuildLocked, CacheUnwritable
from .manifest import MANIFEST_NAME, ManifestError, json_schema, load_manifest
from .progress import Progress

EXIT_FAILED, EXIT_USAGE, EXIT_BUILD_FAILED = 1, 2, 3


class Fatal(click.ClickException):
    """A one-line error with exit code 2 (configuration) unless told otherwise."""
    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True)


def _load(site_dir: Path, strict: bool):
    try:
        gallery, warnings = load_manifest(site_dir, strict=strict, display_name=_display(site_dir))
    except ManifestError as exc:
        for problem in exc.problems[:-1]:
            click.echo(f"error: {problem}", err=True)
        raise Fatal(str(exc.problems[-1])) from None
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    return gallery


def _display(site_dir: Path) -> str:
    manifest = site_dir / MANIFEST_NAME if site_dir.is_dir() else site_dir
    try:
        rel = os.path.relpath(manifest)
    except ValueError:
        return str(manifest)
    return str(manifest.resolve()) if rel.startswith("..") else rel


def _guarded(fn, verbose: bool = False, gallery=None):
    """Run a command body, turning every known error into a one-line message."""
    from .images import ImageError
    from .models import ModelError
    from .site import SiteError

    try:
        return fn()
    except ModelError as exc:
        raise Fatal(_at_setting(gallery, exc.setting, str(exc).strip())) from None
    except (SiteError, BuildLocked, ImageError, CacheUnwritable) as exc:
        raise Fatal(str(exc).strip()) from None
    except KeyboardInterrupt:
        raise Fatal("interrupted; everything finished so far is cached and the next build picks up from there",
                    exit_code=130) from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except OSError as exc:
        where = f" '{exc.filename}'" if exc.filename else ""
        raise Fatal(f"cannot write{where}: {exc.strerror or exc}", exit_code=EXIT_BUILD_FAILED) from None
    except Exception as exc:  # noqa: BLE001 - never show a traceback unless asked
        if verbose:
            traceback.print_exc()
        raise Fatal(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)",
                    exit_code=EXIT_BUILD_FAILED) from None


def _at_setting(gallery, setting: str | None, message: str) -> str:
    """`gallery.yaml:LINE:COL: music.model: message` when the option is written in the manifest."""
    from .manifest import locate

    if gallery is None or not setting:
        return message
    where = locate(gallery.manifest_path, setting)
    if where is None:
        return f"{setting}: {message}"
    return f"{_display(gallery.manifest_path)}:{where[0]}:{where[1]}: {setting}: {message}"


class _Cli(click.Group):
    """Prints every error, click's usage errors included, as `error: ...` on one line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "imaudible-site"
            click.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="imaudible-site")
def main():
    """Build a walkable 3D web gallery in which every artwork has its own music.

    A gallery folder holds gallery.yaml and the images. `imaudible-site build` turns it into a static
    site in build/, ready to deploy (e.g. `netlify deploy --dir build`).
    """


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path):
    """Create a new gallery folder with a commented gallery.yaml and an example image."""
    from .scaffold import create_gallery

    if (directory / MANIFEST_NAME).exists():
        raise Fatal(f"{directory / MANIFEST_NAME} already exists; not overwriting it")
    create_gallery(directory)
    click.echo(f"created {directory / MANIFEST_NAME} and {directory / 'images' / 'example.jpg'}")
    click.echo(f"next: edit the manifest, then run `imaudible-site build {directory}`")


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
        raise click.UsageError(f"unexpected argument '{ids[0]}': artwork ids go after --force "
                               f"(e.g. `imaudible-site build {paths[0] if paths else '.'} --force {ids[0]}`)")
    site_dir = Path(paths[0]) if paths else Path(".")
    folders = [t for t in ids if Path(t).is_dir()]
    if not paths and folders and not (site_dir / MANIFEST_NAME).is_file():
        raise click.UsageError(f"'{folders[0]}' is a folder without {MANIFEST_NAME}, and neither is '.' a gallery "
                               f"folder (create one with `imaudible-site init {folders[0]}`)")
    if not site_dir.exists():
        raise click.UsageError(f"no such gallery folder: '{site_dir}'")
    return site_dir, ids


@main.command()
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
    from .manifest import _suggest

    site_dir, ids = _split_targets(targets, force)
    gallery = _load(site_dir, strict)
    known = {a.id for a in gallery.artworks}
    for art_id in ids:
        if art_id not in known:
            raise Fatal(f"--force: no artwork with id '{art_id}' in {_display(gallery.manifest_path)}"
                        f"{_suggest(art_id, known)}")
    progress = Progress(quiet=quiet)
    result = _run_build(gallery, out, ids or force, jobs, progress, verbose, executor)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result.to_dict(), indent=1, sort_keys=True, allow_nan=False))
    summary.print_summary(result, progress, next_step=True, quiet=quiet)
    if result.failures:
        sys.exit(EXIT_FAILED)


def _run_build(gallery, out, force, jobs, progress: Progress, verbose, executor="threads"):
    """Checks what can be checked before any stage runs (exit 2, nothing written), then builds."""
    from .build import build_gallery
    from .engine.model_choice import check_named_models
    from .site import check_front_end

    _guarded(lambda: check_front_end(gallery))
    _guarded(lambda: check_named_models(gallery), gallery=gallery)
    out = Path(out) if out else gallery.root / "build"
    result = _guarded(lambda: build_gallery(gallery, out, force=force, jobs=jobs or os.cpu_count() or 1,
                                            executor=executor, progress=progress, verbose=verbose),
                      verbose, gallery)
    summary.warn_about_site(gallery, progress)
    return result


def _refresh_report(gallery, out: Path) -> None:
    """Under serve: a gallery that has an evaluation report gets it re-evaluated after each rebuild."""
    from .evaluate.report import REPORT_DIR

    if (gallery.root / REPORT_DIR / "report.json").is_file():
        from .evaluate.command import evaluate as run_evaluation

        _guarded(lambda: run_evaluation(gallery, out, jobs=os.cpu_count() or 1), False, gallery)


@main.command()
@click.argument("site_dir", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output folder (default: SITE_DIR/build).")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-build", is_flag=True, help="Serve the output folder as it is, without building or watching.")
def serve(site_dir, out, port, host, no_build):
    """Build, serve the site locally, and rebuild + reload the page when the gallery changes."""
    from . import serve as preview

    out = Path(out) if out else Path(site_dir) / "build"
    shown_hints: set = set()  # warnings and advice are given once per session, not on every rebuild

    def rebuild() -> bool | str:
        """True when the site was rebuilt, else the one-line error (also shown in the open pages)."""
        progress = Progress(quiet=True, shown_hints=shown_hints, warn_once=True)
        try:
            gallery = _load(Path(site_dir), strict=False)
            result = _run_build(gallery, out, False, None, progress, verbose=False)
        except click.ClickException as exc:
            exc.show()
            return exc.format_message()
        summary.print_summary(result, progress, next_step=False)
        try:
            _refresh_report(gallery, out)
        except click.ClickException as exc:   # the site is rebuilt; only the report is stale
            exc.show()
        return True

    if no_build:
        if not out.is_dir():
            raise Fatal(f"nothing to serve: '{out}' does not exist (run `imaudible-site build` first)")
        try:
            server = preview.PreviewServer(out, host=host, port=port)
        except OSError as exc:
            raise Fatal(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        click.echo(f"serving {out} at http://{host}:{server.port}/ (Ctrl-C to stop)", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        return
    first = rebuild()
    if first is not True and not out.is_dir():
        raise Fatal("the first build failed; fix the errors above and try again")
    from .audition import TakeEndpoint, is_loopback
    from .evaluate.report import REPORT_DIR

    takes = TakeEndpoint(Path(site_dir), Path(site_dir) / REPORT_DIR) if is_loopback(host) else None
    try:
        preview.serve(Path(site_dir), out, host, port, rebuild, error=None if first is True else first, takes=takes)
    except OSError as exc:
        raise Fatal(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@main.command()
@click.argument("site_dir", required=False, default=".", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output folder (default: SITE_DIR/build).")
@click.option("--unused", is_flag=True,
              help="Keep build/; delete only the cached results the last build did not use (old seeds, removed "
                   "artworks...), e.g. before committing the cache.")
@click.option("--cache", "with_cache", is_flag=True, help="Also delete the whole cache (all generated music!).")
def clean(site_dir, out, unused, with_cache):
    """Delete the built site (and, with --cache, the cache; with --unused, only stale cache entries)."""
    import shutil

    from .engine.cache import CACHE_DIR_NAME, Cache
    from .site import SiteError, clean as clean_out

    cache = Path(site_dir) / CACHE_DIR_NAME
    if unused:
        if not cache.is_dir():
            raise Fatal(f"no cache in {site_dir} (nothing was built there yet)")
        try:
            store = Cache(cache)
            with store.lock(timeout=0):
                removed = store.prune_unused()
        except (ValueError, OSError, BuildLocked) as exc:
            raise Fatal(str(exc)) from None
        click.echo(f"removed {removed} unused cached results from {cache}")
        return
    out = Path(out) if out else Path(site_dir) / "build"
    try:
        count, kept = clean_out(out, Path(site_dir))
    except SiteError as exc:
        raise Fatal(str(exc)) from None
    for line in kept:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"removed {out} ({count} files)" if not out.exists() else f"removed {count} files from {out}")
    if with_cache and cache.is_symlink():
        cache.unlink()  # only the link: never delete what it points at
        click.echo(f"removed the link {cache}")
    elif with_cache and cache.is_dir():
        shutil.rmtree(cache)
        click.echo(f"removed {cache}")


@main.command()
def schema():
    """Print the JSON Schema of gallery.yaml (for editor autocompletion)."""
    click.echo(json.dumps(json_schema(), indent=2, allow_nan=False))


def _register_models() -> None:
    try:
        from .models_cli import models
    except ImportError:  # pragma: no cover - models_cli ships with the package
        return
    main.add_command(models)
    from .evaluate_cli import COMMANDS
    for command in COMMANDS:
        main.add_command(command)


_register_models()

if __name__ == "__main__":  # pragma: no cover
    main()

"""`imaudible-site serve`."""
from __future__ import annotations

import shlex
from pathlib import Path

import click

from .. import summary
from ..manifest import gallery_folder
from ..progress import Progress, printable
from .build import run_build
from .errors import CliError
from .gallery import load_gallery
from .numbers import WholeNumber
from .paths import GalleryPath, UserPath


@click.command()
@click.argument("site_dir", required=False, default=".", type=GalleryPath())
@click.option("--out", "-o", type=UserPath(), help="Output folder (default: SITE_DIR/build).")
@click.option("--port", "-p", type=WholeNumber(0, 65535), default=8000, show_default=True,
              help="Port to listen on, 0 to 65535 (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-build", is_flag=True, help="Serve the output folder as it is, without building or watching.")
def serve(site_dir, out, port, host, no_build):
    """Build, serve the site locally, and rebuild + reload the page when the gallery changes."""
    from .. import serve as preview
    from ..audition import TakeEndpoint
    from ..local_hosts import is_loopback
    from ..types import REPORT_DIR
    from ..site.output_folder import OWNED_LIST, link_problem
    from ..site.layout import site_path
    from .evaluate import refresh_report

    folder = gallery_folder(Path(site_dir))   # SITE_DIR may name its manifest
    given_out, out = out, Path(out) if out else folder / "build"
    if (linked := link_problem(out, "serve")) is not None:   # a failed first build would serve its target
        raise CliError(linked)
    report_dir = folder / REPORT_DIR
    if report_dir.is_symlink():
        click.echo(printable(f"warning: not serving the report: '{report_dir}' is a symlink"), err=True)
    shown_hints: set = set()  # warnings and advice are given once per session, not on every rebuild
    base = "/"                # the path of the gallery's url:, as the first build found it

    def rebuild() -> bool | str:
        """True when the site was rebuilt, else the one-line error (also shown in the open pages); with
        failed artworks, the site is rebuilt without them and the line names them (`PartlyBuilt`)."""
        nonlocal base
        progress = Progress(quiet=True, shown_hints=shown_hints, warn_once=True)
        try:
            gallery = load_gallery(Path(site_dir), strict=False)
            base = site_path(gallery.url)
            result = run_build(gallery, out, False, None, progress, verbose=False)
        except click.ClickException as exc:
            exc.show()
            return exc.format_message()
        summary.print_summary(result, progress, next_step=False)
        try:
            refresh_report(gallery, out, progress)
        except click.ClickException as exc:   # the site is rebuilt; only the report is stale
            exc.show()
        return preview.PartlyBuilt(summary.failures_line(result)) if result.failures else True

    if no_build:
        if not out.is_dir():
            words = ["imaudible-site", "build", site_dir] + (["--out", out] if given_out else [])
            build = " ".join(shlex.quote(str(word)) for word in words)
            raise CliError(f"nothing to serve: '{out}' does not exist (run `{build}` first)")
        if not (out / OWNED_LIST).is_file():
            raise CliError(f"refusing to serve '{out}': it was not made by imaudible (serve a build folder)")
        try:
            server = preview.PreviewServer(out, host=host, port=port)
        except OSError as exc:
            raise CliError(_cannot_listen(host, port, exc)) from None
        click.echo(printable(f"serving {out} at http://{host}:{server.port}/ (Ctrl-C to stop)"), err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        return
    _check_port(host, port)    # before the first build: a taken port would only be found after it
    first = rebuild()
    # After a failed first build, only an earlier build of imaudible's is served (with the error shown over
    # it): a refused --out (/, the home folder, a foreign folder) would otherwise be served whole.
    if first is not True and not (out / OWNED_LIST).is_file():
        raise CliError("the first build failed; fix the errors above and try again")
    try:
        # the manifest itself when it was named: a take button and the watcher edit and watch that one
        preview.serve(Path(site_dir), out, host, port, rebuild, error=None if first is True else first,
                      takes=TakeEndpoint(Path(site_dir), report_dir) if is_loopback(host) else None, base=base)
    except OSError as exc:
        raise CliError(_cannot_listen(host, port, exc)) from None


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    """Why the server cannot listen, with the fix that matches the cause."""
    import errno
    import socket

    why = (exc.strerror or str(exc)).split(" (while attempting")[0]   # socket.create_server's addition
    if exc.errno == errno.EADDRINUSE:
        hint = "another server is there: pass another --port, or --port 0 for any free one"
    elif exc.errno == errno.EACCES:
        hint = "ports under 1024 need privileges: pass --port 8000 or another above 1023"
    elif isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL or (exc.errno or 0) < 0:  # < 0: EAI_*
        hint = "--host must be an address of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 (every network)"
    else:
        return f"cannot listen on {host}:{port}: {why}"
    return f"cannot listen on {host}:{port}: {why} ({hint})"


def _check_port(host: str, port: int) -> None:
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise CliError(_cannot_listen(host, port, exc)) from None

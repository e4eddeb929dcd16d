"""`imaudible-site evaluate`: does the music fit the image? The report beside build/."""
from __future__ import annotations

from pathlib import Path

import click

from ..progress import printable
from ..settings import MAX_JOBS
from .errors import EXIT_FAILED, CliError, guarded
from .gallery import load_gallery
from .numbers import WholeNumber
from .paths import GalleryPath, UserPath


@click.command()
@click.argument("site_dir", required=False, default=".", type=GalleryPath(manifest_okay=False))
@click.option("--out", "-o", type=UserPath(), help="Output folder of the build (default: SITE_DIR/build).")
@click.option("--reference", type=UserPath(), help="Folder of reference audio for FAD.")
@click.option("--variant", "variant_args", multiple=True, metavar="KEY=VALUE",
              help="Also evaluate the gallery with this manifest option changed (repeatable), e.g. "
                   "prompt.remove_stopwords=true; its music goes to the cache, not the site.")
@click.option("--jobs", "-j", type=WholeNumber(1, MAX_JOBS), default=None,
              help="Parallel workers (default: the CPUs this process may use, at most 64).")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
def evaluate(site_dir, out, reference, variant_args, jobs, quiet):
    """Measure whether the music fits each image; write SITE_DIR/report/ (index.html, report.json, report.csv)."""
    from ..engine import executors
    from ..evaluate.command import evaluate as run
    from ..evaluate.reference import ReferenceSetError
    from ..evaluate.report import ReportLocationError
    from ..evaluate.variants import VariantError
    from ..progress import Progress, printable

    gallery = load_gallery(site_dir)
    out = Path(out) if out else gallery.root / "build"

    def body():
        try:
            return run(gallery, out, reference=reference, variant_args=variant_args,
                       jobs=jobs or executors.usable_cpus(), progress=Progress(quiet=quiet))
        except (VariantError, ReferenceSetError, ReportLocationError, FileNotFoundError) as exc:
            raise CliError(str(exc).strip()) from None   # one line: CliError escapes a newline in a name

    result = guarded(body, gallery=gallery)
    for line in result.skipped:
        click.echo(printable(f"note: {line}"), err=True)
    for line in result.failed:
        click.echo(printable(f"error: {line}"), err=True)
    if result.folder is None:
        raise CliError(f"no artwork could be evaluated ({len(result.failed)} failed); the report was left as it was",
                       EXIT_FAILED)
    _echo_fad(result.data.get("fad") or {}, quiet)
    if not quiet:
        count = len(result.data["artworks"])
        click.echo(printable(f"evaluated {count} artwork{'s' if count != 1 else ''} ({result.computed} clips "
                             f"measured, {result.cached} from cache): {result.folder / 'index.html'}"), err=True)
    if result.failed:
        raise SystemExit(EXIT_FAILED)


def _echo_fad(fad: dict, quiet: bool) -> None:
    """Each FAD figure (unless quiet), and a warning when one rests on too few windows (always)."""
    from ..evaluate.text import fad_line

    for space, value in (fad.get("spaces") or {}).items():
        if not quiet:
            click.echo(printable(f"FAD ({space}): {fad_line(value)}"), err=True)
        if value.get("warning"):
            click.echo(printable(f"warning: FAD ({space}) {value['warning']}"), err=True)


def refresh_report(gallery, out: Path, progress=None) -> None:
    """Under serve: a gallery that has an evaluation report gets it re-evaluated after each rebuild, saying
    through serve's `progress` (quiet, each warning once a session), not a fresh one's every time."""
    from ..types import REPORT_DIR

    if (gallery.root / REPORT_DIR / "report.json").is_file():
        from ..engine import executors
        from ..evaluate.command import evaluate as run

        guarded(lambda: run(gallery, out, jobs=executors.usable_cpus(), progress=progress), gallery=gallery)

"""`imaudible-site init`."""
from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..manifest import MANIFEST_NAME
from ..progress import printable
from .errors import CliError
from .paths import UserPath


@click.command()
@click.argument("directory", default=".", type=UserPath(file_okay=False))
def init(directory: Path):
    """Create a new gallery folder with a commented gallery.yaml and an example image."""
    from ..scaffold import ScaffoldError, create_gallery

    try:
        create_gallery(directory)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from None
    click.echo(printable(f"created {directory / MANIFEST_NAME} and {directory / 'images' / 'example.jpg'}"))
    where = shlex.quote(str(directory))
    click.echo(printable(f"next: copy your images into {directory / 'images'}, run `imaudible-site add "
                         f"{shlex.quote(str(directory / 'images'))} --site {where}` (or edit {directory / MANIFEST_NAME}), "
                         f"then `imaudible-site build {where}`"))

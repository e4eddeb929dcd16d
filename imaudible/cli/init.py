"""`imaudible-site init`."""
from __future__ import annotations

from pathlib import Path

import click

from ..manifest import MANIFEST_NAME
from .errors import CliError


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path):
    """Create a new gallery folder with a commented gallery.yaml and an example image."""
    from ..scaffold import create_gallery

    if (directory / MANIFEST_NAME).exists():
        raise CliError(f"{directory / MANIFEST_NAME} already exists; not overwriting it")
    create_gallery(directory)
    click.echo(f"created {directory / MANIFEST_NAME} and {directory / 'images' / 'example.jpg'}")
    click.echo(f"next: edit the manifest, then run `imaudible-site build {directory}`")

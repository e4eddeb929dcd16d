"""Loading the gallery a command works on, with manifest warnings printed and errors made one-line."""
from __future__ import annotations

from pathlib import Path

import click

from ..manifest import load_manifest
from ..progress import printable
from .errors import guarded
from .where import display


def load_gallery(site_dir: Path, strict: bool = False):
    gallery, warnings = guarded(lambda: load_manifest(site_dir, strict=strict, display_name=display(site_dir)))
    for warning in warnings:
        click.echo(printable(f"warning: {warning}"), err=True)
    return gallery

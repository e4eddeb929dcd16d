"""Loading the gallery a command works on, with manifest warnings printed and errors made one-line."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..manifest import MANIFEST_NAME, load_manifest
from .errors import guarded


def load_gallery(site_dir: Path, strict: bool = False):
    gallery, warnings = guarded(lambda: load_manifest(site_dir, strict=strict, display_name=_display(site_dir)))
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

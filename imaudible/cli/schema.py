"""`imaudible-site schema`."""
from __future__ import annotations

import json

import click

from ..manifest import json_schema


@click.command()
def schema():
    """Print the JSON Schema of gallery.yaml (for editor autocompletion)."""
    click.echo(json.dumps(json_schema(), indent=2, allow_nan=False))

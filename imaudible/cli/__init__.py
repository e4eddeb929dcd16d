"""`imaudible-site`: the command line, one module per command. `errors.py` holds the one error type and the
one mapping to exit codes; no other part of the package prints errors or exits."""
from __future__ import annotations

import warnings

import click

from .. import __version__
from ..progress import show_warning
from .build import build
from .clean import clean
from .curate import add, pick, reroll
from .errors import ErrorPrintingGroup
from .evaluate import evaluate
from .init import init
from .models import models
from .schema import schema
from .serve import serve


@click.group(cls=ErrorPrintingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="imaudible-site")
def main():
    """Build a walkable 3D web gallery in which every artwork has its own music.

    A gallery folder holds gallery.yaml and the images. `imaudible-site build` turns it into a static
    site in build/, ready to deploy (e.g. `netlify deploy --dir build`).
    """
    warnings.showwarning = show_warning


for command in (init, build, serve, clean, schema, models, evaluate, pick, reroll, add):
    main.add_command(command)

"""The one parameter type for paths on the command line: a path the system cannot even look at (a name too
long, a folder on the way that cannot be searched, a file used as a folder, a loop of links) is a usage error
(exit 2) when the command line is read, before anything runs, rather than a failed command later."""
from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path

import click

# What lstat may say of a path that can still be used: it is not there yet (or a link on the way is dangling).
_NOT_THERE = (errno.ENOENT,)


class UserPath(click.Path):
    """click.Path, returning a `Path`, that also looks at the path itself (click's own check passes over an
    unreadable path when it need not exist)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("path_type", Path)
        super().__init__(**kwargs)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        try:
            os.lstat(path)
        except OSError as exc:
            if exc.errno not in _NOT_THERE:
                self.fail(f"cannot use '{click.format_filename(value)}': {exc.strerror or exc}", param, ctx)
        return path


class GalleryPath(UserPath):
    """An existing gallery folder (or, with `manifest_okay`, its manifest: a .yaml file). Any other file is a
    usage error that says what to give instead, rather than being read as a manifest or used as a folder."""

    def __init__(self, manifest_okay: bool = True, **kwargs):
        super().__init__(exists=True, **kwargs)
        self.manifest_okay = manifest_okay

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        problem = not_a_gallery(path, self.manifest_okay)
        if problem:
            self.fail(problem, param, ctx)
        return path


def is_manifest_name(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def not_a_gallery(path: Path, manifest_okay: bool = True) -> str | None:
    """Why `path`, given where a gallery folder belongs, is not one (None when it is, or is a manifest file
    where one may be given)."""
    from ..manifest import MANIFEST_NAME

    if path.is_dir():
        return _inside_a_gallery(path)
    if not path.exists() or (manifest_okay and is_manifest_name(path)):
        return None
    shown = click.format_filename(path)
    if is_manifest_name(path):
        return f"'{shown}' is a file; give the gallery folder that holds it ('{click.format_filename(path.parent)}')"
    if _is_image(path):
        said = f"'{shown}' is an image, not a gallery folder: give the folder that holds {MANIFEST_NAME}"
        if (gallery := _enclosing_gallery(path)) is None:
            return f"{said} (to hang this image, copy it into that folder and run `imaudible-site add` on it)"
        site = click.format_filename(gallery)
        return (f"{said} ('{site}'); to hang this image, run "
                f"`imaudible-site add {shlex.quote(shown)} --site {shlex.quote(site)}`")
    return f"'{shown}' is a file, not a gallery folder: give the folder that holds {MANIFEST_NAME}"


def _inside_a_gallery(folder: Path) -> str | None:
    """What to say of a folder without a manifest inside a gallery (its images/, say): the reader was told to
    make it a gallery with `init`, when they most likely meant the gallery around it."""
    from ..manifest import MANIFEST_NAME

    if (folder / MANIFEST_NAME).exists() or (gallery := _enclosing_gallery(folder)) is None:
        return None
    shown, site = click.format_filename(folder), click.format_filename(gallery)
    return (f"'{shown}' holds no {MANIFEST_NAME}: it is a folder of the gallery '{site}'; give '{site}' instead, or "
            f"make '{shown}' a gallery of its own with `imaudible-site init {shlex.quote(shown)}`")


def _enclosing_gallery(image: Path) -> Path | None:
    """The nearest folder above `image` that holds a manifest, spelled as the image was (relative to the current
    folder, or absolute), so that a command naming both works from here; None if there is none."""
    from ..manifest import MANIFEST_NAME

    for folder in Path(os.path.abspath(image)).parents:
        if (folder / MANIFEST_NAME).is_file():
            return folder if image.is_absolute() else Path(os.path.relpath(folder))
    return None


def _is_image(path: Path) -> bool:
    from ..add_candidates import accepted_suffixes

    return path.suffix.lower() in accepted_suffixes()

"""The one parameter type for paths on the command line: a path the system cannot even look at (a name too
long, a folder on the way that cannot be searched, a file used as a folder, a loop of links) is a usage error
(exit 2) when the command line is read, before anything runs, rather than a failed command later."""
from __future__ import annotations

import errno
import os
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

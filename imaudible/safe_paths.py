"""Turning a request path into a file under a folder, and opening it, safely: the preview server and the
report it serves share these."""
from __future__ import annotations

import errno
import os
import stat
from http import HTTPStatus
from pathlib import Path
from typing import Optional
from urllib.parse import unquote

# Hidden names are not served: a half-written `.NAME.XXXXXXXX.tmp` of a build in progress or killed, the
# ownership list, a `.git` of a site committed for GitHub Pages, an editor's or the desktop's files. Hosts
# leave them out too (Netlify and GitHub Pages publish no `.git`); `.well-known/` is the one web standard folder.
WELL_KNOWN = ".well-known"


def resolve_under(root: Path, raw_path: str) -> tuple[Optional[Path], HTTPStatus]:
    """The file a request path names under `root`, or why not: 403 outside it, 404 missing, 301 add a slash."""
    root = Path(root).resolve()
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None, HTTPStatus.BAD_REQUEST
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None, HTTPStatus.FORBIDDEN
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None, HTTPStatus.FORBIDDEN
    if _hidden(parts):
        return None, HTTPStatus.NOT_FOUND
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return None, HTTPStatus.NOT_FOUND
    if not _inside(resolved, root):
        return None, HTTPStatus.FORBIDDEN  # e.g. a symlink pointing out of the root
    if resolved.is_dir():
        if not path.endswith("/"):
            return None, HTTPStatus.MOVED_PERMANENTLY
        try:
            resolved = (resolved / "index.html").resolve()  # index.html may be a symlink too
        except (OSError, RuntimeError):
            return None, HTTPStatus.NOT_FOUND
        if not _inside(resolved, root):
            return None, HTTPStatus.FORBIDDEN
    if not resolved.is_file() or _hidden(resolved.relative_to(root).parts):   # a visible link to a hidden file
        return None, HTTPStatus.NOT_FOUND
    return resolved, HTTPStatus.OK


def _hidden(parts) -> bool:
    return any(part.startswith(".") and part != WELL_KNOWN for part in parts)


def _inside(resolved: Path, root: Path) -> bool:
    return resolved == root or root in resolved.parents


def open_regular(path: str | os.PathLike, follow: bool = True, buffering: int = -1):
    """Open a file for reading, only if it is a regular file: a FIFO or a device put in its
    place since it was checked would block the reader or never end (O_NONBLOCK: opening a FIFO returns at
    once). `follow=False`: a symlink in its place is refused too."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file (a folder, a named pipe or a device)", os.fspath(path))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb", buffering=buffering)


def open_inside(path: Path, root: Path):
    """Open a resolved path without following a symlink put in its place since, and check (where the
    system tells) that the file opened still lies inside root. Only a regular file is opened (`open_regular`)."""
    stream = open_regular(path, follow=False)
    fd = stream.fileno()
    link = f"/proc/self/fd/{fd}"
    if os.path.islink(link) and not Path(os.readlink(link)).is_relative_to(root):
        stream.close()
        raise PermissionError(f"{path} left the served folder")
    return stream

"""Turning a request path into a file under a folder, safely (the preview server and the report share it)."""
from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Optional
from urllib.parse import unquote


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
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return None, HTTPStatus.NOT_FOUND
    if resolved != root and root not in resolved.parents:
        return None, HTTPStatus.FORBIDDEN  # e.g. a symlink pointing out of the root
    if resolved.is_dir():
        if not path.endswith("/"):
            return None, HTTPStatus.MOVED_PERMANENTLY
        resolved = resolved / "index.html"
    if not resolved.is_file():
        return None, HTTPStatus.NOT_FOUND
    return resolved, HTTPStatus.OK


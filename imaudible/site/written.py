"""What this machine last wrote into an output folder: each file's stat as `stat_rule.known_by` takes it
(device, inode, size, mtime, ctime), kept in the gallery's cache.

The ownership list in build/ names the files the tool wrote, with their digests; but it travels with the
folder, and a gallery may come with its build/ (a site committed for GitHub Pages, an archive): files
changed and the list's times set to cover them. A stat taken on this machine cannot travel (no one chooses
an inode or a ctime), so a file is trusted without reading it only when its stat is the one recorded here;
anything else is read and compared with what the build would write.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from ..engine.atomic import atomic_write
from ..engine.stat_rule import known_by
from ..state_files import read_state_file

FILE_NAME = "written-stat.json"
FORMAT = 1


def load(cache_root: Path | None, out: Path) -> dict[str, list[int]]:
    """path in `out` -> its stat when this machine wrote it; empty when nothing is recorded for `out`."""
    if cache_root is None:
        return {}
    try:
        data = json.loads(read_state_file(Path(cache_root) / FILE_NAME))
        if data.get("format") != FORMAT or data.get("out") != os.path.abspath(out):
            return {}
        return {str(rel): [int(v) for v in sig] for rel, sig in data["files"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def save(cache_root: Path | None, out: Path, rels: Iterable[str]) -> None:
    """Record the stat of each file in `out` now (call it once they are all written)."""
    if cache_root is None or not Path(cache_root).is_dir():
        return
    base, files = os.path.abspath(out), {}
    for rel in rels:
        try:
            files[rel] = list(known_by(os.lstat(f"{base}/{rel}")))
        except OSError:
            continue
    try:
        atomic_write(Path(cache_root) / FILE_NAME, json.dumps(
            {"format": FORMAT, "out": base, "files": files}, separators=(",", ":"), allow_nan=False).encode(), durable=False)
    except OSError:
        pass   # only a speed-up: the next build reads and compares the site's files instead


def unchanged(info: os.stat_result | None, recorded: list[int] | None) -> bool:
    """A file whose stat is the one recorded when this machine wrote it."""
    return info is not None and recorded is not None and list(known_by(info)) == recorded

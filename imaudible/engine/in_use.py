"""`in-use.json`: the results the last finished build used, and `clean --unused`, which deletes the others."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..state_files import read_state_file
from .names import FILE_NAME, SHA256


def read_in_use(path: Path) -> set[tuple[str, str]]:
    """The results the last finished build used; ValueError (saying why) when the list is missing or damaged."""
    try:
        used = json.loads(read_state_file(path))
    except FileNotFoundError:
        raise ValueError(f"{path} is missing (no finished build recorded yet), so nothing was deleted; "
                         "build first, then clean") from None
    except (ValueError, OSError):
        used = None
    pairs = used if isinstance(used, list) else []
    if used is None or not isinstance(used, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            and FILE_NAME.fullmatch(p[0]) and SHA256.fullmatch(p[1]) for p in pairs):
        raise ValueError(f"{path} is damaged (not a list of [stage, key] pairs), so nothing was deleted; "
                         "build again to rewrite it, then clean")
    if not pairs:
        raise ValueError(f"{path} lists no results (the last build used none), so nothing was deleted; "
                         "build again, then clean")
    return {(stage, key) for stage, key in pairs}


def remove_unused(objects: Path, keep: set[tuple[str, str]]) -> int:
    """Delete every result under `objects` not in `keep`; a symlink is removed, never followed."""
    removed = 0
    for stage_dir in objects.iterdir():
        if stage_dir.is_symlink() or not stage_dir.is_dir():
            continue
        for path in stage_dir.glob("??/*"):
            if (stage_dir.name, path.name) in keep:
                continue
            if path.parent.is_symlink():
                path.parent.unlink()  # only the link: never delete through it
            elif path.is_symlink():
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed

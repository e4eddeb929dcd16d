"""`clean`: delete what the tool wrote into a build folder, and nothing else (see output_folder.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..engine.cache import CACHE_DIR_NAME
from . import output_folder as folder
from .output_folder import OWNED_LIST
from .render import SiteError


def clean(out: Path, gallery_root: Path | None = None,
          on_wait: Callable[[], None] | None = None) -> tuple[int, list[str]]:
    """Delete what the tool wrote into a build folder (and the folder, once empty), after a build writing it
    (`on_wait` is called if there is one). Returns how many files were deleted and what was kept, and why."""
    out = Path(out)
    if (linked := folder.link_problem(out, "clean")) is not None:   # deleting through it would reach its target
        raise SiteError(linked)
    if not out.exists():
        return 0, []
    if not (out / OWNED_LIST).is_file():
        raise SiteError(f"refusing to delete '{out}': it was not made by imaudible")
    if gallery_root is not None:
        try:
            folder.check_out_dir(out, gallery_root, {"cache": Path(gallery_root) / CACHE_DIR_NAME}, "clean")
        except folder.OutputFolderError as exc:
            raise SiteError(str(exc)) from None
    with folder.held(out, on_wait):   # not while a build writes it
        owned = folder.read_owned(out)
        kept = list(owned.problems)
        count = folder.sweep_tmp(out)
        for rel in sorted(owned.files):
            why = folder.remove_owned(out, rel, owned.digests(rel))
            if why is None:
                count += 1
            else:
                kept.append(f"kept '{out / rel}': {why}")
        (out / OWNED_LIST).unlink(missing_ok=True)   # another clean it waited for may have
        folder.prune_empty_dirs(out)
        try:   # still held: a build waiting for the folder finds it gone and makes it anew (`held`)
            out.rmdir()
        except OSError:
            # The folder stays for what it still holds (a CNAME, robots.txt, a page edited by hand): it remains
            # one the tool made, owning nothing now, so the next build may write into it and `clean --cache` go on.
            folder.write_owned(out, folder.Owned())
            kept.append(f"kept '{out}': it holds files imaudible did not write")
    return count, kept

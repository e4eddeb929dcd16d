"""Watching a gallery for `serve`: which files to watch, and a polling thread that says when they changed."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Optional

from .add_candidates import accepted_suffixes
from .editor_files import is_editor_leftover
from .manifest import find_manifest, gallery_folder

_SKIPPED_DIRS = {"node_modules", "__pycache__"}


def _snapshot(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """mtime and size of every file under the given files and folders (missing ones are left out)."""
    state: dict[str, tuple[int, int]] = {}
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        if not path.is_dir():
            state[str(path)] = (info.st_mtime_ns, info.st_size)
            continue
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
            for name in files:
                if is_editor_leftover(name):   # a save's swap and backup files: the saved file itself is the change
                    continue
                try:
                    info = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                state[os.path.join(folder, name)] = (info.st_mtime_ns, info.st_size)
    return state


def watch(paths_fn: Callable[[], list[Path]], on_change: Callable[[], None], interval: float = 0.5,
          stop: Optional[threading.Event] = None) -> threading.Thread:
    """Start a daemon thread that polls the paths and calls `on_change()` after they change.

    `paths_fn` is asked again on every poll, so files that appear later (a new image) are watched too.
    A change is reported once the files have stopped changing for one interval (editors save in steps).
    Set `stop` to end the thread.
    """
    stop = stop or threading.Event()

    def loop() -> None:
        known = _snapshot(paths_fn())
        while not stop.wait(interval):
            current = _snapshot(paths_fn())
            if current == known:
                continue
            for _ in range(10):
                if stop.wait(interval):
                    return
                settled = _snapshot(paths_fn())
                if settled == current:
                    break
                current = settled
            known = current
            on_change()

    thread = threading.Thread(target=loop, name="imaudible-watch", daemon=True)
    thread.start()
    return thread


def gallery_watch_paths(gallery: Path, out: Path) -> list[Path]:
    """The manifest, templates/, static/ and every image in the gallery folder (not the output or the cache).
    `gallery` is the folder (its gallery.yaml is watched) or the manifest that `serve` was given."""
    root = gallery_folder(gallery).resolve()
    skip = {Path(out).resolve(), root / ".imaudible-cache", root / "templates", root / "static"}
    paths = [root / find_manifest(gallery).name, root / "templates", root / "static"]
    suffixes = accepted_suffixes()   # those `add` takes: a `.jfif` the build decodes is watched too
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS and here / d not in skip)
        paths += [here / name for name in sorted(files) if Path(name).suffix.lower() in suffixes]
    return paths

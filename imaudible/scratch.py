"""Temporary folders that outlive no command: each is named after the process that made it, and the next one
made removes those whose process is gone (a SIGKILL or a power cut skips every cleanup, and a folder left in
/tmp would hold a throwaway site or half an encode until the machine restarts)."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

PREFIX = "imaudible-"


@contextlib.contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A new temporary folder for `kind` of work (a word), removed after use; stale ones of that kind go first."""
    sweep(kind)
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{kind}-{os.getpid()}-") as folder:
        yield Path(folder)


def sweep(kind: str, where: str | None = None) -> int:
    """Remove the `kind` folders in `where` (the temporary folder) whose process has ended; returns how many.
    Only this user's real folders: never a link, never another user's."""
    named = re.compile(rf"{re.escape(PREFIX)}{re.escape(kind)}-(\d+)-")
    removed = 0
    with contextlib.suppress(OSError), os.scandir(where or tempfile.gettempdir()) as entries:
        for entry in entries:
            found = named.match(entry.name)
            if not found or not entry.is_dir(follow_symlinks=False) or _alive(int(found.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
                shutil.rmtree(entry.path)
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):   # another user's process (alive), or no such number
        return True
    return True

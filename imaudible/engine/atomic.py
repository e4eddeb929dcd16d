"""Writing a file so that a reader, or the next build after a kill, sees the old bytes or the new ones, never
half; and what such a write leaves behind when killed, for the sweeps that remove it."""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from ..types import naming

TMP_NAME = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")  # what atomic_write leaves when killed

# mkstemp/mkdtemp create private (0600/0700) entries; published files must get the usual permissions.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file so that readers (and a later build after a kill) see the old or the new bytes, never half.
    `durable` (the default) fsyncs it before the rename; the published site's files skip that, because the
    next build checks them by size and content and rewrites what a power cut damaged. Failures name `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise naming(path, exc) from None
    tmp = write_beside(path, data, durable)
    try:
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise naming(path, exc) if isinstance(exc, OSError) else exc


def write_beside(path: Path, data: bytes, durable: bool = True) -> str:
    """`data` in a new `.NAME.XXXXXXXX.tmp` beside `path` (the name the sweeps know), with the usual
    permissions, for a rename onto `path`; the temporary file's path. Nothing is left when it fails, and the
    failure names `path`."""
    import tempfile  # here: a no-op build writes nothing

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        return tmp
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError, TypeError):   # TypeError: no temporary file was made
            os.unlink(tmp)
        raise naming(path, exc) if isinstance(exc, OSError) else exc


def link_beside(path: Path, source: str) -> str | None:
    """A new name for the file `source` beside `path` (the temporary name `write_beside` gives), for a rename
    onto `path`: its bytes are shared, not copied. None where the disk cannot (another file system, no hard
    links, not permitted): the caller writes a copy."""
    import secrets

    for _ in range(8):
        tmp = f"{path.parent}/.{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.link(source, tmp, follow_symlinks=False)
            return tmp
        except FileExistsError:
            continue
        except OSError:
            return None
    return None


def write_if_changed(path: Path, data: bytes, durable: bool = True) -> None:
    """`atomic_write`, unless the file already holds `data`: a rebuild that changed nothing writes (and fsyncs)
    nothing. The file is read as a state file (never through a link, a FIFO or past its expected size)."""
    from ..state_files import read_state_file

    with contextlib.suppress(OSError):
        if os.lstat(path).st_size == len(data) and read_state_file(path, limit=len(data)) == data:
            return
    atomic_write(path, data, durable)


def unlink_if_link(path: Path) -> None:
    """Remove a symlink where the tool's own file or folder belongs: nothing is written or deleted through one."""
    if path.is_symlink():
        path.unlink()

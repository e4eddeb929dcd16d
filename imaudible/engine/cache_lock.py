"""The build lock of a cache folder: one build (or `serve`'s rebuild, or `evaluate`) at a time; what killed
builds left in the cache is swept by whoever takes it next. A cache folder that can be read but not written
is found here too (`Cache.lock` then uses it unlocked)."""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
import time
from pathlib import Path
from typing import Callable, Iterator

from .atomic import TMP_NAME, atomic_write, unlink_if_link

# The cache is meant to be committed with the gallery; these files are this machine's state, not results: the
# lock, builds in progress, and what is remembered by stat (inode, ctime) or absolute path. Committed, they
# would change with every build, in every clone, and publish the curator's paths.
MACHINE_STATE = ("lock", "tmp/", "build-stamp", "stat-cache.json", "results-index", "written-stat.json", ".*.tmp")
GITIGNORE = ("# Written by imaudible: this machine's build state, not cached results (commit the rest).\n"
             + "".join(f"/{name}\n" for name in MACHINE_STATE))


class BuildLocked(Exception):
    pass


class CacheUnwritable(Exception):
    """The cache folder cannot be created or locked (found before any stage runs)."""


# What the holder writes into the lock file, for those who wait: "PID HOST HH:MM:SS".
_HOLDER = re.compile(r"(\d{1,10}) ([A-Za-z0-9][A-Za-z0-9.-]{0,62}) (\d\d:\d\d:\d\d)\n?")


@contextlib.contextmanager
def hold_lock(root: Path, tmp: Path, on_wait: Callable[[str], None] | None = None,
              timeout: float | None = None) -> Iterator[None]:
    """Hold `root`'s lock file; waits (calling on_wait once with a line that says so, naming the holder)
    while another process holds it, raising BuildLocked after `timeout` seconds. Taken, it removes `tmp` and
    the leftovers of killed atomic writes."""
    fh = _locked(root, on_wait, timeout)
    try:
        _sign(fh)
        shutil.rmtree(tmp, ignore_errors=True)  # leftovers of killed builds; we hold the lock
        for leftover in root.iterdir():
            if TMP_NAME.fullmatch(leftover.name) and leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _locked(root: Path, on_wait: Callable[[str], None] | None, timeout: float | None):
    """The lock file, opened and flocked, and still the one file named `lock` when taken: a build that waited
    on a file another build then replaced (a hard link, below) would hold a lock nobody else takes."""
    deadline = None if timeout is None else time.monotonic() + timeout
    told = on_wait is None
    while True:
        fh = _open_lock(root)
        try:
            while not _try_flock(fh):
                if not told:
                    on_wait(f"waiting for another build of this gallery to finish{_holder(fh)}...")
                    told = True
                if deadline is not None and time.monotonic() > deadline:
                    raise BuildLocked(f"another build holds {root / 'lock'}{_holder(fh)}")
                time.sleep(0.2)
            if _is_the_lock(fh, root / "lock"):
                return fh
        except BaseException:
            fh.close()
            raise
        fh.close()   # unlocks it for those waiting on it, who find it replaced too


def _try_flock(fh) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _is_the_lock(fh, path: Path) -> bool:
    """Whether the flocked `fh` is the file named `path`, with no other name. A lock file that is a hard link
    to another file (an archive can ship one to gallery.yaml; `cp -al` makes one of a running build's lock) is
    replaced only now, while held: replaced at once, a build that holds it would run beside the one replacing it."""
    try:
        info, named = os.fstat(fh.fileno()), os.lstat(path)
        if not os.path.samestat(named, info):
            return False          # replaced while this build waited: the lock is the file named now
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            return True
        os.unlink(path)           # the name only: the file it shared its bytes with keeps them
        return False
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CacheUnwritable(f"cannot write '{exc.filename or path}': {exc.strerror or exc}") from None


def _sign(fh) -> None:
    """Say in the lock file who holds it (a build stuck in CI is found by its pid); best effort."""
    import socket

    host = socket.gethostname().split(".")[0]
    with contextlib.suppress(OSError):
        fh.truncate(0)
        fh.write(f"{os.getpid()} {host} {time.strftime('%H:%M:%S')}\n")
        fh.flush()


def _holder(fh) -> str:
    """' (pid 1234 on HOST since 17:40:02)', as the holder signed the lock file; '' if it did not (or the file
    holds anything else: a cache from elsewhere may hold any bytes there)."""
    try:
        fh.seek(0)
        found = _HOLDER.fullmatch(fh.read(100))
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {found[1]} on {found[2]} since {found[3]})" if found else ""


def check_place(root: Path) -> None:
    """CacheUnwritable when the cache folder is a link out of the gallery folder."""
    if root.is_symlink() and not root.resolve().is_relative_to(root.parent.resolve()):
        raise CacheUnwritable(f"'{root}' is a symlink to '{root.resolve()}', outside the gallery folder; the "
                              "cache must be a folder inside the gallery (delete the link)")


def only_readable(root: Path) -> bool:
    """Whether the cache folder is there but cannot be written: on a read-only file system (even for root),
    or without write permission."""
    try:
        return root.is_dir() and (bool(os.statvfs(root).f_flag & os.ST_RDONLY) or not os.access(root, os.W_OK))
    except OSError:
        return False


def _open_lock(root: Path):
    """The lock file, opened; the cache folder made, with no symlink where its own folders belong."""
    check_place(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in ("lock", "objects", "tmp"):
            unlink_if_link(root / name)
        if not os.path.lexists(root / ".gitignore"):    # a curator's own, or one they changed, stays
            atomic_write(root / ".gitignore", GITIGNORE.encode(), durable=False)
        return os.fdopen(_lock_fd(root / "lock"), "a+")
    except OSError as exc:
        raise CacheUnwritable(f"cannot write '{exc.filename or root}': {exc.strerror or exc}") from None


def _lock_fd(path: Path) -> int:
    """The lock file, opened for reading and signing, never through a link. A cache may come with a gallery:
    a FIFO or a device there is replaced, not opened for good; a hard link to another file is replaced once
    held (`_is_the_lock`), and never signed, so a build writes into no file but its own lock."""
    flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags | os.O_CREAT, 0o644)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    os.close(fd)
    with contextlib.suppress(FileNotFoundError):   # another build may have replaced it first
        os.unlink(path)
    return os.open(path, flags | os.O_CREAT, 0o644)

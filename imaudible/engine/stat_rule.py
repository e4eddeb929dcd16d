"""When what was read from a file may be remembered by the file's stat (statcache, result_index, stamp).

A file is known by (device, inode, size, mtime_ns, ctime_ns). The ctime is git's answer to an edit in
place that keeps the size and puts the mtime back (`touch -r`, an editor, a sync tool): only the kernel
sets it. Like git's index, what was read is remembered only if that stat did not change while reading and
the mtime is older than the clock tick it was taken from: a file written within the same tick could change
again without its stat showing it. The tick is not known, so it
is bounded: a file system that keeps times in whole seconds (an mtime of exactly N s) may tick every
`RACY_SECONDS` (FAT: 2 s); one that keeps finer times ticks with the kernel's clock (a few ms), so
`FINE_RACY_SECONDS` is ten times that.
"""
from __future__ import annotations

import os
import time

RACY_SECONDS = 2.0
FINE_RACY_SECONDS = 0.1


def known_by(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def signature(st: os.stat_result) -> str:
    """A file as these rules know it, as text: "device inode size mtime_ns ctime_ns"."""
    return "%d %d %d %d %d" % known_by(st)


def same_stat(a: os.stat_result, b: os.stat_result) -> bool:
    return known_by(a) == known_by(b)


def old_enough(mtime_ns: int, now: float | None = None) -> bool:
    """Whether a file last written at `mtime_ns` is past the tick in which it could still change unseen."""
    window = RACY_SECONDS if mtime_ns % 1_000_000_000 == 0 else FINE_RACY_SECONDS
    return (time.time() if now is None else now) - mtime_ns / 1e9 > window


def settled(before: os.stat_result, after: os.stat_result) -> bool:
    """The file did not change while it was read, and is too old to change unseen: remember what was read."""
    return same_stat(before, after) and old_enough(after.st_mtime_ns)

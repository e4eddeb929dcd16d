"""When what was read from a file may be remembered by the file's stat (statcache, result_index).

A file is known by (device, inode, size, mtime_ns). Like git's index, what was read is remembered only if
that stat did not change while reading and the mtime is more than `RACY_SECONDS` old: a file written within
the same timestamp tick could change again without its stat showing it.
"""
from __future__ import annotations

import os
import time

RACY_SECONDS = 2.0


def same_stat(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


def settled(before: os.stat_result, after: os.stat_result) -> bool:
    """The file did not change while it was read, and is too old to change unseen: remember what was read."""
    return same_stat(before, after) and time.time() - after.st_mtime_ns / 1e9 > RACY_SECONDS

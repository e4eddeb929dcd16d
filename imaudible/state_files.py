"""Reading the tool's own state files (the cache's indexes and records, the build stamp, a site's list of
owned files, the evaluation report's files) as what they must be: regular files of sane size. A gallery may come from someone else, cache
included; such a file that is a link (to /dev/zero, to a secret), a FIFO (a read that never ends) or huge
must read as damaged, which every caller already survives, not hang the build or fill the memory."""
from __future__ import annotations

import errno
import os
import stat

MAX_STATE_FILE = 256 << 20    # bytes: a results index of 100,000 artworks stays far below


def read_state_file(path, limit: int = MAX_STATE_FILE) -> bytes:
    """The bytes of a regular file not reached through a symlink (its last component), else OSError:
    FileNotFoundError when it is missing, like `Path.read_bytes`."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", os.fspath(path))
        return fh.read(limit + 1)

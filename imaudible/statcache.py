"""Content hashes of source files, remembered by their stat so that an untouched file is not read again.

A file's SHA-256 is reused while its (device, inode, size, mtime_ns, ctime_ns) stay the same; any change to them
means the file is read and hashed again. A hash is remembered only when `engine.stat_rule.settled` says so
(like git's index: a file written within the same timestamp tick could still change unseen).

The table lives in one JSON file in the cache folder, replaced atomically; a damaged or foreign file
is ignored (every source is then hashed again), never an error. A build opens it with `for_cache` (the
ingest stage's source key) and writes it back with `close` while it still holds the cache's lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from .engine.atomic import atomic_write
from .engine.stat_rule import known_by, same_stat, settled
from .state_files import read_state_file

FILE_NAME = "stat-cache.json"
FORMAT = 1
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    from .safe_paths import open_regular

    digest = hashlib.sha256()
    with open_regular(path, buffering=0) as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _signature(st: os.stat_result) -> list[int]:
    return list(known_by(st))


class StatCache:
    """`sha256(path)` for source files; `save()` writes what changed (call it while holding the build lock)."""

    def __init__(self, cache_root: Path):
        self.path = Path(cache_root) / FILE_NAME
        self.hashed = 0  # files actually read and hashed by this instance
        self._lock = threading.Lock()
        self._dirty = False
        self._seen: set[str] = set()  # only the files this build asked about are kept
        self._entries: dict[str, tuple[list[int], str]] = self._load()
        self._racy: dict[str, tuple[list[int], str]] = {}  # too fresh to remember past this build

    def _load(self) -> dict[str, tuple[list[int], str]]:
        try:
            raw = json.loads(read_state_file(self.path))
            if raw.get("format") != FORMAT:
                return {}
            return {str(name): ([int(v) for v in sig], str(sha)) for name, (sig, sha) in raw["files"].items()
                    if len(sig) == 5 and len(sha) == 64}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def sha256(self, path: Path) -> str:
        """The SHA-256 of the file's bytes; raises OSError when it cannot be read."""
        name = os.path.abspath(path)
        st = os.stat(name)
        signature = _signature(st)
        with self._lock:
            self._seen.add(name)
            for known in (self._entries.get(name), self._racy.get(name)):
                if known is not None and known[0] == signature:
                    return known[1]
        sha = file_sha256(Path(name))
        with self._lock:
            self.hashed += 1
            after = os.stat(name)
            if settled(st, after):
                self._entries[name] = (signature, sha)
                self._dirty = True
            else:
                if same_stat(st, after):
                    self._racy[name] = (signature, sha)
                if self._entries.pop(name, None) is not None:
                    self._dirty = True
        return sha

    def save(self) -> None:
        with self._lock:
            kept = {name: [sig, sha] for name, (sig, sha) in self._entries.items() if name in self._seen}
            if not self._dirty and len(kept) == len(self._entries):
                return
            payload = {"format": FORMAT, "files": kept}
            self._dirty = False
        try:
            atomic_write(self.path, json.dumps(payload, separators=(",", ":"), allow_nan=False).encode())
        except OSError:
            pass  # only a speed-up: the next build hashes again


_OPEN: dict[str, StatCache] = {}
_OPEN_LOCK = threading.Lock()


def for_cache(cache_root: Path) -> StatCache:
    """The table of this cache folder, loaded once per build."""
    with _OPEN_LOCK:
        key = os.path.abspath(cache_root)
        if key not in _OPEN:
            _OPEN[key] = StatCache(Path(key))
        return _OPEN[key]


def close(cache_root: Path) -> None:
    """Write the table back (if the build used it) and forget it: the next build reads it afresh."""
    with _OPEN_LOCK:
        table = _OPEN.pop(os.path.abspath(cache_root), None)
    if table is not None:
        table.save()

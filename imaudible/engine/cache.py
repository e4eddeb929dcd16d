"""Content-addressed cache of stage results, safe against kills and concurrent builds.

Layout of `<gallery>/.imaudible-cache/`:

    objects/<stage>/<key[:2]>/<key>/result.json   metadata of one stage result
    objects/<stage>/<key[:2]>/<key>/<files>       its files (derivatives, audio, ...)
    tmp/                                          results being written (renamed into objects/ when whole)
    models.json                                   last revision seen per model id
    lock                                          flock()ed for the length of a build

A result directory appears in `objects/` only by an atomic rename of a complete temporary directory,
so a build killed at any moment leaves either the whole result or nothing.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

CACHE_DIR_NAME = ".imaudible-cache"
FORMAT = 1

# mkstemp/mkdtemp create private (0600/0700) entries; published files must get the usual permissions.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def stage_key(stage: str, version: str, *parts) -> str:
    """SHA-256 over a stage's name, code version and everything its result depends on."""
    payload = json.dumps([stage, version, FORMAT, *parts], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    stage: str
    key: str
    meta: dict
    path: Path

    def file(self, name: str) -> Path:
        return self.path / name

    def read(self, name: str) -> bytes:
        return (self.path / name).read_bytes()


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that readers (and a later build after a kill) see the old or the new bytes, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class BuildLocked(Exception):
    pass


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def _dir(self, stage: str, key: str) -> Path:
        return self.objects / stage / key[:2] / key

    def get(self, stage: str, key: str) -> Entry | None:
        path = self._dir(stage, key)
        try:
            meta = json.loads((path / "result.json").read_text())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (ValueError, OSError):
            # Unreadable result (disk trouble, hand edits): treat as a miss and let it be recomputed.
            shutil.rmtree(path, ignore_errors=True)
            return None
        return Entry(stage, key, meta, path)

    def put(self, stage: str, key: str, meta: dict, files: dict[str, bytes], replace: bool = False) -> Entry:
        """Store a result. An existing one under the same key is kept, unless `replace` (a forced recompute)."""
        final = self._dir(stage, key)
        self.tmp.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{stage}-{key[:12]}-", dir=self.tmp))
        os.chmod(staging, DIR_MODE)
        try:
            for name, data in files.items():
                with open(staging / name, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            with open(staging / "result.json", "w") as fh:
                json.dump(meta, fh, sort_keys=True, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            if replace and final.exists():
                # Move the old result aside first: a kill between the renames leaves a miss, never a mix.
                os.rename(final, Path(tempfile.mkdtemp(prefix="replaced-", dir=self.tmp)) / "old")
            try:
                os.rename(staging, final)
            except OSError:
                if not (final / "result.json").is_file():
                    raise
                shutil.rmtree(staging, ignore_errors=True)  # a result for this key landed first: keep it
                return self.get(stage, key) or Entry(stage, key, meta, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Entry(stage, key, meta, final)

    # --- models seen ------------------------------------------------------------------------------
    def recorded_revisions(self) -> dict[str, str]:
        try:
            return json.loads((self.root / "models.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def record_revision(self, model_id: str, revision: str) -> None:
        seen = self.recorded_revisions()
        if seen.get(model_id) != revision:
            seen[model_id] = revision
            atomic_write(self.root / "models.json", json.dumps(seen, sort_keys=True, indent=1).encode())

    # --- housekeeping -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, on_wait: Callable[[], None] | None = None, timeout: float | None = None) -> Iterator[None]:
        """Hold the build lock; waits (calling on_wait once) while another build holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                deadline = None if timeout is None else time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if deadline is not None and time.monotonic() > deadline:
                            raise BuildLocked(f"another build holds {self.root / 'lock'}") from None
                        time.sleep(0.2)
            try:
                shutil.rmtree(self.tmp, ignore_errors=True)  # leftovers of killed builds; we hold the lock
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def record_in_use(self, used: set[tuple[str, str]]) -> None:
        """Remember which results the last finished build used (for `clean --unused`)."""
        atomic_write(self.root / "in-use.json", json.dumps(sorted(map(list, used))).encode())

    def prune_unused(self) -> int:
        """Delete results the last finished build did not use; returns how many were removed."""
        try:
            keep = {tuple(item) for item in json.loads((self.root / "in-use.json").read_text())}
        except FileNotFoundError:
            raise ValueError(f"{self.root}: no finished build recorded yet; build first, then clean") from None
        removed = 0
        if not self.objects.is_dir():
            return 0
        for stage_dir in self.objects.iterdir():
            for path in stage_dir.glob("??/*"):
                if (stage_dir.name, path.name) not in keep:
                    shutil.rmtree(path, ignore_errors=True)
                    removed += 1
        return removed

"""Content-addressed cache of stage results, safe against kills and concurrent builds.

Layout of `<gallery>/.imaudible-cache/`:

    objects/<stage>/<key[:2]>/<key>/result.json   {"format": 2, "meta": ..., "files": {name: {size, sha256}}}
    objects/<stage>/<key[:2]>/<key>/<files>       its files (derivatives, audio, ...)
    tmp/                                          results being written (renamed into objects/ when whole)
    models.json                                   last revision seen per model id
    lock                                          flock()ed for the length of a build

A result directory appears in `objects/` only by an atomic rename of a complete temporary directory,
so a build killed at any moment leaves either the whole result or nothing.

The cache is verified, not trusted: `get` checks the shape of result.json (the stage's own check, given
as `shapes`) and the size of every file (a stat, so a no-op build stays cheap); the SHA-256 of a file is
checked when its bytes are read (`Entry.read`), which raises `DamagedResult`. A damaged result is moved
aside (a miss, recomputed by the caller) and reported through `warn`.

That is also why a result's files are not fsynced: a kill cannot tear a result (the rename), and what a
power loss might leave short or zeroed fails those checks and is computed again. An fsync per file cost
2.5-7 ms on this machine's disk, about 20 s of a 500-artwork cold build spent waiting in the driver.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..types import DamagedResult, StoredFile  # noqa: F401 - DamagedResult is raised through Entry
from .result_index import ResultIndex

CACHE_DIR_NAME = ".imaudible-cache"
FORMAT = 1  # part of every key: changing it recomputes everything
RESULT_FORMAT = 2  # layout of result.json; results without it (format 1) are upgraded once when read
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a result's file names: never a path
_SHA256 = re.compile(r"[0-9a-f]{64}")
TMP_NAME = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")  # what atomic_write leaves when killed

# mkstemp/mkdtemp create private (0600/0700) entries; published files must get the usual permissions.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


# json.dumps with these options would build a new encoder per call; a build makes thousands of keys.
_KEY_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)


def stage_key(stage: str, version: str, *parts) -> str:
    """SHA-256 over a stage's name, code version and everything its result depends on."""
    return hashlib.sha256(_KEY_JSON.encode([stage, version, FORMAT, *parts]).encode()).hexdigest()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    stage: str
    key: str
    meta: dict
    path: Path
    files: dict = None  # name -> (size, sha256) as stored

    def file(self, name: str) -> Path:
        if name not in (self.files or {}):
            raise DamagedResult(self.stage, self.key, name, "is not part of this result")
        return self.path / name

    def source(self, name: str) -> StoredFile:
        """One of the result's files, to read (checked) or copy."""
        if name not in (self.files or {}):
            raise DamagedResult(self.stage, self.key, name, "is not part of this result")
        size, digest = self.files[name]
        return StoredFile(self.path / name, self.key, self.stage, size, digest)

    def read(self, name: str) -> bytes:
        """The bytes of one file, checked against the size and SHA-256 recorded when it was stored."""
        return self.source(name).read()


def _unlink_if_link(path: Path) -> None:
    if path.is_symlink():
        path.unlink()


def _result_json(stored: dict) -> bytes:
    return json.dumps(stored, sort_keys=True, indent=1, allow_nan=False).encode()


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file so that readers (and a later build after a kill) see the old or the new bytes, never half.
    `durable` (the default) fsyncs it before the rename; the published site's files skip that, because the
    next build checks them by size and content and rewrites what a power cut damaged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _verify(stage: str, path: str, stored, check) -> tuple[dict, dict, str | None]:
    """meta, files and None when result.json has the shape stored results have and every file its size
    (a stat each, no hashing); else what is wrong."""
    if not isinstance(stored, dict) or stored.get("format") != RESULT_FORMAT \
            or not isinstance(stored.get("meta"), dict) or not isinstance(stored.get("files"), dict):
        return {}, {}, "result.json has the wrong shape"
    files = {}
    for name, record in stored["files"].items():
        if not FILE_NAME.fullmatch(name) or not isinstance(record, dict) \
                or type(record.get("size")) is not int or not _SHA256.fullmatch(str(record.get("sha256"))):
            return {}, {}, f"result.json lists a bad file record {name!r}"
        try:
            info = os.lstat(f"{path}/{name}")
        except OSError:
            return {}, {}, f"{name} is missing"
        if not stat.S_ISREG(info.st_mode) or info.st_size != record["size"]:
            return {}, {}, f"{name} has {info.st_size} bytes instead of {record['size']}"
        files[name] = (record["size"], record["sha256"])
    why = check(stored["meta"], files) if check else None
    return stored["meta"], files, (f"result.json is not what the {stage} stage writes: {why}" if why else None)


def _upgrade(path: Path, meta: dict) -> dict:
    """A result stored before files were recorded: record what it holds now (once)."""
    files = {}
    for item in sorted(path.iterdir()):
        if item.name != "result.json" and item.is_file() and not item.is_symlink():
            data = item.read_bytes()
            files[item.name] = {"size": len(data), "sha256": file_digest(data)}
    stored = {"format": RESULT_FORMAT, "meta": meta, "files": files}
    with contextlib.suppress(OSError, ValueError):
        atomic_write(path / "result.json", _result_json(stored))
    return stored


def _read_in_use(path: Path) -> set[tuple[str, str]]:
    """The results the last finished build used; ValueError (saying why) when the list is missing or damaged."""
    try:
        used = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{path} is missing (no finished build recorded yet), so nothing was deleted; "
                         "build first, then clean") from None
    except (ValueError, OSError):
        used = None
    pairs = used if isinstance(used, list) else []
    if used is None or not isinstance(used, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            and FILE_NAME.fullmatch(p[0]) and _SHA256.fullmatch(p[1]) for p in pairs):
        raise ValueError(f"{path} is damaged (not a list of [stage, key] pairs), so nothing was deleted; "
                         "build again to rewrite it, then clean")
    if not pairs:
        raise ValueError(f"{path} lists no results (the last build used none), so nothing was deleted; "
                         "build again, then clean")
    return {(stage, key) for stage, key in pairs}


class BuildLocked(Exception):
    pass


class CacheUnwritable(Exception):
    """The cache folder cannot be created or locked (found before any stage runs)."""


class Cache:
    def __init__(self, root: Path, warn: Callable[[str], None] | None = None,
                 shapes: dict[str, Callable[[dict, dict], str | None]] | None = None):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.warn = warn or (lambda message: None)
        self.shapes = shapes or {}
        self.index = ResultIndex(self.root)  # result.json text by stat: a no-op rebuild opens none of them
        self._plain_stages: set[str] = set()
        self._objects = os.fspath(self.objects)

    def _folder(self, stage: str, key: str) -> str:
        return f"{self._objects}/{stage}/{key[:2]}/{key}"  # a string: made once per result a build looks up

    def _dir(self, stage: str, key: str) -> Path:
        return Path(self._folder(stage, key))

    def _plain_dir(self, stage: str, key: str) -> Path:
        """Where a result lives, for writing or moving it: a symlink on the way (never made by the tool) is
        removed first, so nothing is ever written or deleted through it. (Reading needs no such care: a
        result's files must be regular files of the recorded sizes and shapes.)"""
        if stage not in self._plain_stages:
            _unlink_if_link(self.objects / stage)
            self._plain_stages.add(stage)
        _unlink_if_link(self.objects / stage / key[:2])
        _unlink_if_link(self.objects / stage / key[:2] / key)
        return self._dir(stage, key)

    def get(self, stage: str, key: str, on_damage: Callable[[str], None] | None = None) -> Entry | None:
        """The stored result, or None: absent, or damaged (then moved aside and reported to on_damage)."""
        path = self._folder(stage, key)
        try:
            stored = json.loads(self.index.text(f"{stage}/{key}", f"{path}/result.json"))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (ValueError, OSError) as exc:
            why = "result.json is not JSON" if isinstance(exc, ValueError) else f"unreadable ({exc})"
            return self._damaged(stage, key, why, on_damage)
        if isinstance(stored, dict) and "format" not in stored and "files" not in stored:
            stored = _upgrade(Path(path), stored)
        meta, files, why = _verify(stage, path, stored, self.shapes.get(stage))
        if why:
            return self._damaged(stage, key, why, on_damage)
        return Entry(stage, key, meta, Path(path), files)

    def _damaged(self, stage: str, key: str, why: str, on_damage) -> None:
        (on_damage or (lambda text: self.warn(f"cached {stage} result {key[:12]} is damaged ({text}); "
                                              "recomputing it")))(why)
        self.discard(stage, key)
        return None

    def discard(self, stage: str, key: str) -> None:
        """Move a result aside (swept with the other leftovers), so the next `put` stores a fresh one."""
        self.index.forget(f"{stage}/{key}")
        path = self._plain_dir(stage, key)
        if not path.exists():
            return
        self.tmp.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, Path(tempfile.mkdtemp(prefix="damaged-", dir=self.tmp)) / "old")
        except OSError:
            shutil.rmtree(path, ignore_errors=True)

    def put(self, stage: str, key: str, meta: dict, files: dict[str, bytes], replace: bool = False) -> Entry:
        """Store a result. An existing one under the same key is kept, unless `replace` (a forced recompute)."""
        final = self._plain_dir(stage, key)
        self.tmp.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{stage}-{key[:12]}-", dir=self.tmp))
        os.chmod(staging, DIR_MODE)
        try:
            record = _write_result(staging, meta, files)
            final.parent.mkdir(parents=True, exist_ok=True)
            if replace and final.exists():
                self.index.forget(f"{stage}/{key}")
                # Move the old result aside first: a kill between the renames leaves a miss, never a mix.
                os.rename(final, Path(tempfile.mkdtemp(prefix="replaced-", dir=self.tmp)) / "old")
            try:
                os.rename(staging, final)
            except OSError:
                if not (final / "result.json").is_file():
                    raise
                shutil.rmtree(staging, ignore_errors=True)  # a result for this key landed first: keep it
                return self.get(stage, key) or Entry(stage, key, meta, final, dict(record))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Entry(stage, key, meta, final, {n: (r["size"], r["sha256"]) for n, r in record.items()})

    def save_index(self) -> None:
        """Remember the result.json files read by this build (call it while holding the lock)."""
        self.index.save(atomic_write)

    # --- models seen ------------------------------------------------------------------------------
    def recorded_revisions(self) -> dict[str, str]:
        return _read_revisions(self.root / "models.json", self.warn)

    def record_revision(self, model_id: str, revision: str) -> None:
        seen = self.recorded_revisions()
        if seen.get(model_id) != revision:
            seen[model_id] = revision
            atomic_write(self.root / "models.json",
                         json.dumps(seen, sort_keys=True, indent=1, allow_nan=False).encode())

    # --- housekeeping -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, on_wait: Callable[[], None] | None = None, timeout: float | None = None) -> Iterator[None]:
        """Hold the build lock; waits (calling on_wait once) while another build holds it."""
        with _open_lock(self.root) as fh:
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
                for leftover in self.root.iterdir():
                    if TMP_NAME.fullmatch(leftover.name) and leftover.is_file() and not leftover.is_symlink():
                        leftover.unlink()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def record_in_use(self, used: set[tuple[str, str]]) -> None:
        """Remember which results the last finished build used (for `clean --unused`)."""
        path, data = self.root / "in-use.json", json.dumps(sorted(map(list, used)), allow_nan=False).encode()
        with contextlib.suppress(OSError):
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return  # a no-op rebuild: the same list (and no fsync)
        atomic_write(path, data)

    def prune_unused(self) -> int:
        """Delete results the last finished build did not use; returns how many were removed.
        Raises ValueError (deleting nothing) when in-use.json is missing or damaged."""
        keep = _read_in_use(self.root / "in-use.json")
        return _remove_unused(self.objects, keep) if self.objects.is_dir() else 0


def _write_result(staging: Path, meta: dict, files: dict[str, bytes]) -> dict:
    """Write a result's files and result.json (with each file's size and SHA-256) into `staging` (not
    fsynced: see the module's docstring)."""
    record = {}
    for name, data in files.items():
        if not FILE_NAME.fullmatch(name):
            raise ValueError(f"not a file name for the cache: {name!r}")
        (staging / name).write_bytes(data)
        record[name] = {"size": len(data), "sha256": file_digest(data)}
    (staging / "result.json").write_bytes(_result_json({"format": RESULT_FORMAT, "meta": meta, "files": record}))
    return record


def _read_revisions(path: Path, warn: Callable[[str], None]) -> dict[str, str]:
    try:
        seen = json.loads(path.read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (ValueError, OSError):
        seen = None
    if not isinstance(seen, dict) or not all(isinstance(v, str) for v in seen.values()):
        warn(f"{path} is damaged (not a mapping of model id to revision); ignoring it, it is rewritten when a "
             "model is used")
        return {}
    return seen


def _open_lock(root: Path):
    """The lock file, opened; the cache folder made, with no symlink where its own folders belong."""
    if root.is_symlink() and not root.resolve().is_relative_to(root.parent.resolve()):
        raise CacheUnwritable(f"'{root}' is a symlink to '{root.resolve()}', outside the gallery folder; the "
                              "cache must be a folder inside the gallery (delete the link)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in ("lock", "objects", "tmp"):
            _unlink_if_link(root / name)
        return open(root / "lock", "a+")
    except OSError as exc:
        raise CacheUnwritable(f"cannot write '{exc.filename or root}': {exc.strerror or exc}") from None


def _remove_unused(objects: Path, keep: set[tuple[str, str]]) -> int:
    removed = 0
    for stage_dir in objects.iterdir():
        if stage_dir.is_symlink() or not stage_dir.is_dir():
            continue
        for path in stage_dir.glob("??/*"):
            if (stage_dir.name, path.name) in keep:
                continue
            if path.parent.is_symlink():
                path.parent.unlink()  # only the link: never delete through it
            elif path.is_symlink():
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed

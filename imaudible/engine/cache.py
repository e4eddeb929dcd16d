"""Content-addressed cache of stage results, safe against kills and concurrent builds.

Layout of `<gallery>/.imaudible-cache/`:

    objects/<stage>/<key[:2]>/<key>/result.json   {"format": 2, "meta": ..., "files": {name: {size, sha256}},
                                                   "meta_sha256": ...}
    objects/<stage>/<key[:2]>/<key>/<files>       its files (derivatives, audio, ...)
    tmp/                                          results being written (renamed into objects/ when whole)
    models.json                                   last revision seen per model id
    lock                                          flock()ed for the length of a build

A result directory appears in `objects/` only by an atomic rename of a complete temporary directory,
so a build killed at any moment leaves either the whole result or nothing.

The cache is verified, not trusted: `get` checks the shape of result.json (the stage's own check, given
as `shapes`), the SHA-256 of its meta and the size of every file (a stat, so a no-op build stays cheap); the SHA-256 of a file is
checked when its bytes are read (`Entry.read`), which raises `DamagedResult`. A damaged result is moved
aside (a miss, recomputed by the caller) and reported through `warn`.

That is also why a result's files are not fsynced: a kill cannot tear a result (the rename), and what a
power loss might leave short or zeroed fails those checks and is computed again. An fsync per file cost
2.5-7 ms on this machine's disk, about 20 s of a 500-artwork cold build spent waiting in the driver.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..state_files import read_state_file
from ..types import CacheWriteFailed, DamagedResult, HeldFile, StoredFile  # noqa: F401 - DamagedResult is raised through Entry
from .atomic import DIR_MODE, atomic_write, unlink_if_link, write_if_changed
from .cache_lock import hold_lock, only_readable
from .in_use import read_in_use, remove_unused
from .names import FILE_NAME, SHA256
from .result_index import ResultIndex

CACHE_DIR_NAME = ".imaudible-cache"
FORMAT = 1  # part of every key: changing it recomputes everything
RESULT_FORMAT = 2  # layout of result.json; results without it (format 1) are upgraded once when read


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
    folder: str       # a string: a no-op build looks up thousands of results and makes no Path for them
    files: dict = None  # name -> (size, sha256) as stored
    held: dict = None   # name -> HeldFile: what the stage hands on in memory in the build that computed it

    @functools.cached_property
    def path(self) -> Path:
        return Path(self.folder)

    def has(self, name: str) -> bool:
        return name in (self.files or {}) or name in (self.held or {})

    def file(self, name: str) -> Path:
        if name not in (self.files or {}):
            raise DamagedResult(self.stage, self.key, name, "is not part of this result")
        return self.path / name

    def source(self, name: str) -> StoredFile | HeldFile:
        """One of the result's files, to read (checked) or copy."""
        if self.held and name in self.held:
            return self.held[name]
        if name not in (self.files or {}):
            raise DamagedResult(self.stage, self.key, name, "is not part of this result")
        size, digest = self.files[name]
        return StoredFile(f"{self.folder}/{name}", self.key, self.stage, size, digest)

    def read(self, name: str) -> bytes:
        """The bytes of one file, checked against the size and SHA-256 recorded when it was stored."""
        return self.source(name).read()


def _result_json(stored: dict) -> bytes:
    return json.dumps(stored, sort_keys=True, indent=1, allow_nan=False).encode()


def meta_digest(meta: dict) -> str:
    """The SHA-256 of a result's meta in one canonical form: results with no files (a mood, a caption) are
    checked too, so one flipped digit in result.json is a damaged result, not a different mood."""
    return file_digest(json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False).encode())


def _verify(stage: str, path: str, stored, check) -> tuple[dict, dict, str | None]:
    """meta, files and None when result.json has the shape stored results have and every file its size
    (a stat each, no hashing); else what is wrong."""
    if not isinstance(stored, dict) or stored.get("format") != RESULT_FORMAT \
            or not isinstance(stored.get("meta"), dict) or not isinstance(stored.get("files"), dict):
        return {}, {}, "result.json has the wrong shape"
    files = {}
    for name, record in stored["files"].items():
        if not FILE_NAME.fullmatch(name) or not isinstance(record, dict) \
                or type(record.get("size")) is not int or not SHA256.fullmatch(str(record.get("sha256"))):
            return {}, {}, f"result.json lists a bad file record {name!r}"
        try:
            info = os.lstat(f"{path}/{name}")
        except OSError:
            return {}, {}, f"{name} is missing"
        if not stat.S_ISREG(info.st_mode):
            return {}, {}, f"{name} is {'a symlink' if stat.S_ISLNK(info.st_mode) else 'not a regular file'}"
        if info.st_size != record["size"]:
            return {}, {}, f"{name} has {info.st_size} bytes instead of {record['size']}"
        files[name] = (record["size"], record["sha256"])
    if "meta_sha256" in stored and stored["meta_sha256"] != meta_digest(stored["meta"]):   # results from before it have none
        return {}, {}, "result.json changed since it was stored (its meta's SHA-256 differs)"
    why = check(stored["meta"], files) if check else None
    return stored["meta"], files, (f"result.json is not what the {stage} stage writes: {why}" if why else None)


def _link_on_the_way(objects: str, stage: str, key: str, plain_prefixes: set[str]) -> str | None:
    """The folder of a result's path that is a symlink (never made by the tool), or None: reading through it
    would take the result from wherever the link points, outside the cache. `plain_prefixes`: the
    `<stage>/<xx>` folders already seen to be none (a no-op build looks up thousands of results)."""
    prefix = f"{stage}/{key[:2]}"
    if prefix not in plain_prefixes:
        for rel in ("", stage, prefix):
            if os.path.islink(f"{objects}/{rel}".rstrip("/")):
                return f"objects/{rel}".rstrip("/")
        plain_prefixes.add(prefix)
    return f"objects/{prefix}/{key}" if os.path.islink(f"{objects}/{prefix}/{key}") else None


def _upgrade(path: Path, meta: dict) -> dict:
    """A result stored before files were recorded: record what it holds now (once)."""
    files = {}
    for item in sorted(path.iterdir()):
        if item.name != "result.json" and item.is_file() and not item.is_symlink():
            data = item.read_bytes()
            files[item.name] = {"size": len(data), "sha256": file_digest(data)}
    stored = {"format": RESULT_FORMAT, "meta": meta, "files": files, "meta_sha256": meta_digest(meta)}
    with contextlib.suppress(OSError, ValueError):
        atomic_write(path / "result.json", _result_json(stored))
    return stored


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
        self._plain_prefixes: set[str] = set()   # objects/<stage>/<xx> seen to be no symlink, for reading
        self._made_prefixes: set[str] = set()    # objects/<stage>/<xx> made (or found) plain by this process's puts
        self._objects = os.fspath(self.objects)
        self.read_only = False   # found when locking: a cache on a read-only disk, or not ours to write

    def _folder(self, stage: str, key: str) -> str:
        return f"{self._objects}/{stage}/{key[:2]}/{key}"  # a string: made once per result a build looks up

    def _dir(self, stage: str, key: str) -> Path:
        return Path(self._folder(stage, key))

    def _plain_dir(self, stage: str, key: str, itself: bool = True) -> Path:
        """Where a result lives, for writing or moving it: a symlink on the way (never made by the tool) is
        removed first, so nothing is ever written or deleted through it. (Reading needs no such care: a
        result's files must be regular files of the recorded sizes and shapes.) `itself=False`: the result's
        own folder is not looked at (`put` renames onto it, which fails on a link, and removes it then)."""
        if stage not in self._plain_stages:
            unlink_if_link(self.objects / stage)
            self._plain_stages.add(stage)
        if f"{stage}/{key[:2]}" not in self._made_prefixes:
            unlink_if_link(self.objects / stage / key[:2])
        if itself:
            unlink_if_link(self.objects / stage / key[:2] / key)
        return self._dir(stage, key)

    def get(self, stage: str, key: str, on_damage: Callable[[str], None] | None = None) -> Entry | None:
        """The stored result, or None: absent, or damaged (then moved aside and reported to on_damage)."""
        path = self._folder(stage, key)
        if (link := _link_on_the_way(self._objects, stage, key, self._plain_prefixes)) is not None:
            self._plain_prefixes.discard(f"{stage}/{key[:2]}")
            return self._damaged(stage, key, f"its folder {link} is a symlink", on_damage)
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
        return Entry(stage, key, meta, path, files)

    def _damaged(self, stage: str, key: str, why: str, on_damage) -> None:
        (on_damage or (lambda text: self.warn(f"cached {stage} result {key[:12]} is damaged ({text}); "
                                              "recomputing it")))(why)
        self.discard(stage, key)
        return None

    def discard(self, stage: str, key: str) -> None:
        """Move a result aside (swept with the other leftovers), so the next `put` stores a fresh one."""
        self.index.forget(f"{stage}/{key}")
        if self.read_only:
            return
        path = self._plain_dir(stage, key)
        if not path.exists():
            return
        import tempfile

        self.tmp.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, Path(tempfile.mkdtemp(prefix="damaged-", dir=self.tmp)) / "old")
        except OSError:
            shutil.rmtree(path, ignore_errors=True)

    def put(self, stage: str, key: str, meta: dict, files: dict[str, bytes], replace: bool = False) -> Entry:
        """Store a result. An existing one under the same key is kept, unless `replace` (a forced recompute)."""
        if self.read_only:
            raise CacheWriteFailed(f"the cache '{self.root}' is read-only and lacks a {stage} result this build "
                                   "needs: build where the cache can be written (the site was left as it was)")
        # Plain strings, each folder above looked at once: Paths, a mkdir and a lstat per put were ~15% of the driver
        prefix, final = f"{stage}/{key[:2]}", self._folder(stage, key)
        if prefix not in self._made_prefixes:
            self._plain_dir(stage, key, itself=False)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            self._made_prefixes.add(prefix)
        staging = _make_staging(self.tmp, f"{stage}-{key[:12]}")
        try:
            record = _write_result(staging, meta, files)
            if replace:
                self.index.forget(f"{stage}/{key}")
            try:
                placed = _rename_into_place(staging, final, self.tmp, replace)
            except FileNotFoundError:     # its folder was removed since (`clean --unused` in this process)
                self._made_prefixes.discard(prefix)
                unlink_if_link(Path(final).parent)
                os.makedirs(os.path.dirname(final), exist_ok=True)
                placed = _rename_into_place(staging, final, self.tmp, replace)
            if not placed:
                shutil.rmtree(staging, ignore_errors=True)  # a result for this key landed first: keep it
                return self.get(stage, key) or Entry(stage, key, meta, final, dict(record))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Entry(stage, key, meta, final, {n: (r["size"], r["sha256"]) for n, r in record.items()})

    def save_index(self) -> None:
        """Remember the result.json files read by this build (call it while holding the lock)."""
        if not self.read_only:
            self.index.save(atomic_write)

    # --- models seen ------------------------------------------------------------------------------
    def recorded_revisions(self) -> dict[str, str]:
        return _read_revisions(self.root / "models.json", self.warn)

    def record_revision(self, model_id: str, revision: str) -> None:
        seen = self.recorded_revisions()
        if seen.get(model_id) != revision and not self.read_only:
            seen[model_id] = revision
            atomic_write(self.root / "models.json",
                         json.dumps(seen, sort_keys=True, indent=1, allow_nan=False).encode())

    # --- housekeeping -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, on_wait: Callable[[str], None] | None = None, timeout: float | None = None) -> Iterator[None]:
        """Hold the build lock; waits (calling on_wait once with a line to show) while another build holds it. A cache that can
        be read but not written (a read-only disk, a checkout not ours) is used as it is, unlocked: a build
        whose results are all in it publishes the site; one that must store a result stops there."""
        if only_readable(self.root):
            if not self.read_only:
                self.warn(f"the cache '{self.root}' is read-only: this build uses what it holds and stores nothing")
            self.read_only = True
            yield
            return
        with hold_lock(self.root, self.tmp, on_wait, timeout):
            yield

    def record_in_use(self, used: set[tuple[str, str]]) -> None:
        """Remember which results the last finished build used (for `clean --unused`)."""
        if self.read_only:
            return
        write_if_changed(self.root / "in-use.json", json.dumps(sorted(map(list, used)), allow_nan=False).encode())

    def prune_unused(self) -> int:
        """Delete results the last finished build did not use; returns how many were removed.
        Raises ValueError (deleting nothing) when in-use.json is missing or damaged."""
        keep = read_in_use(self.root / "in-use.json")
        return remove_unused(self.objects, keep) if self.objects.is_dir() else 0


_STAGING_NUMBERS = itertools.count()


def _make_staging(tmp: Path, prefix: str) -> str:
    """A fresh folder in tmp/ to write a result into, with the usual permissions; tmp/ is made at the first
    put of a fresh cache (or again, when it was removed meanwhile), not checked before each. Named by process
    and a count: `mkdtemp` (random names, then a chmod from 0700) was a tenth of the time a put took."""
    while True:
        staging = f"{tmp}/{prefix}-{os.getpid()}-{next(_STAGING_NUMBERS)}"
        try:
            os.mkdir(staging, DIR_MODE)
            return staging
        except FileNotFoundError:
            tmp.mkdir(parents=True, exist_ok=True)
        except FileExistsError:   # left by a killed process with this number: the next one
            continue


def _write_result(staging: str, meta: dict, files: dict[str, bytes]) -> dict:
    """Write a result's files and result.json (with each file's size and SHA-256) into `staging` (not
    fsynced: see the module's docstring)."""
    record = {}
    for name, data in files.items():
        if not FILE_NAME.fullmatch(name):
            raise ValueError(f"not a file name for the cache: {name!r}")
        with open(f"{staging}/{name}", "wb") as fh:
            fh.write(data)
        record[name] = {"size": len(data), "sha256": file_digest(data)}
    with open(f"{staging}/result.json", "wb") as fh:
        fh.write(_result_json({"format": RESULT_FORMAT, "meta": meta, "files": record, "meta_sha256": meta_digest(meta)}))
    return record


def _rename_into_place(staging: str, final: str, tmp: Path, replace: bool) -> bool:
    """Rename a complete result into place; False when a result for its key landed first (then it stays).
    With `replace`, the old result is moved aside first (a kill between the renames leaves a miss, never a
    mix), then deleted: no copy is left for a cache committed right after `build --force`."""
    import tempfile

    aside = Path(tempfile.mkdtemp(prefix="replaced-", dir=tmp)) if replace and os.path.exists(final) else None
    if aside is not None:
        os.rename(final, aside / "old")
    try:
        try:
            os.rename(staging, final)
            return True
        except OSError:
            if os.path.islink(final):   # never made by the tool: removed, so nothing is read through it
                os.unlink(final)
                os.rename(staging, final)
                return True
            if os.path.isfile(f"{final}/result.json"):
                return False
            if not os.path.lexists(final):
                raise
        # a folder there without its result.json (a kill within `clean --unused`, a hand edit) is no result
        aside = aside or Path(tempfile.mkdtemp(prefix="torn-", dir=tmp))
        os.rename(final, aside / "torn")
        os.rename(staging, final)
        return True
    finally:
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)


def _read_revisions(path: Path, warn: Callable[[str], None]) -> dict[str, str]:
    try:
        seen = json.loads(read_state_file(path))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (ValueError, OSError):
        seen = None
    if not isinstance(seen, dict) or not all(isinstance(v, str) for v in seen.values()):
        warn(f"{path} is damaged (not a mapping of model id to revision); ignoring it, it is rewritten when a "
             "model is used")
        return {}
    return seen

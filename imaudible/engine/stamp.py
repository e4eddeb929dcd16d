"""The build stamp: a rebuild with nothing changed, recognised by stat alone, without planning it.

A build that computed nothing, failed nothing and wrote nothing into the site leaves a stamp in the cache
folder. It holds:
- `identity`: a digest of what the build depended on that is not a file (the caller's: the parsed gallery,
  the plan's stages and versions, the models as resolved, the output folder, the tool and its Python);
- the signature (device, inode, size, mtime_ns, ctime_ns) of every file it depended on: each entry of the watched
  folders (the gallery folder, the tool's code and theme), each named input (the sources, followed through
  symlinks), and each output it checked (every cached result it used, every file of the site);
- its payload: what the build reported, to be said again.

A later build with the same identity, whose watched folders hold the same entries with the same
signatures and whose every recorded file still has its signature, would plan the same keys, find the same
results and leave the site as it is: it replays the payload instead. Anything else is a miss and the build
runs in full, deleting the stamp first. A stamp is recorded only when every signature in it is settled
(`stat_rule.old_enough`: a file written in the same clock tick could change unseen), and it is only a
shortcut: a missing, damaged or foreign stamp costs one full rebuild, never a wrong one.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..state_files import read_state_file
from .stat_rule import old_enough, signature as _signature

FILE_NAME = "build-stamp"
HEADER = "imaudible build stamp 1"
WALK_LIMIT = 100_000         # entries in the watched folders (a gallery of tens of thousands of images fits)
_MISSING = "-"


@dataclass
class Watched:
    """What a build read: folders (every entry under them but dot-names, `__pycache__` and `skip`) and
    single files (stat'ed through symlinks; a missing one is recorded as missing)."""
    folders: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skip: set[str] = field(default_factory=set)


def identity_of(parts: Iterable) -> str:
    """A digest of the build's non-file inputs (each part by its repr, which must not hold an address)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()


def _walk(folder: str, skip: set[str], into: dict[str, str]) -> bool:
    """Add the signature of `folder` and of every entry under it to `into`, through symlinks (a link's
    entry holds its own signature and its target's; a linked folder is walked once); False past WALK_LIMIT."""
    into[folder] = _signature_of(os.stat, folder)
    if into[folder] == _MISSING:
        return True
    stack, walked = [folder], {os.path.realpath(folder)}
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue          # its own signature is recorded: a folder that becomes readable changes it
        with entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name == "__pycache__" or entry.path in skip:
                    continue
                signature = _signature_of(entry.stat, follow_symlinks=False)
                if entry.is_symlink():
                    signature += " > " + _signature_of(entry.stat)
                into[entry.path] = signature
                if entry.is_dir():
                    real = os.path.realpath(entry.path)
                    if real not in walked and real not in skip:
                        walked.add(real)
                        stack.append(entry.path)
        if len(into) > WALK_LIMIT:
            return False
    return True


def _inputs(watched: Watched) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for folder in watched.folders:
        if not _walk(folder, watched.skip, found):
            return None
    for path in watched.files:
        found["=" + path] = _signature_of(os.stat, path)   # "=": followed, apart from the walk's entry
    return found


def _outputs(paths: Iterable[str]) -> dict[str, str]:
    return {path: _signature_of(os.lstat, path) for path in paths}


def _signature_of(stat: Callable[..., os.stat_result], *args, **options) -> str:
    """The signature of what `stat(*args, **options)` finds, or _MISSING."""
    try:
        return _signature(stat(*args, **options))
    except OSError:
        return _MISSING


def _settled(signatures: Iterable[str], now: float) -> bool:
    """Every file too old to change unseen (a missing one may not: its appearing changes its signature)."""
    return all(part == _MISSING or old_enough(int(part.split(" ")[3]), now)     # "dev ino size mtime ctime"
               for sig in signatures for part in sig.split(" > "))


def discard(cache_root: Path) -> None:
    """The build runs in full: whatever it changes, no stamp from before may stand for it."""
    with contextlib.suppress(OSError):   # absent, or not a file (then never read as a stamp either)
        os.unlink(Path(cache_root) / FILE_NAME)


def record(cache_root: Path, identity: str, watched: Watched, outputs: Iterable[str], payload: dict,
           write: Callable[[Path, bytes], None]) -> bool:
    """Write the stamp (with `write`, atomically, while the build holds the lock); False when it is not
    written: a watched folder too big, a path that cannot be a line, or a signature not settled yet."""
    inputs = _inputs(watched)
    if inputs is None:
        return False
    found = {**inputs, **{"@" + path: sig for path, sig in _outputs(outputs).items()}}
    if not _settled(found.values(), time.time()) or any("\n" in p or "\t" in p for p in found):
        return False
    lines = [HEADER, identity, json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False),
             *(f"{path}\t{sig}" for path, sig in found.items()), f"end {len(found)}", ""]
    try:
        write(Path(cache_root) / FILE_NAME, "\n".join(lines).encode())
    except OSError:
        return False
    return True


def check(cache_root: Path, identity: str, watched: Watched) -> dict | None:
    """The payload of a stamp that still holds for this build, else None."""
    try:
        lines = read_state_file(Path(cache_root) / FILE_NAME).decode("utf-8").split("\n")
    except (OSError, ValueError):
        return None
    if len(lines) < 5 or lines[0] != HEADER or lines[1] != identity or lines[-1] != "" \
            or lines[-2] != f"end {len(lines) - 5}":
        return None
    recorded_inputs, outputs = {}, {}
    for line in lines[3:-2]:
        path, _, sig = line.partition("\t")
        if path.startswith("@"):
            outputs[path[1:]] = sig
        else:
            recorded_inputs[path] = sig
    if _inputs(watched) != recorded_inputs or _outputs(outputs) != outputs:
        return None
    try:
        payload = json.loads(lines[2])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None

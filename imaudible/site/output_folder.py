"""The output folder: which folders may be one, what the tool owns in it, and how it writes and deletes there.

The ownership list `.imaudible-build.json` maps each file the tool wrote to the SHA-256 of its bytes.
While a build writes, a file it replaces holds its old bytes or its new ones: the list names the new digest
and, under `maybe`, the old ones, so that a build killed midway leaves no file the next one would take for
edited by hand (and keep), nor one it would take for already written. It is data on disk (a gallery can
ship a crafted one), so it is never trusted: an entry is deleted only if it is a plain relative path,
reached from the folder without passing a symlink, names a regular file, and that file still holds the
bytes recorded. Writing never follows a symlink either.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..engine.atomic import TMP_NAME, atomic_write
from ..engine.cache import file_digest
from ..state_files import read_state_file
from . import written

OWNED_LIST = ".imaudible-build.json"
OWNED_FORMAT = 2
# Every path of the site: "/"-separated names that start with a letter, digit or "_" (so never "..").
SITE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
# The one dot-file the tool writes: GitHub Pages runs a site without it through Jekyll, which drops every
# file whose name starts with '_' (a gallery's static/_font.woff2), as `mkdocs gh-deploy` also knows.
NO_JEKYLL = ".nojekyll"


def site_path_ok(rel: str) -> bool:
    """A path the tool may write, own and delete in the output folder."""
    return bool(SITE_PATH.fullmatch(rel)) or rel == NO_JEKYLL


_SHA256 = re.compile(r"[0-9a-f]{64}")


class OutputFolderError(Exception):
    """The output folder cannot be used (found before any stage runs)."""


def link_problem(out: Path, action: str = "build into") -> str | None:
    """Why an output folder that is itself a symlink is refused, or None when it is none. A gallery may ship
    `build -> /anywhere`: writing (or cleaning, or serving) through it would reach a folder the gallery chose."""
    if not os.path.islink(out):
        return None
    try:
        target = os.readlink(out)
    except OSError:
        target = "?"
    return (f"refusing to {action} '{out}': it is a symlink to '{target}'; if that is where the site belongs, "
            "pass the real folder as --out")


def check_out_dir(out: Path, gallery_root: Path, protected: dict[str, Path], action: str = "build into") -> None:
    """Refuse an output folder the build must not write into; `protected` names folders of the gallery
    whose content would be published or lost (the cache, static/, templates/)."""
    if (linked := link_problem(out, action)) is not None:
        raise OutputFolderError(linked)
    try:
        _check_place(out, gallery_root, protected, action)
    except OSError as exc:   # a name too long, a folder on the way that cannot be searched: a bad --out
        raise OutputFolderError(f"cannot {action} '{out}': {exc.strerror or exc}") from None


def _check_place(out: Path, gallery_root: Path, protected: dict[str, Path], action: str) -> None:
    out_r, root = Path(out).resolve(), Path(gallery_root).resolve()
    refuse = lambda why: OutputFolderError(f"refusing to {action} '{out}': {why}")  # noqa: E731
    if out_r == Path(out_r.anchor):
        raise refuse("it is the root of the file system")
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    if out_r == home:
        raise refuse("it is your home folder")
    if out_r == root or root.is_relative_to(out_r):
        raise refuse("it contains the gallery folder")
    for name, folder in protected.items():
        if out_r.is_relative_to(folder.resolve()):
            raise refuse(f"it is inside the {name}")
    existing = out_r
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"cannot create '{out}': '{existing}' is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputFolderError(f"cannot write '{existing}': permission denied (choose another --out)")
    if existing == out_r and any(out_r.iterdir()) and not (out_r / OWNED_LIST).is_file():
        raise OutputFolderError(f"refusing to write into '{out}': it is not empty and was not made by imaudible "
                                "(choose another --out or empty it)")


@contextlib.contextmanager
def held(out: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """One writer at a time in an output folder (made if missing): builds of different galleries, or of
    copies of one, into the same --out wrote the site together (the cache lock is per gallery), leaving
    pages of one beside data of the other and sweeping each other's unfinished writes. The folder itself is
    locked (`flock`), so nothing is added to the site; a file system that cannot lock it is written unlocked."""
    told = False
    while True:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None and not told:
                    on_wait()
                    told = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in (errno.ENOLCK, errno.EBADF, errno.EINVAL, errno.EOPNOTSUPP):
                    raise
            if _is_named(fd, out):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)   # `clean` removed the folder (or it was replaced) while this build waited: lock the one there now
    try:
        yield
    finally:
        os.close(fd)


def _is_named(fd: int, out: Path) -> bool:
    try:
        named = os.lstat(out)
    except FileNotFoundError:
        return False
    return os.path.samestat(named, os.fstat(fd))


@dataclass
class Owned:
    """What the last build recorded: path -> SHA-256 (None when the list gave none), the other digests a file
    may hold (a build killed while replacing it), and its render key."""
    files: dict[str, str | None] = field(default_factory=dict)
    key: str = ""
    problems: list[str] = field(default_factory=list)
    maybe: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def digests(self, rel: str) -> tuple[str, ...]:
        """Every digest the file may hold, as far as the list knows."""
        return tuple(d for d in (self.files.get(rel), *self.maybe.get(rel, ())) if d)

    def holds(self, rel: str, digest: str) -> bool:
        """Whether the list says the file holds `digest`, and nothing else."""
        return self.files.get(rel) == digest and rel not in self.maybe

    def with_new(self, new: dict[str, str]) -> "Owned":
        """What to record before writing `new` over this: every file either list names, with each digest
        it may hold until its write is done."""
        files = {**self.files, **new}
        maybe = {rel: other for rel, digest in files.items()
                 if (other := tuple(d for d in self.digests(rel) if d != digest))}
        return Owned(files, "", [], maybe)


def read_owned(out: Path) -> Owned:
    path = Path(out) / OWNED_LIST
    try:
        data = json.loads(read_state_file(path))
    except FileNotFoundError:
        return Owned()
    except (ValueError, OSError):
        return Owned(problems=[f"{path} is damaged; ignoring it (files it named are kept)"])
    if not isinstance(data, dict):
        return Owned(problems=[f"{path} has the wrong shape; ignoring it (files it named are kept)"])
    listed, owned = data.get("files"), Owned(key=str(data.get("key", "")))
    if isinstance(listed, list):  # written before digests were recorded: nothing in it can be checked
        # Neither a build nor `clean` can tell such a file from one the curator changed: it is kept by both, so
        # the advice is to look, not to run `clean` (which would keep it too).
        owned.problems.append(f"{path} is from an older imaudible that recorded no digests: files it names that "
                              "are no longer built are kept, since they cannot be told from files you changed "
                              "(each is named next; delete those that are not yours by hand)")
        listed = {name: None for name in listed if isinstance(name, str)}
    if not isinstance(listed, dict):
        return Owned(problems=[f"{path} has the wrong shape; ignoring it (files it named are kept)"])
    bad = [name for name in listed if not isinstance(name, str) or not site_path_ok(name)]
    if bad:
        owned.problems.append(f"{path}: ignored {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} that name no "
                              f"file inside the output folder: {', '.join(repr(b) for b in bad[:5])}")
    for name, digest in listed.items():
        if name not in bad:
            owned.files[name] = digest if isinstance(digest, str) and _SHA256.fullmatch(digest) else None
    maybe = data.get("maybe")
    for name, digests in (maybe.items() if isinstance(maybe, dict) else ()):
        if name in owned.files and isinstance(digests, list):
            if kept := tuple(d for d in digests if isinstance(d, str) and _SHA256.fullmatch(d)):
                owned.maybe[name] = kept
    return owned


def write_owned(out: Path, owned: Owned) -> None:
    listed = {name: digest for name, digest in sorted(owned.files.items()) if digest}
    record = {"format": OWNED_FORMAT, "files": listed, "key": owned.key}
    if owned.maybe:
        record["maybe"] = {name: list(digests) for name, digests in sorted(owned.maybe.items())}
    atomic_write(Path(out) / OWNED_LIST, json.dumps(record, indent=0, allow_nan=False).encode())


def written_files(out: Path) -> list[str]:
    """The paths of the files the last build wrote into `out`: its ownership list and what that names."""
    base = os.fspath(out)
    return [f"{base}/{OWNED_LIST}", *(f"{base}/{rel}" for rel in read_owned(out).files)]


def lstat(path: Path):
    try:
        return os.lstat(path)
    except OSError:
        return None


def is_regular(path: Path) -> bool:
    """A regular file, not a symlink to one."""
    info = lstat(path)
    return info is not None and stat.S_ISREG(info.st_mode)


def unchanged_since_written(out: Path, owned: Owned, recorded: dict[str, list[int]]) -> bool:
    """Whether every file the last build wrote, and the list itself, still has the stat this machine recorded
    when it wrote it (`written.py`; a stat each: a no-op rebuild asks this of every file of the site). An
    edited, truncated, replaced or removed file, or a build/ that came from elsewhere, answers False, and
    the site is written again. The list holds no times, so two builds of the same gallery write the same bytes."""
    base = os.fspath(out)
    return all(written.unchanged(lstat(f"{base}/{rel}"), recorded.get(rel)) for rel in [OWNED_LIST, *owned.files])


def regular_size(info: os.stat_result | None) -> int | None:
    """The size that an `lstat` found, when it found a regular file; None for anything else."""
    return info.st_size if info is not None and stat.S_ISREG(info.st_mode) else None


def same_bytes(path: Path, data: bytes) -> bool:
    try:
        return Path(path).read_bytes() == data
    except OSError:
        return False


def not_a_folder_on_the_way(out: Path, rel: str) -> Path | None:
    """The first entry on the way from `out` to `rel`'s folder that is not a real folder (a symlink, a file),
    or None when each one is a folder or is still to be made."""
    here = Path(out)
    for part in rel.split("/")[:-1]:
        here = here / part
        info = lstat(here)
        if info is not None and not stat.S_ISDIR(info.st_mode):
            return here
    return None


def prepare_target(out: Path, rel: str) -> Path:
    """out/rel, ready for an atomic write: a symlink where a folder belongs is removed (the link only), so
    that nothing is ever written through it. Anything else in the way (a file someone put there) is left
    alone, and the write fails naming it."""
    while (blocker := not_a_folder_on_the_way(out, rel)) is not None:
        if not blocker.is_symlink():
            raise OSError(errno.ENOTDIR, "this is a file, and the site needs a folder here: move it away and "
                                         "build again", os.fspath(blocker))
        blocker.unlink()
    return Path(out) / rel


def remove_owned(out: Path, rel: str, digests: tuple[str, ...]) -> str | None:
    """Delete one file of an earlier build when it holds one of `digests` (`Owned.digests`); returns why it
    was kept instead, or None once deleted."""
    if not site_path_ok(rel):
        return "not a path inside the output folder"
    if not_a_folder_on_the_way(out, rel) is not None:
        return "reached through a symlink"
    target = Path(out) / rel
    info = lstat(target)
    if info is None:
        return None
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if not digests:
        return "its bytes were not recorded"
    try:
        if file_digest(target.read_bytes()) not in digests:
            return "changed since imaudible wrote it"
        target.unlink()
    except OSError as exc:
        return f"cannot be deleted ({exc.strerror or exc})"
    return None


def sweep_tmp(out: Path) -> int:
    """Delete the half-written `.NAME.XXXXXXXX.tmp` files a killed build left behind."""
    removed = 0
    for folder, dirs, files in os.walk(out):  # never follows symlinked folders
        for name in files:
            if TMP_NAME.fullmatch(name) and is_regular(Path(folder) / name):
                (Path(folder) / name).unlink()
                removed += 1
    return removed


def prune_empty_dirs(out: Path) -> None:
    for folder, _, _ in os.walk(out, topdown=False):
        if Path(folder) != Path(out):
            try:
                os.rmdir(folder)
            except OSError:
                pass

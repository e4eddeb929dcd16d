"""Writing the listed site into the output folder, in an order that is safe to serve and to kill.

1. The hashed assets' bytes (the theme's statics, textures, clips) are staged on threads while the pages
   render (their names are known before the pages are, and copying them is file-system time, not
   Python's), each beside its place under the temporary name `atomic_write` uses. A cached file, once its
   bytes are checked, is staged as a hard link to it where the disk allows (a copy otherwise): the same
   bytes are not written twice, 160 MB of a cold build of 500 artworks. No build writes into a file in
   place (each write is a new file renamed over the old), so neither name can change the other's bytes
   through the tool; a file edited in place by hand fails its check and is computed again. A template that fails,
   a disk error or Ctrl-C removes them: the folder is left as it was. A folder with no ownership list gets
   an empty one first, so that the next build (or `clean`) takes it for the tool's and sweeps what a kill left.
2. Once the pages rendered, the ownership list is written with every file this write will touch, and each
   digest a file may hold until its write is done, so a build killed from then on still knows what it owns.
3. The assets are renamed into place, then the pages and lists are written: a page never points at an
   asset not written yet.
4. What the last build wrote and this one does not is deleted (only a listed regular file, reached
   without a symlink, still holding its recorded bytes), and the list is written whole.
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import Callable, NamedTuple

from ..engine.atomic import DIR_MODE, atomic_write, link_beside, write_beside
from ..engine.cache import DamagedResult, file_digest
from ..types import StoredFile, naming
from . import output_folder as folder, written as written_stat
from .output_folder import OWNED_LIST

ARTWORK_PAGE = re.compile(r"art/([^/]+)/index\.html")
# Threads staging the assets: a file's digest check and copy leave the GIL; one per core, at most four (two
# halved the staging of 2,600 assets on 2 cores, four were no faster).
STAGERS = max(1, min(4, os.cpu_count() or 1))


class Written(NamedTuple):
    written: int
    removed: int
    damaged: list  # DamagedResult of cached files that were not copied (their results need recomputing)
    gone: tuple = ()  # ids of the artworks whose pages the last build wrote and this one does not


def digest_of(source: bytes | StoredFile) -> str:
    return source.sha256 if isinstance(source, StoredFile) else file_digest(source)


class SiteWrite:
    """One write of a site (a `SiteFiles`) into `out`: `start` with the files listed so far, `finish` once
    the pages are added, or `stop` (rendering failed: the folder is left as it was)."""

    def __init__(self, out: Path, warn: Callable[[str], None], cache_root: Path | None,
                 previous: folder.Owned | None = None):
        """`previous`: the ownership list now in `out`, when the caller has read it already."""
        self.out, self.warn, self.cache_root = out, warn, cache_root
        self.previous = previous if previous is not None else folder.read_owned(out)
        self.recorded = written_stat.load(cache_root, out)
        self.new: dict[str, str] = {}
        self.settled: set[str] = set()        # written, staged, unchanged or damaged: nothing more to do
        self.staged: dict[str, str] = {}      # rel -> its bytes in a `.NAME.XXXXXXXX.tmp` beside it
        self.made: list[str] = []             # folders made for staged files
        self._folders: set[Path] = set()      # folders a staged file went into: they and the folders above exist
        self.written, self.damaged, self.unwritten = 0, [], {}
        self._during = self.previous
        self._threads: list[threading.Thread] = []
        self._failure: BaseException | None = None
        self._stopped = False
        self._listed_empty = False            # `start` wrote an empty list into a folder that had none
        self._may_link = True                 # cached files are hard-linked into `out` until a link fails

    def start(self, files: dict, immutable: set[str]) -> None:
        """Stage the hashed assets among `files` on `STAGERS` threads: each written beside its place under a
        temporary name, put in place by `finish` (a rename), removed by `stop`; a killed build's are swept by
        the next."""
        early = sorted((rel, source) for rel, source in files.items() if rel in immutable)
        if early and not os.path.lexists(self.out / OWNED_LIST):
            # A build killed while staging leaves temporary files, which only the next build sweeps: without a
            # list, it would refuse the folder as not empty and not made by imaudible.
            _make_folders(self.out, (), self.made)
            folder.write_owned(self.out, folder.Owned())
            self._listed_empty = True
        for i in range(STAGERS):   # each recorded once started, so that `stop` (on Ctrl-C here too) joins it
            thread = threading.Thread(target=self._stage_all, args=(early[i::STAGERS],), daemon=True,
                                      name=f"site-assets-{i}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Abandon the write: the staged files and the folders made for them are removed."""
        self._stopped = True
        self._join()
        listed = [os.fspath(self.out / OWNED_LIST)] if self._listed_empty else []
        _remove(self.out, [*self.staged.values(), *listed], self.made)
        self.staged, self.made, self._listed_empty = {}, [], False

    def finish(self, files: dict, immutable: set[str], key: str) -> Written:
        """Write the site: the list first, then the assets, then the pages; then remove what is no longer built."""
        try:   # a failure, Ctrl-C or SIGTERM from here to the last rename removes what is still staged
            self._join()
            if self._failure is not None:
                raise self._failure
            self.out.mkdir(parents=True, exist_ok=True)
            for problem in self.previous.problems:
                self.warn(problem)
            # Record the union first: if the build is killed midway, the next one still knows every file it
            # owns, and which bytes each may hold.
            self.new = {rel: digest_of(source) for rel, source in files.items()}
            self._during = self.previous.with_new(self.new)
            folder.write_owned(self.out, self._during)
            self._listed_empty = False
            self.unwritten = {rel: self._during.maybe.get(rel, ()) for rel in self.unwritten}
            # Hashed assets first, pages after: a page never points at an asset that is not written yet, so a
            # site being served while it is rebuilt (or after a killed build) has no broken references.
            for rel, source in sorted(files.items(), key=lambda item: (item[0] not in immutable, item[0])):
                self._put_in_place(rel, source, rel in immutable)
        except BaseException:
            self.stop()
            raise
        removed = 0
        for rel in sorted(set(self.previous.files) - set(self.new)):
            why = folder.remove_owned(self.out, rel, self.previous.digests(rel))
            if why is None:
                removed += 1
            else:
                self.warn(f"kept '{self.out / rel}', listed in {OWNED_LIST} by an earlier build: {why}")
        folder.prune_empty_dirs(self.out)
        folder.write_owned(self.out, folder.Owned(self.new, key if not self.damaged else "", maybe=self.unwritten))
        if not self.damaged:
            written_stat.save(self.cache_root, self.out, [OWNED_LIST, *self.new])
        gone = tuple(m.group(1) for rel in sorted(set(self.previous.files) - set(self.new))
                     if (m := ARTWORK_PAGE.fullmatch(rel)))
        return Written(self.written, removed, self.damaged, gone)

    def _put_in_place(self, rel: str, source: bytes | StoredFile, immutable: bool) -> None:
        if rel in self.staged:
            target = folder.prepare_target(self.out, rel)
            try:
                os.replace(self.staged[rel], target)
            except OSError as exc:
                raise naming(target, exc) from None
            del self.staged[rel]
            self.written += 1
        elif rel not in self.settled:
            data = self._to_write(rel, source, immutable, folder.prepare_target(self.out, rel))
            if data is not None:
                atomic_write(self.out / rel, data, durable=False)
                self.written += 1

    def _join(self) -> None:
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _to_write(self, rel: str, source: bytes | StoredFile, immutable: bool, target: Path) -> bytes | None:
        """The bytes to write at `target`, or None: the file is already there (or its cached bytes are damaged,
        which are never published: the builder recomputes them and writes the site again)."""
        self.settled.add(rel)
        size = source.size if isinstance(source, StoredFile) else len(source)  # a short file (power cut) is rewritten
        info = folder.lstat(target)
        existing = folder.regular_size(info)
        if immutable and existing == size and self.previous.holds(rel, self.new.get(rel) or digest_of(source)) \
                and written_stat.unchanged(info, self.recorded.get(rel)):
            return None  # untouched since this machine wrote these very bytes, and no write of it was left unfinished
        try:
            data = source.read() if isinstance(source, StoredFile) else source
        except DamagedResult as exc:
            self.damaged.append(exc)
            self.unwritten[rel] = self._during.maybe.get(rel, ())   # it holds what it held, if anything
            return None
        if existing == len(data) and folder.same_bytes(target, data):
            return None
        return data

    def _stage_all(self, early: list) -> None:
        try:
            for rel, source in early:
                if self._stopped:
                    return
                if folder.not_a_folder_on_the_way(self.out, rel) is None:   # else `finish` removes the link first
                    self._stage(rel, source)
        except BaseException as exc:  # noqa: BLE001 - raised again by `finish`, on the caller's thread
            self._stopped = True      # the other threads stop too
            self._failure = self._failure or exc

    def _stage(self, rel: str, source: bytes | StoredFile) -> None:
        target = self.out / rel
        data = self._to_write(rel, source, True, target)
        if data is None:
            return
        if target.parent not in self._folders:
            _make_folders(self.out, target.parent.relative_to(self.out).parts, self.made)
            self._folders.add(target.parent)
        linked = None
        if isinstance(source, StoredFile) and self._may_link:
            linked = link_beside(target, os.fspath(source.location))
            self._may_link = linked is not None
        self.staged[rel] = linked or write_beside(target, data, durable=False)


def _make_folders(out: Path, below: tuple[str, ...], made: list[str]) -> None:
    for folder_path in [out.joinpath(*below[:i]) for i in range(len(below) + 1)]:   # out itself first
        try:
            os.mkdir(folder_path, DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise naming(folder_path, exc) from None
        made.append(os.fspath(folder_path))


def _remove(out: Path, files: list[str], folders: list[str]) -> None:
    """Delete `files`, then `folders` deepest first (the stagers record them in any order); nothing reached
    through a link planted since."""
    for path in files:
        if folder.not_a_folder_on_the_way(out, os.path.relpath(path, out)) is None:
            with contextlib.suppress(OSError):
                os.unlink(path)
    for path in sorted(folders, key=lambda made: made.count(os.sep), reverse=True):
        if folder.not_a_folder_on_the_way(out, os.path.relpath(path, out)) is None:
            with contextlib.suppress(OSError):
                os.rmdir(path)

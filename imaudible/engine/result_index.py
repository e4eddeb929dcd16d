"""The text of cached result.json files, remembered by their stat, so that a no-op rebuild does not open
thousands of small files again.

An entry holds what a result.json held when it was last read, with that file's stat (`stat_rule`: device,
inode, size, mtime, ctime). It stands for the file only while all of them are unchanged; otherwise the file is read again and
the entry replaced. The index saves reading, never checking: what it gives is parsed afresh and verified
exactly as the file itself would be (the stage's shape, every file's size by a stat; see cache.py). Like
statcache, it remembers a file only when `stat_rule.settled` says so.

The index is one file in the cache folder, written (atomically, while the build holds the lock) only
when it changed, and holding only the results the build looked up. A damaged or foreign file is ignored
(every result.json is then read again), never an error; a write killed midway leaves the old file and a
temporary one that the next build's lock sweeps.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..state_files import read_state_file
from .stat_rule import settled, signature as _signature

FILE_NAME = "results-index"
HEADER = "imaudible results index 1"


class ResultIndex:
    """`text(name, path)`: the content of the result.json at `path` (`name` identifies it in the index).

    On disk: a header line, then one line per result, `name TAB signature TAB text`, then `end COUNT`. The text
    is the file's with its newlines made spaces: in JSON that parsed (as every remembered text did) a raw
    newline is whitespace, so it parses to the same value. Lines, not one JSON document: loading splits
    lines instead of decoding thousands of escaped strings."""

    def __init__(self, cache_root: str | os.PathLike):
        self.path = Path(cache_root) / FILE_NAME
        self.read_files = 0  # result.json files actually opened (not served from the index)
        self._entries: dict[str, tuple[str, str]] | None = None  # loaded on first use
        self._seen: set[str] = set()
        self._dirty = False

    def entries(self) -> dict[str, tuple[str, str]]:
        """name -> (signature, text), as loaded (an index that is not whole is no index)."""
        if self._entries is None:
            self._entries = {}
            try:
                lines = read_state_file(self.path).decode("utf-8").split("\n")
            except (OSError, ValueError):
                return self._entries
            if len(lines) >= 3 and lines[0] == HEADER and lines[-1] == "" and lines[-2] == f"end {len(lines) - 3}":
                for line in lines[1:-2]:
                    name, _, rest = line.partition("\t")
                    signature, _, text = rest.partition("\t")
                    if text:
                        self._entries[name] = (signature, text)
        return self._entries

    def text(self, name: str, path: str) -> str:
        """The file's text: from the index while its stat is unchanged, else read (and remembered).
        Raises what reading it raises (FileNotFoundError, other OSErrors, UnicodeDecodeError)."""
        entries = self.entries()
        before = os.stat(path)
        signature = _signature(before)
        self._seen.add(name)
        known = entries.get(name)
        if known is not None and known[0] == signature:
            return known[1]
        text = read_state_file(path).decode("utf-8")
        self.read_files += 1
        after = os.stat(path)
        if settled(before, after):
            entries[name] = (signature, text.replace("\n", " "))
            self._dirty = True
        elif entries.pop(name, None) is not None:
            self._dirty = True
        return text

    def forget(self, name: str) -> None:
        """A result moved aside or replaced: its entry must not outlive it (its stat would differ anyway)."""
        if self._entries is not None and self._entries.pop(name, None) is not None:
            self._dirty = True

    def save(self, atomic_write: Callable[[Path, bytes], None]) -> None:
        """Write the entries of the results looked up since loading, if anything changed (under the lock)."""
        if self._entries is None:
            return
        kept = {name: entry for name, entry in self._entries.items() if name in self._seen}
        if not self._dirty and len(kept) == len(self._entries):
            return
        lines = [HEADER, *(f"{name}\t{signature}\t{text}" for name, (signature, text) in kept.items()), f"end {len(kept)}", ""]
        try:
            atomic_write(self.path, "\n".join(lines).encode())
        except OSError:
            return  # only a speed-up: the next build reads the files again
        self._entries, self._dirty = {name: self._entries[name] for name in kept}, False

"""Progress of long stages: a live line with counts and ETA on a terminal, plain log lines otherwise."""
from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, live: bool | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self._stage = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._lock = threading.RLock()

    def log(self, message: str) -> None:
        if not self.quiet:
            with self._lock:
                self._clear()
                print(message, file=self.stream, flush=True)

    def start(self, stage: str, total: int) -> None:
        self._stage, self._total, self._done, self._started = stage, total, 0, time.monotonic()
        if total and not self.live:
            self.log(f"{stage}: computing {total} artwork{'s' if total != 1 else ''}")
        self._draw()

    def advance(self, n: int = 1, item: str = "") -> None:
        with self._lock:
            self._advance(n, item)

    def _advance(self, n: int, item: str) -> None:
        self._done += n
        if self.live:
            self._draw()
        elif item and not self.quiet:
            self.log(f"{self._stage}: {item} ({self._done}/{self._total})")

    def finish(self) -> None:
        if self._total:
            elapsed = time.monotonic() - self._started
            self._clear()
            self.log(f"{self._stage}: {self._done}/{self._total} done in {elapsed:.1f}s")
        self._total = 0

    def _draw(self) -> None:
        if not (self.live and self._total) or self.quiet:
            return
        elapsed = time.monotonic() - self._started
        eta = ""
        if self._done:
            remaining = elapsed / self._done * (self._total - self._done)
            eta = f"  ETA {remaining:.0f}s"
        width = 24
        filled = int(width * self._done / self._total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self._stage:<8} [{bar}] {self._done}/{self._total}  {elapsed:.0f}s{eta}   ")
        self.stream.flush()

    def _clear(self) -> None:
        if self.live and self._total and not self.quiet:
            self.stream.write("\r" + " " * 79 + "\r")

"""Progress of long stages: a live line with counts and ETA on a terminal, plain log lines otherwise."""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO


class Progress:
    """`quiet` hides progress, never warnings. `shown_hints` is shared by the builds of one `serve` session,
    so that the advice after a warning is given once, not on every rebuild."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None, quiet: bool = False,
                 shown_hints: set | None = None, warn_once: bool = False):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet = quiet
        self.shown_hints = set() if shown_hints is None else shown_hints
        self.warn_once = warn_once  # `serve`: a warning the session already showed is not repeated
        self._stage = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._lock = threading.RLock()
        self.detail: Callable[[], str] | None = None  # e.g. the Ray cluster's busy CPUs/GPUs

    def _detail(self) -> str:
        text = self.detail() if self.detail else ""
        return f"  [{text}]" if text else ""

    def log(self, message: str) -> None:
        if not self.quiet:
            with self._lock:
                self._clear()
                print(message, file=self.stream, flush=True)

    def say(self, message: str) -> None:
        """A line the curator must see even with --quiet (results, errors)."""
        with self._lock:
            self._clear()
            print(message, file=self.stream, flush=True)

    def error(self, message: str) -> None:
        self.say(f"error: {message}")

    def warn(self, message: str, hint: str = "") -> None:
        """`warning: message` on one line, then the hint (what to do next) if it was not given yet."""
        if self.warn_once:
            if ("warning", message) in self.shown_hints:
                return
            self.shown_hints.add(("warning", message))
        with self._lock:
            self._clear()
            print(f"warning: {message}", file=self.stream, flush=True)
            if hint and hint not in self.shown_hints:
                self.shown_hints.add(hint)
                print(f"  {hint}", file=self.stream, flush=True)
            self._draw()

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
            self.log(f"{self._stage}: {item} ({self._done}/{self._total}){self._detail()}")

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
        self.stream.write(f"\r{self._stage:<8} [{bar}] {self._done}/{self._total}  {elapsed:.0f}s{eta}{self._detail()}   ")
        self.stream.flush()

    def _clear(self) -> None:
        if self.live and self._total and not self.quiet:
            self.stream.write("\r" + " " * 119 + "\r")

"""Progress of long stages: a live line with counts and ETA on a terminal, plain log lines otherwise."""
from __future__ import annotations

import re
import sys
import threading
import time
from typing import Callable, TextIO

from .types import TERMINAL_UNSAFE


def printable(text: str, lines: bool = False) -> str:
    """Text a terminal shows as it is: control characters escaped (an escape sequence in a file name or an
    image's embedded title could retitle the window or forge output), and bidirectional controls too (an
    override turns around the rest of the line: 'art/\u202egpj.exe' reads 'art/exe.jpg'). Newlines too,
    unless `lines` (a traceback with --verbose): a message is one line. A file name's bytes that are no
    UTF-8 (kept by Python as lone surrogates, which a strict stdout cannot write) are shown as \\xNN."""
    return "\n".join(TERMINAL_UNSAFE.sub(_escaped, part) for part in (text.split("\n") if lines else [text]))


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x100:
        return "\\x%02x" % code
    if 0xdc80 <= code <= 0xdcff:          # os.fsdecode's stand-in for the undecodable byte code - 0xdc00
        return "\\x%02x" % (code - 0xdc00)
    return "\\u%04x" % code


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning (Pillow on an odd EXIF block) as one `warning:` line, not the source line and its
    path. The command line installs it, and hands it to its worker processes (a function of this light
    module: they need not import the command line)."""
    text = str(message).strip().splitlines()
    print(printable(f"warning: {category.__name__}: {text[0] if text else ''}"), file=sys.stderr, flush=True)


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
        self._stage = ""   # the stage started last: `advance` and `finish` without a stage name mean it
        self._runs: dict[str, list] = {}   # stage -> [total, done, started, failed]
        self._width = 119                   # of the widest live line drawn, cleared before a log line
        self._lock = threading.RLock()
        self.detail: Callable[[], str] | None = None  # e.g. the Ray cluster's busy CPUs/GPUs

    def _detail(self) -> str:
        text = self.detail() if self.detail else ""
        return f"  [{text}]" if text else ""

    def log(self, message: str) -> None:
        if not self.quiet:
            with self._lock:
                self._clear()
                print(printable(message, lines=True), file=self.stream, flush=True)

    def say(self, message: str) -> None:
        """A line the curator must see even with --quiet (results, errors)."""
        with self._lock:
            self._clear()
            print(printable(message), file=self.stream, flush=True)

    def wait(self, message: str) -> None:
        """That this process waits for another (a lock held by another build, `clean` or `serve`): said even with
        --quiet and under `serve`, whose builds are quiet, since a wait of unknown length said by no one looks hung."""
        self.say(message)

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
            print(printable(f"warning: {message}"), file=self.stream, flush=True)
            if hint and hint not in self.shown_hints:
                self.shown_hints.add(hint)
                print(printable(f"  {hint}"), file=self.stream, flush=True)
            self._draw()

    def start(self, stage: str, total: int) -> None:
        """A stage starts computing `total` artworks. Stages overlap (they stream): each keeps its own count.
        Starting a stage that is still running adds to its total."""
        with self._lock:
            if stage in self._runs:
                self._runs[stage][0] += total
            else:
                self._runs[stage] = [total, 0, time.monotonic(), 0]
                if total and not self.live:
                    self.log(f"{stage}: computing {total} artwork{'s' if total != 1 else ''}")
            self._stage = stage
            self._draw()

    def advance(self, n: int = 1, item: str = "", stage: str | None = None, failed: bool = False) -> None:
        """`n` artworks of `stage` are done with it; `failed`: done, but their result is an error."""
        with self._lock:
            run = self._runs.get(stage or self._stage)
            if run is None:
                return
            run[1] += n
            run[3] += n if failed else 0
            if self.live:
                self._draw()
            elif item and not self.quiet:
                self.log(f"{stage or self._stage}: {item}{' failed' if failed else ''} ({run[1]}/{run[0]}){self._detail()}")

    def finish(self, stage: str | None = None) -> None:
        with self._lock:
            stage = stage or self._stage
            run = self._runs.pop(stage, None)
            if run and run[0]:
                self._clear(force=True)
                failed = f" ({run[3]} failed)" if run[3] else ""
                self.log(f"{stage}: {run[1]}/{run[0]} done in {time.monotonic() - run[2]:.1f}s{failed}")
                self._draw()

    def _draw(self) -> None:
        runs = [(name, run) for name, run in self._runs.items() if run[0]]
        if not (self.live and runs) or self.quiet:
            return
        stage, (total, done, started, failed) = runs[-1]
        elapsed = time.monotonic() - started
        eta = ""
        if done:
            remaining = elapsed / done * (total - done)
            eta = f"  ETA {remaining:.0f}s"
        width = 24
        filled = min(width, int(width * done / total))
        bar = "#" * filled + "-" * (width - filled)
        others = "".join(f"  {name} {run[1]}/{run[0]}" for name, run in runs[:-1])
        failed = f" ({failed} failed)" if failed else ""
        line = f"{stage:<8} [{bar}] {done}/{total}{failed}  {elapsed:.0f}s{eta}{others}{self._detail()}   "
        self._width = max(self._width, len(line))
        self.stream.write("\r" + line)
        self.stream.flush()

    def _clear(self, force: bool = False) -> None:
        if self.live and (force or any(run[0] for run in self._runs.values())) and not self.quiet:
            self.stream.write("\r" + " " * self._width + "\r")

"""SIGTERM stays the build's while Ray starts and stops in its process.

A build ends on SIGTERM as on Ctrl-C (cli/errors.py: one line, exit 143, the workers and a private Ray
stopped). `ray.init` took that over: it installs a Python handler that exits with status 15 (a local Ray's
first kills the processes it has started, and a start cut short so left two of Ray's agents running for
good), and Ray's core worker a C-level crash handler that prints a stack dump for SIGTERM and kills the
process; `ray.shutdown` then reset SIGTERM to its default action for the second it takes to stop Ray's
processes, so a SIGTERM then killed the build and left them running. Both hooks are private to Ray: where
a version lacks them, Ray's handler still ends the build (`sigterm_held` turns its exit into ours).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


def keep_driver_signals(ray) -> None:
    """Ask Ray not to install its crash handler in this process (its workers keep theirs): a setting of
    Ray's core worker, read when `ray.init` connects."""
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if hasattr(constants, "RAY_DISABLE_FAILURE_SIGNAL_HANDLER"):
        constants.RAY_DISABLE_FAILURE_SIGNAL_HANDLER = True


@contextlib.contextmanager
def sigterm_held(ray=None) -> Iterator[None]:
    """Run the block with SIGTERM held back, then hand a SIGTERM that came meanwhile to the handler there
    was before. With `ray`, Ray may set no SIGTERM handler meanwhile (so a Ray that starts finishes starting
    and can be stopped whole); where it sets one all the same, the exit it makes is taken for the signal."""
    if threading.current_thread() is not threading.main_thread():   # only the main thread sets handlers
        yield
        return
    utils = getattr(getattr(ray, "_private", None), "utils", None)
    takeover = getattr(utils, "set_sigterm_handler", None)
    previous = signal.getsignal(signal.SIGTERM)
    came: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: came.append(signum))
    if takeover is not None:
        utils.set_sigterm_handler = lambda handler: None
    try:
        yield
    except SystemExit as exc:
        if exc.code != signal.SIGTERM:
            raise
        came.append(exc.code)
    finally:
        if takeover is not None:
            utils.set_sigterm_handler = takeover
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    if came:
        signal.raise_signal(signal.SIGTERM)

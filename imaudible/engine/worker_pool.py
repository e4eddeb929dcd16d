"""A pool of worker processes that outlives the death of a worker (a crash in native code on a hostile file,
or a kill for lack of memory).

`concurrent.futures.ProcessPoolExecutor` fails every task in flight when one of its workers dies, and stays
broken. Here those tasks become suspects: each runs again alone, one at a time, on a pool of one worker. The
one that kills that worker too fails with `WorkerDied`; the others finish as if nothing had happened. New
tasks go to a fresh pool meanwhile.

Workers ignore Ctrl-C (the driver handles it, and `close(now=True)` ends them mid-task) and end by themselves
within a second of the driver's death, however it died.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import warnings
from collections import deque
from concurrent.futures import Future

# glibc hands out blocks above its mmap threshold (Pillow's 16 MB image blocks, libvips' buffers) as fresh
# mappings and unmaps them when freed: each image a worker decodes faulted its pages in again (~700 page
# faults an artwork). A worker keeps them in its heap instead, up to these sizes.
HEAP_BLOCKS_UP_TO = 64 << 20   # bytes: a larger block is mapped and returned as before
KEEP_FREED_UP_TO = 256 << 20   # bytes of freed heap a worker keeps for its next image
MAX_DEATHS_ALONE = 3   # then suspects fail at once: workers that cannot even start would be retried forever
PARENT_CHECK_S = 1.0   # how often a worker also compares its parent pid (the pipe below tells at once)


class WorkerDied(RuntimeError):
    """The worker process running a task ended, and did so again when the task ran alone."""


def _spawn_pool(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if hasattr(signal, "pthread_sigmask"):
        from multiprocessing import resource_tracker

        # Started now rather than by the first worker's start, which would unblock SIGINT in the middle of
        # `_sigint_held`.
        resource_tracker.ensure_running()
    # spawn: workers never inherit the driver's threads, locks or open cache files. Nor its way of showing a
    # library's warning (the command line's one `warning:` line), which they are handed.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_started,
                               initargs=(_sendable(warnings.showwarning),))


def _sendable(function):
    """`function` when a worker can be handed it (a module-level function pickles by name), else None."""
    import pickle

    try:
        pickle.dumps(function)
    except Exception:   # a lambda or a closure: pickle raises PicklingError, AttributeError or TypeError
        return None
    return function


@contextlib.contextmanager
def _sigint_held():
    """Processes started meanwhile begin with SIGINT blocked (a signal mask survives exec), so a Ctrl-C that
    comes while a worker is still starting up waits, and is dropped when `_worker_started` ignores SIGINT,
    instead of ending that worker with a traceback. In the driver it is only delayed: another thread takes
    it, or this one once the mask is restored."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _worker_started(show_warning=None) -> None:
    """First thing in each worker process. Ctrl-C reaches the whole process group: the driver handles it
    (and ends its workers), so a worker ignores it rather than printing a KeyboardInterrupt traceback.
    Warnings are shown as the driver shows them."""
    if show_warning is not None:
        warnings.showwarning = show_warning
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _keep_freed_memory()
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()


def _keep_freed_memory() -> bool:
    """Tune glibc's allocator in this worker (see HEAP_BLOCKS_UP_TO); False where there is no glibc (macOS,
    musl), which is left as it is."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, HEAP_BLOCKS_UP_TO)) and bool(mallopt(m_trim_threshold, KEEP_FREED_UP_TO))


def _exit_with_parent() -> None:
    """End this worker as soon as the driver is gone, however it ended (SIGKILL, SIGTERM, a crash): an
    orphaned worker would otherwise wait for tasks forever, and keep the resource tracker alive too.

    The sentinel is a pipe whose other end only the driver holds: it reads as closed once the driver has
    died. The parent pid is compared too, in case some other process came to hold that end. (Linux's
    PR_SET_PDEATHSIG is not used: it fires when the *thread* that started the worker ends, and workers are
    started from short-lived threads too, e.g. when a task is retried alone after a death.)"""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return
    while not wait([parent.sentinel], timeout=PARENT_CHECK_S) and os.getppid() == parent.pid:
        pass
    os._exit(1)


def _end_workers(pool) -> None:
    """Terminate a pool's worker processes mid-task (the pool then breaks and shuts down at once). There is
    no public way to before Python 3.14's `terminate_workers`."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):   # already ended or closed
            process.terminate()


class WorkerPool:
    def __init__(self, workers: int):
        self.workers = workers
        self._lock = threading.Lock()
        self._shared = None                 # the pool for new tasks, made on first use and after a death
        self._alone = None                  # the one-worker pool the suspects run on
        self._suspects: deque = deque()     # (future, fn, args) waiting to run alone
        self._running_alone = False
        self._deaths_alone = 0
        self._retired: list = []            # broken pools, shut down on close
        self._closed = False

    def submit(self, fn, *args) -> Future:
        from concurrent.futures.process import BrokenProcessPool

        outer: Future = Future()
        for _ in range(2):   # the shared pool may break between choosing it and submitting to it
            with self._lock:
                if self._shared is None:
                    self._shared = _spawn_pool(self.workers)
                pool = self._shared
            try:
                self._run(pool, outer, fn, args, alone=False)
                return outer
            except BrokenProcessPool:
                self._retire(pool)
        raise WorkerDied("worker processes cannot be started")

    def close(self, now: bool = False) -> None:
        """Shut the pools down once the tasks in flight are done, or `now`: end the workers mid-task (the
        driver is giving up, e.g. on Ctrl-C, which the workers ignore; their tasks are cancelled)."""
        with self._lock:
            self._closed = True
            suspects, pools = list(self._suspects), [self._shared, self._alone, *self._retired]
            self._suspects.clear()
        for outer, _, _ in suspects:
            outer.cancel()
        for pool in pools:
            if pool is not None:
                if now:
                    _end_workers(pool)
                pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, pool, outer: Future, fn, args, alone: bool) -> None:
        with _sigint_held():     # the pool starts its workers inside submit, on this thread
            inner = pool.submit(fn, *args)
        inner.add_done_callback(lambda done: self._settled(pool, outer, fn, args, alone, done))

    def _settled(self, pool, outer: Future, fn, args, alone: bool, inner: Future) -> None:
        from concurrent.futures.process import BrokenProcessPool

        if inner.cancelled():
            outer.cancel()          # the pool is closing
            return
        error = inner.exception()
        if isinstance(error, BrokenProcessPool):
            if self._closed:        # e.g. its worker ended by `close(now=True)`: nothing runs again
                outer.cancel()
                return
            self._retire(pool)
            if not alone:
                self._suspect(outer, fn, args)
                return
            with self._lock:
                self._deaths_alone += 1
            outer.set_exception(WorkerDied("its worker process died while computing it, and again when it ran "
                                           "alone (a crash in native code, or killed, e.g. for lack of memory)"))
        elif error is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())
        if alone:
            with self._lock:
                self._running_alone = False
            self._next_alone()

    def _suspect(self, outer: Future, fn, args) -> None:
        with self._lock:
            hopeless = self._deaths_alone >= MAX_DEATHS_ALONE
            if not hopeless:
                self._suspects.append((outer, fn, args))
        if hopeless:
            outer.set_exception(WorkerDied("its worker process died while computing it (worker processes keep "
                                           "dying: a crash in native code, or too little memory)"))
        else:
            self._next_alone()

    def _next_alone(self) -> None:
        with self._lock:
            if self._running_alone or self._closed or not self._suspects:
                return
            outer, fn, args = self._suspects.popleft()
            if self._alone is None:
                self._alone = _spawn_pool(1)
            self._running_alone, pool = True, self._alone
        try:
            self._run(pool, outer, fn, args, alone=True)
        except Exception as exc:  # noqa: BLE001 - closed or broken meanwhile: this task fails, the next may run
            self._retire(pool)
            with self._lock:
                self._running_alone = False
            outer.set_exception(WorkerDied(f"its worker process could not be started ({exc})"))
            self._next_alone()

    def _retire(self, pool) -> None:
        with self._lock:
            if self._shared is pool:
                self._shared = None
            if self._alone is pool:
                self._alone = None
            if pool not in self._retired:
                self._retired.append(pool)

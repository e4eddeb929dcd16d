"""engine.worker_pool: a worker's death fails the task that caused it, and only that one."""
from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from imaudible.engine.worker_pool import WorkerDied, WorkerPool


def square_unless(x: int, deadly: int) -> int:
    """Module-level, so spawned workers can import it. The deadly task kills its own process, as a crash
    in a decoder or the kernel's OOM killer would."""
    if x == deadly:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)         # the others are still in flight when it dies
    return x * x


def pid_of(_: int) -> int:
    return os.getpid()


def faults_of_a_second_image(size: int) -> int:
    """Page faults taken by allocating and filling a block of `size` bytes, after one like it was freed: an
    image's buffer, then the next image's."""
    import resource

    first = bytearray(size)
    first[::4096] = b"x" * len(first[::4096])
    del first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    second = bytearray(size)
    second[::4096] = b"y" * len(second[::4096])
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(sys.platform != "linux", reason="glibc on Linux")
def test_a_worker_reuses_the_memory_of_the_image_before_instead_of_faulting_it_in_again():
    """glibc maps a large block afresh and unmaps it when freed, so every image a worker decoded faulted
    its pages in again (12,288 faults for 48 MB); a worker keeps freed blocks in its heap for the next one.
    The default is shown in a fresh process: this one's allocator depends on the tests that ran before."""
    import ctypes
    import subprocess
    from pathlib import Path

    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("no glibc")
    size = 48 << 20
    fresh = subprocess.run([sys.executable, "-c", "from tests.test_worker_pool import faults_of_a_second_image as f; "
                            f"print(f({size}))"], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1])
    assert int(fresh.stdout) > size // 4096 // 2
    pool = WorkerPool(1)
    try:
        assert pool.submit(faults_of_a_second_image, size).result(timeout=60) < 100
    finally:
        pool.close()


def test_the_deadly_task_fails_alone_and_the_others_finish():
    pool = WorkerPool(2)
    try:
        futures = [pool.submit(square_unless, x, 3) for x in range(10)]
        for x, future in enumerate(futures):
            if x == 3:
                with pytest.raises(WorkerDied, match="died while computing it, and again when it ran alone"):
                    future.result(timeout=120)
            else:
                assert future.result(timeout=120) == x * x
        # new work after the death goes to a fresh pool
        assert pool.submit(square_unless, 12, 3).result(timeout=120) == 144
    finally:
        pool.close()


def test_a_pool_of_worker_processes():
    pool = WorkerPool(2)
    try:
        pids = {pool.submit(pid_of, x).result(timeout=120) for x in range(6)}
    finally:
        pool.close()
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_deaths_that_never_stop_fail_fast(monkeypatch):
    import imaudible.engine.worker_pool as worker_pool

    monkeypatch.setattr(worker_pool, "MAX_DEATHS_ALONE", 1)
    pool = WorkerPool(1)
    try:
        first = pool.submit(square_unless, 1, 1)
        with pytest.raises(WorkerDied, match="again when it ran alone"):
            first.result(timeout=120)
        # one death alone is the limit here: the next task that kills its worker fails without a second try
        with pytest.raises(WorkerDied, match="keep dying"):
            pool.submit(square_unless, 2, 2).result(timeout=120)
        assert pool.submit(square_unless, 4, 2).result(timeout=120) == 16
    finally:
        pool.close()


def test_closing_now_ends_busy_workers_and_cancels_their_tasks():
    pool = WorkerPool(1)
    assert pool.submit(square_unless, 2, -1).result(timeout=120) == 4      # the worker is up
    busy = pool.submit(time.sleep, 60)
    time.sleep(0.5)
    started = time.monotonic()
    pool.close(now=True)
    assert time.monotonic() - started < 20 and busy.cancelled()

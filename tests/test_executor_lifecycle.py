"""Executors and the processes and imports they leave behind: worker processes end with their driver, however
it ends, and ignore Ctrl-C (the driver handles it); the thread executor imports a stage's declared modules in
the driver before the stage's batches run on several threads (concurrent first imports of SciPy's submodules
fail), and a build with nothing to compute imports none of them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from imaudible.engine.executors import ThreadExecutor, declared_preload
from imaudible.engine.stage import Stage
from imaudible.stages import STAGES

from .conftest import write_gallery

REPO = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


# --- run in the worker processes (module-level, so that spawned workers can import them) -------------------

def worker_pid(items: list, model=None) -> list[int]:
    return [os.getpid() for _ in items]


def nap(items: list, model=None) -> list[None]:
    time.sleep(items[0])
    return [None]


# --- processes ------------------------------------------------------------------------------------------

def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie stays until whoever adopted it reaps it)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def still_running(pids: set[int], within: float) -> set[int]:
    deadline = time.monotonic() + within
    while True:
        left = {pid for pid in pids if running(pid)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def start_driver(*args: str, cwd: Path = REPO) -> subprocess.Popen:
    """`python *args` as the leader of a new process group (as a terminal's foreground job is). Ctrl-C is
    restored in it: a test run started in the background of a script (`cmd &`) inherits SIGINT ignored."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def end(driver: subprocess.Popen, processes: set[int]) -> None:
    """Whatever a failed test left running."""
    for pid in {driver.pid, *processes}:
        if running(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    driver.communicate(timeout=30)


KILLED_DRIVER = """
import time
from imaudible.engine.executors import ProcessExecutor
from tests.test_executor_lifecycle import worker_pid

executor = ProcessExecutor(2)
futures = [executor.submit(worker_pid, [n], None) for n in range(4)]
print(sorted({f.result(timeout=120)[0][0] for f in futures}), flush=True)
time.sleep(600)
"""


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_when_the_driver_is_killed(sig):
    driver = start_driver("-c", KILLED_DRIVER)
    processes: set[int] = set()
    try:
        workers = json.loads(driver.stdout.readline() or "null")
        assert workers, driver.communicate(timeout=30)[1]
        processes = children_of(driver.pid)           # the workers and multiprocessing's resource tracker
        assert set(workers) <= processes and len(processes) > len(workers)
        driver.send_signal(sig)
        driver.wait(timeout=30)
        assert still_running(processes, within=5.0) == set()
    finally:
        end(driver, processes)


INTERRUPTED_DRIVER = """
import sys
from imaudible.engine.executors import ProcessExecutor
from tests.test_executor_lifecycle import nap, worker_pid

try:
    with ProcessExecutor(2) as executor:
        started = [executor.submit(worker_pid, [n], None) for n in range(2)]    # both workers start
        print(sorted({f.result(timeout=120)[0][0] for f in started}), flush=True)
        busy = executor.submit(nap, [60], None)      # one worker busy, the other idle
        busy.result()
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


@linux_only
def test_ctrl_c_ends_the_workers_without_a_traceback():
    driver = start_driver("-c", INTERRUPTED_DRIVER)
    processes: set[int] = set()
    try:
        workers = json.loads(driver.stdout.readline() or "null")
        assert workers, driver.communicate(timeout=30)[1]
        processes = children_of(driver.pid)
        time.sleep(1.0)                               # the nap has begun
        started = time.monotonic()
        os.killpg(driver.pid, signal.SIGINT)          # what a terminal's Ctrl-C does: the whole group
        _, stderr = driver.communicate(timeout=60)
        assert driver.returncode == 130, stderr
        assert time.monotonic() - started < 20        # the busy worker was ended, not waited for
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
        assert still_running(processes, within=5.0) == set()
    finally:
        end(driver, processes)


STARTING_DRIVER = """
import os, time

if __name__ == "__mp_main__":      # what a spawned worker runs first: it is still starting when Ctrl-C comes
    time.sleep(3)
else:
    from imaudible.engine.worker_pool import WorkerPool

    pool = WorkerPool(1)
    future = pool.submit(os.getpid)
    print("starting", flush=True)
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        print(future.result(timeout=60) != os.getpid(), flush=True)
    pool.close()
"""


@linux_only
def test_ctrl_c_while_a_worker_starts_up_is_ignored_by_it(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(STARTING_DRIVER)
    driver = start_driver(str(script), cwd=tmp_path)    # a file: spawned workers run it first
    processes: set[int] = set()
    try:
        assert driver.stdout.readline() == "starting\n", driver.communicate(timeout=30)[1]
        processes = children_of(driver.pid)
        time.sleep(0.5)
        os.killpg(driver.pid, signal.SIGINT)
        stdout, stderr = driver.communicate(timeout=60)
        assert stdout.strip() == "True" and driver.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr
    finally:
        end(driver, processes)


# --- imports --------------------------------------------------------------------------------------------

def saw_module(items: list, model=None) -> list[bool]:
    return ["imaudible_preload_probe" in sys.modules for _ in items]


class Probing(Stage):
    name = "probing"
    preload = ("imaudible_preload_probe",)
    compute = staticmethod(saw_module)


def test_thread_executor_imports_the_declared_modules_in_the_driver_first(tmp_path, monkeypatch):
    (tmp_path / "imaudible_preload_probe.py").write_text(
        "import threading\nIMPORTED_ON = threading.current_thread().name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "imaudible_preload_probe", raising=False)
    assert declared_preload(saw_module) == ["imaudible_preload_probe"]
    executor = ThreadExecutor(2)
    try:
        results, _ = executor.submit(Probing.compute, [1, 2], None).result(timeout=60)
        assert results == [True, True]
        assert sys.modules["imaudible_preload_probe"].IMPORTED_ON == threading.current_thread().name
    finally:
        executor.close()
        sys.modules.pop("imaudible_preload_probe", None)


def test_every_declared_module_exists():
    """`preload` passes over a module that fails to import (the batch then says why), so a misspelt name
    would quietly bring the race back."""
    import importlib.util

    for stage in STAGES:
        assert declared_preload(stage.compute) == list(stage.preload)
        for module in stage.preload:
            assert importlib.util.find_spec(module) is not None, (stage.name, module)


RECORDING_BUILD = """
import json, sys, threading
from pathlib import Path


class FirstImports:
    seen = {}

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        cls.seen.setdefault(name, threading.current_thread().name)
        return None


sys.meta_path.insert(0, FirstImports)
from imaudible.build import build_gallery
from imaudible.manifest import load_manifest
from imaudible.stages import STAGES

gallery, _ = load_manifest(Path(sys.argv[1]))
report = build_gallery(gallery, Path(sys.argv[1]) / "build", jobs=2, executor="threads")
declared = sorted({m for stage in STAGES for m in stage.preload if not m.startswith("imaudible.")})
data = report.to_dict()
off_driver = sorted(n for n, t in FirstImports.seen.items()
                    if n.split(".")[0] == "scipy" and t != threading.main_thread().name)
print(json.dumps({"computed": data["totals"]["computed"], "failed": data["failed"], "off_driver": off_driver,
                  "declared_loaded": [m for m in declared if m in sys.modules]}))
"""


def recorded_build(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", RECORDING_BUILD, str(folder)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_scipy_is_first_imported_by_the_driver_and_not_on_a_no_op_rebuild(tmp_path):
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"},
                                           {"file": "art/the_scream.jpg", "title": "The Scream"}])
    cold = recorded_build(folder)
    assert cold["failed"] == [] and cold["computed"] == 14
    assert cold["off_driver"] == []                  # no SciPy module was first imported on a pool thread
    assert cold["declared_loaded"]
    again = recorded_build(folder)
    assert again["computed"] == 0 and again["declared_loaded"] == []            # nothing to compute: none of the declared modules

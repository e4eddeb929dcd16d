"""`build --executor ray` on a local Ray (2 CPUs): the same bytes as a local build, a worker killed mid-build
retried, every result written once, a clear exit 2 without the extra, and no Ray process left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from imaudible.engine.cache import CACHE_DIR_NAME, Cache

from .conftest import DEMO, ray_processes, write_gallery
from .test_build import tree

pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[1]


def demo_gallery(folder: Path) -> Path:
    arts = [{"file": f"art/{f}", "title": t, "artist": a, "year": y} for f, t, a, y in DEMO]
    return write_gallery(folder, arts)


@pytest.fixture(scope="module")
def local_build(tmp_path_factory) -> dict[str, str]:
    """The demo-like gallery built by the default (threads) executor: what every Ray build must equal."""
    folder = demo_gallery(tmp_path_factory.mktemp("local") / "gallery")
    from click.testing import CliRunner

    from imaudible.cli import main

    result = CliRunner().invoke(main, ["build", str(folder), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tree(folder / "build")


@pytest.fixture
def counted_puts(monkeypatch) -> Counter:
    """(stage, key) -> how often the driver wrote it into the cache."""
    puts: Counter = Counter()
    original = Cache.put

    def put(self, stage, key, *args, **kwargs):
        puts[(stage, key)] += 1
        return original(self, stage, key, *args, **kwargs)

    monkeypatch.setattr(Cache, "put", put)
    return puts


def ray_build(cli, folder: Path, *extra):
    report = folder / "report.json"
    result = cli("build", folder, "--executor", "ray", "--report", report, *extra)
    return result, json.loads(report.read_text()) if report.exists() else None


def test_ray_build_is_byte_identical_and_reports_nodes(local_ray, local_build, tmp_path, cli, counted_puts):
    folder = demo_gallery(tmp_path / "gallery")
    result, report = ray_build(cli, folder)
    assert result.exit_code == 0, result.output
    assert tree(folder / "build") == local_build
    assert report["executor"] == "ray"
    assert "[cluster: " in result.output and " CPU, " in result.output    # progress shows the busy CPUs/GPUs
    node = local_ray.util.get_node_ip_address()
    for info in report["artworks"].values():
        for stage in ("ingest", "mood", "music", "audio"):
            assert info["stages"][stage] == {**info["stages"][stage], "status": "computed", "node": node}
    by_stage = report["totals"]["by_stage"]
    assert all(by_stage[s]["wall_seconds"] > 0 for s in ("ingest", "mood", "music", "audio"))
    assert set(counted_puts.values()) == {1} and len(counted_puts) == report["totals"]["computed"]

    result, report = ray_build(cli, folder)  # a rebuild is served by the cache alone
    assert result.exit_code == 0 and report["totals"]["computed"] == 0


def kill_first_worker(title: bytes, killed: list, stop: threading.Event) -> None:
    """SIGKILL the first Ray worker process busy with `title` (its process title while it runs the task)."""
    while not stop.is_set():
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(title):
                os.kill(int(entry.name), 9)
                killed.append(int(entry.name))
                return
        time.sleep(0.005)


def test_worker_killed_mid_build_is_retried(local_ray, local_build, tmp_path, cli, counted_puts):
    folder = demo_gallery(tmp_path / "gallery")
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_first_worker, args=(b"ray::run_batch_here", killed, stop))
    killer.start()
    try:
        result, report = ray_build(cli, folder)
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1, "no Ray worker was caught running a batch"
    assert result.exit_code == 0, result.output
    assert report["totals"]["failed"] == 0
    assert tree(folder / "build") == local_build
    assert set(counted_puts.values()) == {1}, "a retried batch was written twice"


def test_manifest_chooses_ray_and_own_local_ray_is_stopped(local_build, tmp_path):
    """`run: {executor: ray}` in the manifest, no flag; the command starts its own Ray and stops all of it."""
    folder = demo_gallery(tmp_path / "gallery")
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    manifest["run"] = {"executor": "ray"}
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    before = ray_processes()
    done = subprocess.run([sys.executable, "-m", "imaudible", "build", str(folder), "-q", "-j", "2",
                           "--report", str(folder / "report.json")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert json.loads((folder / "report.json").read_text())["executor"] == "ray"
    assert tree(folder / "build") == local_build
    deadline = time.monotonic() + 30
    while ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ray_processes() - before, "the build left Ray processes running"


BLOCK_RAY = ("import sys; sys.modules['ray'] = None; "  # `import ray` now fails as if it were not installed
             "from imaudible.cli import main; sys.exit(main())")


@pytest.mark.parametrize("how", ["flag", "address", "manifest"])
def test_without_the_extra_exit_2(tmp_path, how):
    folder = write_gallery(tmp_path / "gallery")
    args = {"flag": ["--executor", "ray"], "address": ["--ray-address", "auto"], "manifest": []}[how]
    if how == "manifest":
        manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
        manifest["run"] = {"executor": "ray"}
        (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    done = subprocess.run([sys.executable, "-c", BLOCK_RAY, "build", str(folder), *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2
    # imaudible is not on PyPI: the command names this checkout, where the extra can be installed from
    assert done.stderr.strip() == f"error: the Ray executor needs the 'ray' extra: pip install '{REPO}[ray]'"
    assert not (folder / "build").exists() and not (folder / CACHE_DIR_NAME / "objects").exists()


def test_ray_address_with_another_executor_is_a_usage_error(gallery, cli):
    result = cli("build", gallery, "--executor", "threads", "--ray-address", "auto")
    assert result.exit_code == 2
    assert "--ray-address needs --executor ray" in result.output
    assert not (gallery / "build").exists()


@pytest.mark.parametrize("address", ["garbage", "http://head:8265", "ray://", "ray://head:port"])
def test_a_malformed_ray_address_is_refused_before_any_work(gallery, cli, address):
    result = cli("build", gallery, "--ray-address", address)
    assert result.exit_code == 2
    assert f"'{address}' is not 'auto', 'ray://host:port' or 'host:port'" in result.output
    assert not (gallery / "build").exists()


@pytest.mark.parametrize("address", ["auto", "ray://head.example.org:10001", "ray://10.0.0.5", "10.0.0.5:6379",
                                     "ray://[::1]:10001"])
def test_ray_address_forms_that_ray_takes_pass_the_manifest(tmp_path, address):
    from imaudible.manifest import load_manifest

    folder = write_gallery(tmp_path / "g")
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    manifest["run"] = {"executor": "ray", "address": address}
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    gallery, _ = load_manifest(folder)
    assert gallery.run.address == address


def test_stages_stream_on_ray(local_ray, tmp_path):
    """On Ray too, a later stage starts for the first artworks while an earlier one still runs for the last."""
    from imaudible.build import build_gallery
    from imaudible.manifest import load_manifest
    from imaudible.stages import STAGES

    from .test_engine import AfterSlow, Slow

    folder = write_gallery(tmp_path / "g", [{"file": f"art/{f}", "title": t} for f, t, *_ in DEMO])
    gallery, _ = load_manifest(folder)
    report = build_gallery(gallery, folder / "build", executor="ray", stages=[*STAGES, Slow(), AfterSlow()])
    assert report.failures == []
    slow = [s.views["slow"] for s in report.runs]
    after = [s.views["afterslow"] for s in report.runs]
    assert min(a["started"] for a in after) < max(s["finished"] for s in slow)
    assert all(a["started"] >= s["finished"] for s, a in zip(slow, after))


def _ray_child_started(pid: int) -> bool:
    """Whether process `pid` has started Ray's GCS server (the first process `ray.init` starts)."""
    from .test_executor_lifecycle import children_of

    for child in children_of(pid):
        try:
            if b"gcs_server" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("when", ["while Ray starts", "while stages run"])
def test_sigterm_ends_a_ray_build_in_one_line_and_stops_ray(tmp_path, when):
    """SIGTERM ends a build on its own local Ray as on any executor: one line, exit 143, and none of Ray's
    processes left. `ray.init` had replaced the build's handler: the build exited with status 15 without a
    word, or was killed by Ray's crash handler after a stack dump; cut short while starting, it left two of
    Ray's agents running for good."""
    folder = write_gallery(tmp_path / "g", music={"duration": 12})
    before = ray_processes()
    proc = subprocess.Popen([sys.executable, "-m", "imaudible", "build", str(folder), "-q", "-j", "1",
                             "--executor", "ray"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    started = ((lambda: _ray_child_started(proc.pid)) if when == "while Ray starts" else
               (lambda: (folder / CACHE_DIR_NAME / "objects" / "music").is_dir()))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not started():
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.splitlines()[-1] == ("error: terminated; everything finished so far is cached and the next "
                                    "build picks up from there") and "SIGTERM received" not in err, err
    deadline = time.monotonic() + 30
    while ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ray_processes() - before, "the terminated build left Ray processes running"

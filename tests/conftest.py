"""Shared fixtures: sample galleries built from the demo paintings, and a CLI runner."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Tests pin one thread (a tiny model's generate is 36x slower when two threads fight over 2 cores) and
# never look at a developer's real model cache.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="imaudible-hf-home-")
os.environ.pop("HF_HUB_CACHE", None)

import pytest  # noqa: E402
import yaml  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from imaudible.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ART = REPO / "demo" / "art"
DEMO = [
    ("starry_night.jpg", "The Starry Night", "Vincent van Gogh", "1889"),
    ("the_scream.jpg", "The Scream", "Edvard Munch", "1893"),
    ("water_lilies.jpg", "Water Lilies (detail)", "Claude Monet", "c. 1916"),
    ("udnie.jpg", "Udnie", "Francis Picabia", "1913"),
]


def write_gallery(folder: Path, artworks: list[dict] | None = None, **settings) -> Path:
    """A gallery folder with the given artworks (default: three demo paintings) and short, built-in music."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "art").mkdir(exist_ok=True)
    if artworks is None:
        artworks = [{"file": f"art/{f}", "title": t, "artist": a, "year": y} for f, t, a, y in DEMO[:3]]
    for art in artworks:
        source = ART / Path(art["file"]).name
        target = folder / art["file"]
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    manifest = {"title": "Test gallery", "caption": {"model": "builtin"},
                "music": {"model": "builtin", "duration": 3}, "artworks": artworks}
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(manifest.get(key), dict):
            manifest[key] = {**manifest[key], **value}
        else:
            manifest[key] = value
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


def limit_file_size(limit: int = 64 * 1024) -> None:
    """For a child process (`preexec_fn`): a write past `limit` bytes fails (EFBIG) as a full disk's would,
    and that needs neither root nor a small file system."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.fixture
def gallery(tmp_path) -> Path:
    return write_gallery(tmp_path / "gallery")


@pytest.fixture
def server(site):
    """The preview server of the test module's `site` fixture (a built/ folder), on a free port."""
    import threading

    from imaudible.serve import PreviewServer

    preview = PreviewServer(site, port=0)
    thread = threading.Thread(target=preview.serve_forever, daemon=True)
    thread.start()
    yield preview
    preview.shutdown()
    thread.join(5)


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def ray_processes() -> set[int]:
    """Pids of every Ray process on this machine: raylet, gcs_server, Ray's Python daemons (monitor,
    log monitor, dashboard) and its workers ("ray::...")."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"ray::") or b"/site-packages/ray/" in command:
                pids.add(int(entry.name))
    return pids


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray on 2 CPUs for the tests that need it (`--executor ray` then uses it), stopped at the end
    of the session, with a check that none of its processes outlives it. It declares one GPU that is not there,
    so model actors ask for GPU shares as they would on a cluster (and run on the CPU)."""
    import logging
    import time

    ray = pytest.importorskip("ray")
    before = ray_processes()
    ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING)
    yield ray
    ray.shutdown()
    deadline = time.monotonic() + 30
    while ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ray_processes() - before, "Ray processes outlived the test session"

"""The music stage on Ray actors with a tiny MusicGen checkpoint: the same bytes as a local build, two
copies of a model on half a GPU each, and an actor killed mid-batch restarted (the model loaded again) with
its batch run again."""
from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from ..conftest import write_gallery
from ..test_build import tree
from ..test_ray import kill_first_worker
from .conftest import small_artworks

pytest.importorskip("torch")
pytest.importorskip("ray")


def count_model_actors(most: list, stop: threading.Event) -> None:
    """Record the largest number of model actor processes alive at once."""
    while not stop.is_set():
        alive = 0
        for entry in Path("/proc").iterdir():
            try:
                alive += entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"ray::ModelHost")
            except OSError:
                continue
        most[0] = max(most[0], alive)
        time.sleep(0.05)


def tiny_gallery(folder: Path, tiny_models) -> Path:
    folder.mkdir(parents=True)
    shutil.copytree(tiny_models["musicgen"], folder / "models" / "musicgen")
    return write_gallery(folder, small_artworks(folder),
                         music={"model": "models/musicgen", "duration": 2, "batch_size": 1},
                         run={"model_gpus": 0.5})


@pytest.mark.slow
def test_model_actors_match_local_and_survive_a_kill(local_ray, tiny_models, tmp_path, cli):
    local = tiny_gallery(tmp_path / "local", tiny_models)
    result = cli("build", local, "-q")
    assert result.exit_code == 0, result.output

    folder = tiny_gallery(tmp_path / "ray", tiny_models)
    killed: list[int] = []
    most = [0]
    stop = threading.Event()
    watchers = [threading.Thread(target=kill_first_worker, args=(b"ray::ModelHost.run", killed, stop)),
                threading.Thread(target=count_model_actors, args=(most, stop))]
    for watcher in watchers:
        watcher.start()
    try:
        result = cli("build", folder, "--executor", "ray", "--report", folder / "report.json")
    finally:
        stop.set()
        for watcher in watchers:
            watcher.join()
    assert result.exit_code == 0, result.output
    assert len(killed) == 1, "no model actor was caught running a batch"
    assert most[0] >= 2, "two batches, a GPU in halves: two copies of the model at once"
    report = json.loads((folder / "report.json").read_text())
    assert report["model_calls"]["music"] == 2   # the killed batch counted once, when it came back
    assert report["totals"]["failed"] == 0
    assert tree(folder / "build") == tree(local / "build")

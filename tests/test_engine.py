"""The stage engine: a stage plugged in from outside is planned, keyed from its upstream keys, cached and
reported like the built-in ones; the process executor builds the same site as threads; the plan orders
stages by their needs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from imaudible.build import build_gallery
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.engine.plan import PlanError, make_plan
from imaudible.engine.stage import Result, Stage
from imaudible.manifest import load_manifest
from imaudible.stages import STAGES

from .conftest import write_gallery
from .test_build import tree

CALLS = []


def count_words(items: list, model=None) -> list[Result]:
    """The throwaway stage's compute: pure, module-level, so any executor can run it."""
    CALLS.append(len(items))
    return [Result({"words": len(prompt.split()), "unit": unit}, {"count.txt": str(len(prompt.split())).encode()})
            for prompt, unit in items]


class WordCount(Stage):
    name = "wordcount"
    needs = ("prompt",)
    version = "1"
    compute = staticmethod(count_words)

    def __init__(self, unit: str = "words"):
        self.unit = unit

    def settings(self, gallery, art, model):
        return {"unit": self.unit}

    def inputs(self, gallery, art, upstream):
        return upstream["prompt"].text, self.unit

    def read(self, entry) -> int:
        assert entry.read("count.txt").decode() == str(entry.meta["words"])
        return int(entry.meta["words"])


def run(folder: Path, *stages, **options):
    gallery, _ = load_manifest(folder)
    return build_gallery(gallery, folder / "build", stages=[*STAGES, *stages], **options)


def test_a_plugged_in_stage_is_keyed_cached_and_reported(tmp_path):
    folder = write_gallery(tmp_path / "g")
    CALLS.clear()
    report = run(folder, WordCount())
    assert report.failures == [] and CALLS == [1, 1, 1]
    data = report.to_dict()
    assert data["totals"]["by_stage"]["wordcount"]["computed"] == 3
    for state in report.runs:
        assert state.views["wordcount"] == len(state.views["prompt"].text.split())
        assert data["artworks"][state.id]["stages"]["wordcount"]["status"] == "computed"
    assert len(list((folder / CACHE_DIR_NAME / "objects" / "wordcount").glob("??/*/result.json"))) == 3

    report = run(folder, WordCount())                      # unchanged: served from the cache
    assert CALLS == [1, 1, 1] and report.to_dict()["totals"]["by_stage"]["wordcount"]["cached"] == 3

    report = run(folder, WordCount(unit="tokens"))         # its own setting is in its key
    assert report.to_dict()["totals"]["by_stage"]["wordcount"]["computed"] == 3

    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    manifest["artworks"][0]["prompt"] = "solo cello"         # an upstream key changes for one artwork only
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    report = run(folder, WordCount(unit="tokens"))
    stages = report.to_dict()["artworks"]
    assert stages["starry-night"]["stages"]["prompt"]["status"] == "skipped"
    assert stages["starry-night"]["stages"]["wordcount"]["status"] == "computed"
    assert report.runs[0].views["wordcount"] == 2
    assert {stages[i]["stages"]["wordcount"]["status"] for i in ("the-scream", "water-lilies")} == {"cached"}


def test_a_failing_plugged_in_stage_fails_only_its_artwork(tmp_path):
    class Picky(WordCount):
        name = "picky"

        def inputs(self, gallery, art, upstream):
            if art.id == "the-scream":
                raise ValueError("no screaming")
            return super().inputs(gallery, art, upstream)

    folder = write_gallery(tmp_path / "g")
    report = run(folder, Picky())
    assert [(s.id, s.failed_stage, s.error) for s in report.failures] == [("the-scream", "picky", "ValueError: no screaming")]
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert [a["id"] for a in site["artworks"]] == ["starry-night", "water-lilies"]


def test_processes_build_the_same_site_as_threads(tmp_path, cli):
    threads = write_gallery(tmp_path / "threads")
    processes = write_gallery(tmp_path / "processes")
    assert cli("build", threads, "--jobs", "2").exit_code == 0
    result = cli("build", processes, "--jobs", "2", "--executor", "processes", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["computed"] == 18
    assert tree(threads / "build") == tree(processes / "build")


def test_the_plan_orders_by_needs_and_refuses_what_it_cannot_run(tmp_path):
    gallery, _ = load_manifest(write_gallery(tmp_path / "g"))
    names = [s.name for s in make_plan([WordCount(), *reversed(STAGES)], gallery)]
    assert names.index("wordcount") > names.index("prompt") > names.index("caption") > names.index("ingest")
    assert names.index("audio") > names.index("music")
    with pytest.raises(PlanError, match="needs prompt"):
        make_plan([WordCount()], gallery)


def shout(items: list, model) -> list[Result]:
    if any(item == "bad" for item in items):
        raise ValueError("cannot shout 'bad'")
    return [Result({"text": model.backend.upper(item)}) for item in items]


def test_a_failed_model_batch_is_retried_item_by_item(tmp_path):
    """The batch with the bad artwork fails; its batch-mates still get their results, one call each."""
    from imaudible.engine.batches import Batches
    from imaudible.engine.executors import ModelWorker, ThreadExecutor
    from imaudible.engine.report import ArtworkState, BuildReport
    from imaudible.progress import Progress

    class Upper:
        def upper(self, text):
            return text.upper()

        def close(self):
            self.closed = True

    class Worker(ModelWorker):  # its model is made here, not loaded
        def __init__(self):
            self.backend, self.calls = Upper(), []

        def run(self, compute, items):
            self.calls.append(list(items))
            return compute(items, self)

        def close(self):
            self.backend.close()

    class Executor(ThreadExecutor):
        def model_worker(self, spec):
            self.worker = Worker()
            return self.worker

    class Spec:
        identity = "upper@1"

    class Shout(Stage):
        name, model, compute = "shout", "shout", staticmethod(shout)

    class Art:
        def __init__(self, id):
            self.id = id

    stored, failed = {}, {}
    report = BuildReport("g", "out", model_calls={"shout": 0})
    executor = Executor(1)
    states = [ArtworkState(Art(i)) for i in ("a", "bad", "c", "d")]
    batches = Batches(executor, report, Progress(quiet=True), inputs=lambda stage, state: state.id,
                      store=lambda stage, state, key, result, *_: stored.update({state.id: result.meta["text"]}),
                      failed=lambda stage, state, exc: failed.update({state.id: str(exc)}))
    batches.on_model(Shout(), [(s, f"k-{s.id}") for s in states], Spec(), batch_size=3)
    assert stored == {"a": "A", "c": "C", "d": "D"} and failed == {"bad": "cannot shout 'bad'"}
    assert executor.worker.calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"], ["d"]]
    assert report.model_calls == {"shout": 3} and report.models_loaded == ["upper@1"]
    assert executor.worker.backend.closed

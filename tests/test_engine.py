"""The stage engine: a stage plugged in from outside is planned, keyed from its upstream keys, cached and
reported like the built-in ones; the process executor builds the same site as threads; the plan orders
stages by their needs."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

from imaudible.build import build_gallery
from imaudible.engine import executors
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.engine.plan import PlanError, make_plan
from imaudible.engine.stage import Result, Stage
from imaudible.manifest import load_manifest
from imaudible.stages import STAGES

from .conftest import DEMO, write_gallery
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

    def inputs(self, gallery, art, upstream, model):
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

        def inputs(self, gallery, art, upstream, model):
            if art.id == "the-scream":
                raise ValueError("no screaming")
            return super().inputs(gallery, art, upstream, model)

    folder = write_gallery(tmp_path / "g")
    report = run(folder, Picky())
    assert [(s.id, s.failed_stage, s.error) for s in report.failures] == [("the-scream", "picky", "ValueError: no screaming")]
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert [a["id"] for a in site["artworks"]] == ["starry-night", "water-lilies"]


def test_a_build_whose_every_artwork_fails_reports_them_all(tmp_path, monkeypatch):
    """Every source unreadable (a permission error, found only when read): each artwork fails on its own
    line, where the scheduler once stopped with an internal error because nothing was left running."""
    from imaudible import images
    from imaudible.image_checks import ImageError

    def unreadable(path):
        raise ImageError(f"cannot read '{Path(path).name}': Permission denied")

    monkeypatch.setattr(images, "read_source", unreadable)
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "U", "artist": "P", "year": 1913}])
    report = run(folder, executor="threads", jobs=2)
    assert [(s.id, s.failed_stage, s.error) for s in report.failures] == [
        ("udnie", "ingest", "cannot read 'udnie.jpg': Permission denied")]


def kill_my_worker(items: list, model=None) -> list[Result]:
    """A throwaway stage's compute that crashes its worker process on "the scream" (as a decoder might on a
    hostile file): module-level, so worker processes can import it."""
    import os
    import signal

    if any("scream" in unit for _, unit in items):
        os.kill(os.getpid(), signal.SIGKILL)
    return count_words(items)


class Crashy(WordCount):
    name = "crashy"
    compute = staticmethod(kill_my_worker)

    def inputs(self, gallery, art, upstream, model):
        return upstream["prompt"].text, art.id


def test_a_worker_that_dies_fails_only_the_artwork_that_killed_it(tmp_path):
    folder = write_gallery(tmp_path / "g")
    report = run(folder, Crashy(), executor="processes", jobs=2)
    assert [(s.id, s.failed_stage) for s in report.failures] == [("the-scream", "crashy")]
    assert "worker process died while computing it, and again when it ran alone" in report.failures[0].error
    site = json.loads((folder / "build" / "gallery.json").read_text())
    assert [a["id"] for a in site["artworks"]] == ["starry-night", "water-lilies"]
    report = run(folder, Crashy(), executor="processes", jobs=2)   # the others are cached; it fails again
    assert [s.id for s in report.failures] == ["the-scream"]
    assert report.to_dict()["totals"]["by_stage"]["crashy"]["cached"] == 2


def test_processes_build_the_same_site_as_threads(tmp_path, cli):
    threads = write_gallery(tmp_path / "threads")
    processes = write_gallery(tmp_path / "processes")
    assert cli("build", threads, "--jobs", "2", "--executor", "threads").exit_code == 0
    result = cli("build", processes, "--jobs", "2", "--executor", "processes", "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["computed"] == 21
    assert tree(threads / "build") == tree(processes / "build")


def test_a_library_warning_in_a_worker_process_is_one_warning_line(tmp_path):
    """Pillow warns on a JPEG whose EXIF claims more bytes than it has. In a worker process the warning
    is shown as the command line shows it (it printed Pillow's path and source line there)."""
    import subprocess
    import sys

    from PIL import Image

    folder = write_gallery(tmp_path / "gallery", [{"file": "art/odd.jpg", "title": "Odd"}])
    exif = Image.Exif()
    exif[0x010E] = "x" * 200
    Image.new("RGB", (64, 64), "teal").save(folder / "art" / "odd.jpg", exif=exif.tobytes()[:-150])
    done = subprocess.run([sys.executable, "-m", "imaudible", "build", str(folder), "--executor", "processes",
                           "--jobs", "1", "-q"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "warning: UserWarning: Tag data larger than file. Skipping tag 270" in lines
    assert all(line.startswith(("warning: ", "  next: ")) for line in lines), done.stderr


def test_auto_takes_the_pool_for_a_big_build_from_the_command_line_only(tmp_path, cli, monkeypatch):
    small, big, api = (write_gallery(tmp_path / name) for name in ("small", "big", "api"))
    result = cli("build", small, "--jobs", "2", "--report", tmp_path / "small.json")   # auto is the default
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "small.json").read_text())["executor"] == "auto (threads)"   # 21 batches

    monkeypatch.setattr(executors, "AUTO_POOL_FROM", 21)      # this gallery's 21 CPU batches make it "big"
    result = cli("build", big, "--jobs", "2", "--report", tmp_path / "big.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "big.json").read_text())["executor"] == "auto (processes)"
    assert tree(small / "build") == tree(big / "build")
    # one job: nothing to run side by side
    assert cli("build", big, "--jobs", "1", "--force", "--report", tmp_path / "one.json").exit_code == 0
    assert json.loads((tmp_path / "one.json").read_text())["executor"] == "auto (threads)"

    # from Python, a worker process would import the caller's script again: only when the caller says so
    gallery, _ = load_manifest(api)
    assert build_gallery(gallery, api / "build", jobs=2).executor == "auto (threads)"
    assert build_gallery(gallery, api / "build", jobs=2, force=True, may_spawn=True).executor == "auto (processes)"


def test_auto_decides_once_from_the_planned_batches():
    auto = executors.AutoExecutor(2, may_spawn=True)
    assert auto.name == "auto"
    auto.expect(executors.AUTO_POOL_FROM - 1)
    auto.expect(10_000)                                     # a repair's second flow keeps the first choice
    assert isinstance(auto.chosen, executors.ThreadExecutor) and auto.name == "auto (threads)"
    pooled = executors.AutoExecutor(2, may_spawn=True)
    pooled.expect(executors.AUTO_POOL_FROM)
    assert isinstance(pooled.chosen, executors.ProcessExecutor) and pooled.name == "auto (processes)"
    pooled.close()                                          # never started: nothing to stop
    for jobs, may_spawn in ((1, True), (2, False)):
        other = executors.AutoExecutor(jobs, may_spawn)
        other.expect(10_000)
        assert isinstance(other.chosen, executors.ThreadExecutor)


def test_the_plan_orders_by_needs_and_refuses_what_it_cannot_run(tmp_path):
    gallery, _ = load_manifest(write_gallery(tmp_path / "g"))
    names = [s.name for s in make_plan([WordCount(), *reversed(STAGES)], gallery)]
    assert names.index("wordcount") > names.index("prompt") > names.index("caption") > names.index("ingest")
    assert names.index("audio") > names.index("music")
    with pytest.raises(PlanError, match="needs prompt"):
        make_plan([WordCount()], gallery)


def stamped(items: list, model=None) -> list[Result]:
    """A throwaway stage's compute that says when it ran (wall clock, so any executor's workers can tell):
    the later the artwork in the gallery, the longer it takes."""
    results = []
    for place, pause in items:
        started = time.time()
        time.sleep(pause * place)
        results.append(Result({"started": started, "finished": time.time(), "place": place}))
    return results


class Slow(Stage):
    name, version, compute = "slow", "1", staticmethod(stamped)
    needs = ("ingest",)
    pause = 0.4

    def inputs(self, gallery, art, upstream, model):
        return [a.id for a in gallery.artworks].index(art.id), self.pause

    def read(self, entry) -> dict:
        return entry.meta


class AfterSlow(Slow):
    name, needs, pause = "afterslow", ("slow",), 0.0


def test_stages_stream_a_later_stage_starts_before_an_earlier_one_ends(tmp_path):
    """Per artwork, a stage starts as soon as its upstream stages are done for that artwork: the first
    artwork's `afterslow` runs while later artworks' `slow` is still running (stage by stage, it would wait
    for all of them)."""
    folder = write_gallery(tmp_path / "g", [{"file": f"art/{f}", "title": t} for f, t, *_ in DEMO])
    report = run(folder, Slow(), AfterSlow(), jobs=2)
    assert report.failures == []
    slow = [s.views["slow"] for s in report.runs]
    after = [s.views["afterslow"] for s in report.runs]
    assert min(a["started"] for a in after) < max(s["finished"] for s in slow)
    assert all(a["started"] >= s["finished"] for s, a in zip(slow, after))  # never before its own upstream
    walls = report.stage_wall
    assert walls["afterslow"] > 0 and walls["slow"] >= 0.4 * 3      # first start to last end
    assert walls["slow"] + walls["afterslow"] > max(a["finished"] for a in after) - min(s["started"] for s in slow)


def test_no_batch_sent_elsewhere_carries_a_path_into_the_gallery_so_workers_need_no_access_to_it(tmp_path, cli,
                                                                                               monkeypatch):
    """Issue 12: inputs go to workers elsewhere (a Ray node) as bytes, never as paths into the gallery. Every
    CPU batch, with its compute and model spec, is pickled as the Ray executor sends it (`by_value`) and
    searched for the gallery folder's name. Workers on this disk are sent the image's path instead of its
    bytes (read and pickled by the driver, twice per artwork, before): those batches name it."""
    import pickle

    from imaudible.stages.source import SourceBytes, SourceFile

    folder = write_gallery(tmp_path / "gallery-only-on-the-driver")
    sent: list[tuple[str, bytes, bytes]] = []
    submit = executors.ThreadExecutor.submit

    def recording(self, compute, items, spec):
        elsewhere = executors.by_value(items)
        assert not any(isinstance(part, SourceFile) for item in elsewhere for part in
                       (item if isinstance(item, tuple) else (item,)))
        sent.append((getattr(compute, "__module__", ""), pickle.dumps((compute, items, spec)),
                     pickle.dumps((compute, elsewhere, spec))))
        return submit(self, compute, items, spec)

    monkeypatch.setattr(executors.ThreadExecutor, "submit", recording)
    assert cli("build", folder, "-q").exit_code == 0
    assert len(sent) == 21
    assert [module for module, _, far in sent if b"gallery-only-on-the-driver" in far] == []
    assert sum(b"gallery-only-on-the-driver" in here for _, here, _ in sent) == 6   # ingest and derive, 3 artworks
    art = next((folder / "art").iterdir())
    bytes_sent = executors.by_value([(SourceFile(str(art), art.name, "0" * 64), "settings")])[0][0]
    assert isinstance(bytes_sent, SourceBytes) and bytes_sent.data == art.read_bytes()


def test_an_image_changed_after_it_was_keyed_is_refused_wherever_its_worker_runs(tmp_path):
    """A worker checks the bytes it is given, or reads, against the hash that made the key: a file edited
    during the build is refused (never stored under the old file's key); an unreadable one fails only its
    own artwork when sent elsewhere (not the batch, as it is sent)."""
    import hashlib

    from imaudible.image_checks import ImageError
    from imaudible.stages.source import SourceFile

    art = tmp_path / "work.jpg"
    art.write_bytes(b"the bytes that were keyed")
    keyed = SourceFile(str(art), art.name, hashlib.sha256(art.read_bytes()).hexdigest())
    far = keyed.by_value()
    assert keyed.checked() == far.checked() == b"the bytes that were keyed"
    art.write_bytes(b"a later edit")
    for source in (keyed, keyed.by_value()):
        with pytest.raises(ImageError, match="'work.jpg' changed during the build; build again"):
            source.checked()
    art.unlink()
    unreadable = executors.by_value([(keyed, None)])[0][0]
    with pytest.raises(ImageError, match="cannot read 'work.jpg'"):
        unreadable.checked()


def test_the_built_in_describer_is_sent_the_mood_and_no_picture(tmp_path, monkeypatch):
    """The describer writes from the mood alone: the analysis image is not read, checked, pickled and sent
    for it (0.5 MB an artwork). Its captions are the describer's words for each artwork's mood."""
    from imaudible.caption import describe
    from imaudible.stages import caption as caption_stage
    from imaudible.types import Mood

    folder = write_gallery(tmp_path / "g")
    sent = []
    compute = caption_stage.compute

    def recording(items, model):
        sent.extend(items)
        return compute(items, model)

    monkeypatch.setattr(caption_stage.Caption, "compute", staticmethod(recording))
    report = run(folder, executor="threads")
    assert len(sent) == len(report.runs) == 3
    assert [picture for picture, _ in sent] == [None, None, None]
    assert sorted(s.views["caption"].text for s in report.runs) == \
        sorted(describe(Mood.from_dict(mood)) for _, mood in sent)


def test_a_transient_file_is_handed_on_in_memory_and_let_go(tmp_path):
    """Ingest's analysis image reaches mood in memory and is never stored; it is let go once every stage that
    needs ingest has read its inputs, so a build does not hold an image per artwork to its end. The mood read
    from it is the mood of the image itself."""
    from imaudible import images, mood
    from imaudible.types import NotHeld

    folder = write_gallery(tmp_path / "g")
    gallery, _ = load_manifest(folder)
    report = run(folder, executor="threads")
    assert len(report.runs) == 3
    for state in report.runs:
        entry = state.entries["ingest"]
        assert entry.files == {} and set(entry.held) == {"analysis.ppm"}
        assert sorted(p.name for p in Path(entry.folder).iterdir()) == ["result.json"]
        with pytest.raises(NotHeld):
            state.views["ingest"].analysis_bytes()
        source = gallery.artwork_path(state.art)
        analysis = images.analyse(images.read_source(source), source.name, gallery.images).analysis
        assert state.views["mood"].to_dict() == mood.estimate_mood(analysis).to_dict()


def test_the_analysis_image_is_let_go_once_the_stages_that_read_it_have(tmp_path, monkeypatch):
    """Music needs ingest (for its content hash) but never reads the analysis image: the image is let go once
    mood (and a caption model) have read it, not held until the music, which a real model makes last and
    slowly (every artwork's image was held in memory for most of such a build)."""
    from imaudible.stages.music import Music
    from imaudible.types import NotHeld

    held_when_music_read = []
    original = Music.inputs

    def inputs(self, gallery, art, upstream, model):
        try:
            upstream["ingest"].analysis.read()
            held_when_music_read.append(art.id)
        except NotHeld:
            pass
        return original(self, gallery, art, upstream, model)

    monkeypatch.setattr(Music, "inputs", inputs)
    folder = write_gallery(tmp_path / "g")
    report = run(folder, executor="threads")
    assert report.failures == [] and len(report.runs) == 3
    assert all(s.records["music"].status == "computed" for s in report.runs)
    assert held_when_music_read == []

"""The cache is verified, not trusted: damaged results are misses that get recomputed, never published."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME, Cache, meta_digest
from imaudible.types import DamagedResult, StoredFile

from .conftest import write_gallery
from .test_build import build, statuses, tree

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]


def result_dir(folder: Path, stage: str) -> Path:
    found = list((folder / CACHE_DIR_NAME / "objects" / stage).glob("??/*"))
    assert len(found) == 1, found
    return found[0]


def store_analysis_as_before(folder: Path, name: str = "analysis.ppm") -> Path:
    """Give the gallery's one ingest result the analysis image that versions before it was held in memory
    stored with it (the same pixels, the same key), as PPM or PNG; returns the file."""
    import io

    from imaudible.images import analyse, read_source
    from imaudible.settings import ImageSettings

    ingest = result_dir(folder, "ingest")
    stored = json.loads((ingest / "result.json").read_text())
    assert stored["files"] == {}                    # this version keeps it in memory only
    source = folder / ONE[0]["file"]
    buf = io.BytesIO()
    analyse(read_source(source), source.name, ImageSettings()).analysis.save(
        buf, format="PNG" if name.endswith(".png") else "PPM")
    data = buf.getvalue()
    (ingest / name).write_bytes(data)
    stored["files"] = {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}
    (ingest / "result.json").write_text(json.dumps(stored))
    return ingest / name


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    else:
        path.unlink()


def test_put_records_size_and_sha256_of_every_file(tmp_path):
    store = Cache(tmp_path / "c")
    entry = store.put("ingest", "ab" * 32, {"x": 1}, {"a.bin": b"abc", "b.bin": b""})
    stored = json.loads((entry.path / "result.json").read_text())
    assert stored["files"] == {"a.bin": {"size": 3, "sha256": hashlib.sha256(b"abc").hexdigest()},
                               "b.bin": {"size": 0, "sha256": hashlib.sha256(b"").hexdigest()}}
    assert store.get("ingest", "ab" * 32).meta == {"x": 1}


@pytest.mark.parametrize("how", ["truncate", "flip", "delete"])
def test_damaged_file_is_a_miss_or_refused_when_read(tmp_path, how):
    warnings = []
    store = Cache(tmp_path / "c", warn=warnings.append)
    key = "cd" * 32
    store.put("audio", key, {"x": 1}, {"audio.webm": b"0123456789"})
    damage(store.get("audio", key).path / "audio.webm", how)
    entry = store.get("audio", key)
    if how == "flip":  # same size: found when the bytes are read, not by a stat
        assert entry is not None
        with pytest.raises(DamagedResult) as caught:
            entry.read("audio.webm")
        assert "audio.webm" in str(caught.value)
        store.discard("audio", key)  # what the builder does before recomputing
    else:
        assert entry is None and warnings and "audio" in warnings[0]
    store.put("audio", key, {"x": 2}, {"audio.webm": b"0123456789"})  # recomputing replaces the damaged one
    assert store.get("audio", key).read("audio.webm") == b"0123456789"


def test_result_json_of_the_wrong_shape_is_a_miss(tmp_path):
    warnings = []
    store = Cache(tmp_path / "c", warn=warnings.append,
                  shapes={"audio": lambda meta, files: None if isinstance(meta.get("formats"), list) else "formats"})
    key = "ef" * 32
    entry = store.put("audio", key, {"formats": ["webm"]}, {"audio.webm": b"x"})
    for bad in ([1, 2], {"meta": {"formats": "webm"}, "files": {}, "format": 2},
                {"meta": {}, "files": {"../x": {"size": 1, "sha256": "0" * 64}}, "format": 2}):
        store.put("audio", key, {"formats": ["webm"]}, {"audio.webm": b"x"})
        (entry.path / "result.json").write_text(json.dumps(bad))
        assert store.get("audio", key) is None
    assert len(warnings) == 3


# --- end to end: a damaged result never reaches build/ ----------------------------------------------

@pytest.mark.parametrize("stage, name, how", [
    ("derive", "720.webp", "flip"), ("derive", "1024.jpg", "truncate"), ("derive", "thumb.webp", "delete"),
    ("audio", "audio.webm", "flip"), ("audio", "audio.m4a", "truncate"),
])
def test_damaged_result_is_recomputed_and_never_published(tmp_path, cli, stage, name, how):
    folder = write_gallery(tmp_path / "g", ONE)
    result, _ = build(cli, folder)
    assert result.exit_code == 0
    good = tree(folder / "build")
    shutil.rmtree(folder / "build")
    damage(result_dir(folder, stage) / name, how)
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "starry-night" in result.output and stage in result.output and "damaged" in result.output
    assert tree(folder / "build") == good  # recomputed bytes, never the damaged ones
    assert statuses(report, stage)["starry-night"] == "computed"


@pytest.mark.parametrize("upstream, name, downstream", [("music", "clip.bin", "audio"),
                                                        ("ingest", "analysis.ppm", "mood")])
def test_damaged_input_of_a_stage_is_recomputed_when_decoded(tmp_path, cli, upstream, name, downstream):
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    damage(store_analysis_as_before(folder) if upstream == "ingest" else result_dir(folder, upstream) / name, "flip")
    shutil.rmtree(result_dir(folder, downstream))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output and upstream in result.output
    assert statuses(report, upstream)["starry-night"] == "computed"
    assert tree(folder / "build") == good


@pytest.mark.parametrize("stage, edit", [
    ("derive", lambda m: m["derivatives"][0].update(file="../../../../evil.webp")),
    ("derive", lambda m: m["derivatives"][0].update(name="1024/../../x")),
    ("derive", lambda m: m["derivatives"][0].update(fmt="html")),     # was published as a same-origin page
    ("ingest", lambda m: m.pop("width")),
    ("audio", lambda m: m.update(formats="webm")),
    ("audio", lambda m: m.update(formats=["../../x"])),
    ("mood", lambda m: m.update(valence="high")),
    ("music", lambda m: m.update(sample_rate=None)),
    # values a crafted result (its meta's digest made to match) could hold, each a whole-build failure
    # or a value passed on to the pages before
    ("mood", lambda m: m.update(arousal=1e308)),
    ("mood", lambda m: m["palette"][0].update(hex="#zz")),
    ("caption", lambda m: m.update(caption="a\ud800b")),
    ("caption", lambda m: m.update(caption="ok\x1b]0;owned\x07")),
    ("ingest", lambda m: m.update(width=10 ** 400)),
    ("derive", lambda m: m["derivatives"][0].update(width=10 ** 300)),
    ("audio", lambda m: m.update(duration=-1e308)),
    ("music", lambda m: m.update(takes={"chosen": 0, "count": 1_000_000_000, "ranker": "x"})),
])
def test_result_json_that_is_not_its_stage_shape_is_recomputed(tmp_path, cli, stage, edit):
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    shutil.rmtree(folder / "build")
    path = result_dir(folder, stage) / "result.json"
    stored = json.loads(path.read_text())
    edit(stored["meta"])
    stored["meta_sha256"] = meta_digest(stored["meta"])      # the shape, not the digest, must catch it
    path.write_text(json.dumps(stored))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "starry-night" in result.output and stage in result.output and "is not what the" in result.output
    assert statuses(report, stage)["starry-night"] == "computed"
    assert tree(folder / "build") == good
    assert not (tmp_path / "evil.webp").exists()


def test_noop_rebuild_hashes_no_cached_file(tmp_path, cli, monkeypatch):
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    calls = []
    original = StoredFile.read
    monkeypatch.setattr(StoredFile, "read", lambda self: calls.append(self.path.name) or original(self))
    result, report = build(cli, folder)
    assert result.exit_code == 0 and report["totals"]["computed"] == 0
    assert calls == []
    shutil.rmtree(folder / "build")
    build(cli, folder)
    assert calls  # copying into build/ reads the bytes (and checks them)


def test_ingest_result_stored_with_a_png_analysis_image_is_still_used(tmp_path, cli):
    """Ingest once stored its analysis image, as PNG and then as PPM (same pixels, same key): such a result is
    read as it is, and nothing downstream of it (mood, music, ...) is computed again."""
    for name in ("analysis.png", "analysis.ppm"):
        folder = write_gallery(tmp_path / name, ONE)
        build(cli, folder)
        good = tree(folder / "build")
        shutil.rmtree(folder / "build")
        store_analysis_as_before(folder, name)
        shutil.rmtree(result_dir(folder, "mood"))       # mood reads the stored pixels again: the same mood
        result, report = build(cli, folder)
        assert result.exit_code == 0 and "damaged" not in result.output, result.output
        assert statuses(report, "ingest")["starry-night"] == "cached"
        assert statuses(report, "mood")["starry-night"] == "computed"
        assert statuses(report, "music")["starry-night"] == "cached"
        assert tree(folder / "build") == good


def test_the_analysis_image_is_computed_again_without_a_word_when_a_later_build_needs_it(tmp_path, cli):
    """The analysis image is never stored: a later build whose mood must be computed again (here: its result
    is gone) computes ingest again for it. Nothing is damaged, so nothing is said, the stored ingest result
    stays as it was, and the mood, the music and the site come out the same."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    ingest = result_dir(folder, "ingest")
    assert sorted(p.name for p in ingest.iterdir()) == ["result.json"]
    stored = (ingest / "result.json").read_bytes(), (ingest / "result.json").stat().st_ino
    mood = (result_dir(folder, "mood") / "result.json").read_bytes()
    shutil.rmtree(result_dir(folder, "mood"))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("warning:") and "url:" not in line] == []
    assert [statuses(report, stage)["starry-night"] for stage in ("ingest", "mood", "music")] == \
        ["computed", "computed", "cached"]
    assert result_dir(folder, "ingest") == ingest
    assert ((ingest / "result.json").read_bytes(), (ingest / "result.json").stat().st_ino) == stored
    assert (result_dir(folder, "mood") / "result.json").read_bytes() == mood
    assert tree(folder / "build") == good


def test_a_short_published_asset_is_written_again(tmp_path, cli):
    """Site files are not fsynced: one that a power cut left short is found by its size and rewritten."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    texture = next((folder / "build" / "assets" / "img").glob("starry-night-1024.*.jpg"))
    damage(texture, "truncate")
    (folder / "gallery.yaml").write_text((folder / "gallery.yaml").read_text().replace(
        "The Starry Night", "The Starry Night (1889)"))     # a build that writes the site again
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    rebuilt = tree(folder / "build")
    assert rebuilt[texture.relative_to(folder / "build").as_posix()] == good[texture.relative_to(folder / "build").as_posix()]


@pytest.mark.parametrize("mtime_put_back", [False, True])
def test_junk_of_the_same_size_in_a_published_asset_is_written_again(tmp_path, cli, mtime_put_back):
    """Same size, other bytes, under a name that holds its hash: a stat that shows a change since the
    site was written (the ctime too: `touch -r` cannot put that back) sends it to be compared and rewritten."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    for asset in [next((folder / "build" / "assets" / "audio").glob("starry-night.*.webm")),
                  next((folder / "build" / "assets" / "img").glob("starry-night-1024.*.jpg"))]:
        before = asset.stat()
        asset.write_bytes(bytes(len(asset.read_bytes())))
        if mtime_put_back:
            os.utime(asset, ns=(before.st_atime_ns, before.st_mtime_ns))
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert tree(folder / "build") == good


# --- models.json and in-use.json ----------------------------------------------------------------------

@pytest.mark.parametrize("content", ['[1, 2]', '{"facebook/musicgen-small": 5}', '"abc"', 'not json'])
def test_models_json_of_the_wrong_shape_is_ignored_with_a_warning(tmp_path, cli, content):
    folder = write_gallery(tmp_path / "g", ONE, music={"model": "auto"}, caption={"model": "auto"})
    (folder / CACHE_DIR_NAME).mkdir()
    (folder / CACHE_DIR_NAME / "models.json").write_text(content)
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "models.json" in result.output and "ignoring it" in result.output


@pytest.mark.parametrize("content", [None, '{}', '"abc"', '[["music"]]', '[1, 2]', 'garbage{', '[["music", 5]]'])
def test_clean_unused_with_damaged_in_use_list_deletes_nothing(tmp_path, cli, content):
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    objects = folder / CACHE_DIR_NAME / "objects"
    before = sorted(p for p in objects.glob("*/??/*"))
    in_use = folder / CACHE_DIR_NAME / "in-use.json"
    if content is None:
        in_use.unlink()
    else:
        in_use.write_text(content)
    result = cli("clean", folder, "--unused")
    assert result.exit_code == 2, result.output
    assert "in-use.json" in result.output and "nothing" in result.output
    assert sorted(p for p in objects.glob("*/??/*")) == before


def test_results_stored_before_digests_are_upgraded_once(tmp_path):
    store = Cache(tmp_path / "c")
    legacy = tmp_path / "c" / "objects" / "audio" / "ab" / ("ab" * 32)
    legacy.mkdir(parents=True)
    (legacy / "audio.webm").write_bytes(b"old bytes")
    (legacy / "result.json").write_text(json.dumps({"duration": 3.0, "formats": ["webm"]}))
    entry = store.get("audio", "ab" * 32)
    assert entry.meta == {"duration": 3.0, "formats": ["webm"]} and entry.read("audio.webm") == b"old bytes"
    assert json.loads((legacy / "result.json").read_text())["files"]["audio.webm"]["size"] == 9


def test_a_cache_that_cannot_be_written_stops_the_build_and_keeps_the_site(tmp_path, cli):
    """A full disk or an unwritable cache is no fault of the artworks: the build stops with exit 3 before
    the site is touched (each artwork used to fail in turn, and the site lost every one of them)."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    audio = folder / CACHE_DIR_NAME / "objects" / "audio"
    shutil.rmtree(audio)
    audio.write_text("not a folder")                       # what any write under it now meets
    manifest = folder / "gallery.yaml"
    manifest.write_text(manifest.read_text() + "audio: {loudness: -16}\n")
    result, _ = build(cli, folder)
    assert result.exit_code == 3, result.output
    assert "error: cannot write the cache:" in result.output and "the site was left as it was" in result.output
    assert "Traceback" not in result.output
    assert tree(folder / "build") == good


def test_a_result_folder_without_its_result_json_is_replaced(tmp_path, cli):
    """What a kill within `clean --unused` can leave: the folder of a result, its result.json gone. It is
    no result, and the result computed again takes its place (it used to fail the artwork on every build)."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    (result_dir(folder, "audio") / "result.json").unlink()
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert statuses(report, "audio")["starry-night"] == "computed"
    assert (result_dir(folder, "audio") / "result.json").is_file()
    assert tree(folder / "build") == good


def test_one_changed_digit_in_a_result_with_no_files_is_a_damaged_result(tmp_path, cli):
    """A mood's result.json holds all of it: a flipped digit was published as another mood."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    path = result_dir(folder, "mood") / "result.json"
    stored = json.loads(path.read_text())
    stored["meta"]["arousal"] = round(1 - stored["meta"]["arousal"], 3)   # still a valid mood
    path.write_text(json.dumps(stored))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output and statuses(report, "mood")["starry-night"] == "computed"
    assert tree(folder / "build") == good


@pytest.mark.parametrize("payload", [
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",     # Pillow would hand it to Ghostscript
    "big png",                                                              # a pixel bomb for the mood stage
])
def test_a_crafted_analysis_image_reaches_no_other_decoder(tmp_path, cli, payload):
    """The cache checks that a file is the bytes recorded, not who recorded them (a gallery may come with its
    cache): an analysis image that ingest would not write is a damaged result, computed again."""
    import io

    from PIL import Image

    if payload == "big png":
        buf = io.BytesIO()
        Image.new("1", (6000, 6000)).save(buf, format="PNG")
        payload = buf.getvalue()
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    ingest = result_dir(folder, "ingest")
    (ingest / "analysis.ppm").write_bytes(payload)
    stored = json.loads((ingest / "result.json").read_text())
    stored["files"]["analysis.ppm"] = {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    (ingest / "result.json").write_text(json.dumps(stored))     # as an older version stored it, crafted
    shutil.rmtree(result_dir(folder, "mood"))               # so that the analysis image is read again
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert "is not a PPM or PNG of at most" in result.output
    assert statuses(report, "ingest")["starry-night"] == "computed"
    assert tree(folder / "build") == good


@pytest.mark.parametrize("name", ["stat-cache.json", "results-index", "build-stamp", "models.json"])
@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo"])
def test_state_files_that_are_not_regular_files_read_as_damaged(tmp_path, cli, name, kind):
    """A shipped cache whose state file is a link to a device (memory filled in seconds) or a FIFO (a build
    that never ends): read as damaged, which costs at most some re-reading."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    path = folder / CACHE_DIR_NAME / name
    if path.exists():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert tree(folder / "build") == good


def test_clean_unused_with_an_in_use_list_linked_to_a_device_deletes_nothing(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    before = sorted((folder / CACHE_DIR_NAME / "objects").rglob("*"))
    (folder / CACHE_DIR_NAME / "in-use.json").unlink()
    (folder / CACHE_DIR_NAME / "in-use.json").symlink_to("/dev/zero")
    result = cli("clean", folder, "--unused")
    assert result.exit_code == 2 and "is damaged" in result.output and "Traceback" not in result.output
    assert sorted((folder / CACHE_DIR_NAME / "objects").rglob("*")) == before


def test_a_site_that_comes_with_the_gallery_is_checked_not_trusted(tmp_path, cli):
    """A gallery may come with its build/ (a site committed for GitHub Pages, an archive), its files changed
    and the ownership list's time set to cover them. Only a stat this machine recorded when it wrote a file
    lets the build skip reading it; planted JavaScript under a hashed name was kept and deployed."""
    folder = write_gallery(tmp_path / "g", ONE)
    build(cli, folder)
    good = tree(folder / "build")
    copy = tmp_path / "from-elsewhere"
    shutil.copytree(folder, copy, symlinks=True)             # copy2: the times come along
    shutil.rmtree(copy / CACHE_DIR_NAME)
    shutil.copytree(folder / CACHE_DIR_NAME, copy / CACHE_DIR_NAME)
    bundle = next((copy / "build" / "assets").glob("gallery.*.js"))
    bundle.write_bytes(b"/*planted*/".ljust(bundle.stat().st_size, b" "))
    later = time.time() + 3600
    os.utime(copy / "build" / ".imaudible-build.json", (later, later))
    result, _ = build(cli, copy)
    assert result.exit_code == 0, result.output
    assert tree(copy / "build") == good


def test_a_changed_mood_override_computes_the_analysis_image_again_for_that_artwork_only(tmp_path, cli):
    """The everyday later build that reads the analysis image: a curator sets one artwork's mood. Its ingest is
    computed again (the image is not kept), silently; the other artwork's mood and image are not touched."""
    two = [ONE[0], {"file": "art/great_wave.jpg", "title": "The Great Wave"}]
    folder = write_gallery(tmp_path / "g", two)
    build(cli, folder)
    write_gallery(folder, [{**two[0], "mood": {"valence": 0.9, "arousal": 0.2}}, two[1]])
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("warning:") and "url:" not in line] == []
    assert statuses(report, "ingest") == {"starry-night": "computed", "great-wave": "cached"}
    assert statuses(report, "mood") == {"starry-night": "computed", "great-wave": "cached"}
    assert report["artworks"]["starry-night"]["error"] is None
    data = json.loads((folder / "build" / "gallery.json").read_text())
    assert {a["id"]: a["mood"]["valence"] for a in data["artworks"]}["starry-night"] == 0.9

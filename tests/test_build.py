"""The build tool end to end: caching, incremental rebuilds, stale outputs, kills and concurrent builds."""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from imaudible.engine.cache import CACHE_DIR_NAME

from .conftest import limit_file_size, write_gallery


def build(cli, folder: Path, *extra, out: Path | None = None):
    report = folder / "report.json"
    args = ["build", folder, "--report", report, *extra]
    if out:
        args += ["--out", out]
    result = cli(*args)
    data = json.loads(report.read_text()) if report.exists() else None
    return result, data


def statuses(report: dict, stage: str) -> dict[str, str]:
    return {art_id: info["stages"][stage]["status"] for art_id, info in report["artworks"].items()
            if stage in info["stages"]}


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(folder: Path, change) -> None:
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    change(manifest)
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))


def test_build_then_noop_rebuild(gallery, cli):
    result, report = build(cli, gallery)
    assert result.exit_code == 0, result.output
    assert report["totals"]["computed"] == 21 and report["totals"]["failed"] == 0  # 3 artworks x 7 stages
    out = gallery / "build"
    for name in ("index.html", "list.html", "404.html", "gallery.json", "_headers", "netlify.toml",
                 "art/starry-night/index.html"):
        assert (out / name).is_file(), name
    data = json.loads((out / "gallery.json").read_text())
    assert [a["id"] for a in data["artworks"]] == ["starry-night", "the-scream", "water-lilies"]
    for art in data["artworks"]:
        for fmt in ("webm", "m4a"):
            assert (out / art["audio"][fmt]).stat().st_size > 1000
        assert art["images"] and all((out / im[fmt]).is_file() for im in art["images"].values()
                                     for fmt in ("webp", "jpg") if fmt in im)
        assert art["models"]["music_draft"] is True and art["models"]["music"] == "builtin:procedural"
    assert (out / "index.html").stat().st_mode & 0o044 == 0o044, "published files must be world-readable"
    before = tree(out)

    result, report = build(cli, gallery)
    assert result.exit_code == 0
    assert report["totals"]["computed"] == 0 and report["totals"]["cached"] == 21
    assert report["pages_written"] == 0 and report["model_calls"] == {"caption": 0, "prompt": 0, "music": 0}
    assert tree(out) == before
    _has_the_documented_keys(report)


def _has_the_documented_keys(report: dict) -> None:
    """What README's "Commands" promises CI of the JSON report, on a build and on its unchanged replay."""
    assert report["report_format"] == 1 and report["executor"] in ("auto (threads)", "auto (processes)")
    assert isinstance(report["seconds"], float) and report["failed"] == []
    totals = report["totals"]
    assert {"computed", "cached", "skipped", "failed", "artworks", "failed_artworks", "by_stage"} <= set(totals)
    for art in report["artworks"].values():
        assert {"file", "title", "error", "stages"} <= set(art)
        assert all({"status", "seconds"} <= set(rec) for rec in art["stages"].values())


def test_title_edit_rerenders_without_recomputing(gallery, cli):
    build(cli, gallery)
    edit(gallery, lambda m: m["artworks"][1].update(title="Der Schrei"))
    result, report = build(cli, gallery)
    assert result.exit_code == 0
    assert report["totals"]["computed"] == 0 and report["pages_written"] > 0
    data = json.loads((gallery / "build" / "gallery.json").read_text())
    assert data["artworks"][1]["title"] == "Der Schrei"
    assert "Der Schrei" in (gallery / "build" / "art" / "the-scream" / "index.html").read_text()


def test_seed_edit_recomputes_only_that_music(gallery, cli):
    build(cli, gallery)
    audio_before = json.loads((gallery / "build" / "gallery.json").read_text())["artworks"][0]["audio"]["webm"]
    edit(gallery, lambda m: m["artworks"][0].update(music={"seed": 42}))
    result, report = build(cli, gallery)
    assert result.exit_code == 0
    assert statuses(report, "music") == {"starry-night": "computed", "the-scream": "cached", "water-lilies": "cached"}
    assert statuses(report, "audio")["starry-night"] == "computed"
    for stage in ("ingest", "derive", "mood", "caption", "prompt"):
        assert set(statuses(report, stage).values()) == {"cached"}
    assert report["pages_written"] > 0
    audio_after = json.loads((gallery / "build" / "gallery.json").read_text())["artworks"][0]["audio"]["webm"]
    assert audio_after != audio_before
    assert not (gallery / "build" / audio_before).exists(), "the old clip must not linger in build/"


ANALYSIS_SIDE = ("ingest", "mood", "caption", "prompt", "music", "audio")


@pytest.mark.parametrize("images", [{"quality": 60}, {"sizes": [256, 1024]}, {"thumbnail": 200}])
def test_web_derivative_settings_redo_only_the_derivatives(gallery, cli, images):
    build(cli, gallery)
    before = json.loads((gallery / "build" / "gallery.json").read_text())["artworks"]
    edit(gallery, lambda m: m.setdefault("images", {}).update(images))
    result, report = build(cli, gallery)
    assert result.exit_code == 0, result.output
    assert set(statuses(report, "derive").values()) == {"computed"}
    for stage in ANALYSIS_SIDE:
        assert set(statuses(report, stage).values()) == {"cached"}, stage
    assert report["model_calls"] == {"caption": 0, "prompt": 0, "music": 0}
    after = json.loads((gallery / "build" / "gallery.json").read_text())["artworks"]
    assert [a["images"] for a in after] != [a["images"] for a in before]
    assert [a["audio"] for a in after] == [a["audio"] for a in before]
    if "sizes" in images:
        assert "256" in after[0]["images"] and "2048" not in after[0]["images"]


def test_audio_formats_redo_only_the_audio_and_publish_only_those(gallery, cli):
    build(cli, gallery)
    out = gallery / "build"
    before = json.loads((out / "gallery.json").read_text())["artworks"]
    opus_before = [(out / art["audio"]["webm"]).read_bytes() for art in before]
    assert 'type="audio/mp4"' in (out / "art" / before[0]["id"] / "index.html").read_text()
    edit(gallery, lambda m: m.setdefault("audio", {}).update(formats=["webm"]))
    result, report = build(cli, gallery)
    assert result.exit_code == 0, result.output
    assert set(statuses(report, "audio").values()) == {"computed"}
    for stage in ("ingest", "derive", "mood", "caption", "prompt", "music"):
        assert set(statuses(report, stage).values()) == {"cached"}, stage
    after = json.loads((out / "gallery.json").read_text())["artworks"]
    assert [(bool(art["audio"]["webm"]), art["audio"]["m4a"]) for art in after] == [(True, None)] * len(after)
    assert not list(out.rglob("*.m4a")), "the AAC files of the last build must not linger"
    # the same clip through the same Opus encoder: only the list of formats changed
    assert [(out / art["audio"]["webm"]).read_bytes() for art in after] == opus_before
    for art in after:
        page = (out / "art" / art["id"] / "index.html").read_text()
        assert 'type="audio/mp4"' not in page and art["audio"]["webm"] in page


def test_mat_colour_redoes_the_image_side(gallery, cli):
    """How transparency is flattened changes the pixels every stage reads: ingest and what follows are redone."""
    build(cli, gallery)
    edit(gallery, lambda m: m.setdefault("images", {}).update(mat_colour="#000000"))
    _, report = build(cli, gallery)
    assert set(statuses(report, "ingest").values()) == {"computed"}
    assert set(statuses(report, "derive").values()) == {"computed"}


def test_removed_artwork_leaves_no_files(gallery, cli):
    build(cli, gallery)
    out = gallery / "build"
    assert list(out.rglob("water-lilies*")) and (out / "art" / "water-lilies").is_dir()
    edit(gallery, lambda m: m["artworks"].pop())
    result, report = build(cli, gallery)
    assert result.exit_code == 0 and report["files_removed"] > 0
    assert not list(out.rglob("*water-lilies*"))
    assert not (out / "art" / "water-lilies").exists()
    assert "water-lilies" not in (out / "gallery.json").read_text()


def test_force_named_and_all(gallery, cli):
    build(cli, gallery)
    result, report = build(cli, gallery, "--force", "the-scream")
    assert result.exit_code == 0
    assert statuses(report, "music") == {"starry-night": "cached", "the-scream": "computed", "water-lilies": "cached"}
    result, report = build(cli, gallery, "--force")
    assert report["totals"]["cached"] == 0 and report["totals"]["computed"] == 21
    result, report = build(cli, gallery, "--force", "the-scream", "water-lilies")
    assert statuses(report, "music") == {"starry-night": "cached", "the-scream": "computed", "water-lilies": "computed"}
    result, _ = build(cli, gallery, "--force", "the-screem")
    assert result.exit_code == 2 and "did you mean 'the-scream'" in result.output
    result, _ = build(cli, gallery, "the-scream")
    assert result.exit_code == 2 and "artwork ids go after --force" in result.output


def test_bad_image_fails_only_that_artwork(tmp_path, cli):
    folder = write_gallery(tmp_path / "g")
    (folder / "art" / "broken.jpg").write_bytes(b"this is not a picture")
    edit(folder, lambda m: m["artworks"].append({"file": "art/broken.jpg", "title": "Broken"}))
    result, report = build(cli, folder)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "error: artwork 'broken' (art/broken.jpg) failed at ingest:" in result.output
    assert report["failed"][0]["id"] == "broken" and report["totals"]["failed_artworks"] == 1
    assert report["failed"][0]["file"] == "art/broken.jpg"
    assert {i: (a["file"], a["title"]) for i, a in report["artworks"].items() if i in ("broken", "the-scream")} == {
        "broken": ("art/broken.jpg", "Broken"), "the-scream": ("art/the_scream.jpg", "The Scream")}
    data = json.loads((folder / "build" / "gallery.json").read_text())
    assert [a["id"] for a in data["artworks"]] == ["starry-night", "the-scream", "water-lilies"]


def test_two_clean_builds_are_byte_identical(tmp_path, cli):
    first = write_gallery(tmp_path / "one")
    second = write_gallery(tmp_path / "two")
    build(cli, first)
    build(cli, second, "--jobs", "1")
    assert tree(first / "build") == tree(second / "build")


def test_refuses_foreign_output_folder(gallery, cli, tmp_path):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("do not delete")
    result, _ = build(cli, gallery, out=foreign)
    assert result.exit_code == 2 and "not made by imaudible" in result.output
    assert (foreign / "thesis.txt").read_text() == "do not delete"
    result, _ = build(cli, gallery, out=gallery)
    assert result.exit_code == 2 and "contains the gallery folder" in result.output


def test_init_then_build_then_clean(tmp_path, cli):
    folder = tmp_path / "new"
    assert cli("init", folder).exit_code == 0
    assert cli("init", folder).exit_code == 2  # never overwrites
    edit(folder, lambda m: m.update(music={"model": "builtin", "duration": 2}, caption={"model": "builtin"}))
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    assert report["totals"]["artworks"] == 1
    assert cli("clean", folder).exit_code == 0
    assert not (folder / "build").exists() and (folder / CACHE_DIR_NAME).is_dir()


def _subprocess_build(folder: Path, out: Path | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "imaudible.cli", "build", str(folder), "--jobs", "1", "--quiet"]
    if out:
        cmd += ["--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


def test_killed_build_resumes_to_identical_output(tmp_path, cli):
    artworks_yaml = dict(music={"model": "builtin", "duration": 12})
    reference = write_gallery(tmp_path / "reference", **artworks_yaml)
    victim = write_gallery(tmp_path / "victim", **artworks_yaml)
    build(cli, reference)

    proc = _subprocess_build(victim)
    objects = victim / CACHE_DIR_NAME / "objects"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (objects / "music").is_dir():
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # images, moods and captions are cached; music and audio are under way
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    assert not (victim / "build" / "index.html").exists()

    result, report = build(cli, victim)
    assert result.exit_code == 0, result.output
    assert report["totals"]["cached"] > 0, "work finished before the kill must be reused"
    assert tree(victim / "build") == tree(reference / "build")
    assert not list((victim / CACHE_DIR_NAME).rglob("*.tmp"))


def test_a_terminated_build_says_so_in_one_line_and_resumes(tmp_path, cli):
    """SIGTERM (a CI time limit, `kill`) ends a build as Ctrl-C does: one line, exit 143, what was finished
    cached. Its default action ended the process on the spot, silently."""
    settings = dict(music={"model": "builtin", "duration": 12})
    reference = write_gallery(tmp_path / "reference", **settings)
    victim = write_gallery(tmp_path / "victim", **settings)
    build(cli, reference)
    proc = _subprocess_build(victim)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (victim / CACHE_DIR_NAME / "objects" / "music").is_dir():
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.splitlines()[-1] == ("error: terminated; everything finished so far is cached and the next build "
                                    "picks up from there") and "Traceback" not in err, err
    result, report = build(cli, victim)
    assert result.exit_code == 0, result.output
    assert report["totals"]["cached"] > 0, "work finished before SIGTERM must be reused"
    assert tree(victim / "build") == tree(reference / "build")


def test_concurrent_builds_do_not_corrupt(tmp_path, cli):
    reference = write_gallery(tmp_path / "reference")
    shared = write_gallery(tmp_path / "shared")
    build(cli, reference)
    procs = [_subprocess_build(shared), _subprocess_build(shared)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert tree(shared / "build") == tree(reference / "build")
    result, report = build(cli, shared)
    assert report["totals"]["computed"] == 0


def test_builds_without_torch_installed(gallery):
    """The base install (no torch, no transformers) builds with the built-ins and rebuilds from cache."""
    blocker = (
        "import sys\n"
        "class NoML:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'transformers', 'torchaudio', 'audiocraft'}:\n"
        "            raise ImportError(name + ' is not installed')\n"
        "sys.meta_path.insert(0, NoML())\n"
        "from imaudible.cli import main\n"
        "main()\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", blocker, "build", str(gallery), "--quiet"],
                                capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
    assert (gallery / "build" / "gallery.json").is_file()


def test_unwritable_cache_is_a_one_line_error(gallery, cli):
    (gallery / CACHE_DIR_NAME).write_text("a file where the cache folder should be")
    result, _ = build(cli, gallery)
    assert result.exit_code == 2  # found before any stage runs: nothing is written
    problems = [line for line in result.output.splitlines() if not line.startswith(("warning:", "  next:"))]
    assert problems == [f"error: cannot write '{gallery / CACHE_DIR_NAME}': File exists"]


def test_a_site_write_the_disk_refuses_names_the_file_and_the_next_build_repairs(gallery, cli, tmp_path):
    """A write that fails (a full disk, a file size limit) names the site file it was writing, never its
    temporary `.NAME.XXXXXXXX.tmp` nor nothing (a full disk fails the write, not the open: `cannot access:
    No space left on device`, no name); nothing half-written is left, and the next build repairs the site."""
    build(cli, gallery)                    # the cache holds everything: only the site is written below
    out = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(gallery), "--out", str(out), "-q"],
                         capture_output=True, text=True, env=env, preexec_fn=limit_file_size)
    assert run.returncode == 3, run.stderr
    problems = [line for line in run.stderr.splitlines() if not line.startswith(("warning:", "  next:"))]
    assert len(problems) == 1 and re.fullmatch(rf"error: cannot write '{re.escape(str(out))}/[^']+': File too large; .*ulimit -f.*",
                                               problems[0]), problems
    assert ".tmp'" not in problems[0] and not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    result, _ = build(cli, gallery, out=out)
    assert result.exit_code == 0, result.output
    assert tree(out) == tree(gallery / "build")


def test_clean_unused_keeps_what_the_last_build_used(gallery, cli):
    build(cli, gallery)
    edit(gallery, lambda m: m["artworks"][0].update(music={"seed": 5}))
    build(cli, gallery)
    objects = gallery / CACHE_DIR_NAME / "objects"
    count = lambda stage: len(list((objects / stage).glob("??/*")))  # noqa: E731
    assert (count("music"), count("audio")) == (4, 4)
    result = cli("clean", gallery, "--unused")
    assert result.exit_code == 0 and "removed 2 unused cached results" in result.output
    assert (count("music"), count("audio"), count("ingest")) == (3, 3, 3)
    assert (gallery / "build" / "index.html").is_file()
    _, report = build(cli, gallery)
    assert report["totals"]["computed"] == 0


def test_clean_refuses_a_file_and_contradictory_flags_and_keeps_the_cache(gallery, cli):
    build(cli, gallery)
    cache = gallery / CACHE_DIR_NAME
    before = sorted(p.relative_to(cache) for p in cache.rglob("*"))
    assert cli("clean", gallery / "art" / "starry_night.jpg").exit_code == 2
    result = cli("clean", gallery, "--cache", "--unused")
    assert result.exit_code == 2 and "give one of them" in result.output
    assert sorted(p.relative_to(cache) for p in cache.rglob("*")) == before


def test_clean_cache_never_pulls_the_cache_from_under_a_build(gallery, cli):
    from imaudible.engine.cache import Cache

    build(cli, gallery)
    cache = gallery / CACHE_DIR_NAME
    with Cache(cache).lock():                         # a build in progress
        result = cli("clean", gallery, "--cache")
    assert result.exit_code == 2 and "nothing was deleted, from the site or the cache" in result.output
    assert (cache / "objects").is_dir()
    result = cli("clean", gallery, "--cache")
    assert result.exit_code == 0, result.output
    assert not any(p.name.startswith(CACHE_DIR_NAME) for p in gallery.iterdir())


def test_clean_never_deletes_the_site_under_a_running_build(gallery, cli):
    # `clean` took no lock: run while a build (or serve's rebuild, or evaluate) published, it left a half site.
    from imaudible.engine.cache import Cache

    build(cli, gallery)
    before = sorted(p.relative_to(gallery) for p in (gallery / "build").rglob("*"))
    with Cache(gallery / CACHE_DIR_NAME).lock():      # a build in progress
        result = cli("clean", gallery)
    assert result.exit_code == 2 and result.output.startswith("error: a build of this gallery is running (")
    assert sorted(p.relative_to(gallery) for p in (gallery / "build").rglob("*")) == before
    assert cli("clean", gallery).exit_code == 0 and not (gallery / "build").exists()


def test_force_keeps_no_copy_of_the_results_it_replaced(gallery, cli):
    build(cli, gallery)
    assert cli("build", gallery, "--force", "-q").exit_code == 0
    tmp = gallery / CACHE_DIR_NAME / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []


def test_clean_unused_before_any_build(tmp_path, cli):
    folder = write_gallery(tmp_path / "g")
    result = cli("clean", folder, "--unused")
    assert result.exit_code == 2 and "nothing was built there yet" in result.output


def test_a_loudness_target_out_of_reach_under_the_ceiling_is_said(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", audio={"loudness": -5, "true_peak": -3})
    result, report = build(cli, folder)
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "LUFS, not the -5 LUFS of audio.loudness" in line]
    assert len(said) == 3 and all("lower audio.loudness or raise audio.true_peak" in line for line in said)
    again, _ = build(cli, folder)                # said by every build, from the cache too
    assert again.output.count("LUFS, not the -5 LUFS") == 3
    quiet = write_gallery(tmp_path / "quiet", audio={"loudness": -20, "true_peak": -3})
    assert "audio.loudness" not in build(cli, quiet)[0].output

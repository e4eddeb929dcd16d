"""What a gallery ships (its cache, a reference folder, files where the tool keeps its own) costs a bounded
amount of memory and time, and the tool writes through none of it: decoders stop at what the tool itself
makes, and the cache's lock file is never another file."""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from imaudible import audio
from imaudible.audio import AudioError


def _ffmpeg_bytes(*args: str) -> bytes:
    return subprocess.run([audio.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *args, "pipe:1"],
                          capture_output=True, check=True).stdout


def test_a_stored_clip_of_many_samples_per_second_is_refused_not_read_whole():
    """A cached clip of 7.1 channels at 192 kHz: 300 KB of FLAC silence. Ten minutes of it read to 3.7 GB of
    samples, then twice that as floats; a stored clip may hold no more than the longest stereo clip at 48 kHz."""
    flac = _ffmpeg_bytes("-f", "lavfi", "-i", "anullsrc=r=192000:cl=7.1", "-t", "45", "-c:a", "flac", "-f", "flac")
    assert len(flac) < 1_000_000
    with pytest.raises(AudioError, match="more than any clip this tool stores"):
        audio.clip_from_bytes(flac)


def test_a_decoded_file_of_many_channels_is_refused_not_read_whole(tmp_path):
    """2 KB of 64-channel silence in a .webm (the site's audio, from a shipped cache, measured by evaluate)
    decoded to 64 channels at 48 kHz: ten minutes of it, 7.5 GB held in memory."""
    bomb = _ffmpeg_bytes("-f", "s16le", "-ch_layout", "64 channels", "-ar", "4000", "-t", "20", "-i", "/dev/zero",
                         "-c:a", "wavpack", "-frame_size", "131072", "-f", "matroska")
    assert len(bomb) < 10_000
    (tmp_path / "bomb.webm").write_bytes(bomb)
    with pytest.raises(AudioError):
        audio.decode_file(tmp_path / "bomb.webm", "webm")
    with pytest.raises(AudioError):
        audio.measure(bomb, "webm")


def test_surround_is_decoded_as_stereo_and_mono_stays_mono(tmp_path):
    """A reference folder may hold 5.1: it is mixed down, not refused; a mono clip is measured as mono."""
    for layout, channels in (("5.1", 2), ("mono", 1), ("stereo", 2)):
        data = _ffmpeg_bytes("-f", "lavfi", "-i", "sine=f=440:r=44100", "-t", "1", "-af",
                             f"aformat=channel_layouts={layout}", "-c:a", "flac", "-f", "flac")
        (tmp_path / f"{layout}.flac").write_bytes(data)
        clip = audio.decode_file(tmp_path / f"{layout}.flac", "flac")
        assert clip.channels == channels and clip.sample_rate == 48000
        assert clip.duration == pytest.approx(1.0, abs=0.01)


def test_a_decode_past_its_bound_is_stopped_not_collected():
    """The bound holds whatever ffmpeg would write: it is killed there, quickly, and says why."""
    from imaudible.ffmpeg_run import run_ffmpeg

    started = time.monotonic()
    with pytest.raises(AudioError, match="too much here"):
        run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "3600", "-f", "f32le", "pipe:1"],
                   None, "decode test", max_output=1 << 20, too_much="too much here")
    assert time.monotonic() - started < 10


def test_a_shipped_lock_file_linked_to_the_manifest_is_replaced_not_signed(tmp_path, cli):
    """An archive can hold hard links: `.imaudible-cache/lock` as one to gallery.yaml (or an image) had the
    build truncate that file and write its pid into it."""
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    manifest = (folder / "gallery.yaml").read_bytes()
    (folder / ".imaudible-cache").mkdir()
    os.link(folder / "gallery.yaml", folder / ".imaudible-cache" / "lock")
    result = cli("build", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "gallery.yaml").read_bytes() == manifest
    lock = os.lstat(folder / ".imaudible-cache" / "lock")
    assert lock.st_nlink == 1 and lock.st_ino != os.stat(folder / "gallery.yaml").st_ino


def test_a_lock_file_that_is_a_fifo_is_replaced(tmp_path):
    import stat

    from imaudible.engine.cache_lock import hold_lock

    root = tmp_path / "cache"
    root.mkdir()
    os.mkfifo(root / "lock")
    with hold_lock(root, root / "tmp"):
        assert stat.S_ISREG(os.lstat(root / "lock").st_mode)
    assert (root / "lock").read_text().count(" ") == 2   # "PID HOST HH:MM:SS"


@pytest.mark.timeout(120)
def test_a_report_path_that_is_a_named_pipe_is_refused_before_any_stage(tmp_path, cli):
    """A gallery may ship `build-report.json` as a named pipe: `build --report build-report.json` waited for
    a writer that never comes, before any stage, for ever."""
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    report = folder / "build-report.json"
    os.mkfifo(report)
    result = cli("build", folder, "--report", report)
    assert result.exit_code == 2 and "not a regular file" in result.output, result.output
    assert not (folder / ".imaudible-cache").exists()


def test_a_report_file_hard_linked_elsewhere_is_replaced_not_written_through(tmp_path, cli):
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    twin = tmp_path / "last-week.json"
    twin.write_text('{"artworks": {}}')
    os.link(twin, folder / "report.json")
    result = cli("build", folder, "--report", folder / "report.json")
    assert result.exit_code == 0, result.output
    assert twin.read_text() == '{"artworks": {}}' and '"totals"' in (folder / "report.json").read_text()


def test_an_artwork_file_of_a_terabyte_is_refused_at_its_line_not_read(tmp_path, cli):
    """An archive of a few kilobytes can unpack to a sparse file of a terabyte behind a valid JPEG header: the
    build read it whole into memory (and `add` did, to check it decodes)."""
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    huge = folder / "art" / "starry_night.jpg"
    picture = huge.read_bytes()
    os.truncate(huge, 1 << 40)
    started = time.monotonic()
    result = cli("build", folder)
    assert result.exit_code == 2 and "more than any image the build reads" in result.output, result.output
    assert "gallery.yaml:" in result.output and time.monotonic() - started < 30

    from imaudible.image_checks import ImageError
    from imaudible.images import read_source

    with pytest.raises(ImageError, match="more than any image the build reads"):
        read_source(huge)

    huge.write_bytes(picture)
    (folder / "new").mkdir()
    (folder / "new" / "big.jpg").write_bytes(picture)
    os.truncate(folder / "new" / "big.jpg", 1 << 40)
    result = cli("add", folder / "new", "--site", folder)
    assert "more than any image the build reads" in result.output and "big.jpg" in result.output, result.output
    assert "big.jpg" not in (folder / "gallery.yaml").read_text()


@pytest.mark.parametrize("when", ["keyed", "read by its worker"])
def test_an_artwork_file_swapped_for_a_named_pipe_during_the_build_fails_that_artwork_and_never_hangs(
        tmp_path, cli, monkeypatch, when):
    """The manifest's check refuses a named pipe, but one put in the file's place after it (while the source
    is hashed for its key, or before a worker reads it) blocked whoever opened it, forever. Now that
    artwork fails on its own line and the build goes on."""
    import threading

    from imaudible import images, statcache
    from imaudible.stages import source

    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"},
                                            {"file": "art/udnie.jpg", "title": "Udnie"}])
    victim = folder / "art" / "udnie.jpg"

    def swap():
        if victim.is_file():
            victim.unlink()
            os.mkfifo(victim)

    if when == "keyed":
        hash_file = statcache.file_sha256
        monkeypatch.setattr(statcache, "file_sha256", lambda path: (
            swap() if Path(path).name == victim.name else None, hash_file(path))[1])
    else:
        checked = source.SourceFile.checked
        monkeypatch.setattr(source.SourceFile, "checked", lambda self: (
            swap() if self.name == victim.name else None, checked(self))[1])
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", cli("build", folder, "--executor",
                                                                               "threads")), daemon=True)
    worker.start()
    worker.join(120)
    if worker.is_alive():     # unblock it, so that the test run ends
        with open(victim, "wb", buffering=0) as writer:
            writer.close()
        pytest.fail("the build blocked on the named pipe")
    result = outcome["result"]
    assert result.exit_code == 1, result.output
    assert re.search(r"artwork 'udnie' \(art/udnie.jpg\) failed at ingest: cannot read '(art/)?udnie.jpg'",
                     result.output), result.output
    assert "not a regular file (a folder, a named pipe or a device)" in result.output and "Traceback" not in result.output
    assert (folder / "build" / "art" / "starry-night" / "index.html").is_file()
    with pytest.raises(images.ImageError, match="not a regular file"):
        images.read_source(victim)


@pytest.mark.parametrize("kind", ["static", "templates"])
def test_a_sparse_terabyte_in_static_or_templates_is_refused_before_any_stage(tmp_path, cli, kind):
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "The Starry Night"}])
    (folder / kind).mkdir()
    with open(folder / kind / "big.css", "wb") as fh:
        fh.truncate(1 << 40)
    result = cli("build", folder)
    assert result.exit_code == 2 and f"'{kind}/big.css' holds" in result.output, result.output
    assert not (folder / ".imaudible-cache").exists()

"""Command-line odds and ends: version, help, progress display."""
from __future__ import annotations

import functools
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from imaudible import __version__
from imaudible.progress import Progress

from .conftest import limit_file_size, write_gallery


def test_version_and_help(cli):
    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.output
    for command in ("init", "build", "serve", "clean", "schema", "models"):
        result = cli(command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, command


def test_unknown_command_and_option_exit_2(cli, gallery):
    assert cli("biuld").exit_code == 2
    result = cli("build", gallery, "--jobs", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_progress_live_line_has_counts_and_eta():
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    progress.start("music", 4)
    progress.advance(1, "a")
    progress.advance(1, "b")
    progress.finish()
    text = stream.getvalue()
    assert "\rmusic" in text and "2/4" in text and "ETA" in text
    assert text.rstrip().endswith("music: 2/4 done in 0.0s")


def test_progress_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.start("audio", 2)
    progress.advance(1, "starry-night")
    progress.advance(1, "the-scream")
    progress.finish()
    assert "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines() == [
        "audio: computing 2 artworks", "audio: starry-night (1/2)", "audio: the-scream (2/2)",
        "audio: 2/2 done in 0.0s"]


def test_progress_counts_overlapping_stages_apart():
    """Stages stream, so several run at once: each keeps its own count, in plain lines and on the live line."""
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.start("ingest", 2)
    progress.start("music", 1)
    progress.advance(1, "a", "ingest")
    progress.advance(1, "a", "music")
    progress.finish("music")
    progress.advance(1, "b", "ingest")
    progress.finish("ingest")
    assert stream.getvalue().splitlines() == [
        "ingest: computing 2 artworks", "music: computing 1 artwork", "ingest: a (1/2)", "music: a (1/1)",
        "music: 1/1 done in 0.0s", "ingest: b (2/2)", "ingest: 2/2 done in 0.0s"]

    live = io.StringIO()
    progress = Progress(live, live=True)
    progress.start("ingest", 4)
    progress.advance(1, "a", "ingest")
    progress.start("music", 2)
    assert live.getvalue().split("\r")[-1].startswith("music    [") and "ingest 1/4" in live.getvalue()


def test_one_error_type_maps_every_failure_to_one_exit_code():
    import click
    import pytest

    from imaudible.cli.errors import CliError, Terminated, guarded
    from imaudible.images import ImageError
    from imaudible.manifest import ManifestError
    from imaudible.models import ModelError

    def code(exc: BaseException) -> tuple[int, str]:
        def fail():
            raise exc
        with pytest.raises(CliError) as info:
            guarded(fail)
        return info.value.exit_code, info.value.message

    assert code(ModelError("Music model 'x' is not available")) == (2, "Music model 'x' is not available")
    assert code(ImageError("cannot decode 'a.jpg'"))[0] == 2
    assert code(ManifestError(["gallery.yaml:1:1: bad", "gallery.yaml:2:1: worse"])) == (2, "gallery.yaml:2:1: worse")
    assert code(PermissionError(13, "Permission denied", "/x")) == (3, "cannot access '/x': Permission denied")
    assert code(IsADirectoryError(21, "Is a directory", "/b/.p.tmp", None, "/b/p")) == (
        3, "cannot access '/b/p': Is a directory")
    assert code(OSError(28, "No space left on device", "/b/p")) == (      # ENOSPC: what to do, in the same line
        3, "cannot write '/b/p': No space left on device; the disk is full: free some space and run it again "
           "(everything finished so far is kept)")
    assert code(KeyboardInterrupt())[0] == 130
    assert code(Terminated())[0] == 143
    assert code(RuntimeError("boom")) == (3, "internal error: RuntimeError: boom (run with --verbose for details)")
    assert issubclass(CliError, click.ClickException)
    assert guarded(lambda: 42) == 42


def test_no_command_ends_in_a_traceback(tmp_path, cli, monkeypatch):
    """What a command body lets escape (here `init` on a folder it cannot write) goes through the one
    mapping: one line, the exit code of its kind."""
    from imaudible import scaffold

    target = tmp_path / "new"
    monkeypatch.setattr(scaffold, "create_gallery",
                        lambda folder: (_ for _ in ()).throw(PermissionError(13, "Permission denied", str(folder))))
    result = cli("init", target)
    assert (result.exit_code, result.output) == (3, f"error: cannot access '{target}': Permission denied\n")
    monkeypatch.setattr(scaffold, "create_gallery", lambda folder: (_ for _ in ()).throw(RuntimeError("boom")))
    result = cli("init", target)
    assert (result.exit_code, result.output) == (   # init has no --verbose to run with
        3, "error: internal error: RuntimeError: boom (a bug: please report it)\n")


def test_verbose_shows_the_traceback_of_an_error_anywhere_in_the_command(gallery, cli, monkeypatch):
    """`build --verbose` promised tracebacks, but an error while the gallery loaded (its own `guarded`)
    said "run with --verbose for details" even with --verbose, and showed none."""
    from imaudible.cli import gallery as cli_gallery

    monkeypatch.setattr(cli_gallery, "load_manifest", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    quiet, verbose = cli("build", gallery), cli("build", gallery, "--verbose")
    assert quiet.exit_code == verbose.exit_code == 3
    assert "Traceback" not in quiet.output and "(run with --verbose for details)" in quiet.output
    assert "Traceback" in verbose.output and "RuntimeError: boom" in verbose.output


def test_a_file_name_the_locale_cannot_spell_is_one_line_naming_the_fix(tmp_path):
    """In a locale without UTF-8 (LANG=C where Python keeps ASCII, a Latin-1 locale) a non-ASCII file name
    cannot reach the system: that is said with the fix, not as an internal error (a bug)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/caf\u00e9.jpg", "title": "Caf\u00e9"}])
    (folder / "art" / "caf\u00e9.jpg").write_bytes((Path(__file__).parents[1] / "demo/art/udnie.jpg").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "LC_ALL": "C", "LANG": "C",
           "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    done = subprocess.run([sys.executable, "-m", "imaudible", "build", str(folder), "-q"], env=env,
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120)
    assert done.returncode == 3, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: cannot handle '") and "café.jpg'" in last and "LANG=C.UTF-8" in last, last
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_init_and_the_report_name_the_file_a_full_disk_refuses(tmp_path, gallery, cli):
    """A full disk fails the write, not the open, so the error named no file (`cannot access: File too
    large`); `init` keeps nothing it wrote, and the build's report is named."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    tight = functools.partial(limit_file_size, 1024)
    run = subprocess.run([sys.executable, "-m", "imaudible.cli", "init", str(tmp_path / "new")],
                         capture_output=True, text=True, env=env, preexec_fn=tight)
    example = tmp_path / "new" / "images" / "example.jpg"
    assert (run.returncode, run.stderr) == (3, f"error: cannot write '{example}': File too large; the file system or a limit on file size "
                                      "(ulimit -f) allows no file this large (everything finished so far is kept)\n")
    assert not example.exists() and not (tmp_path / "new" / "gallery.yaml").exists()
    assert cli("build", gallery, "-q").exit_code == 0       # the cache and site are complete: only the report is written
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(gallery), "-q", "--report", str(report)],
                         capture_output=True, text=True, env=env, preexec_fn=tight)
    assert run.returncode == 3 and run.stderr.splitlines()[-1].startswith(f"error: cannot write '{report}': File too large; "), run.stderr


@pytest.mark.parametrize("existing", ["images/example.jpg", "gallery.yaml"])
def test_init_never_overwrites_a_file_or_writes_through_a_link(tmp_path, cli, existing):
    # `init` in a folder of the curator's photos overwrote their images/example.jpg; a gallery.yaml that is
    # a link to nowhere was followed and its target created.
    folder = tmp_path / "photos"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "example.jpg").write_bytes(b"my own photo")
    result = cli("init", folder)
    assert (result.exit_code, result.output) == (
        2, f"error: {folder / 'images' / 'example.jpg'} already exists; not overwriting it\n")
    assert (folder / "images" / "example.jpg").read_bytes() == b"my own photo"
    assert not (folder / "gallery.yaml").exists()
    linked = tmp_path / "linked"
    (linked / existing).parent.mkdir(parents=True, exist_ok=True)
    (linked / existing).symlink_to(tmp_path / "target")
    result = cli("init", linked)
    assert (result.exit_code, result.output) == (2, f"error: {linked / existing} already exists; not overwriting it\n")
    assert not (tmp_path / "target").exists() and sorted(p.name for p in linked.rglob("*")) == sorted(
        Path(existing).parts)


def test_init_prints_a_folder_name_with_control_characters_escaped(tmp_path, cli):
    result = cli("init", tmp_path / "new\x1b]0;owned\x07")
    assert result.exit_code == 0 and "\x1b" not in result.output and "new\\x1b]0;owned\\x07" in result.output


def test_a_bare_command_group_shows_its_help_not_an_error(cli):
    result = cli("models")
    assert result.exit_code == 2
    assert result.output.startswith("Usage: main models") and "error" not in result.output
    assert "list" in result.output and "pull" in result.output


def test_thousands_of_manifest_problems_print_the_first_twenty(tmp_path, cli):
    from .conftest import write_gallery

    art = {"file": "art/udnie.jpg", "title": "U", "artist": "P", "year": 1913}
    folder = write_gallery(tmp_path / "g", [dict(art) for _ in range(50)])
    result = cli("build", folder)
    lines = result.output.splitlines()
    assert result.exit_code == 2 and len(lines) == 21
    assert all(line.startswith(f"error: {folder / 'gallery.yaml'}:") and "hangs the same image as artworks[0]" in line
               for line in lines[:20])
    assert lines[-1] == "error: ... and 29 more problems"


def test_what_reaches_the_terminal_is_one_line_without_control_characters(capsys):
    """A file name or an image's embedded title can hold escape sequences (retitle the window, forge
    output) or newlines: they are shown escaped, and a library's warning is one `warning:` line."""
    import warnings

    from imaudible.cli.errors import CliError
    from imaudible.progress import show_warning

    stream = io.StringIO()
    Progress(stream).warn("'art/\x1b]0;PWNED\x07red\njpg' is small")
    assert stream.getvalue() == "warning: 'art/\\x1b]0;PWNED\\x07red\\x0ajpg' is small\n"
    CliError("bad \x1b[31mname").show()
    show_warning(UserWarning("Corrupt EXIF data.\n  Expecting to read 12 bytes"), UserWarning, "/x/y.py", 3)
    assert capsys.readouterr().err.splitlines() == [
        "error: bad \\x1b[31mname", "warning: UserWarning: Corrupt EXIF data."]
    assert warnings.showwarning is not show_warning        # only the command line installs it


@pytest.mark.parametrize("args", [["schema"], ["models", "list"], ["--help"], ["build", "--help"]])
def test_output_into_a_reader_that_left_ends_quietly_as_sigpipe(tmp_path, args):
    """`imaudible-site models list | head -1`: the reader leaves early; that is no error of ours (it said
    'error: cannot access: Broken pipe', exit 3, or a Python 'Exception ignored' note)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/starry_night.jpg", "title": "T"}])
    read_end, write_end = os.pipe()
    os.close(read_end)   # closed before the program writes: every write breaks the pipe
    try:
        done = subprocess.run([sys.executable, "-m", "imaudible", *args], cwd=folder, stdout=write_end,
                              stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 128 + signal.SIGPIPE and done.stderr == b"", done.stderr.decode()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2, reason="needs CPU affinity")
def test_default_jobs_are_the_cpus_the_build_may_use(gallery, cli, monkeypatch):
    """A CI job or container given some of a machine's CPUs (taskset, a cpuset) gets that many workers by
    default, not one per CPU of the machine (os.cpu_count() ignores the affinity)."""
    import imaudible.build

    seen = []
    real = imaudible.build.build_gallery
    monkeypatch.setattr(imaudible.build, "build_gallery", lambda *a, **k: seen.append(k["jobs"]) or real(*a, **k))
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        result = cli("build", gallery, "-q", "--executor", "threads")
    finally:
        os.sched_setaffinity(0, allowed)
    assert result.exit_code == 0, result.output
    assert seen == [1]
    assert cli("build", gallery, "-q", "--force", "--jobs", "2").exit_code == 0 and seen[-1] == 2


def test_the_default_jobs_stay_within_what_jobs_takes(monkeypatch):
    """A 128-CPU machine's default was 128 workers, where --jobs itself refuses more than 64."""
    from imaudible.engine import executors
    from imaudible.settings import MAX_JOBS

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(2 * MAX_JOBS)), raising=False)
    assert executors.usable_cpus() == MAX_JOBS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert executors.usable_cpus() == 1


def test_progress_says_how_many_of_a_stage_s_artworks_failed():
    """An artwork that fails a stage is done with it, but not built: the count says so, live and in plain lines."""
    plain = io.StringIO()
    progress = Progress(plain, live=False)
    progress.start("ingest", 3)
    progress.advance(1, "a", "ingest")
    progress.advance(1, "broken", "ingest", failed=True)
    progress.advance(1, "c", "ingest")
    progress.finish("ingest")
    assert plain.getvalue().splitlines()[2:] == ["ingest: broken failed (2/3)", "ingest: c (3/3)",
                                                 "ingest: 3/3 done in 0.0s (1 failed)"]
    live = io.StringIO()
    progress = Progress(live, live=True)
    progress.start("ingest", 3)
    progress.advance(1, "broken", "ingest", failed=True)
    assert "1/3 (1 failed)" in live.getvalue().split("\r")[-1]


def test_init_where_no_folder_can_be_made_is_a_usage_error(tmp_path, cli):
    """`init /proc/foo` (a file system that makes no folders) exited 3, as a failed build does, saying
    "cannot access"; a read-only parent too. It is the folder given that cannot be used: exit 2, nothing made."""
    import os

    outcomes = [cli("init", "/proc/imaudible-test-gallery")]
    if os.geteuid() != 0:   # root writes into a read-only folder
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        outcomes.append(cli("init", locked / "g"))
    for result in outcomes:
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: cannot create the folder '"), result.output
    assert not os.path.exists("/proc/imaudible-test-gallery")

"""Command-line odds and ends: version, help, progress display."""
from __future__ import annotations

import io

from imaudible import __version__
from imaudible.progress import Progress


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

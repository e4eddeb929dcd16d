"""Scratch folders: the next one made removes those a killed process left (its cleanup never ran), and only
those: a live process's, another kind's, a link, or anything not named so are left alone."""
from __future__ import annotations

import os
import subprocess
import sys

from imaudible import scratch


def _ended_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_the_next_scratch_folder_removes_those_of_ended_processes_only(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch.tempfile, "tempdir", None)      # read TMPDIR again
    dead, alive = _ended_pid(), os.getpid()
    left = tmp_path / f"imaudible-variant-{dead}-k3j9"          # a killed `evaluate --variant`: a whole site
    (left / "site" / "assets").mkdir(parents=True)
    (left / "site" / "assets" / "a.webm").write_bytes(b"x" * 1000)
    running = tmp_path / f"imaudible-variant-{alive}-a1b2"       # a variant being built right now
    running.mkdir()
    other_kind = tmp_path / f"imaudible-encode-{dead}-zz"       # swept by the next encode, not by a variant
    other_kind.mkdir()
    target = tmp_path / "precious"
    target.mkdir()
    link = tmp_path / f"imaudible-variant-{dead}-link"
    link.symlink_to(target)
    unrelated = tmp_path / f"imaudible-variant-{dead}"          # not of the shape the tool makes
    unrelated.mkdir()

    with scratch.scratch_folder("variant") as folder:
        assert folder.is_dir() and folder.parent == tmp_path and folder.name.startswith(f"imaudible-variant-{alive}-")
        assert not left.exists()
        assert running.is_dir() and other_kind.is_dir() and link.is_symlink() and target.is_dir()
        assert unrelated.is_dir()
    assert not folder.exists()

    assert scratch.sweep("encode", str(tmp_path)) == 1 and not other_kind.exists()

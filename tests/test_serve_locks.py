"""`serve` beside other imaudible processes: a rebuild that waits for a lock another process holds (a build or
`clean` in another terminal) says so in one line naming what it waits for; serve's builds are quiet, and the
wait was said by no one, so the preview looked hung after "rebuilding"."""
from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time

import pytest

from imaudible import serve as preview
from imaudible.engine.cache_lock import hold_lock

from .conftest import write_gallery


@contextlib.contextmanager
def _folder_flocked(out):
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@pytest.mark.parametrize("held, said", [
    (lambda folder: hold_lock(folder / ".imaudible-cache", folder / ".imaudible-cache" / "tmp"),
     f"waiting for another build of this gallery to finish (pid {os.getpid()} on "),
    (lambda folder: _folder_flocked(folder / "build"), "waiting for another build writing '"),
])
def test_a_rebuild_that_waits_for_a_lock_says_so(tmp_path, cli, monkeypatch, capfd, held, said):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 1})
    served = {}
    monkeypatch.setattr(preview, "serve", lambda root, out, host, port, rebuild, **kw: served.update(rebuild=rebuild))
    assert cli("serve", folder, "--port", "0").exit_code == 0
    capfd.readouterr()
    manifest = folder / "gallery.yaml"
    manifest.write_text(manifest.read_text().replace("title: Udnie", "title: Udnie, 1913", 1))
    results, seen = [], ""
    with held(folder):
        rebuilding = threading.Thread(target=lambda: results.append(served["rebuild"]()), daemon=True)
        rebuilding.start()
        deadline = time.monotonic() + 20
        while said not in seen and time.monotonic() < deadline and rebuilding.is_alive():
            time.sleep(0.1)
            seen += capfd.readouterr().err
        assert said in seen, seen
        assert not results, "the rebuild did not wait for the lock"
    rebuilding.join(60)
    assert results == [True]
    assert sum(line.startswith("waiting") for line in seen.splitlines()) == 1, seen   # one line, said once


EDITOR_LEFTOVERS = ["extra.css~", "#extra.css#", ".extra.css.swp", "extra.css___jb_tmp___", "4913"]


def test_editor_leftovers_in_static_are_neither_published_nor_a_change(tmp_path, cli):
    """Emacs keeps `extra.css~` after each save: its name failed every build and rebuild (static/ names must be
    URL-safe); others' swap and temporary files would have been published, or each started a rebuild."""
    from imaudible.watching import _snapshot, gallery_watch_paths

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 1})
    (folder / "static").mkdir()
    (folder / "static" / "extra.css").write_text("body { color: red }")
    watched = lambda: _snapshot(gallery_watch_paths(folder, folder / "build"))  # noqa: E731
    before = watched()
    for name in EDITOR_LEFTOVERS:
        (folder / "static" / name).write_text("body { color: blue }")
    assert watched() == before
    result = cli("build", folder, "-q")
    assert result.exit_code == 0, result.output
    published = {p.name for p in (folder / "build" / "assets").iterdir()}
    assert any(n.startswith("extra.") and n.endswith(".css") for n in published), published
    assert not any("jb_tmp" in n or n.startswith("4913") or "~" in n for n in published), published

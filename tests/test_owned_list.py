"""The site's ownership list never claims bytes a file may not hold: not after a cached result was computed
again under its key with other bytes, not after a build killed while it replaced the site's files."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.site import publish

from .conftest import write_gallery
from .test_build import build, edit

TWO = [{"file": "art/starry_night.jpg", "title": "The Starry Night"},
       {"file": "art/the_scream.jpg", "title": "The Scream"}]


def recompute_elsewhere(folder: Path, stage: str, name: str) -> bytes:
    """Give the cached `stage` result of starry-night other bytes of the same size under the same key, as a
    result computed again by `--force` on a model that is not bit-exact, or on another machine, holds."""
    used = json.loads((folder / CACHE_DIR_NAME / "in-use.json").read_text())
    keys = [key for s, key in used if s == stage]
    for key in keys:
        result = folder / CACHE_DIR_NAME / "objects" / stage / key[:2] / key
        if not (result / name).is_file():
            continue
        stored = json.loads((result / "result.json").read_text())
        published = f"{stored['files'][name]['sha256'][:10]}."     # assets are named by their bytes
        if any(published in p.name and p.name.startswith("starry-night")
               for p in (folder / "build" / "assets").rglob("*")):
            data = bytearray((result / name).read_bytes())
            data[-50] ^= 0xFF
            (result / name).unlink()
            (result / name).write_bytes(bytes(data))
            stored["files"][name]["sha256"] = hashlib.sha256(data).hexdigest()
            (result / "result.json").unlink()
            (result / "result.json").write_text(json.dumps(stored))
            return bytes(data)
    raise AssertionError(f"no {stage} result of starry-night among {keys}")


def owned(folder: Path) -> dict:
    return json.loads((folder / "build" / ".imaudible-build.json").read_text())


@pytest.mark.parametrize("and_then", ["nothing else", "a title changed"])
@pytest.mark.parametrize("stage, name, pattern", [("audio", "audio.webm", "audio/starry-night.*.webm"),
                                                  ("derive", "1024.jpg", "img/starry-night-1024.*.jpg")])
def test_a_result_computed_again_with_other_bytes_is_published(tmp_path, cli, stage, name, pattern, and_then):
    folder = write_gallery(tmp_path / "g", TWO)
    assert build(cli, folder)[0].exit_code == 0
    fresh = recompute_elsewhere(folder, stage, name)
    if and_then == "a title changed":
        edit(folder, lambda m: m["artworks"][1].update(title="The Scream (1893)"))
    result, _ = build(cli, folder)
    assert result.exit_code == 0, result.output
    published = next((folder / "build" / "assets").glob(pattern))
    assert published.read_bytes() == fresh
    rel = published.relative_to(folder / "build").as_posix()
    assert owned(folder)["files"][rel] == hashlib.sha256(fresh).hexdigest()
    # and, the list being true, the file goes without a word once its artwork does
    edit(folder, lambda m: m["artworks"].pop(0))
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "kept" not in result.output, result.output
    assert not published.exists()


def test_a_build_killed_while_it_replaced_the_pages_leaves_nothing_behind(tmp_path, cli, monkeypatch):
    """Ctrl-C after the list named the new pages but before one was written: the next build, which drops
    that artwork, still deletes its page (it holds the old bytes the list must still accept)."""
    folder = write_gallery(tmp_path / "g", TWO)
    assert build(cli, folder)[0].exit_code == 0
    page = folder / "build" / "art" / "starry-night" / "index.html"
    edit(folder, lambda m: m["artworks"][0].update(title="The Starry Night (1889)"))
    real_write = publish.atomic_write

    def interrupted(target, data, **kwargs):
        if Path(target) == page:
            raise KeyboardInterrupt
        return real_write(target, data, **kwargs)

    monkeypatch.setattr(publish, "atomic_write", interrupted)
    assert build(cli, folder)[0].exit_code == 130
    monkeypatch.setattr(publish, "atomic_write", real_write)
    assert "1889" not in page.read_text()     # the old page, under a list that names the new one too

    edit(folder, lambda m: m["artworks"].pop(0))
    result, _ = build(cli, folder)
    assert result.exit_code == 0 and "kept" not in result.output, result.output
    assert not page.exists()
    assert "maybe" not in owned(folder)
    result = cli("clean", folder)
    assert result.exit_code == 0 and "kept" not in result.output, result.output
    assert not (folder / "build").exists()


def test_builds_of_two_galleries_into_one_out_folder_write_it_one_at_a_time(tmp_path, cli):
    """The cache lock is per gallery, so two galleries (or two copies of one) built into the same --out at
    once wrote the site together: pages of one beside the data of the other, a list naming neither whole,
    each sweeping the other's unfinished writes. The output folder is locked while a build writes it."""
    import os
    import subprocess
    import sys
    import time

    import contextlib
    import fcntl

    from .test_build import tree

    @contextlib.contextmanager
    def writing(folder: Path):   # what another build holds while it writes the folder (site.writing)
        folder.mkdir()
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            os.close(fd)

    first, second = write_gallery(tmp_path / "first"), write_gallery(tmp_path / "second", title="Second")
    for folder in (first, second):
        build(cli, folder)
    out = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with writing(out):
        proc = subprocess.Popen([sys.executable, "-m", "imaudible", "build", str(second), "--out", str(out)],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
        said: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("waiting for another build writing" in s for s in said):
            line = proc.stderr.readline()
            if not line:
                break
            said.append(line)
        assert any(f"waiting for another build writing '{out}' to finish..." in s for s in said), "".join(said)
        time.sleep(0.5)
        assert proc.poll() is None and not list(out.iterdir()), "the build wrote while another held the folder"
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert tree(out) == tree(second / "build")
    result, _ = build(cli, first, out=out)     # the next build takes the folder over whole
    assert result.exit_code == 0, result.output
    assert tree(out) == tree(first / "build")


def test_an_output_folder_removed_while_a_build_waited_for_it_is_locked_anew(tmp_path):
    """`clean` removes the folder it emptied, and a build of another gallery may be waiting to write it: that
    build held a lock on the removed folder, wrote into a new one of the same name, and a third could write
    there beside it. It locks the folder there is once it gets its turn."""
    import fcntl
    import os
    import threading

    from imaudible.site.output_folder import held

    out = tmp_path / "shared"
    waiting, inside = threading.Event(), {}

    def second_build():
        with held(out, on_wait=waiting.set):
            fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                inside["out is locked"] = False
            except BlockingIOError:
                inside["out is locked"] = True
            finally:
                os.close(fd)

    thread = threading.Thread(target=second_build)
    with held(out):
        thread.start()
        assert waiting.wait(30)
        out.rmdir()          # what `clean` does, still holding it, to a folder it emptied
    thread.join(30)
    assert inside == {"out is locked": True}


def test_clean_waits_for_a_build_writing_the_folder_and_says_so(tmp_path, cli):
    import fcntl
    import os
    import subprocess
    import sys
    import time

    folder = write_gallery(tmp_path / "g", TWO)
    assert build(cli, folder)[0].exit_code == 0
    out = folder / "build"
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)       # what a build holds while it writes the folder
    try:
        proc = subprocess.Popen([sys.executable, "-m", "imaudible", "clean", str(folder)], stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True,
                                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        line = proc.stderr.readline()
        assert line.strip() == f"waiting for a build writing '{out}' to finish...", line
        time.sleep(0.3)
        assert proc.poll() is None and (out / "index.html").is_file(), "clean deleted while a build wrote"
    finally:
        os.close(fd)
    proc.communicate(timeout=60)
    assert proc.returncode == 0 and not out.exists()

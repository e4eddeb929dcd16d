"""A cache that can be read but not written (a read-only mount in a CI container or a deploy step, a checkout
that is not ours): a build whose results are all in it publishes the site from it; one that needs a new result
stops with one line, leaving the site and the cache as they were.

The cache is made read-only for real: bind-mounted read-only over itself in a private mount namespace
(`unshare -m`), which even root cannot write through. Where that is not allowed, the tests are skipped."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imaudible.engine.cache import CACHE_DIR_NAME

from .conftest import write_gallery

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]


def _build_read_only(folder: Path) -> subprocess.CompletedProcess:
    cache = folder / CACHE_DIR_NAME
    script = (f'mount --bind "{cache}" "{cache}" && mount -o remount,ro,bind "{cache}" "{cache}" && '
              f'exec "{sys.executable}" -m imaudible build "{folder}" -q')
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300)


@pytest.fixture
def built(tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to mount the cache read-only")
    probe = tmp_path / "probe"
    probe.mkdir()
    tried = subprocess.run(["unshare", "-m", "sh", "-c", f'mount --bind "{probe}" "{probe}" && '
                            f'mount -o remount,ro,bind "{probe}" "{probe}" && ! touch "{probe}/x"'],
                           capture_output=True, timeout=30)
    if tried.returncode != 0:
        pytest.skip("this machine does not allow a private read-only bind mount")
    folder = write_gallery(tmp_path / "g", ONE)
    done = subprocess.run([sys.executable, "-m", "imaudible", "build", folder, "-q"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_site_is_rebuilt_from_a_read_only_cache(built):
    cache, out = built / CACHE_DIR_NAME, built / "build"
    before_cache, before_site = _snapshot(cache), {k: v[1] for k, v in _snapshot(out).items()}
    shutil.rmtree(out)
    done = _build_read_only(built)
    assert done.returncode == 0, done.stderr
    assert "is read-only: this build uses what it holds and stores nothing" in done.stderr
    assert {k: v[1] for k, v in _snapshot(out).items()} == before_site
    assert _snapshot(cache) == before_cache

    manifest = yaml.safe_load((built / "gallery.yaml").read_text())
    manifest["title"] = "Renamed"                  # the pages change, no stage result does
    (built / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    done = _build_read_only(built)
    assert done.returncode == 0, done.stderr
    assert '"title":"Renamed"' in (out / "index.html").read_text()
    assert _snapshot(cache) == before_cache


def test_a_build_that_needs_a_new_result_stops_with_one_line_and_keeps_everything(built):
    cache, out = built / CACHE_DIR_NAME, built / "build"
    before_cache, before_site = _snapshot(cache), _snapshot(out)
    manifest = yaml.safe_load((built / "gallery.yaml").read_text())
    manifest.setdefault("music", {})["seed"] = 7   # new music: nowhere to store it
    (built / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    done = _build_read_only(built)
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "is read-only and lacks a music result this build needs" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(cache) == before_cache and _snapshot(out) == before_site

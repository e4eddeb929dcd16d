"""An installed wheel (not the source tree) carries the theme and the bundled front end, and builds a site."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import REPO, write_gallery


@pytest.mark.slow
def test_wheel_carries_theme_and_builds(tmp_path):
    if not (REPO / "static" / "gallery.js").is_file():
        pytest.fail("front end not built: run `npm ci && npm run build` (scripts/setup does)")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("imaudible-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "imaudible/theme/static/gallery.js" in names
    assert "imaudible/theme/templates/index.html" in names

    target = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    folder = write_gallery(tmp_path / "gallery")
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run([sys.executable, "-c", "import imaudible; print(imaudible.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(target))
    result = subprocess.run([sys.executable, "-m", "imaudible.cli", "build", str(folder), "--quiet"],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads((folder / "build" / "gallery.json").read_text())
    assert len(data["artworks"]) == 3
    assert list((folder / "build" / "assets").glob("gallery.*.js"))

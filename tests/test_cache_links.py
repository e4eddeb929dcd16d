"""A cached result reached through a symlink is no result: it is not read from where the link points, the
link (only) is removed, and the result computed again, with a warning that says so."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from imaudible.engine.cache import CACHE_DIR_NAME

from .conftest import write_gallery
from .test_build import build, statuses

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]


def audio_result(folder: Path) -> Path:
    found = list((folder / CACHE_DIR_NAME / "objects" / "audio").glob("??/*"))
    assert len(found) == 1, found
    return found[0]


def forged_copy(result: Path, target: Path) -> bytes:
    """A copy of the result whose webm holds other bytes, recorded as its own: what a link can bring in."""
    shutil.copytree(result, target)
    data = bytearray((target / "audio.webm").read_bytes())
    data[-50] ^= 0xFF
    (target / "audio.webm").write_bytes(bytes(data))
    stored = json.loads((target / "result.json").read_text())
    stored["files"]["audio.webm"]["sha256"] = hashlib.sha256(data).hexdigest()
    (target / "result.json").write_text(json.dumps(stored))
    return bytes(data)


@pytest.mark.parametrize("linked", ["result folder", "prefix folder", "stage folder"])
def test_a_result_reached_through_a_symlink_is_computed_again(tmp_path, cli, linked):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder)[0].exit_code == 0
    good = next((folder / "build" / "assets" / "audio").glob("*.webm")).read_bytes()
    result = audio_result(folder)
    place = {"result folder": result, "prefix folder": result.parent, "stage folder": result.parent.parent}[linked]
    outside = tmp_path / "outside"
    forged = forged_copy(result, outside / result.relative_to(place.parent))
    shutil.rmtree(place)
    place.symlink_to(outside / place.name)

    result_, report = build(cli, folder)
    assert result_.exit_code == 0, result_.output
    assert statuses(report, "audio") == {"starry-night": "computed"}
    assert "starry-night: cached audio result is damaged" in result_.output and "is a symlink" in result_.output
    assert next((folder / "build" / "assets" / "audio").glob("*.webm")).read_bytes() == good != forged
    assert not place.is_symlink() and audio_result(folder).is_dir()
    assert (outside / result.relative_to(place.parent) / "audio.webm").read_bytes() == forged   # left alone


def test_a_result_file_that_is_a_symlink_is_said_to_be_one(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    assert build(cli, folder)[0].exit_code == 0
    webm = audio_result(folder) / "audio.webm"
    copy = tmp_path / "copy.webm"
    shutil.copyfile(webm, copy)
    webm.unlink()
    webm.symlink_to(copy)
    result, report = build(cli, folder)
    assert result.exit_code == 0 and statuses(report, "audio") == {"starry-night": "computed"}
    assert "audio.webm is a symlink" in result.output, result.output

"""The report's take buttons end to end under `imaudible-site serve`: clicking "use this take" in Chromium
pins that take in gallery.yaml (the curator's comment and layout kept) and the site is rebuilt with it.
The static build carries neither the endpoint's token nor the report."""
from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from imaudible.cli import main
from tests.conftest import write_gallery

from .conftest import CHROMIUM, CHROMIUM_FLAGS
from .visit import serve_gallery

pytestmark = pytest.mark.browser


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def test_use_this_take_pins_it_in_the_manifest_and_rebuilds(tmp_path, playwright_driver):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}],
                           music={"duration": 2, "takes": 2})
    manifest = folder / "gallery.yaml"
    manifest.write_text("# the curator's own notes stay put\n" + manifest.read_text())
    evaluated = CliRunner().invoke(main, ["evaluate", str(folder), "-q"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads((folder / "report" / "report.json").read_text())
    takes = report["artworks"][0]["takes"]
    assert len(takes) == 2
    other = next(t["number"] for t in takes if not t["chosen"])      # the take the site does not use yet
    art_id = report["artworks"][0]["id"]
    before_manifest = manifest.read_text()
    site_json = folder / "build" / "gallery.json"
    before_audio = json.loads(site_json.read_text())["artworks"][0]["audio"]

    process, url, _ = serve_gallery(folder)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_context().new_page()
        errors = []
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(url + "_report/index.html")
        page.wait_for_function("() => window.imaudibleReport && window.imaudibleReport.ready", timeout=15000)
        token = page.locator('meta[name="imaudible-token"]').get_attribute("content")
        assert token and len(token) > 20
        button = page.locator(f'.use-take[data-id="{art_id}"][data-take="{other}"]')
        assert button.is_visible() and button.is_enabled()
        button.click()
        page.wait_for_function("b => b.textContent.includes('rebuilding')", arg=button.element_handle(),
                               timeout=15000)
        assert f"take {other} pinned" in button.inner_text()

        after = _wait_for(lambda: f"take: {other}" in manifest.read_text() and manifest.read_text(), 30, "the pin")
        assert after.startswith("# the curator's own notes stay put\n")
        added = [line for line in after.splitlines() if line not in before_manifest.splitlines()]
        assert [line.strip() for line in added] == [f"music: {{take: {other}}}"], added
        assert "\n".join(line for line in after.splitlines() if line not in added) + "\n" == before_manifest
        rebuilt = _wait_for(lambda: json.loads(site_json.read_text())["artworks"][0]["audio"] != before_audio
                            and json.loads(site_json.read_text()), 180, "the rebuild with the pinned take")
        assert rebuilt["artworks"][0]["audio"]["webm"] != before_audio["webm"]
        assert not errors, errors
    finally:
        browser.close()
        process.terminate()
        process.wait(timeout=20)

    built = [p for p in (folder / "build").rglob("*") if p.is_file()]
    assert built and not (folder / "build" / "report").exists()
    for path in built:
        data = path.read_bytes()
        assert token.encode() not in data and b"_imaudible/takes" not in data and b"imaudible-token" not in data, path

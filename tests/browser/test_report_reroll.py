"""The report's "another take" button end to end under `imaudible-site serve`, with the built-in composer:
Chromium clicks it, gallery.yaml gets a new seed (a pinned take dropped, the curator's comment kept), the
site is rebuilt with new music, the page reloads with the new takes, and picking one of them pins it and
rebuilds again. Then what a visitor or an attacker would send the endpoint, through the real server: unknown
and path-like ids, malformed bodies, other methods, no token, and requests from a page of another origin."""
from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time

import pytest
from click.testing import CliRunner

from imaudible.cli import main
from tests.conftest import write_gallery

from .conftest import CHROMIUM, CHROMIUM_FLAGS
from .visit import serve_gallery

pytestmark = pytest.mark.browser

NOTE = "# the curator's own notes stay put\n"
PIN_SEPARATOR = "\n    "   # the artwork's `music:` mapping is in block style, as yaml.safe_dump wrote it


def _wait_for(condition, timeout: float, what: str, passing=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, ValueError, KeyError, *passing):   # a file being replaced, or a page being reloaded
            value = None
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _site_audio(folder) -> dict:
    return json.loads((folder / "build" / "gallery.json").read_text())["artworks"][0]["audio"]


def _report(folder) -> dict:
    return json.loads((folder / "report" / "report.json").read_text())


def _take_digests(folder) -> dict[int, str]:
    return {t["number"]: _digest(folder / "report" / t["audio"]["webm"]) for t in _report(folder)["artworks"][0]["takes"]}


def _reloaded(page):
    """Waits for the page to come back from a live reload (the marker set before is gone) and be ready."""
    from playwright.sync_api import Error as NavigatingAway

    return _wait_for(lambda: page.evaluate("() => !window.__beforeReload && !!(window.imaudibleReport || {}).ready"),
                     300, "the report page to reload after the rebuild", (NavigatingAway,))


@pytest.fixture
def evaluated(tmp_path):
    """One artwork, two takes of 2 s from the built-in composer, take 2 pinned, evaluated (report/ written)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie", "music": {"take": 2}}],
                           music={"duration": 2, "takes": 2})
    manifest = folder / "gallery.yaml"
    manifest.write_text(NOTE + manifest.read_text())
    done = CliRunner().invoke(main, ["evaluate", str(folder), "-q"])
    assert done.exit_code == 0, done.output
    return folder


def test_another_take_makes_new_music_and_a_new_take_can_then_be_picked(evaluated, playwright_driver):
    folder, manifest = evaluated, evaluated / "gallery.yaml"
    art_id = _report(folder)["artworks"][0]["id"]
    first_manifest, first_audio, first_takes = manifest.read_text(), _site_audio(folder), _take_digests(folder)
    first_site_clip = _digest(folder / "build" / first_audio["webm"])
    assert [t["chosen"] for t in _report(folder)["artworks"][0]["takes"]] == [False, True]   # the pin holds

    process, url, server_log = serve_gallery(folder)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_context().new_page()
        errors = []
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "_report/index.html")
        page.wait_for_function("() => window.imaudibleReport && window.imaudibleReport.ready", timeout=15000)
        page.evaluate("() => { window.__beforeReload = true; }")
        reroll = page.locator(f'.reroll[data-id="{art_id}"]')
        assert reroll.is_visible() and reroll.is_enabled()
        reroll.click()
        page.wait_for_function("b => b.textContent.includes('rebuilding')", arg=reroll.element_handle(), timeout=15000)
        assert "new seed 1" in reroll.inner_text()

        # gallery.yaml: the seed is set, the pinned take (of the old music) dropped, nothing else touched.
        rerolled = _wait_for(lambda: "seed: 1" in manifest.read_text() and manifest.read_text(), 30, "the new seed")
        assert rerolled.startswith(NOTE)
        assert rerolled == first_manifest.replace("take: 2", "seed: 1")

        # The site is rebuilt with new music, and the report with new takes; the open page reloads with them.
        _wait_for(lambda: _site_audio(folder)["webm"] != first_audio["webm"], 300, "the site rebuilt with new music")
        assert _digest(folder / "build" / _site_audio(folder)["webm"]) != first_site_clip
        _reloaded(page)
        second_takes = _take_digests(folder)
        assert set(second_takes) == {1, 2} and not set(second_takes.values()) & set(first_takes.values())
        takes = _report(folder)["artworks"][0]["takes"]
        used = next(t["number"] for t in takes if t["chosen"])
        other = 3 - used
        served = page.evaluate("""async src => {
            const bytes = await (await fetch(src)).arrayBuffer();
            return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
                        .map(b => b.toString(16).padStart(2, "0")).join("");
        }""", page.locator(f'#art-{art_id} .take:nth-of-type({other}) source[type="audio/webm"]').get_attribute("src"))
        assert served == second_takes[other]      # the page plays the new take, not a stale file

        # Picking the other new take pins it beside the new seed, and the site switches to it.
        second_audio = _site_audio(folder)
        page.evaluate("() => { window.__beforeReload = true; }")
        pick = page.locator(f'.use-take[data-id="{art_id}"][data-take="{other}"]')
        assert pick.is_enabled()
        pick.click()
        page.wait_for_function("b => b.textContent.includes('rebuilding')", arg=pick.element_handle(), timeout=15000)
        picked = _wait_for(lambda: f"take: {other}" in manifest.read_text() and manifest.read_text(), 30, "the pin")
        assert picked == rerolled.replace("seed: 1", f"seed: 1{PIN_SEPARATOR}take: {other}")
        _wait_for(lambda: _site_audio(folder)["webm"] not in (second_audio["webm"], first_audio["webm"]), 300,
                  "the site rebuilt with the picked take")
        _reloaded(page)
        assert [t["chosen"] for t in _report(folder)["artworks"][0]["takes"]] == [other == 1, other == 2]
        assert page.locator(f'.use-take[data-id="{art_id}"][data-take="{other}"]').is_disabled()
        assert not errors, errors
    finally:
        browser.close()
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in "".join(server_log), "".join(server_log)


class _AttackerPage(http.server.BaseHTTPRequestHandler):
    """A page of another origin (another port) that the test drives to attack the endpoint."""

    def do_GET(self):
        body = b"<!doctype html><title>elsewhere</title><p>another site</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


SEND = """async ([url, init]) => {
    try {
        const r = await fetch(url, init);
        return {status: r.status, allow: r.headers.get("Allow"), text: await r.text()};
    } catch (e) { return {status: "blocked", text: String(e)}; }
}"""


def test_the_endpoint_refuses_what_visitors_and_other_origins_send(evaluated, playwright_driver):
    folder, manifest = evaluated, evaluated / "gallery.yaml"
    art_id = _report(folder)["artworks"][0]["id"]
    before = manifest.read_text()
    process, url, server_log = serve_gallery(folder)
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AttackerPage)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_context().new_page()
        page.goto(url + "_report/index.html")
        page.wait_for_function("() => window.imaudibleReport && window.imaudibleReport.ready", timeout=15000)
        token = page.locator('meta[name="imaudible-token"]').get_attribute("content")
        endpoint = url + "_imaudible/takes"

        def post(body, headers=None, method="POST"):
            init = {"method": method, "headers": {"Content-Type": "application/json", "X-Imaudible-Token": token,
                                                  **(headers or {})}}
            if method not in ("GET", "HEAD"):
                init["body"] = body
            return page.evaluate(SEND, [endpoint, init])

        for body, reason in [(json.dumps({"id": "no-such-artwork", "action": "reroll"}), "no artwork with id"),
                             (json.dumps({"id": "../../gallery.yaml", "action": "reroll"}), "no artwork with id"),
                             (json.dumps({"id": f"{art_id}/../{art_id}", "action": "pick", "take": 1}), "no artwork"),
                             (json.dumps({"id": art_id, "action": "pick", "take": 3}), "has 2 take(s)"),
                             (json.dumps({"id": art_id, "action": "pick", "take": "1"}), "whole number"),
                             ('{"id": "' + art_id + '", "action": "pick", "take": 1e999}', "whole number"),
                             ("[" * 2000 + "]" * 2000, "expected JSON"),
                             ("{not json", "expected JSON"),
                             (json.dumps({"id": art_id}), "'action' must be")]:
            answer = post(body)
            assert answer["status"] == 400 and reason in json.loads(answer["text"])["error"], (body[:60], answer)
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            answer = post(json.dumps({"id": art_id, "action": "reroll"}), method=method)
            assert (answer["status"], answer["allow"]) == (405, "POST"), (method, answer)
        assert post(json.dumps({"id": art_id, "action": "reroll"}), {"X-Imaudible-Token": "guessed"})["status"] == 403
        form = post(f"id={art_id}&action=reroll", {"Content-Type": "application/x-www-form-urlencoded"})
        assert form["status"] == 415

        # Another origin can neither read the token from the report nor get past CORS, even holding the token;
        # a "simple" request it may send blind (no preflight) lacks the token and is refused by the server.
        elsewhere = browser.new_context().new_page()
        elsewhere.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        assert elsewhere.evaluate(SEND, [url + "_report/index.html", {}])["status"] == "blocked"
        stolen = elsewhere.evaluate(SEND, [endpoint, {"method": "POST", "body": json.dumps({"id": art_id, "action": "reroll"}),
                                                      "headers": {"Content-Type": "application/json",
                                                                  "X-Imaudible-Token": token}}])
        assert stolen["status"] == "blocked"
        blind = elsewhere.evaluate(SEND, [endpoint, {"method": "POST", "mode": "no-cors",
                                                     "body": json.dumps({"id": art_id, "action": "reroll"}),
                                                     "headers": {"Content-Type": "text/plain"}}])
        assert blind["status"] == 0       # opaque: the browser sent it; the server refused it (below)
        with elsewhere.expect_navigation() as navigation:   # a form may post anywhere, but never as JSON
            elsewhere.evaluate("""([endpoint, id]) => { const f = document.createElement("form");
                f.method = "POST"; f.action = endpoint; f.enctype = "text/plain";
                const i = document.createElement("input");
                i.name = '{"id": "' + id + '", "action": "reroll", "x": "'; i.value = '"}';
                f.append(i); document.body.append(f); f.submit(); }""", [endpoint, art_id])
        assert navigation.value.status == 415
        time.sleep(1.5)   # longer than the watcher's settle time: an edit would have shown by now
        assert manifest.read_text() == before
        assert page.evaluate(SEND, [url, {}])["status"] == 200      # the server still answers
    finally:
        browser.close()
        attacker.shutdown()
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in "".join(server_log), "".join(server_log)

"""The take endpoint under serve: local only, token-guarded, edits the manifest; absent from the static build."""
from __future__ import annotations

import http.client
import json
import threading

import pytest
from PIL import Image

from imaudible.audition import REPORT_PREFIX, TAKES_PATH, TakeEndpoint
from imaudible.manifest import load_manifest
from imaudible.serve import PreviewServer

MANIFEST = "title: T\nmusic: {takes: 3}  # three takes each\nartworks:\n  - file: a.jpg\n    title: A\n"


@pytest.fixture
def gallery(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg")
    (tmp_path / "gallery.yaml").write_text(MANIFEST)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "index.html").write_text("<html><head></head><body>site</body></html>")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("<html><head><title>r</title></head><body>report</body></html>")
    return tmp_path


def _serve(gallery, host="127.0.0.1", token="secret-token"):
    server = PreviewServer(gallery / "build", host=host, port=0,
                           takes=TakeEndpoint(gallery, gallery / "report", token=token))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _post(server, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", TAKES_PATH, body=json.dumps(body).encode(),
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    is_json = response.getheader("Content-Type") == "application/json"
    return response.status, json.loads(body) if is_json else {"error": body.decode()}


def _get(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def test_pick_and_reroll_through_the_endpoint(gallery):
    server = _serve(gallery)
    try:
        status, page = _get(server, REPORT_PREFIX)
        assert status == 200 and b'<meta name="imaudible-token" content="secret-token">' in page
        assert _get(server, "/")[1].count(b"imaudible-token") == 0          # the site itself never gets it
        status, answer = _post(server, {"id": "a", "action": "pick", "take": 2}, {"X-Imaudible-Token": "secret-token"})
        assert status == 200 and "take 2 pinned" in answer["message"]
        assert load_manifest(gallery)[0].artworks[0].music.take == 2
        assert (gallery / "gallery.yaml").read_text() == MANIFEST + "    music: {take: 2}\n"
        status, answer = _post(server, {"id": "a", "action": "reroll"}, {"X-Imaudible-Token": "secret-token"})
        assert status == 200 and load_manifest(gallery)[0].artworks[0].music.seed == 1
        status, answer = _post(server, {"id": "a", "action": "pick", "take": 9}, {"X-Imaudible-Token": "secret-token"})
        assert status == 400 and "has 3 take(s)" in answer["error"]
    finally:
        server.shutdown()


@pytest.mark.parametrize("headers", [{}, {"X-Imaudible-Token": "wrong"},
                                     {"X-Imaudible-Token": "secret-token", "Origin": "http://evil.example"},
                                     {"X-Imaudible-Token": "secret-token", "Host": "evil.example"}])
def test_requests_without_the_token_or_from_elsewhere_are_refused(gallery, headers):
    server = _serve(gallery)
    try:
        status, answer = _post(server, {"id": "a", "action": "pick", "take": 2}, headers)
        assert status == 403 and answer["error"]
        assert (gallery / "gallery.yaml").read_text() == MANIFEST
    finally:
        server.shutdown()


def test_no_endpoint_when_not_bound_to_loopback(gallery):
    server = PreviewServer(gallery / "build", host="0.0.0.0", port=0, takes=TakeEndpoint(gallery, gallery / "report"))
    assert server.takes is None
    server.shutdown()


def test_no_endpoint_without_one(gallery):
    server = PreviewServer(gallery / "build", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _post(server, {"id": "a", "action": "pick", "take": 2}, {"X-Imaudible-Token": "x"})[0] == 404
        assert _get(server, REPORT_PREFIX)[0] == 404
    finally:
        server.shutdown()

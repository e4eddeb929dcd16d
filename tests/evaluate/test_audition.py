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
        # a foreign Host is turned away by the whole server (421), before the endpoint sees the request
        assert status == (421 if "Host" in headers else 403) and answer["error"]
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


def _raw(server, method, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, TAKES_PATH, body=body, headers={"X-Imaudible-Token": "secret-token",
                                                         "Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    return response.status, response.getheader("Allow"), response.read()


@pytest.mark.parametrize("body, reason", [
    (b'{"id": "a", "action": "pick", "take": 1e999}', "whole number"),    # was an OverflowError traceback
    (b"[" * 2000 + b"]" * 2000, "expected JSON"),                          # was a RecursionError traceback
    (b'{"id": "a", "action": "pick", "take": true}', "whole number"),       # was pinned as take 1
    (b'{"id": "a", "action": "pick", "take": 2.7}', "whole number"),        # was pinned as take 2
    (b'{"id": "a", "action": "pick", "take": NaN}', "expected JSON"),
    (b'{"id": "a", "action": "pick"}', "whole number"),
    (b'{"id": null, "action": "reroll"}', "'id' must be"),                 # was looked up as 'None'
    (b'{"id": {"x": 1}, "action": "reroll"}', "'id' must be"),
    (b'{"id": "a", "action": ["pick"]}', "'action' must be"),
    (b'{"id": "a", "action": "delete"}', "'action' must be"),
    (b'"a"', "expected JSON"), (b"", "expected JSON"), (b"\xff\xfe", "expected JSON"),
    (b'{"id": "../../gallery", "action": "reroll"}', "no artwork with id '../../gallery'"),
    (b'{"id": "a/../a", "action": "pick", "take": 1}', "no artwork with id 'a/../a'"),
])
def test_malformed_or_unknown_requests_get_a_400_and_change_nothing(gallery, body, reason):
    server = _serve(gallery)
    try:
        status, _, answer = _raw(server, "POST", body)
        assert status == 400 and reason in json.loads(answer)["error"]
        assert (gallery / "gallery.yaml").read_text() == MANIFEST
        assert _raw(server, "POST", b'{"id": "a", "action": "pick", "take": 3}')[0] == 200   # still serving
    finally:
        server.shutdown()


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_the_endpoint_get_405_allow_post(gallery, method):
    server = _serve(gallery)
    try:
        status, allow, answer = _raw(server, method, b'{"id": "a", "action": "pick", "take": 2}')
        assert (status, allow) == (405, "POST")
        assert (gallery / "gallery.yaml").read_text() == MANIFEST
        status, allow, _ = _raw(server, "DELETE" if method != "DELETE" else "PUT")
        assert status == 405
    finally:
        server.shutdown()


def test_a_body_that_is_not_json_typed_or_too_large_or_never_sent_is_refused(gallery):
    import socket

    server = _serve(gallery)
    try:
        form = _raw(server, "POST", b"id=a&action=reroll", {"Content-Type": "application/x-www-form-urlencoded"})
        assert form[0] == 415
        assert _raw(server, "POST", b"x" * 5000)[0] == 413
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:   # announces 100, sends 2
            sock.sendall(f"POST {TAKES_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         "X-Imaudible-Token: secret-token\r\nContent-Length: 100\r\n\r\n{}".encode())
            assert sock.recv(200).startswith(b"HTTP/1.1 408")
        assert (gallery / "gallery.yaml").read_text() == MANIFEST
    finally:
        server.shutdown()


def test_simultaneous_edits_of_different_artworks_all_land(gallery):
    from concurrent.futures import ThreadPoolExecutor

    names = "abcdefgh"
    for name in names[1:]:
        Image.new("RGB", (8, 8)).save(gallery / f"{name}.jpg")
    (gallery / "gallery.yaml").write_text(MANIFEST + "".join(f"  - file: {n}.jpg\n    title: {n.upper()}\n"
                                                              for n in names[1:]))
    server = _serve(gallery)
    try:
        with ThreadPoolExecutor(len(names)) as pool:
            answers = list(pool.map(lambda n: _raw(server, "POST", json.dumps({"id": n, "action": "reroll"}).encode()),
                                    names))
        assert [a[0] for a in answers] == [200] * len(names)
        assert [a.music.seed for a in load_manifest(gallery)[0].artworks] == [1] * len(names)
    finally:
        server.shutdown()


def test_an_unread_body_is_never_taken_for_the_next_request_on_the_connection(gallery):
    server = _serve(gallery)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for method, path in (("PUT", TAKES_PATH), ("POST", "/index.html"), ("DELETE", "/")):
            conn.request(method, path, body=b"GET /x HTTP/1.1\r\n\r\n" * 3,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            assert response.status in (404, 405) and response.getheader("Connection") == "close"
            conn.request("GET", "/")     # http.client reconnects once the server has closed
            response = conn.getresponse()
            assert response.status == 200 and response.read().startswith(b"<html>")
    finally:
        server.shutdown()

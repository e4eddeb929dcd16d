"""The preview server against what may be put into build/ while it serves (a link to a hidden file, a FIFO or a
device where a file was) and against clients that open connections and never finish a request."""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from imaudible import serve as preview
from imaudible.safe_paths import open_inside, resolve_under

from .test_serve import request

PAGE = b"<html><body>Gallery</body></html>"


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "build"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(PAGE)
    (root / "404.html").write_text("<html><body>Lost in the gallery</body></html>")
    (root / "assets" / "music.webm").write_bytes(b"m" * 1000)
    return root


def get(server, path):
    response, body = request(server, path)
    return response.status, body


@pytest.mark.parametrize("link, target", [
    ("visible.txt", ".git/config"), ("assets/notes.txt", "../.imaudible-build.json"), ("site", ".git"),
])
def test_a_visible_link_to_a_hidden_file_is_not_served(server, site, link, target):
    """Hidden names are refused however the request spells them, and also where a link of a visible name leads."""
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[remote] url = secret")
    (site / ".git" / "index.html").write_text("secret")
    (site / ".imaudible-build.json").write_text('{"secret": 1}')
    (site / link).symlink_to(target)
    for path in (f"/{link}", f"/{link}/", f"/{link}/config"):
        status, body = get(server, path)
        assert status in (301, 404) and b"secret" not in body, path
    (site / ".well-known").mkdir()
    (site / ".well-known" / "security.txt").write_text("Contact: mailto:curator@example.org")
    (site / "security.txt").symlink_to(".well-known/security.txt")
    assert get(server, "/security.txt") == (200, b"Contact: mailto:curator@example.org")
    assert resolve_under(site, f"/{link}/config" if link == "site" else f"/{link}") == (None, 404)


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_opening_a_fifo_or_a_device_is_refused_at_once(tmp_path, special):
    """open_inside never waits for a FIFO's writer nor reads a device (endless /dev/zero)."""
    if special == "fifo":
        root, path = tmp_path, tmp_path / "music.webm"
        os.mkfifo(path)
    else:
        root, path = Path("/dev"), Path("/dev/zero")
    outcome = []
    opener = threading.Thread(target=lambda: outcome.append(_try_open(path, root)), daemon=True)
    opener.start()
    opener.join(5)
    assert outcome == ["refused"]


def _try_open(path: Path, root: Path) -> str:
    try:
        open_inside(path, root).close()
    except OSError:
        return "refused"
    return "opened"


def test_a_file_replaced_by_a_fifo_while_serving_gets_404_and_blocks_nothing(server, site, monkeypatch):
    """The file is checked when the request is resolved and replaced by a FIFO before it is opened (a rebuild or
    another program writing build/): the request gets an answer, not a thread stuck forever."""
    resolve = preview.PreviewServer.resolve

    def resolve_then_swap(self, raw_path):
        found = resolve(self, raw_path)
        if raw_path == "/assets/music.webm":
            (site / "assets" / "music.webm").unlink()
            os.mkfifo(site / "assets" / "music.webm")
        return found

    monkeypatch.setattr(preview.PreviewServer, "resolve", resolve_then_swap)
    status, body = get(server, "/assets/music.webm")
    assert status == 404 and b"Lost in the gallery" in body
    assert get(server, "/")[0] == 200


def test_a_connection_that_never_finishes_its_request_is_closed(site, monkeypatch):
    """Slowloris: a client that sends half a request (or an idle keep-alive) loses its connection after the idle
    time, and others are answered meanwhile."""
    assert 0 < preview._Handler.timeout <= 120   # the server's own idle time; shortened here to wait less
    monkeypatch.setattr(preview._Handler, "timeout", 0.5)
    running = preview.PreviewServer(site, port=0)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        slow = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(20)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        status, body = get(running, "/")
        assert status == 200 and b"Gallery" in body
        started = time.monotonic()
        for sock in slow:
            assert sock.recv(100) == b"", "the half-sent request's connection was kept open"
            sock.close()
        assert time.monotonic() - started < 4
    finally:
        running.shutdown()
        thread.join(5)


def test_a_connection_idle_after_a_take_post_is_closed_too(tmp_path, site, monkeypatch):
    """Reading a POST's body waits a shorter time, then gives the connection its idle time back (not none)."""
    from imaudible.audition import TAKES_PATH, TakeEndpoint

    monkeypatch.setattr(preview._Handler, "timeout", 0.5)
    running = preview.PreviewServer(site, port=0, takes=TakeEndpoint(tmp_path, tmp_path / "report"))
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
            sock.sendall(f"POST {TAKES_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         "Content-Length: 2\r\n\r\n{}".encode())
            answer = b""
            while b"wrong token" not in answer:
                answer += sock.recv(65536)
            assert b" 403 " in answer.split(b"\r\n", 1)[0] and b"Connection: close" not in answer
            assert sock.recv(100) == b"", "the connection was kept open after the POST"
    finally:
        running.shutdown()
        thread.join(5)


def raw_answer(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("target, status", [
    ("http://evil.example/index.html", 421), ("http://user@evil.example:80/", 421), ("http://[zz/index.html", 421),
    ("http:///index.html", 421), ("http://127.0.0.1:99999/", 421),   # no host, a port out of range
    ("http://127.0.0.1/index.html", 200), ("http://localhost:8000/", 200),
    ("/?u=ab://evil.example/", 200), ("/?ab://evil.example/x", 200),   # origin-form, with a query
])
def test_an_absolute_form_target_names_a_host_as_host_does(server, target, status):
    """`GET http://host/path`: the host in the target is the one a server must take, so it is checked as Host is
    (a proxy forwards a rebound page's request in this form with its own Host)."""
    for method in ("GET", "HEAD", "POST"):
        answer = raw_answer(server, f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                                    "Connection: close\r\n\r\n".encode())
        expected = 404 if method == "POST" and status == 200 else status   # no take endpoint here
        assert int(answer.split(b" ", 2)[1]) == expected, (method, answer[:200])
        assert (b"Gallery" in answer) == (expected == 200 and method == "GET")


@pytest.mark.parametrize("header, span", [
    ("bytes=0-" + "9" * 5000, (0, 999)), ("bytes=-" + "9" * 5000, (0, 999)), ("bytes=990-" + "9" * 30, (990, 999)),
    ("bytes=" + "9" * 5000 + "-", None), ("bytes=" + "0" * 30 + "5-" + "0" * 25 + "9", (5, 9)),
])
def test_range_numbers_past_what_int_reads(server, header, span):
    """Thousands of digits (more than int() converts) mean "past the end": a range to the end of the file or a
    suffix longer than it is the whole file, a start past it 416. Leading zeros add nothing to a number."""
    answer = raw_answer(server, f"GET /assets/music.webm HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: {header}\r\n"
                                "Connection: close\r\n\r\n".encode())
    if span is None:
        assert int(answer.split(b" ", 2)[1]) == 416 and b"Content-Range: bytes */1000\r\n" in answer
    else:
        assert int(answer.split(b" ", 2)[1]) == 206
        assert f"Content-Range: bytes {span[0]}-{span[1]}/1000\r\n".encode() in answer
        assert answer.endswith(b"m" * (span[1] - span[0] + 1))


@pytest.fixture()
def bounded(site, monkeypatch):
    """A preview server with small bounds: 2 connections, 1 s for a request's head."""
    from imaudible import connections

    monkeypatch.setattr(connections, "MAX_CONNECTIONS", 2)
    monkeypatch.setattr(connections, "HEAD_SECONDS", 1.0)
    monkeypatch.setattr(connections, "CHECK_EVERY", 0.1)
    server = preview.PreviewServer(site, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(5)


def test_a_client_sending_its_request_a_byte_at_a_time_is_cut_off(bounded):
    """The socket timeout is per read: a client sending a byte every 29 s held a thread for ever. Now the
    request's head has a deadline (1 s here), and the server goes on answering others."""
    import select

    head = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 100
    started, closed_after = time.monotonic(), None
    with socket.create_connection(("127.0.0.1", bounded.port), timeout=5) as sock:
        for byte in head:
            if select.select([sock], [], [], 0)[0]:
                assert sock.recv(100) == b""            # closed, with no answer
                closed_after = time.monotonic() - started
                break
            sock.sendall(bytes([byte]))
            time.sleep(0.1)
    assert closed_after is not None and 0.9 < closed_after < 3.0
    assert get(bounded, "/index.html")[0] == 200


def test_connections_past_the_cap_are_answered_busy_at_once(bounded):
    """Each connection is a thread, and their number had no cap: one past it gets a 503 at once and is closed;
    once a connection ends, the next is served."""
    first = socket.create_connection(("127.0.0.1", bounded.port), timeout=5)
    second = socket.create_connection(("127.0.0.1", bounded.port), timeout=5)
    time.sleep(0.3)                                     # both accepted, each holding a thread
    with socket.create_connection(("127.0.0.1", bounded.port), timeout=5) as third:
        answer = third.recv(1000)
    assert answer.startswith(b"HTTP/1.1 503 ") and b"too many connections" in answer
    first.close()
    second.close()
    time.sleep(0.3)
    assert get(bounded, "/index.html")[0] == 200

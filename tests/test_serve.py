"""serve.py: Range requests, MIME types, traversal refused, 404 page, live reload, the watcher."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from imaudible.serve import PreviewServer, parse_range, serve
from imaudible.watching import gallery_watch_paths, watch

AUDIO = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable
SECRET = b"top secret, outside the served folder"


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "build"
    (root / "assets").mkdir(parents=True)
    (root / "art" / "starry").mkdir(parents=True)
    (root / "assets" / "music.webm").write_bytes(AUDIO)
    (root / "index.html").write_text("<!doctype html><html><body><h1>Gallery</h1></body></html>")
    (root / "art" / "starry" / "index.html").write_text("<html><BODY>Starry</BODY></html>")
    (root / "404.html").write_text("<html><body>Lost in the gallery</body></html>")
    for name in ("a.ogg", "a.opus", "a.m4a", "a.mp3", "a.webp", "a.js", "a.json", "a.css", "a.svg"):
        (root / "assets" / name).write_bytes(b"x" * 10)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (root / "escape-dir").symlink_to(tmp_path)
    return root


def request(server, path, method="GET", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def raw_request(port: int, target: str) -> bytes:
    """Send the request line exactly as written (http clients would normalise `..` away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-99", 0, 99),
    ("bytes=1000-1999", 1000, 1999),
    ("bytes=10000-", 10000, 10239),
    ("bytes=-100", 10140, 10239),
    ("bytes=10200-99999", 10200, 10239),
    ("bytes=-99999", 0, 10239),
])
def test_range_gives_206_and_the_right_bytes(server, header, first, last):
    response, body = request(server, "/assets/music.webm", headers={"Range": header})
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes {first}-{last}/{len(AUDIO)}"
    assert int(response.getheader("Content-Length")) == last - first + 1
    assert body == AUDIO[first:last + 1]
    assert response.getheader("Content-Type") == "audio/webm"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range_gives_416(server, header):
    response, body = request(server, "/assets/music.webm", headers={"Range": header})
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{len(AUDIO)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-5", "bytes=9-3"])
def test_ranges_we_do_not_serve_give_the_whole_file(server, header):
    response, body = request(server, "/assets/music.webm", headers={"Range": header})
    assert response.status == 200 and body == AUDIO


def test_parse_range_forms():
    assert parse_range("bytes=0-0", 5) == (0, 0)
    assert parse_range("bytes = 2 - ", 5) == (2, 4)
    assert parse_range("bytes=-2", 5) == (3, 4)
    assert parse_range("bytes=-", 5) is None
    with pytest.raises(ValueError):
        parse_range("bytes=5-", 5)
    with pytest.raises(ValueError):
        parse_range("bytes=-1", 0)


def test_head_and_accept_ranges(server):
    response, body = request(server, "/assets/music.webm", method="HEAD")
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == str(len(AUDIO))
    assert response.getheader("Accept-Ranges") == "bytes"
    for path in ("/", "/assets/a.js", "/assets/a.webp"):
        response, _ = request(server, path)
        assert response.getheader("Accept-Ranges") == "bytes", path
    response, body = request(server, "/assets/music.webm", method="HEAD", headers={"Range": "bytes=0-9"})
    assert response.status == 206 and body == b"" and response.getheader("Content-Length") == "10"


@pytest.mark.parametrize("name, kind", [
    ("music.webm", "audio/webm"), ("a.ogg", "audio/ogg"), ("a.opus", "audio/ogg"), ("a.m4a", "audio/mp4"),
    ("a.mp3", "audio/mpeg"), ("a.webp", "image/webp"), ("a.js", "text/javascript"),
    ("a.json", "application/json"), ("a.css", "text/css"), ("a.svg", "image/svg+xml"),
])
def test_mime_types(server, name, kind):
    response, _ = request(server, f"/assets/{name}")
    assert response.status == 200
    assert response.getheader("Content-Type").split(";")[0] == kind


@pytest.mark.parametrize("target", [
    "/../secret.txt",
    "/assets/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt",
    "../secret.txt",
    "http://localhost/../secret.txt",
    "/escape.txt",
    "/escape-dir/secret.txt",
])
def test_traversal_refused(server, target):
    answer = raw_request(server.port, target)
    status = int(answer.split(b" ", 2)[1])
    assert status in (403, 404), answer[:200]
    assert SECRET not in answer


def test_absolute_paths_stay_inside_root(server, site):
    answer = raw_request(server.port, str(site.parent / "secret.txt"))
    assert SECRET not in answer and int(answer.split(b" ", 2)[1]) in (403, 404)
    answer = raw_request(server.port, "//etc/passwd")
    assert int(answer.split(b" ", 2)[1]) == 404 and b"root:" not in answer


def test_directories_and_404(server):
    response, body = request(server, "/art/starry/")
    assert response.status == 200 and b"Starry" in body
    response, _ = request(server, "/art/starry")
    assert response.status == 301 and response.getheader("Location") == "/art/starry/"
    response, body = request(server, "/no/such/page.html")
    assert response.status == 404 and b"Lost in the gallery" in body
    assert response.getheader("Content-Type").startswith("text/html")


def test_the_site_is_also_served_under_its_published_path(site):
    """A gallery published in a folder (url: https://user.github.io/museum/) links its 404 page there."""
    preview = PreviewServer(site, port=0, base="/museum/")
    threading.Thread(target=preview.serve_forever, daemon=True).start()
    try:
        for path in ("/museum/art/starry/", "/art/starry/"):
            response, body = request(preview, path)
            assert response.status == 200 and b"Starry" in body, path
        response, body = request(preview, "/museum")
        assert response.status == 200 and b"Gallery" in body
        response, _ = request(preview, "/museum/art/starry")
        assert response.status == 301 and response.getheader("Location") == "/museum/art/starry/"
        for path in ("/museumart/starry/", "/museum/../secret.txt", "/museum/escape.txt"):
            response, body = request(preview, path)
            assert response.status in (403, 404) and SECRET not in body, path
    finally:
        preview.shutdown()


def test_plain_404_without_a_404_page(server, site):
    (site / "404.html").unlink()
    response, body = request(server, "/missing.webm")
    assert response.status == 404 and b"404" in body


def test_live_reload(server):
    response, body = request(server, "/")
    tag = b'<script src="/__imaudible/livereload.js" data-version="0"></script>'
    assert body.endswith(tag + b"</body></html>")
    assert int(response.getheader("Content-Length")) == len(body)
    _, body = request(server, "/art/starry/")
    assert tag + b"</BODY>" in body  # upper-case tag found too
    response, script = request(server, "/__imaudible/livereload.js")
    assert response.getheader("Content-Type").startswith("text/javascript")
    assert b"/__imaudible/version" in script and b"location.reload()" in script
    assert json.loads(request(server, "/__imaudible/version")[1]) == {"version": 0, "error": None}
    server.report_error("gallery.yaml:3:1: missing ':'\n after 'title'?")  # a failed rebuild: shown in the page
    assert json.loads(request(server, "/__imaudible/version")[1]) == {
        "version": 0, "error": "gallery.yaml:3:1: missing ':' after 'title'?"}
    server.notify_reload()  # the next good build clears it
    assert json.loads(request(server, "/__imaudible/version")[1]) == {"version": 1, "error": None}
    assert b'data-version="1"' in request(server, "/")[1]


def test_port_zero_picks_a_free_port(site):
    first, second = PreviewServer(site, port=0), PreviewServer(site, port=0)
    try:
        assert first.port > 0 and second.port > 0 and first.port != second.port
    finally:
        first.shutdown()
        second.shutdown()


def test_watcher_sees_modified_and_new_files(tmp_path):
    watched = tmp_path / "gallery.yaml"
    watched.write_text("title: one\n")
    folder = tmp_path / "static"
    folder.mkdir()
    changed, stop = threading.Event(), threading.Event()
    thread = watch(lambda: [watched, folder], changed.set, interval=0.05, stop=stop)
    try:
        time.sleep(0.2)
        assert not changed.is_set()
        watched.write_text("title: two, a longer title\n")
        assert changed.wait(5)
        changed.clear()
        (folder / "style.css").write_text("body{}")
        assert changed.wait(5)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_gallery_watch_paths_leave_out_build_and_cache(tmp_path):
    (tmp_path / "gallery.yaml").write_text("title: x\n")
    for name in ("art/a.jpg", "b.PNG", "build/assets/c.webp", ".imaudible-cache/objects/d.png", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    root = tmp_path.resolve()
    paths = set(gallery_watch_paths(tmp_path, tmp_path / "build"))
    assert {root / "gallery.yaml", root / "templates", root / "static", root / "art" / "a.jpg", root / "b.PNG"} == paths


def test_gallery_watch_paths_are_every_image_the_build_reads(tmp_path):
    """A `.jfif` or `.jpe` (Windows saves JPEGs so) builds like any JPEG, but serve watched a list of its own
    that lacked them: replacing such an image rebuilt nothing. The suffixes are those `add` accepts."""
    from imaudible.add_candidates import accepted_suffixes

    (tmp_path / "gallery.yaml").write_text("title: x\n")
    names = [f"image{suffix}" for suffix in sorted(accepted_suffixes())]
    for name in names + ["notes.txt", "scan.pdf"]:
        (tmp_path / name).write_bytes(b"")
    watched = {p.name for p in gallery_watch_paths(tmp_path, tmp_path / "build")}
    assert {"image.jfif", "image.jpe"} <= set(names)
    assert watched - {"gallery.yaml", "templates", "static"} == set(names)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_rebuilds_on_change_and_bumps_the_version(tmp_path, site, capsys):
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    manifest = gallery / "gallery.yaml"
    manifest.write_text("title: before\n")
    out = gallery / "build"
    out.symlink_to(site, target_is_directory=True)
    builds = []
    port, stop = _free_port(), threading.Event()

    def rebuild() -> bool:
        builds.append(manifest.read_text())
        return True

    thread = threading.Thread(target=serve, args=(gallery, out, "127.0.0.1", port, rebuild),
                              kwargs={"interval": 0.05, "stop": stop}, daemon=True)
    thread.start()
    try:
        version = lambda: json.loads(request(type("S", (), {"port": port}), "/__imaudible/version")[1])["version"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                assert version() == 0
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
        (site / "assets" / "new.webm").write_bytes(b"output changes are not gallery changes")
        time.sleep(0.3)
        assert builds == []
        manifest.write_text("title: after the edit\n")
        deadline = time.monotonic() + 5
        while version() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert version() == 1 and builds == ["title: after the edit\n"]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert "rebuilt" in capsys.readouterr().err


def test_redirect_never_leaves_the_site(server, site):
    (site / "example.org").mkdir()
    answer = raw_request(server.port, "//example.org")
    assert int(answer.split(b" ", 2)[1]) == 301
    assert b"\r\nLocation: /example.org/\r\n" in answer


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "localhost.evil.example"])
def test_a_foreign_domain_name_gets_nothing_no_dns_rebinding(server, host):
    for method in ("GET", "HEAD", "POST"):
        response, body = request(server, "/index.html", method=method, headers={"Host": host})
        assert response.status == 421
        assert b"<html" not in body.lower()


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8000", "127.0.0.1", "[::1]:8000", "gallery.localhost",
                                  "192.168.1.20:8000"])
def test_own_addresses_are_answered(server, host):
    response, body = request(server, "/index.html", headers={"Host": host})
    assert response.status == 200 and body


def test_a_taken_port_is_said_before_the_first_build(tmp_path, cli):
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "U"}])
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = cli("serve", folder, "--port", port)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: cannot listen on 127.0.0.1:{port}:") and "--port 0" in result.output
    assert not (folder / "build").exists()               # it used to build everything first


@pytest.mark.parametrize("host, says", [
    ("example.invalid", ""),                            # a name that does not resolve (the resolver's words vary)
    ("192.0.2.1", "Cannot assign requested address"),    # TEST-NET-1: no address of this machine
])
@pytest.mark.parametrize("no_build", [False, True])
def test_a_host_that_is_not_this_machine_is_said_so_with_the_fix(tmp_path, cli, host, says, no_build):
    """A mistyped --host was told 'another server there? pass another --port' (the advice for a taken port),
    and, from socket.create_server, '(while attempting to bind on address ...)'."""
    from .conftest import write_gallery

    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "U"}])
    if no_build:
        assert cli("build", folder).exit_code == 0
    result = cli("serve", folder, "--host", host, *(["--no-build"] if no_build else []))
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith(f"error: cannot listen on {host}:8000: {says}") and "\n" not in line, line
    assert line.endswith(" (--host must be an address of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 "
                         "(every network))") and "while attempting" not in line, line


@pytest.mark.parametrize("target", [
    "/.imaudible-build.json", "/assets/.music.webm.AbCd1234.tmp", "/.git/config", "/.git/", "/art/.DS_Store",
    "/%2egit/config", "/art/./.hidden/x.js", "/.git",   # not even a redirect to /.git/
])
def test_hidden_files_are_not_served(server, site, target):
    """A staged file of a build in progress, the ownership list, a site's own .git: never served, like a host."""
    (site / ".imaudible-build.json").write_text("{}")
    (site / "assets" / ".music.webm.AbCd1234.tmp").write_bytes(AUDIO[:100])
    (site / ".git").mkdir()
    (site / ".git" / "config").write_text("[remote] url = secret")
    (site / ".git" / "index.html").write_text("secret")
    (site / "art" / ".DS_Store").write_bytes(b"secret")
    (site / "art" / ".hidden").mkdir()
    (site / "art" / ".hidden" / "x.js").write_text("secret")
    response, body = request(server, target)
    assert response.status == 404 and b"secret" not in body and b"Lost in the gallery" in body
    (site / ".well-known").mkdir()
    (site / ".well-known" / "security.txt").write_text("Contact: mailto:curator@example.org")
    response, body = request(server, "/.well-known/security.txt")
    assert response.status == 200 and b"Contact" in body

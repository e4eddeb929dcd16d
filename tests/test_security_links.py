"""Symlinks a gallery folder may ship: in report/ (published, served, written by `evaluate`) and as its
build/ folder. Nothing outside the gallery is ever published, served or written through one. Also: odd
request headers get a clean 4xx from the preview server, never a traceback."""
from __future__ import annotations

import http.client
import os
import socket
import threading
from pathlib import Path

import pytest

from imaudible.audition import TAKES_PATH, TakeEndpoint
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.evaluate import report
from imaudible.serve import PreviewServer

from .conftest import write_gallery

ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]
SECRET = "root:x:0:0:SECRET"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the gallery holding a secret file and a secret folder."""
    folder = tmp_path / "outside"
    (folder / "etc").mkdir(parents=True)
    (folder / "etc" / "passwd").write_text(SECRET)
    (folder / "index.html").write_text(f"<html><head></head><body>{SECRET}</body></html>")
    return folder


def everything_under(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


# --- report: public -------------------------------------------------------------------------------

def _public_gallery(tmp_path) -> Path:
    folder = write_gallery(tmp_path / "g", ONE, report="public")
    (folder / "report").mkdir()
    (folder / "report" / "index.html").write_text("<html><body>the report</body></html>")
    return folder


def test_public_report_publishes_no_linked_file_or_folder(tmp_path, cli, outside):
    folder = _public_gallery(tmp_path)
    (folder / "report" / "passwd").symlink_to(outside / "etc" / "passwd")
    (folder / "report" / "etc").symlink_to(outside / "etc")
    (folder / "report" / "media").mkdir()
    (folder / "report" / "media" / "inner.html").symlink_to(folder / "report" / "index.html")
    result = cli("build", folder)
    assert result.exit_code == 0, result.output
    published = folder / "build" / "report"
    assert (published / "index.html").read_text() == "<html><body>the report</body></html>"
    assert not (published / "passwd").exists() and not (published / "etc").exists()
    assert not (published / "media" / "inner.html").exists()    # a link, even to a file of the report
    assert SECRET not in everything_under(folder / "build")
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert any("report/passwd" in line and "symlink" in line for line in warnings), result.output
    assert any("report/etc" in line for line in warnings), result.output


def test_a_report_folder_that_is_a_link_is_not_published(tmp_path, cli, outside):
    folder = write_gallery(tmp_path / "g", ONE, report="public")
    (folder / "report").symlink_to(outside)
    result = cli("build", folder)
    assert result.exit_code == 0, result.output
    assert not (folder / "build" / "report").exists()
    assert SECRET not in everything_under(folder / "build")
    assert 'href="report/"' not in (folder / "build" / "list.html").read_text()
    assert "warning: " in result.output and "report" in result.output and "symlink" in result.output


# --- serve: /_report/ -----------------------------------------------------------------------------

def _serve(gallery: Path) -> PreviewServer:
    (gallery / "build").mkdir(exist_ok=True)
    (gallery / "build" / "index.html").write_text("<html><head></head><body>site</body></html>")
    server = PreviewServer(gallery / "build", port=0, takes=TakeEndpoint(gallery, gallery / "report", token="t"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _request(server, path, method="GET", headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def _refused(server, paths, *hidden: bytes) -> None:
    """Each path answers 403 or 404, and none of `hidden` is in its body."""
    for path in paths:
        response, body = _request(server, path)
        assert response.status in (403, 404), (path, response.status)
        assert not any(secret in body for secret in hidden), path


@pytest.mark.parametrize("target", ["outside", "root"])
def test_serve_shows_nothing_of_a_report_folder_that_is_a_link(tmp_path, outside, target):
    gallery = tmp_path / "g"
    gallery.mkdir()
    (gallery / "report").symlink_to(outside if target == "outside" else Path("/"))
    server = _serve(gallery)
    try:
        _refused(server, ("/_report/", "/_report/index.html", "/_report/etc/passwd", "/_report/etc/hostname"),
                 SECRET.encode(), b"root:")
    finally:
        server.shutdown()


def test_serve_follows_no_link_inside_the_report(tmp_path, outside):
    gallery = tmp_path / "g"
    (gallery / "report" / "media").mkdir(parents=True)
    (gallery / "report" / "index.html").write_text("<html><head></head><body>report</body></html>")
    (gallery / "report" / "media" / "a.txt").write_text("inside")
    (gallery / "report" / "alias.html").symlink_to(gallery / "report" / "index.html")
    (gallery / "report" / "m").symlink_to(gallery / "report" / "media")
    (gallery / "report" / "out").symlink_to(outside)
    server = _serve(gallery)
    try:
        response, body = _request(server, "/_report/")
        assert response.status == 200 and b"report" in body and b'content="t"' in body
        assert _request(server, "/_report/media/a.txt")[1] == b"inside"
        _refused(server, ("/_report/alias.html", "/_report/m/a.txt", "/_report/out/etc/passwd", "/_report/out/"),
                 SECRET.encode(), b"inside")
    finally:
        server.shutdown()


# --- a build/ folder that is a link ----------------------------------------------------------------

@pytest.mark.parametrize("how", ["default", "out", "dangling"])
def test_an_output_folder_that_is_a_link_is_refused_before_anything_is_written(tmp_path, cli, how):
    folder = write_gallery(tmp_path / "g", ONE)
    elsewhere = tmp_path / "elsewhere"
    if how != "dangling":
        elsewhere.mkdir()
    link = folder / "build" if how != "out" else tmp_path / "site-link"
    link.symlink_to(elsewhere)
    result = cli("build", folder, *(["--out", link] if how == "out" else []))
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith("error: ") and len(line.splitlines()) == 1, result.output
    assert str(link) in line and str(elsewhere) in line and "--out" in line and "symlink" in line
    assert not elsewhere.exists() or list(elsewhere.iterdir()) == []
    assert not (folder / CACHE_DIR_NAME).exists() and link.is_symlink()


def test_clean_refuses_an_output_folder_that_is_a_link(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    elsewhere = tmp_path / "elsewhere"
    assert cli("build", folder, "--out", elsewhere).exit_code == 0   # a site imaudible built, elsewhere
    before = sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*"))
    (folder / "build").symlink_to(elsewhere)
    result = cli("clean", folder)
    assert result.exit_code == 2, result.output
    assert "symlink" in result.output and str(elsewhere) in result.output
    assert "did not write" not in result.output
    assert sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*")) == before
    (folder / "build").unlink()
    (folder / "build").symlink_to(tmp_path / "not-there")
    result = cli("clean", folder)
    assert result.exit_code == 2 and "symlink" in result.output, result.output


@pytest.mark.parametrize("no_build", [False, True])
def test_serve_refuses_an_output_folder_that_is_a_link(tmp_path, cli, monkeypatch, no_build):
    from imaudible import serve as preview

    def never(*args, **kwargs):
        raise AssertionError("serve started on a linked output folder")

    monkeypatch.setattr(preview, "serve", never)
    monkeypatch.setattr(preview, "PreviewServer", never)
    folder = write_gallery(tmp_path / "g", ONE)
    elsewhere = tmp_path / "elsewhere"
    assert cli("build", folder, "--out", elsewhere).exit_code == 0
    (folder / "build").symlink_to(elsewhere)
    result = cli("serve", folder, "--port", 0, *(["--no-build"] if no_build else []))
    assert result.exit_code == 2 and "symlink" in result.output, result.output


# --- evaluate's writer ----------------------------------------------------------------------------

def _write_report(gallery: Path) -> Path:
    from .evaluate import sample

    return sample.write(gallery)


def test_the_report_writer_never_writes_through_a_link(tmp_path, outside):
    gallery = tmp_path / "g"
    (gallery / "report").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (gallery / "report" / "media").symlink_to(elsewhere)
    (gallery / "report" / "report.json").symlink_to(victim)
    (gallery / "report" / "report.js").symlink_to(victim)
    for name in ("index.html", "report.json", "report.css"):   # the temporary names of earlier writers
        (gallery / "report" / f".{name}.tmp").symlink_to(victim)
    (gallery / "report" / "old").symlink_to(outside)
    folder = _write_report(gallery)
    assert list(elsewhere.iterdir()) == [] and victim.read_text() == "precious"
    assert (outside / "etc" / "passwd").read_text() == SECRET
    assert not (folder / "media").is_symlink() and any((folder / "media").glob("*.webm"))
    for name in ("report.json", "report.js", "index.html", "report.css"):
        assert not (folder / name).is_symlink() and (folder / name).is_file()
    assert sorted(p.name for p in folder.iterdir() if p.is_symlink()) == []


def test_the_report_copies_its_script_and_style_instead_of_linking_the_package(tmp_path):
    folder = _write_report(tmp_path / "g")
    for name in ("report.js", "report.css"):
        assert (folder / name).read_bytes() == (report.ASSETS / name).read_bytes()
        assert os.stat(folder / name).st_nlink == 1 and not (folder / name).samefile(report.ASSETS / name)


def test_a_report_folder_that_is_a_link_is_refused_by_the_writer(tmp_path, outside):
    gallery = tmp_path / "g"
    gallery.mkdir()
    (gallery / "report").symlink_to(outside)
    with pytest.raises(report.ReportLocationError, match="link"):
        _write_report(gallery)
    assert sorted(p.name for p in outside.iterdir()) == ["etc", "index.html"]


@pytest.mark.slow
def test_evaluate_writes_nothing_through_a_linked_media_folder(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "report").mkdir()
    (folder / "report" / "media").symlink_to(elsewhere)
    result = cli("evaluate", folder, "-q")
    assert result.exit_code == 0, result.output
    assert list(elsewhere.iterdir()) == []
    assert not (folder / "report" / "media").is_symlink() and any((folder / "report" / "media").iterdir())


# --- odd request headers ---------------------------------------------------------------------------

@pytest.fixture
def served(tmp_path, capfd):
    gallery = tmp_path / "g"
    (gallery / "report").mkdir(parents=True)
    server = _serve(gallery)
    yield server
    server.shutdown()
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("headers, status", [
    ({"Host": "[zz"}, 421), ({"Host": "[::1"}, 421), ({"Host": "127.0.0.1:99999"}, None),
    ({"Origin": "http://[zz"}, 403), ({"Origin": "http://127.0.0.1:99999"}, 403), ({"Origin": "http://[::1"}, 403),
])
def test_odd_host_and_origin_headers_get_a_clean_answer(served, headers, status):
    headers = {"Content-Type": "application/json", "X-Imaudible-Token": "t", **headers}
    response, _ = _request(served, TAKES_PATH, "POST", headers, b'{"id": "a", "action": "reroll"}')
    assert response.status == status if status else 400 <= response.status < 500
    response, _ = _request(served, "/", headers={"Host": headers.get("Host", "127.0.0.1")})
    assert response.status in (200, 421)


def test_a_misdirected_request_says_connection_close_once(served):
    response, _ = _request(served, "/", headers={"Host": "evil.example"})
    assert response.status == 421 and response.msg.get_all("Connection") == ["close"]


def _raw(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("request_bytes, status", [
    (b"BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"501"),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"414"),
    (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 120 + b"\r\n", b"431"),
])
def test_the_servers_own_error_pages_carry_the_security_headers(served, request_bytes, status):
    answer = _raw(served, request_bytes)
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.split(b" ")[1] == status, answer[:200]
    assert b"content-security-policy: default-src 'self'" in head and b"x-content-type-options: nosniff" in head
    assert head.count(b"connection: close") == 1


SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n"


@pytest.mark.parametrize("command", [["build"], ["models", "list"], ["evaluate"], ["add", "--site"]])
def test_a_manifest_linked_out_of_the_gallery_is_refused_and_never_quoted(tmp_path, cli, command):
    """A gallery from elsewhere (a pull request built in CI) may ship gallery.yaml as a link to a key or a
    password file: the first error quoted its first line ('expected a mapping of options, found
    '-----BEGIN OPENSSH PRIVATE KEY----- b3Blbn...'') into the log. It is refused like an artwork's link."""
    folder = write_gallery(tmp_path / "g", ONE)
    secret = tmp_path / "id_ed25519"
    secret.write_text(SECRET)
    manifest = folder / "gallery.yaml"
    manifest.unlink()
    manifest.symlink_to(secret)
    args = [*command, folder] + (["art/starry_night.jpg"] if command[0] == "add" else [])
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "outside the gallery folder" in result.output and "gallery.yaml: a symlink to" in result.output
    assert "PRIVATE KEY" not in result.output and "b3Blbn" not in result.output
    assert not (folder / CACHE_DIR_NAME).exists() and not (folder / "build").exists()
    assert secret.read_text() == SECRET


def test_a_manifest_linked_inside_the_gallery_is_read(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    (folder / "gallery.yaml").rename(folder / "exhibition-2026.yaml")
    (folder / "gallery.yaml").symlink_to("exhibition-2026.yaml")
    assert cli("build", folder).exit_code == 0
    assert (folder / "build" / "index.html").is_file()

"""Text a gallery controls (its manifest's keys and values, its file names, its url:) reaches the terminal only
escaped, and the pages only as links that stay on the site."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import write_gallery

PACKAGE = Path(__file__).resolve().parents[1] / "imaudible"
ONE = [{"file": "art/starry_night.jpg", "title": "The Starry Night"}]
ESCAPES = "\x1b]0;PWNED\x07\x1b[31m"


def test_a_manifest_warning_prints_no_escape_sequence_from_the_manifest(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", ONE)
    manifest = folder / "gallery.yaml"
    manifest.write_text(manifest.read_text() + '"\\e]0;PWNED\\a\\e[31mkey": 1\n')   # YAML escapes: valid UTF-8
    result = cli("build", folder)
    assert "unknown option" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;PWNED\\x07" in result.output


_OUTPUT_CALLS = {"echo", "print", "write", "secho"}
_SAFE_WRAPPERS = {"printable", "dumps"}   # json.dumps escapes every control character


def _unescaped_output(tree: ast.AST):
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in _OUTPUT_CALLS:
            continue
        if name == "write" and not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
                                    and func.value.attr in ("stderr", "stdout")):
            continue   # a file's write, not the terminal's
        arg = node.args[0]
        if isinstance(arg, ast.BinOp):   # printable(...) + "\n"
            arg = arg.left
        if isinstance(arg, ast.Constant):
            continue
        called = arg.func if isinstance(arg, ast.Call) else None
        wrapper = (called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")) if called else ""
        if wrapper not in _SAFE_WRAPPERS:
            yield node.lineno


def test_every_terminal_line_the_package_prints_is_escaped():
    """A file name, an image's title, a manifest key or an error quoting them may hold an escape sequence
    (retitle the window, forge or hide output): every line printed goes through `progress.printable`."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
             if "theme" not in path.parts
             for line in _unescaped_output(ast.parse(path.read_text(), str(path)))]
    assert not found, f"printed without printable(): {found}"


def test_the_not_found_page_links_only_to_its_own_host(tmp_path, cli):
    """`url: https://example.org//evil.example/` (a doubled slash) made 404.html's root `//evil.example/`: its
    stylesheet, icon and links then came from another host."""
    folder = write_gallery(tmp_path / "g", ONE, url="https://example.org//evil.example//gallery/")
    assert cli("build", folder).exit_code == 0
    page = (folder / "build" / "404.html").read_text()
    links = re.findall(r'(?:href|src|data-root)="([^"]*)"', page)
    assert links and not [link for link in links if link.startswith("//")]
    assert 'data-root="/evil.example/gallery/"' in page


def test_the_preview_server_serves_no_service_worker_script(tmp_path):
    """Every gallery previewed on 127.0.0.1:8000 shares one origin: a gallery's page registered
    /_report/sw.js (its own report folder), and on a later `serve` of another gallery the worker read that
    report page's take token and rerolled the other gallery's music. Browsers mark a worker's script request
    with `Service-Worker: script`; the preview answers it with nothing."""
    import threading

    from imaudible.audition import TakeEndpoint
    from imaudible.serve import PreviewServer

    from .test_security_links import _request

    (tmp_path / "build" / "assets").mkdir(parents=True)
    (tmp_path / "report").mkdir()
    for folder in (tmp_path / "build" / "assets", tmp_path / "report"):
        (folder / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    server = PreviewServer(tmp_path / "build", port=0, takes=TakeEndpoint(tmp_path, tmp_path / "report", token="t"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for path in ("/_report/sw.js", "/assets/sw.js"):
            assert _request(server, path)[0].status == 200
            for method in ("GET", "HEAD"):
                response, body = _request(server, path, method, {"Service-Worker": "script"})
                assert response.status == 403 and b"addEventListener" not in body, (path, method)
    finally:
        server.shutdown()


def test_a_bidirectional_override_in_a_file_name_is_shown_escaped_not_obeyed(tmp_path, cli):
    """'art/\u202egpj.exe' shows on a terminal as 'art/exe.jpg': the override turns the rest of the line
    around. Messages show it as \\u202e instead (and a right-to-left title's letters as they are)."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/\u202egpj.exe\u202c", "title": "\u05e9\u05dc\u05d5\u05dd"}])
    result = cli("build", folder)
    assert result.exit_code != 0
    assert "\u202e" not in result.output and "\u202c" not in result.output
    assert "art/\\u202egpj.exe\\u202c" in result.output


def test_a_file_name_that_is_no_utf8_prints_its_bytes_escaped(tmp_path):
    """Python keeps such a name's bytes as lone surrogates, which a strict UTF-8 stdout cannot write (a
    traceback where a message should be)."""
    from imaudible.progress import printable

    name = b"art/caf\xe9.jpg".decode("utf-8", "surrogateescape")
    assert printable(name) == "art/caf\\xe9.jpg"
    printable(name).encode("utf-8")          # strict: no surrogate is left

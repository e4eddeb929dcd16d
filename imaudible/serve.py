"""Local preview server: serves build/ with Range support, rebuilds on change, reloads the open page.

Python's http.server answers no Range requests, and Safari will not play audio without them, so the
file handler is our own. Every answer comes from a file whose real path (symlinks resolved, index.html
and 404.html included) lies inside the served root, and carries the same security headers as the
deployed site's `_headers` (one definition in headers.py), so a preview breaks where production would.
"""
from __future__ import annotations

import json
import mimetypes
import os
import re
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

from .audition import REPORT_PREFIX, TakeEndpoint, allowed_methods, answer_post, is_endpoint
from .connections import BoundedConnections, HeadDeadline
from .local_hosts import host_allowed, is_loopback
from .progress import printable

from .headers import MIME_TYPES, SECURITY_HEADERS
from .safe_paths import open_inside, resolve_under
from .watching import gallery_watch_paths, watch

RELOAD_PREFIX = "/__imaudible/"
RELOAD_TAG = '<script src="/__imaudible/livereload.js" data-version="{version}"></script>'
_CHUNK = 64 * 1024
# A connection that sends or reads nothing for this long is closed: an idle keep-alive, or a client that
# opens connections and never finishes a request (slowloris), must not hold a thread and a socket forever.
IDLE_SECONDS = 30

# Reloads open pages after a rebuild and shows a failed rebuild's error over them.
LIVERELOAD_JS = (Path(__file__).parent / "livereload.js").read_text(encoding="utf-8")


def mime_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in MIME_TYPES:
        return MIME_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def parse_range(header: str, size: int) -> Optional[tuple[int, int]]:
    """(first, last) byte of a single `bytes=` range; None to ignore the header and send everything.

    Raises ValueError when the range cannot be satisfied (416).
    """
    found = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not found or found.group(1) == found.group(2) == "":
        return None  # malformed, another unit, or several ranges: a full 200 answer is allowed
    first, last = found.group(1), found.group(2)
    if first == "":
        length = _byte_count(last)
        if length == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    start = _byte_count(first)
    if last != "" and _byte_count(last) < start:
        return None
    if start >= size:
        raise ValueError("range starts past the end")
    return start, size - 1 if last == "" else min(_byte_count(last), size - 1)


def _byte_count(digits: str) -> int:
    """A number of a Range header; one of thousands of digits (past what int() reads) means "more than any file".
    Leading zeros are no part of its size (`bytes=000...0005-` starts at byte 5)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10 ** 18


def refusal(headers, own_host: str, target: str = "/") -> tuple[HTTPStatus, bytes] | None:
    """Why a request gets nothing from this server, or None.

    A page reached through a foreign domain name (DNS rebinding), named in the Host header or in an
    absolute-form request target (`GET http://host/...`, whose host a server must take over the Host header's).
    A service worker's script: every gallery previewed on this address and port shares one origin, so a worker
    that one gallery's pages register would outlive it and answer for the next gallery, its report page and
    that page's take token included. The site itself uses no service worker.
    """
    misdirected = HTTPStatus.MISDIRECTED_REQUEST, b"421 this preview server answers only to its own address\n"
    hosts = [headers.get("Host")]
    if not target.startswith("/") and "://" in target:   # absolute form; `/?u=ab://x` is origin form
        try:
            named = urlsplit(target).netloc
        except ValueError:                    # `http://[zz/`: no host that could be ours
            return misdirected
        if not named:                         # `http:///x` names no host, and none of ours
            return misdirected
        hosts.append(named)
    if not all(host_allowed(host, own_host) for host in hosts):
        return misdirected
    if headers.get("Service-Worker") is not None:
        return HTTPStatus.FORBIDDEN, b"403 this preview server serves no service worker\n"
    return None


class _Handler(HeadDeadline, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS   # socketserver sets it on the connection; http.server closes it when it runs out
    server: "_HTTPServer"

    def do_GET(self):
        if self._host_refused(True):
            return
        self._respond(send_body=True)

    def do_HEAD(self):
        if self._host_refused(False):
            return
        self._respond(send_body=False)

    def do_POST(self):
        if self._host_refused(True):
            return
        status, body = answer_post(self.server.owner.takes, self)
        self._send_bytes(status, body, MIME_TYPES[".json"], True)

    def _host_refused(self, send_body: bool) -> bool:
        refused = refusal(self.headers, self.server.owner.host, self.path)
        if refused is None:
            return False
        self.close_connection = True
        self._send_bytes(*refused, MIME_TYPES[".txt"], send_body)
        return True

    def send_error(self, code, message=None, explain=None):
        """http.server's own answers (a malformed request, an unknown method): with the security headers too."""
        self.close_connection = True   # as http.server does: a body may be left unread
        self._send_error_page(HTTPStatus(code), self.command != "HEAD")

    def _method_not_allowed(self):
        """PUT, DELETE, OPTIONS (no CORS preflight succeeds), ... and GET of the take endpoint."""
        self.close_connection = True   # any body is left unread: it must not be taken for the next request
        self._send_bytes(HTTPStatus.METHOD_NOT_ALLOWED, b'{"error": "method not allowed"}', MIME_TYPES[".json"],
                         self.command != "HEAD", {"Allow": allowed_methods(self.server.owner.takes, self.path)})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def log_message(self, format, *args):
        if self.server.owner.verbose:
            sys.stderr.write(printable(f"{self.address_string()} {format % args}") + "\n")

    def _respond(self, send_body: bool) -> None:
        if is_endpoint(self.server.owner.takes, self.path):
            return self._method_not_allowed()
        raw_path = urlsplit(self.path).path if "://" in self.path[:10] else self.path.split("?", 1)[0].split("#", 1)[0]
        if raw_path.startswith(RELOAD_PREFIX):
            return self._reload_endpoint(raw_path[len(RELOAD_PREFIX):], send_body)
        target, status = self.server.owner.resolve(raw_path)
        if status == HTTPStatus.MOVED_PERMANENTLY:
            query = self.path[len(raw_path):] if self.path.startswith(raw_path) else ""
            location = "/" + raw_path.lstrip("/") + "/" + query  # never "//host/": that would leave the site
            return self._send_bytes(status, b"", MIME_TYPES[".txt"], send_body, {"Location": location})
        if status != HTTPStatus.OK:
            return self._send_error_page(status, send_body)
        self._send_file(target, send_body)

    def _reload_endpoint(self, name: str, send_body: bool) -> None:
        if name == "livereload.js":
            body, kind = LIVERELOAD_JS.encode(), MIME_TYPES[".js"]
        elif name == "version":
            owner = self.server.owner
            state = {"version": owner.version, "error": owner.error, **({"partial": True} if owner.partial else {})}
            body, kind = json.dumps(state, allow_nan=False).encode(), MIME_TYPES[".json"]
        else:
            return self._send_error_page(HTTPStatus.NOT_FOUND, send_body)
        self._send_bytes(HTTPStatus.OK, body, kind, send_body)

    def _send_error_page(self, status: HTTPStatus, send_body: bool) -> None:
        page, found = self.server.owner.resolve("/404.html")
        if status == HTTPStatus.NOT_FOUND and found == HTTPStatus.OK:
            try:
                with open_inside(page, self.server.owner.root) as stream:
                    body = self.server.owner.with_reload_script(stream.read())
                return self._send_bytes(status, body, MIME_TYPES[".html"], send_body)
            except OSError:
                pass
        self._send_bytes(status, f"{status.value} {status.phrase}\n".encode(), MIME_TYPES[".txt"], send_body)

    def _send_file(self, path: Path, send_body: bool) -> None:
        kind = mime_type(path)
        try:
            stream = open_inside(path, self.server.owner.root_of(path))
        except OSError:  # removed (or replaced by a symlink) since it was resolved
            return self._send_error_page(HTTPStatus.NOT_FOUND, send_body)
        if path.suffix.lower() in (".html", ".htm"):
            with stream:
                body = self.server.owner.with_reload_script(stream.read(), path)
            return self._send_bytes(HTTPStatus.OK, body, kind, send_body)
        with stream:
            size = os.fstat(stream.fileno()).st_size
            span = self._range(size)
            if span is False:
                return
            first, last = span if span else (0, size - 1)
            self._headers(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK, kind, last - first + 1,
                          {"Content-Range": f"bytes {first}-{last}/{size}"} if span else {})
            if send_body:
                stream.seek(first)
                remaining = last - first + 1
                while remaining > 0:
                    chunk = stream.read(min(_CHUNK, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)

    def _send_bytes(self, status, body: bytes, kind: str, send_body: bool, extra: dict | None = None) -> None:
        span = self._range(len(body)) if status == HTTPStatus.OK else None
        if span is False:
            return
        if span:
            first, last = span
            extra = {**(extra or {}), "Content-Range": f"bytes {first}-{last}/{len(body)}"}
            status, body = HTTPStatus.PARTIAL_CONTENT, body[first:last + 1]
        self._headers(status, kind, len(body), extra or {})
        if send_body:
            self.wfile.write(body)

    def _range(self, size: int):
        """The requested span, None for the whole file, or False after answering 416."""
        header = self.headers.get("Range")
        if not header:
            return None
        try:
            return parse_range(header, size)
        except ValueError:
            self._headers(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, MIME_TYPES[".txt"], 0,
                          {"Content-Range": f"bytes */{size}"})
            return False

    def _headers(self, status, kind: str, length: int, extra: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")  # a preview: always show the latest build
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        for name, value in extra.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()


class _HTTPServer(BoundedConnections, ThreadingHTTPServer):
    daemon_threads = True
    owner: "PreviewServer"

    def handle_error(self, request, client_address):
        # Browsers drop audio connections when they seek; that is not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class PreviewServer:
    """Serves `root` over HTTP on `host:port` (port 0 picks a free port; see `.port`).

    Binds in the constructor, so a taken port raises OSError there.
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False,
                 takes: Optional[TakeEndpoint] = None, base: str = "/"):
        self.root = Path(root).resolve()
        self.base = base   # the path the site is published under (url:), also served here, as 404.html links there
        self.takes = takes if takes is not None and is_loopback(host) else None  # never off this machine
        self.verbose = verbose
        self.version = 0
        self.error: str | None = None  # the one-line error of the last rebuild, shown over open pages
        self.partial = False           # whether that rebuild wrote the site all the same, less failed artworks
        self._version_lock = threading.Lock()
        self._running = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler)  # OSError if the address is taken: the CLI reports it
        self._httpd.owner = self
        self.host = host
        self.port = self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        self._running.set()
        try:
            self._httpd.serve_forever(poll_interval=0.05)
        finally:
            self._running.clear()

    def shutdown(self) -> None:
        if self._running.is_set():
            self._httpd.shutdown()
        self._httpd.server_close()

    def notify_reload(self, failed: Optional[str] = None) -> None:
        """The site was rewritten: open pages reload, then show `failed`, the artworks left out, if any."""
        with self._version_lock:
            self.error, self.partial = None, False
            if failed is not None:
                self.report_error(failed, partial=True)
            self.version += 1

    def report_error(self, message: str, partial: bool = False) -> None:
        self.error = " ".join(message.split()) or "the rebuild failed; see the terminal"
        self.partial = partial

    def with_reload_script(self, html: bytes, path: Optional[Path] = None) -> bytes:
        html = self.takes.with_token(html, path) if self.takes is not None and path is not None else html
        tag = RELOAD_TAG.format(version=self.version).encode()
        at = html.lower().rfind(b"</body>")
        return html + tag if at < 0 else html[:at] + tag + html[at:]

    def resolve(self, raw_path: str) -> tuple[Optional[Path], HTTPStatus]:
        if self.takes is not None and self.takes.owns(raw_path):   # the report, under serve only
            return self.takes.resolve(raw_path)
        if self.base != "/" and (raw_path + "/").startswith(self.base):
            raw_path = "/" + raw_path[len(self.base):]
        return resolve_under(self.root, raw_path)

    def root_of(self, path: Path) -> Path:
        return self.takes.report_root if self.takes is not None and self.takes.serves(path) else self.root


class PartlyBuilt(str):
    """What `rebuild()` returns when it wrote the site but some artworks failed: the one-line failure."""


def serve(gallery: Path, out: Path, host: str = "127.0.0.1", port: int = 8000,
          rebuild: Callable[[], "bool | str"] = lambda: True, *, verbose: bool = False, interval: float = 0.5,
          stop: Optional[threading.Event] = None, error: Optional[str] = None,
          takes: Optional[TakeEndpoint] = None, base: str = "/") -> None:
    """Serve `out` until Ctrl-C, rebuilding with `rebuild()` and reloading open pages when `gallery` (the folder,
    or the manifest named) changes.

    The caller builds first; this serves whatever `out` holds (`error`: why that first build failed).
    `rebuild()` returns True when the site was (re)written, and only then are pages told to reload; otherwise
    it returns the one-line error (or False), which open pages show over the last good build until the next
    good one. A `PartlyBuilt` line is both: pages reload and show which artworks failed. Setting `stop` ends
    it like Ctrl-C does. The site is also served under `base`, the path of the gallery's `url:`, where its 404
    page links.
    """
    server = PreviewServer(out, host, port, verbose=verbose, takes=takes, base=base)
    if error:
        server.report_error(error, partial=isinstance(error, PartlyBuilt))
    stop = stop or threading.Event()

    def on_change() -> None:
        _status("change detected: rebuilding")
        started = time.monotonic()
        try:
            ok = rebuild()
        except Exception as exc:  # keep serving the last good build
            ok = str(exc) or type(exc).__name__
        if ok is True or isinstance(ok, PartlyBuilt):
            server.notify_reload(ok if isinstance(ok, PartlyBuilt) else None)
            _status(f"rebuilt in {time.monotonic() - started:.1f} s"
                    + ("; some artworks failed (also shown in open pages)" if ok is not True else "")
                    + "; reloading open pages")
        else:
            server.report_error(ok if isinstance(ok, str) else "")
            _status("rebuild failed (the error is also shown in open pages); still serving the previous build")

    watch(lambda: gallery_watch_paths(gallery, out), on_change, interval, stop)
    thread = threading.Thread(target=server.serve_forever, name="imaudible-serve", daemon=True)
    thread.start()
    _status(f"serving {out} at {server.url} (Ctrl-C to stop)"
            + (f"; report with take buttons at {server.url}{REPORT_PREFIX[1:]}" if server.takes else ""))
    try:
        while thread.is_alive() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        _status("stopping")
    finally:
        stop.set()
        server.shutdown()


def _status(message: str) -> None:
    print(printable(f"imaudible serve: {message}"), file=sys.stderr, flush=True)

"""Auditioning takes under `imaudible-site serve`: the report's "use this take" and "another take" buttons.

Local only: the endpoint exists only in the preview server, only when it is bound to a loopback address,
and every request must come from loopback, name a loopback Host (no DNS rebinding), carry no foreign
Origin, and present the per-run token that the server writes into the report page it serves. The static
build never contains the token or the endpoint. An accepted request edits gallery.yaml (`curate.pick` /
`curate.reroll`); the server's watcher then rebuilds and reloads the page.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

from . import curate
from .local_hosts import host_and_port, is_loopback
from .safe_paths import resolve_under

TAKES_PATH = "/_imaudible/takes"
REPORT_PREFIX = "/_report/"
MAX_BODY = 4096
BODY_SECONDS = 10
MAX_TAKE = 16   # as `imaudible-site pick` accepts
EXPECTED = 'expected JSON {"id": ..., "action": "pick"|"reroll", "take": K}'


class TakeEndpoint:
    def __init__(self, gallery_root: Path, report_dir: Path, token: str | None = None):
        self.gallery_root = Path(gallery_root)
        self.report_dir = Path(report_dir)
        # The report folder's real place, found without following the folder itself should it be a link.
        self.report_root = self.report_dir.parent.resolve() / self.report_dir.name
        self.token = token or secrets.token_urlsafe(32)
        self._edit_lock = threading.Lock()

    def owns(self, raw_path: str) -> bool:
        return (raw_path + "/").startswith(REPORT_PREFIX)

    def resolve(self, raw_path: str):
        """The report's file for a request path under REPORT_PREFIX (the report lives beside build/). The
        report is data a gallery may ship: no symlink is followed, the report folder itself included."""
        sub = raw_path[len(REPORT_PREFIX) - 1:]
        if not sub:
            return None, HTTPStatus.MOVED_PERMANENTLY
        if os.path.islink(self.report_root):
            return None, HTTPStatus.NOT_FOUND
        path, status = resolve_under(self.report_root, sub)
        if status != HTTPStatus.OK:
            return path, status
        # Every real path that a request names literally was reached through no link; anything else was.
        literal = self.report_root.joinpath(*[p for p in unquote(sub).split("/") if p not in ("", ".")])
        return (path, status) if path in (literal, literal / "index.html") else (None, HTTPStatus.FORBIDDEN)

    def serves(self, path: Path) -> bool:
        """Whether a resolved file is one of the report's."""
        return self.report_root in path.parents

    def with_token(self, html: bytes, path: Path) -> bytes:
        """The report page as served: with the token, so its buttons can call the endpoint."""
        if path.parent != self.report_root:
            return html
        tag = f'<meta name="imaudible-token" content="{self.token}">'.encode()
        at = html.lower().find(b"<head>")
        return html if at < 0 else html[:at + 6] + tag + html[at + 6:]

    def refuse(self, client: str, headers, port: int) -> tuple[HTTPStatus, str] | None:
        """Why a request may not use the endpoint, or None."""
        if not is_loopback(client):
            return HTTPStatus.FORBIDDEN, "the take endpoint answers local requests only"
        host, _ = host_and_port("//" + (headers.get("Host") or ""))
        if not is_loopback(host):
            return HTTPStatus.FORBIDDEN, "the take endpoint answers requests to 127.0.0.1 or localhost only"
        origin = headers.get("Origin")
        if origin and not (is_loopback((found := host_and_port(origin))[0]) and found[1] == port):
            return HTTPStatus.FORBIDDEN, "cross-origin requests are refused"
        if not hmac.compare_digest((headers.get("X-Imaudible-Token") or "").encode(), self.token.encode()):
            return HTTPStatus.FORBIDDEN, "missing or wrong token (reload the report from this server)"
        return None

    def handle(self, client: str, headers, body: bytes, port: int) -> tuple[HTTPStatus, dict]:
        refused = self.refuse(client, headers, port)
        if refused:
            return refused[0], {"error": refused[1]}
        try:
            artwork_id, action, take = parse_request(body)
        except ValueError as exc:
            return HTTPStatus.BAD_REQUEST, {"error": str(exc)}
        try:
            with self._edit_lock:   # two clicks at once must not both read, then overwrite each other's edit
                if action == "pick":
                    message = curate.pick(self.gallery_root, artwork_id, take)
                else:
                    message = curate.reroll(self.gallery_root, artwork_id)
        except curate.CurateError as exc:
            return HTTPStatus.BAD_REQUEST, {"error": str(exc)}
        return HTTPStatus.OK, {"message": f"{message}; rebuilding"}


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number here")


def parse_request(body: bytes) -> tuple[str, str, int]:
    """(id, action, take) of a request body, or ValueError with the one-line reason."""
    try:
        request = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):   # RecursionError: nesting like [[[[...]]]] within MAX_BODY
        request = None
    if not isinstance(request, dict):
        raise ValueError(EXPECTED)
    artwork_id, action, take = request.get("id"), request.get("action"), request.get("take")
    if not isinstance(artwork_id, str) or not artwork_id:
        raise ValueError(f"'id' must be an artwork id (a string); {EXPECTED}")
    if action not in ("pick", "reroll"):
        raise ValueError("'action' must be \"pick\" or \"reroll\"")
    if action == "pick" and (type(take) is not int or not 1 <= take <= MAX_TAKE):  # not True, 2.5 or 1e999
        raise ValueError(f"'take' must be a whole number from 1 to {MAX_TAKE} for \"pick\"")
    return artwork_id, action, take if action == "pick" else 0


def is_endpoint(takes: TakeEndpoint | None, request_path: str) -> bool:
    return takes is not None and request_path.split("?", 1)[0] == TAKES_PATH


def allowed_methods(takes: TakeEndpoint | None, request_path: str) -> str:
    """The Allow header of a 405 answer: the endpoint takes POST only, everything else GET and HEAD."""
    return "POST" if is_endpoint(takes, request_path) else "GET, HEAD"


def answer_post(takes: TakeEndpoint | None, handler) -> tuple[HTTPStatus, bytes]:
    """The preview server's answer to a POST: only TAKES_PATH exists, and only with an endpoint."""
    if not is_endpoint(takes, handler.path):
        handler.close_connection = True   # the body is left unread
        return HTTPStatus.NOT_FOUND, b'{"error": "not found"}'
    kind = (handler.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        handler.close_connection = True   # the body is left unread
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, b'{"error": "send the request as application/json"}'
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= MAX_BODY:
        handler.close_connection = True
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length > MAX_BODY else HTTPStatus.BAD_REQUEST, \
            b'{"error": "request too large"}' if length > MAX_BODY else b'{"error": "bad Content-Length"}'
    handler.connection.settimeout(BODY_SECONDS)   # a client announcing more than it sends must not hold a thread
    try:
        body = handler.rfile.read(length)
    except TimeoutError:
        handler.close_connection = True
        return HTTPStatus.REQUEST_TIMEOUT, b'{"error": "the request body did not arrive"}'
    finally:
        handler.connection.settimeout(handler.timeout)
    status, answer = takes.handle(handler.client_address[0], handler.headers, body, handler.server.owner.port)
    return status, json.dumps(answer, allow_nan=False).encode()

"""Auditioning takes under `imaudible-site serve`: the report's "use this take" and "another take" buttons.

Local only: the endpoint exists only in the preview server, only when it is bound to a loopback address,
and every request must come from loopback, name a loopback Host (no DNS rebinding), carry no foreign
Origin, and present the per-run token that the server writes into the report page it serves. The static
build never contains the token or the endpoint. An accepted request edits gallery.yaml (`curate.pick` /
`curate.reroll`); the server's watcher then rebuilds and reloads the page.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from . import curate
from .safe_paths import resolve_under

TAKES_PATH = "/_imaudible/takes"
REPORT_PREFIX = "/_report/"
MAX_BODY = 4096
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TakeEndpoint:
    def __init__(self, gallery_root: Path, report_dir: Path, token: str | None = None):
        self.gallery_root = Path(gallery_root)
        self.report_dir = Path(report_dir)
        self.token = token or secrets.token_urlsafe(32)

    def owns(self, raw_path: str) -> bool:
        return (raw_path + "/").startswith(REPORT_PREFIX)

    def resolve(self, raw_path: str):
        """The report's file for a request path under REPORT_PREFIX (the report lives beside build/)."""
        sub = raw_path[len(REPORT_PREFIX) - 1:]
        return resolve_under(self.report_dir, sub) if sub else (None, HTTPStatus.MOVED_PERMANENTLY)

    def serves(self, path: Path) -> bool:
        """Whether a resolved file is one of the report's."""
        root = self.report_dir.resolve()
        return path == root or root in path.parents

    def with_token(self, html: bytes, path: Path) -> bytes:
        """The report page as served: with the token, so its buttons can call the endpoint."""
        if path.parent != self.report_dir.resolve():
            return html
        tag = f'<meta name="imaudible-token" content="{self.token}">'.encode()
        at = html.lower().find(b"<head>")
        return html if at < 0 else html[:at + 6] + tag + html[at + 6:]

    def refuse(self, client: str, headers, port: int) -> tuple[HTTPStatus, str] | None:
        """Why a request may not use the endpoint, or None."""
        if not is_loopback(client):
            return HTTPStatus.FORBIDDEN, "the take endpoint answers local requests only"
        host = urlsplit("//" + (headers.get("Host") or "")).hostname or ""
        if not is_loopback(host):
            return HTTPStatus.FORBIDDEN, "the take endpoint answers requests to 127.0.0.1 or localhost only"
        origin = headers.get("Origin")
        if origin and not (is_loopback(urlsplit(origin).hostname or "") and urlsplit(origin).port == port):
            return HTTPStatus.FORBIDDEN, "cross-origin requests are refused"
        if not hmac.compare_digest((headers.get("X-Imaudible-Token") or "").encode(), self.token.encode()):
            return HTTPStatus.FORBIDDEN, "missing or wrong token (reload the report from this server)"
        return None

    def handle(self, client: str, headers, body: bytes, port: int) -> tuple[HTTPStatus, dict]:
        refused = self.refuse(client, headers, port)
        if refused:
            return refused[0], {"error": refused[1]}
        try:
            request = json.loads(body.decode("utf-8"))
            artwork_id, action = str(request["id"]), request["action"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return HTTPStatus.BAD_REQUEST, {"error": 'expected JSON {"id": ..., "action": "pick"|"reroll", "take": K}'}
        try:
            if action == "pick":
                message = curate.pick(self.gallery_root, artwork_id, int(request.get("take", 0)))
            elif action == "reroll":
                message = curate.reroll(self.gallery_root, artwork_id)
            else:
                return HTTPStatus.BAD_REQUEST, {"error": f"unknown action '{action}' (pick or reroll)"}
        except (curate.CurateError, ValueError, TypeError) as exc:
            return HTTPStatus.BAD_REQUEST, {"error": str(exc)}
        return HTTPStatus.OK, {"message": f"{message}; rebuilding"}


def answer_post(takes: TakeEndpoint | None, handler) -> tuple[HTTPStatus, bytes]:
    """The preview server's answer to a POST: only TAKES_PATH exists, and only with an endpoint."""
    if takes is None or handler.path.split("?", 1)[0] != TAKES_PATH:
        return HTTPStatus.NOT_FOUND, b'{"error": "not found"}'
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        return HTTPStatus.BAD_REQUEST, b'{"error": "bad Content-Length"}'
    if not 0 <= length <= MAX_BODY:
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b'{"error": "request too large"}'
    status, answer = takes.handle(handler.client_address[0], handler.headers, handler.rfile.read(length),
                                  handler.server.owner.port)
    return status, json.dumps(answer, allow_nan=False).encode()

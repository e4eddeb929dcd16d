"""Which addresses the preview server answers to: loopback for the take endpoint, and never a foreign
domain name for anything (a page of an attacker's domain rebound to 127.0.0.1 must read nothing)."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_and_port(url: str) -> tuple[str, int | None]:
    """The host and port of a URL; ("", None) when it has none or cannot be read ("http://[zz", port 99999)."""
    try:
        parts = urlsplit(url)
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None


def host_allowed(host_header: str | None, bound: str) -> bool:
    """An IP address, localhost (or *.localhost) or the name serve was started with; no Host at all is a
    non-browser client. A rebinding attack needs a domain name of the attacker's, which none of these is."""
    if not host_header:
        return True
    host = host_and_port("//" + host_header)[0].rstrip(".").lower()   # "[zz": no host, so none of ours
    if host in ("localhost", bound.strip("[]").lower()) or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False

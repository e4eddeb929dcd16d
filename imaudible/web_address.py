"""What is wrong with a web address in the manifest once it reads as http(s)://...: a link on the plaque
(`source_url`) or the address the site is published at (`url`, which every page's canonical link, og:url
and og:image and the 404 page's links are made from)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from .manifest_checks import clip

_EMPTY_LABEL = re.compile(r"(^|\.)\.")   # "a..b" or ".a": no such host name
_BRACKETED_HOST = re.compile(r"\[[^\]]*\](?::\d*)?")   # an IPv6 host: nothing but a port after its ']'


def address_problem(value: str, kind: str) -> str | None:
    """None, or what is wrong with `value` as a link (`kind` "link") or as the site's own address ("site")."""
    shown = clip(value)
    try:
        parts = urlsplit(value)
        if parts.port == 0:   # raises on a port that is no number or out of range; 0 is no port either
            raise ValueError("port 0 is no port")
    except ValueError as exc:
        return f"'{shown}' is not a web address a browser can open ({clip(str(exc))})"
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("[") and not _BRACKETED_HOST.fullmatch(host):
        return f"'{shown}' is not a web address a browser can open (text after the ']' of its IPv6 host)"
    if not parts.hostname or _EMPTY_LABEL.search(parts.hostname):
        return f"'{shown}' has no host name a browser can reach (write it as https://example.org/...)"
    if parts.username is not None or parts.password is not None:
        return (f"'{shown}' holds a user name or password before the host ('...@'), which every page "
                "would publish; leave it out")
    if kind != "site":
        return None
    folder = f"{parts.scheme}://{parts.netloc}{parts.path.rpartition('/')[0] if _names_a_page(parts.path) else parts.path}"
    folder = folder.rstrip("/") + "/"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return (f"'{shown}' holds a ?query or #fragment: write the address of the folder the site is "
                f"published at, such as '{folder}'")
    if _names_a_page(parts.path):
        return (f"'{shown}' names a page, not the folder the site is published at: write '{folder}'")
    return None


def _names_a_page(path: str) -> bool:
    return path.lower().endswith((".html", ".htm", ".php"))

"""What `report: public` publishes: the report with no path of the curator's machine in it.

The private report (report/ beside build/) may name local folders: where weights were looked for, a model
given as a directory. The copy published with the site is made from report.json when the site is built:
a model given as a directory is named "a local model (its folder's name)", or by its hub id when the folder
is a Hugging Face cache entry, and every absolute path left in the report's messages becomes "a local
folder (its name)" or that hub id. What the curator publishes anyway (titles, captions, prompts) is kept.
"""
from __future__ import annotations

import copy
import re

_PATH = re.compile(r"""
    (?P<quote>['"])(?P<quoted>(?:~|[A-Za-z]:)?[/\\][^'"]*)(?P=quote)       # quoted: may hold spaces
  | (?<![\w.~/\\-])(?P<bare>(?:~|[A-Za-z]:)?[/\\]
        (?:[^\s'"()<>,;]|[ ](?=[^\s'"()<>,;]*[/\\]))*       # a space only when more of the path follows
        [^\s'"()<>,;.:])
""", re.X)
_HUB_CACHE_ENTRY = re.compile(r"models--(?P<owner>[^/\\]+?)--(?P<name>[^/\\]+)")
_LOCAL_MODEL = re.compile(r"^(?:~|\.{1,2}(?=[/\\])|[A-Za-z]:)?[/\\]")
CONTENT = frozenset({"title", "artist", "caption", "prompt", "prompts", "gallery", "id", "thumb", "audio"})


def public_report(report: dict) -> dict:
    """report.json as published: models by hub id or folder name, no local paths, and a link back to the site."""
    out = copy.deepcopy(report)
    for artwork in out.get("artworks") or []:
        if isinstance(artwork, dict) and isinstance(artwork.get("models"), dict):
            artwork["models"] = {kind: model_name(name) for kind, name in artwork["models"].items()}
    fad = out.get("fad")
    if isinstance(fad, dict) and isinstance(fad.get("spaces"), dict):
        fad["spaces"] = {model_name(name): value for name, value in fad["spaces"].items()}
    if isinstance(out.get("genre_kl"), dict) and "model" in out["genre_kl"]:
        out["genre_kl"]["model"] = model_name(out["genre_kl"]["model"])
    out = _scrubbed(out)
    out["links"] = {**(out.get("links") if isinstance(out.get("links"), dict) else {}), "site": "../"}
    return out


def model_name(name):
    """A model as a visitor may read it: a hub id as it is; a directory by its hub id when it is a Hugging
    Face cache entry, else as "a local model (folder name)"."""
    if not isinstance(name, str) or not _LOCAL_MODEL.match(name):
        return scrub(name) if isinstance(name, str) else name
    hub = _hub_id(name)
    return hub or f"a local model ({_folder(name)})"


def scrub(text: str) -> str:
    """`text` with each absolute path replaced by the Hugging Face model it caches or its folder's name."""
    def replace(match: re.Match) -> str:
        path = match["quoted"] if match["quoted"] is not None else match["bare"]
        if path.startswith("//") and text[:match.start()].endswith(":"):
            return match[0]          # a URL's //host/...
        hub = _hub_id(path)
        words = f"the Hugging Face cache of {hub}" if hub else f"a local folder ({_folder(path)})"
        return f"{match['quote']}{words}{match['quote']}" if match["quoted"] is not None else words

    return _PATH.sub(replace, text)


def _hub_id(path: str) -> str | None:
    for part in re.split(r"[/\\]+", path):
        found = _HUB_CACHE_ENTRY.fullmatch(part)
        if found:
            return f"{found['owner']}/{found['name']}"
    return None


def _folder(path: str) -> str:
    parts = [p for p in re.split(r"[/\\]+", path) if p not in ("", "~", ".", "..") and not re.fullmatch(r"[A-Za-z]:", p)]
    return parts[-1] if parts else "/"


def _scrubbed(value, key: str | None = None):
    if key in CONTENT:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {(scrub(k) if isinstance(k, str) else k): _scrubbed(v, k) for k, v in value.items()}
    return value

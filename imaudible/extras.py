"""How to install one of imaudible's extras (`models`, `ray`) into this copy, for the messages that ask for one.

imaudible is installed from a checkout, a wheel or a URL, not from PyPI: there, `pip install 'imaudible[ray]'`
finds nothing, or a stranger's package of that name. So the command names where this copy came from.
"""
from __future__ import annotations

import importlib.metadata
import json
import shlex
import urllib.parse
from pathlib import Path


def install_command(extra: str) -> str:
    """`pip install '<source>[extra]'`: a checkout's folder, else what pip recorded it was installed from."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():      # run from a checkout (editable install, PYTHONPATH)
        return f"pip install {shlex.quote(f'{checkout}[{extra}]')}"
    url = _installed_from()
    if url.startswith("file://"):                     # a folder or a wheel file
        return f"pip install {shlex.quote(urllib.parse.unquote(url[len('file://'):]) + f'[{extra}]')}"
    if url:                                           # a git or archive URL: a direct reference
        return f"pip install {shlex.quote(f'imaudible[{extra}] @ {url}')}"
    return f"pip install {shlex.quote(f'imaudible[{extra}]')} (from where this copy of imaudible came from)"


def _installed_from() -> str:
    try:
        text = importlib.metadata.distribution("imaudible").read_text("direct_url.json") or "{}"
        info = json.loads(text)
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        return ""
    url = str(info.get("url", "")) if isinstance(info, dict) else ""
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") and not url.startswith(f"{vcs['vcs']}+"):
        url = f"{vcs['vcs']}+{url}"
    return url

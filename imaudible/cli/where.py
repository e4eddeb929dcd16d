"""How the command line names places: the manifest as the user would type its path, and a manifest option
by its line and column."""
from __future__ import annotations

import os
from pathlib import Path

from ..manifest import MANIFEST_NAME


def display(site_dir: Path) -> str:
    manifest = site_dir / MANIFEST_NAME if site_dir.is_dir() else site_dir
    try:
        rel = os.path.relpath(manifest)
    except ValueError:
        return str(manifest)
    return os.path.abspath(manifest) if rel.startswith("..") else rel   # abspath: the manifest's name, not a link's target


def at_setting(gallery, setting: str | None, message: str) -> str:
    """`gallery.yaml:LINE:COL: music.model: message` when the option is written in the manifest."""
    from ..manifest import locate

    if gallery is None or not setting:
        return message
    where = locate(gallery.manifest_path, setting)
    if where is None:
        return f"{setting}: {message}"
    return f"{display(gallery.manifest_path)}:{where[0]}:{where[1]}: {setting}: {message}"

"""The static site: typed artwork views in, build/ out (`render`). It never reads the cache's layout."""
from __future__ import annotations

from .cleaning import clean
from .output_folder import held as writing
from .output_folder import written_files
from .render import SiteError, Written, check_front_end, preflight, render_site, theme_folders

__all__ = ["SiteError", "Written", "check_front_end", "clean", "preflight", "render_site", "theme_folders",
           "writing", "written_files"]

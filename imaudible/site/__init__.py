"""The static site: typed artwork views in, build/ out (`render`). It never reads the cache's layout."""
from __future__ import annotations

from .render import SiteError, Written, check_front_end, clean, preflight, render_site

__all__ = ["SiteError", "Written", "check_front_end", "clean", "preflight", "render_site"]

"""The files editors leave beside the one being edited: backups, autosaves, swap and test files. They are
neither published from static/ nor a change `serve` rebuilds for: Emacs keeps `style.css~` after every save,
and its name alone failed every build (static/ names must be URL-safe), until deleted by hand."""
from __future__ import annotations

import re

_LEFTOVER = re.compile(
    r"\..*"                       # hidden: Vim's .x.swp, Emacs' lock .#x, Kate's .x.kate-swp, gedit's .goutputstream-*
    r"|.*~"                       # backups (Emacs, Vim's writebackup, nano, gedit)
    r"|#.*#"                      # Emacs autosave
    r"|.*___jb_(?:tmp|old)___"    # JetBrains' safe write
    r"|4913")                     # Vim's test that it may write the folder


def is_editor_leftover(name: str) -> bool:
    """Whether a file named `name` (no folder) is an editor's, not the curator's."""
    return _LEFTOVER.fullmatch(name) is not None

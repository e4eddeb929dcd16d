"""Which Python packages each model backend imports, whether they are installed (asked without importing
them), and the one step that installs them. A plain `pip install imaudible` has none of them: the [models]
extra brings the transformers backend's, and audiocraft is installed apart (see the README)."""
from __future__ import annotations

import importlib.util

BACKEND_LIBRARIES = {"transformers": ("torch", "transformers", "safetensors"), "audiocraft": ("torch", "audiocraft")}
AUDIOCRAFT_INSTALL = "pip install --no-deps audiocraft, as the README shows"   # its pins clash with ours


def library_missing(backend: str) -> list[str]:
    """The Python packages a backend needs that are not installed (none for the built-in models)."""
    return [name for name in BACKEND_LIBRARIES.get(backend, ()) if not _installed(name)]


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):   # a finder that refuses it; a module in sys.modules without a spec
        return False


def install_command(backend: str) -> str:
    """The command that installs what `backend` needs into this copy of imaudible (see extras.py)."""
    from .extras import install_command as install_extra

    return AUDIOCRAFT_INSTALL if backend == "audiocraft" else install_extra("models")


def install_step(backend: str) -> str:
    """What to do first, in words: "install the [models] extra (`pip install '/src/imaudible[models]'`)"."""
    what = "the [models] extra" if backend != "audiocraft" else "audiocraft"
    return f"install {what} (`{install_command(backend)}`)"


def not_installed(libraries: list[str] | tuple[str, ...]) -> str:
    """"torch and transformers are not installed", for the packages `library_missing` named."""
    names = list(libraries)
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{listed} {'is' if len(names) == 1 else 'are'} not installed"

"""The files `add` considers: the images the build can read (their suffixes, header and pixels checked as
`images` decodes them), and never a file of the tool's own: the output folder, any folder holding a site the
build wrote, the cache, the evaluation report, the gallery's theme folders."""
from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Callable

from .image_checks import too_big
from .settings import ImageSettings
from .types import CONTROL_CHARACTERS, UNSAFE_TEXT, open_bidi

DEFAULT_OUT = "build"                    # the output folder when no --out is given (cli/build.py)
THEME_FOLDERS = ("static", "templates")  # the gallery's own theme files (site/render.py), not artworks


class CurateError(Exception):
    """An edit that cannot be made (one-line message); the manifest is left as it was."""


def accepted_suffixes() -> frozenset[str]:
    """The file-name suffixes of the formats the build decodes, from Pillow's registry (so they follow it)."""
    from PIL import Image

    from .images import decodable_formats

    formats = decodable_formats()
    return frozenset(suffix for suffix, fmt in Image.registered_extensions().items() if fmt in formats)


# Images people keep that Pillow does not open at all: found in a folder, they are named, not passed over
OTHER_IMAGE_SUFFIXES = {".heic": "HEIC", ".heif": "HEIF", ".jxl": "JPEG XL", ".svg": "SVG",
                        **{s: "camera RAW" for s in (".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2")}}


class Candidates:
    """The files `add` considers, and what it checks of each, in the gallery folder `root` (resolved)."""

    def __init__(self, root: Path, max_pixels: int):
        from PIL import Image

        from .engine.cache import CACHE_DIR_NAME
        from .types import REPORT_DIR
        from .images import decodable_formats
        from .site.output_folder import OWNED_LIST

        self.root, self.max_pixels, self.marker = root, max_pixels, OWNED_LIST
        theme = "the gallery's theme folder"
        self.fixed = {root / DEFAULT_OUT: "the build's output folder", root / CACHE_DIR_NAME: "the build's cache",
                      root / REPORT_DIR: "the evaluation report folder (`evaluate` rewrites it)",
                      **{root / name: theme for name in THEME_FOLDERS}}
        self.reasons: dict[Path, str | None] = {}
        self.suffixes, self.formats = accepted_suffixes(), decodable_formats()
        # Formats Pillow opens but the build does not: worth a warning when found, unlike a .txt or a .pdf
        pillow_only = {suffix: fmt for suffix, fmt in Image.registered_extensions().items()
                       if fmt in Image.OPEN and suffix not in self.suffixes}
        self.other_images = {**OTHER_IMAGE_SUFFIXES, **pillow_only}

    def candidates(self, paths: list[Path], warn: Callable[[str], None]) -> list[tuple[Path, bool]]:
        """(file, named): each file named, and each image found in the folders named."""
        found = []
        for path in map(Path, paths):
            if path.is_dir():
                problem = self.tool_owned(self.inside(path), is_dir=True)
                if problem:
                    raise CurateError(f"'{path}' is {problem}")
                found += [(image, False) for image in self._found_in(path, warn)]
            elif path.is_file():
                found.append((path, True))
            elif path.exists():
                raise CurateError(f"'{path}' is not a file or folder")
            else:
                raise CurateError(f"no such file or folder: '{path}'")
        return found

    def inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise CurateError(f"'{path}' is outside the gallery folder {self.root}; copy it in first")
        return resolved

    def _found_in(self, folder: Path, warn: Callable[[str], None]) -> list[Path]:
        """The images in `folder` and below, outside hidden folders and the tool's own (never entered)."""
        real, found = folder.resolve(), []
        for here, dirs, files in os.walk(folder):   # symlinked folders are not followed
            real_here = real / Path(here).relative_to(folder)
            dirs[:] = [d for d in dirs if not d.startswith(".") and self._reason(real_here / d) is None]
            for name in files:
                suffix = os.path.splitext(name)[1].lower()
                if name.startswith("."):   # hidden, or macOS's "._name" resource forks
                    continue
                if suffix in self.suffixes:
                    problem = self._not_a_file(Path(here) / name)
                    if problem:
                        warn(f"skipped '{(real_here / name).relative_to(self.root).as_posix()}': {problem}")
                    else:
                        found.append(Path(here) / name)
                elif suffix in self.other_images:
                    rel = (real_here / name).relative_to(self.root).as_posix()
                    warn(f"skipped '{rel}': {self.other_images[suffix]}, a format the build does not read "
                         f"({', '.join(self.formats)}); export it as JPEG or PNG")
        return sorted(found)

    def _not_a_file(self, path: Path) -> str | None:
        """Why a name found in a folder is no image file of the gallery's, or None: what os.walk lists as a
        file may be a named pipe (opening it would wait forever), a device, a link in a loop or to nothing, or
        a link to a file outside the gallery (one such link must not stop the whole `add`)."""
        try:
            info = os.stat(path)
            mode = info.st_mode
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:   # RuntimeError: a symlink loop, on Python < 3.13
            return f"a link that leads nowhere ({getattr(exc, 'strerror', None) or 'a symlink loop'})"
        if not stat.S_ISREG(mode):
            kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
            return f"not a regular file (it is {kind})"
        if not resolved.is_relative_to(self.root):
            return f"a link to '{resolved}', outside the gallery folder; copy the file in instead"
        return too_big(info.st_size)

    def _reason(self, folder: Path) -> str | None:
        """Why `folder` (resolved) holds the tool's files and not the curator's, or None."""
        if folder not in self.reasons:
            self.reasons[folder] = self.fixed.get(folder) or (
                f"a site the build wrote (it holds {self.marker})" if (folder / self.marker).is_file() else None)
        return self.reasons[folder]

    def tool_owned(self, path: Path, is_dir: bool) -> str | None:
        """Why `path` (resolved, in the gallery) is, or is inside, a folder of the tool's, or None."""
        for folder in [path, *path.parents] if is_dir else path.parents:
            if folder == self.root:
                return None
            reason = self._reason(folder)
            if reason:
                where = "" if folder == path else f"inside '{folder.relative_to(self.root).as_posix()}/', "
                return f"{where}{reason}: its files are not artworks"
        return None

    def unreadable(self, path: Path) -> str | None:
        """Why the build could not read the image, or None: its header first, then its pixels (`undecodable`)."""
        return self._unreadable_header(path) or undecodable(path, self.max_pixels)

    def _unreadable_header(self, path: Path) -> str | None:
        from PIL import Image, UnidentifiedImageError

        not_image = f"not an image the build can read ({', '.join(self.formats)})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path, formats=self.formats) as img:
                    width, height = img.size
        except Image.DecompressionBombError as exc:
            # Pillow's own limit, which images.max_pixels may exceed (the build lifts Pillow's to it)
            found = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(found.group(1)) if found else self.max_pixels + 1
            return self._too_large(f"{pixels:,} pixels") if pixels > self.max_pixels else None
        except UnidentifiedImageError:
            from .image_checks import unsupported_fix, unsupported_kind

            with open(path, "rb") as file:
                kind = unsupported_kind(file.read(1024))
            return f"{kind}, which the build cannot read ({unsupported_fix(kind)})" if kind else not_image
        except Exception as exc:   # Pillow's plug-ins raise many kinds on a hostile header
            if isinstance(exc, OSError) and exc.strerror:
                return f"not readable ({exc.strerror})"
            return f"{not_image[:-1]}; damaged: {' '.join(str(exc).split()) or type(exc).__name__})"
        if width < 1 or height < 1:
            return f"{not_image[:-1]}; its header gives an empty size {width}x{height})"
        if width * height > self.max_pixels:
            return self._too_large(f"{width}x{height} = {width * height:,} pixels")
        return None

    def _too_large(self, size: str) -> str:
        return f"too large for the build: {size}, over images.max_pixels ({self.max_pixels:,})"


def name_problem(rel: str) -> str | None:
    """Why a file name cannot go into the manifest, or None: what the manifest refuses in any text (control
    characters; bytes that are no UTF-8, which Python keeps as lone surrogates; a bidirectional override left
    open) must be skipped here, or one such file would make the whole edit invalid."""
    if CONTROL_CHARACTERS.search(rel):
        return "a file name with control characters in it (rename the file)"
    if UNSAFE_TEXT.search(rel):
        return "a file name that is not valid UTF-8 (rename the file)"
    if open_bidi(rel):
        return "a file name with a text-direction override left open (rename the file)"
    return None


def undecodable(path: Path, max_pixels: int) -> str | None:
    """Why the build could not decode the image's pixels (a JPEG at 1/8 scale), or None: a truncated or corrupt
    file is refused by `add`, not found broken by the next build."""
    from .image_checks import ImageError
    from .images import decode

    prefix = f"cannot decode '{path.name}': "
    try:
        decode(path.read_bytes(), path.name, ImageSettings(max_pixels=max_pixels), needed_edge=64).image.close()
    except ImageError as exc:
        return f"damaged: {str(exc).removeprefix(prefix)} (the build could not decode it)"
    except OSError as exc:
        return f"not readable ({exc.strerror or exc})"
    return None

"""What is said about an artwork's image without decoding it, so a rebuild from cache never imports Pillow:
the one error type of image handling, where the file really is, and the warnings about a source too small
for its place or shown otherwise than it holds."""
from __future__ import annotations

import os
import stat
from pathlib import Path

MIN_PX_PER_10CM = 100    # below this a source looks soft at its real size (size_cm)
# A source this many times longer than it is wide hangs, without size_cm, as a strip well under half a metre
# across (the gallery gives an unsized work about 1.1 m2 of canvas, and no wall is longer than 4 m).
STRIP_RATIO = 6


class ImageError(Exception):
    """An image that cannot be used; the message is one line and names the file."""


def small_source_warning(file: str, width: int, height: int, sizes: tuple[int, ...],
                         size_cm: tuple[float, float] | None) -> str | None:
    """A one-line warning when a source is too small for its place, or None."""
    long_edge = max(width, height)
    smallest = min(sizes)
    if long_edge < smallest:
        return (f"'{file}' is small: {long_edge} px on its long edge, under the smallest texture size "
                f"({smallest} px, images.sizes); it is shown at {long_edge} px and will look soft")
    if size_cm:
        per_10cm = long_edge / max(size_cm) * 10
        if per_10cm < MIN_PX_PER_10CM:
            return (f"'{file}' is small for its size_cm: {long_edge} px across {max(size_cm):g} cm is "
                    f"{per_10cm:.0f} px per 10 cm (about {MIN_PX_PER_10CM} looks sharp); it will look soft")
    return None


def strip_warning(file: str, width: int, height: int, size_cm: tuple[float, float] | None) -> str | None:
    """A one-line warning when an unsized source is so long and narrow that it hangs as a thin strip, or None
    (with size_cm the curator has said how large it is)."""
    if size_cm or min(width, height) < 1:
        return None
    ratio = max(width, height) / min(width, height)
    if ratio < STRIP_RATIO:
        return None
    shape = "wide as it is high" if width > height else "high as it is wide"
    return (f"'{file}' is {ratio:.1f} times as {shape} ({width}x{height} px): on the wall it hangs as a thin "
            "strip (its close-up shows it whole); give its real size as size_cm, or crop it")


# Decoding notes (as images.py words them; cached results keep them, so these words stay) that mean the site
# shows other than the file holds, and what that means to the curator. A build says them, from cache too.
SAID_NOTES = {"the first frame is used": "",
              "profile unusable": "colours may be off",
              "(no ICC profile)": "colours may be off (save it as sRGB)",
              "unreadable": "it may be shown turned"}


def decoding_warning(file: str, notes) -> str | None:
    """A one-line warning naming what of `file` the site does not show as the file holds it, or None."""
    said = [f"{note}: {meaning}" if meaning else note
            for note in notes for phrase, meaning in SAID_NOTES.items() if phrase in note]
    return f"'{file}': {'; '.join(said)}" if said else None


def resolved_with_stat(path: Path, real_folders: dict[Path, Path]) -> tuple[Path, os.stat_result | None]:
    """`path.resolve()` and the stat of what it names (None when nothing). Each folder is resolved once for
    all the artworks in it (`real_folders` remembers it); a name that is a symlink (or '..') is resolved whole."""
    folder = path.parent
    if folder not in real_folders:
        real_folders[folder] = folder.resolve()
    if path.name not in ("", ".", ".."):
        target = real_folders[folder] / path.name
        try:
            info = os.lstat(target)
        except OSError:
            info = None
        if info is None or not stat.S_ISLNK(info.st_mode):
            return target, info
    target = path.resolve()
    try:
        return target, os.stat(target)
    except OSError:
        return target, None


# Formats people have that Pillow does not read, by their first bytes: named, so the fix is plain.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


# The most bytes an artwork file may hold: images.max_pixels at its largest (16384²) as 16-bit RGBA, uncompressed,
# is 2 GiB. The build reads a source whole; a gallery may come as an archive whose few kilobytes unpack to a
# file of a terabyte (sparse, or zeros compressed), behind a valid image header.
MAX_SOURCE_BYTES = 4 << 30


def too_big(size: int) -> str | None:
    """Why a source of `size` bytes is refused, or None."""
    if size <= MAX_SOURCE_BYTES:
        return None
    return (f"it holds {size:,} bytes, more than any image the build reads (at most {MAX_SOURCE_BYTES >> 30} GiB: "
            "images.max_pixels at its largest, uncompressed)")


# A gallery cloned from git without its LFS objects has, in place of each image, the small text that points
# at it: "not an image" would send the curator looking at a picture that is fine in their repository.
GIT_LFS_POINTER = "a Git LFS pointer (the clone did not fetch the image)"
_LFS_HEADER = b"version https://git-lfs.github.com/spec/"


def unsupported_fix(kind: str) -> str:
    """What to do about a file `unsupported_kind` named."""
    return "fetch the images with `git lfs pull`" if kind == GIT_LFS_POINTER else "export it as JPEG or PNG"


def unsupported_kind(data: bytes) -> str | None:
    """What a file Pillow cannot identify is, from its first kilobyte, when it is a format people use."""
    head = data[:64]
    if head.startswith(_LFS_HEADER):
        return GIT_LFS_POINTER
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "a HEIC/HEIF image (the iPhone's photo format)"
    if head.startswith(b"\xff\x0a") or head[4:12] == b"JXL \x0d\x0a\x87\x0a":
        return "a JPEG XL image"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if b"<svg" in data[:1024].lower():
        return "an SVG drawing"
    return None

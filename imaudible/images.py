"""Safe image decoding, web derivatives and the content hash of an artwork's source file.

`ingest` reads one file and returns everything later stages need: the SHA-256 of the source bytes,
the displayed size (after EXIF orientation), WebP and JPEG derivatives at each texture size plus a
thumbnail, and a small RGB copy for the analysis stages. Every way a file can be unusable raises
`ImageError` with a one-line message; nothing else escapes.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .settings import ImageSettings
from .types import Derivative

VERSION = "2"

ANALYSIS_EDGE = 512
# Formats we decode. Pillow knows more (EPS would run Ghostscript, for one); these are the web and camera ones.
# (JPEG includes MPO, the multi-picture JPEG of some cameras.)
Image.init()
FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF") if f in Image.OPEN)
_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)
# Image.MAX_IMAGE_PIXELS is process-wide: it is swapped only while a header is parsed, under this lock.
_PIXEL_LIMIT_LOCK = threading.Lock()


class ImageError(Exception):
    """An image that cannot be used; the message is one line and names the file."""


@dataclass
class IngestResult:
    sha256: str
    width: int
    height: int
    derivatives: list[Derivative]
    analysis: Image.Image
    notes: list[str] = field(default_factory=list)


def ingest(path: Path, settings: ImageSettings) -> IngestResult:
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read '{name}': {exc.strerror or exc}") from None
    if not data:
        raise ImageError(f"cannot decode '{name}': file is empty (0 bytes)")
    notes: list[str] = []
    image = _open_checked(data, name, settings.max_pixels)
    width, height, orientation = _displayed_size(image, notes)
    _draft_for(image, min(max(width, height), max(*settings.sizes, settings.thumbnail, ANALYSIS_EDGE)))
    try:
        image.load()
    except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error ...
        raise ImageError(f"cannot decode '{name}': {_describe_decode_error(exc)}") from None
    if orientation not in (None, 1):
        image = _apply_orientation(image, notes)
    base = _to_rgb(image, settings.mat_colour, notes, name)
    return IngestResult(
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        derivatives=_derivatives(base, width, height, settings, name),
        analysis=_resize_to_edge(base, width, height, ANALYSIS_EDGE),
        notes=notes,
    )


def _open_checked(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """Parse only the header, and refuse the file before any pixel is decoded if it is too big."""
    with _PIXEL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
            raise ImageError(f"'{name}' is too large: {size}, over the limit of {max_pixels:,} "
                             "(images.max_pixels); refused as a possible decompression bomb") from None
        except UnidentifiedImageError:
            raise ImageError(f"cannot decode '{name}': not an image, or not a supported format "
                             f"({', '.join(FORMATS)})") from None
        except Exception as exc:
            raise ImageError(f"cannot decode '{name}': {_describe_decode_error(exc)}") from None
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    w, h = image.size
    if w < 1 or h < 1:
        image.close()
        raise ImageError(f"cannot decode '{name}': the header gives an empty size {w}x{h}")
    if w * h > max_pixels:
        image.close()
        raise ImageError(f"'{name}' is too large: {w}x{h} = {w * h:,} pixels, over the limit of {max_pixels:,} "
                         "(images.max_pixels); refused as a possible decompression bomb")
    return image


def _describe_decode_error(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "truncated" in text or isinstance(exc, EOFError):
        return "file is truncated"
    return f"corrupt image data ({text})"


def _displayed_size(image: Image.Image, notes: list[str]) -> tuple[int, int, int | None]:
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"{image.format} with {image.n_frames} frames: the first frame is used")
    try:
        orientation = image.getexif().get(_ORIENTATION_TAG)
    except Exception:
        notes.append("unreadable EXIF ignored")
        orientation = None
    w, h = image.size
    if orientation in _SWAPPING_ORIENTATIONS:
        w, h = h, w
    return w, h, orientation


def _draft_for(image: Image.Image, needed_edge: int) -> None:
    """Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while keeping at least `needed_edge` pixels."""
    if image.format not in ("JPEG", "MPO"):
        return
    w, h = image.size
    scale = needed_edge / max(w, h)
    image.draft(None, (math.ceil(w * scale), math.ceil(h * scale)))


def _apply_orientation(image: Image.Image, notes: list[str]) -> Image.Image:
    try:
        rotated = ImageOps.exif_transpose(image)
    except Exception:
        notes.append("EXIF orientation unreadable, ignored")
        return image
    notes.append("rotated by its EXIF orientation")
    return rotated


def _to_rgb(image: Image.Image, mat_colour: str, notes: list[str], name: str) -> Image.Image:
    """Any decoded mode -> 8-bit sRGB RGB, with transparency flattened onto the mat colour."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        image = _high_depth_to_l(image)
        notes.append(f"converted from {mode} ({'floating point' if mode == 'F' else 'high bit depth'}) to 8 bits")
        mode = "L"
    icc = image.info.get("icc_profile")
    if mode == "CMYK":
        image = _cmyk_to_rgb(image, icc, notes)
    elif mode == "RGB" and icc:
        image = _profile_to_srgb(image, icc, notes)
    elif mode == "LAB":
        image = ImageCms.applyTransform(image, ImageCms.buildTransform(
            ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"))
        notes.append("converted from CIELAB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        if image.mode == "P" and "transparency" in image.info:
            notes.append("palette transparency flattened on the mat colour")
        else:
            notes.append(f"{image.mode} alpha flattened on the mat colour")
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, mat_colour)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode != "RGB":
        if image.mode in ("L", "1"):
            notes.append("greyscale converted to RGB")
        try:
            image = image.convert("RGB")
        except ValueError:
            raise ImageError(f"cannot decode '{name}': unsupported colour mode {image.mode}") from None
    return image


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit integer or float greyscale to 0..255 (Pillow's own convert clips instead)."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        low, high = (0.0, 1.0) if values.size and values.min() >= 0 and values.max() <= 1 else _range(values)
    elif image.mode.startswith("I;16") or (values.size and values.min() >= 0 and values.max() <= 65535):
        low, high = 0.0, 65535.0
    else:
        low, high = _range(values)
    scaled = np.clip((values - low) * (255.0 / max(high - low, 1e-12)), 0, 255)
    return Image.fromarray(np.round(scaled).astype(np.uint8))


def _range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    if icc:
        try:
            converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                  ImageCms.createProfile("sRGB"), outputMode="RGB")
            notes.append("converted from CMYK to sRGB with its ICC profile")
            return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            notes.append("CMYK ICC profile unusable, converted without it")
    else:
        notes.append("converted from CMYK (no ICC profile)")
    return image.convert("RGB")


def _profile_to_srgb(image: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile)
        if "srgb" in description.lower():
            return image
        converted = ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        notes.append("ICC profile unusable, ignored")
        return image
    notes.append(f"converted from '{description.strip()}' to sRGB")
    return converted


def _target_size(width: int, height: int, edge: int) -> tuple[int, int]:
    """The size whose long edge is `edge`, never larger than the original."""
    long_edge = max(width, height)
    if edge >= long_edge:
        return width, height
    scale = edge / long_edge
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize_to_edge(base: Image.Image, width: int, height: int, edge: int) -> Image.Image:
    size = _target_size(width, height, edge)
    if size == base.size:
        return base.copy()
    return base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _derivatives(base: Image.Image, width: int, height: int, settings: ImageSettings, name: str) -> list[Derivative]:
    edges = [(str(size), size) for size in settings.sizes] + [("thumb", settings.thumbnail)]
    encoded: dict[tuple[int, int], dict[str, bytes]] = {}  # small originals give equal sizes: encode once
    result = []
    for label, edge in edges:
        size = _target_size(width, height, edge)
        if size not in encoded:
            try:
                encoded[size] = _encode(_resize_to_edge(base, width, height, edge), settings.quality)
            except (OSError, ValueError) as exc:  # e.g. WebP's 16383 px limit
                raise ImageError(f"cannot encode '{name}' at {size[0]}x{size[1]}: {' '.join(str(exc).split())}") from None
        result += [Derivative(label, fmt, size[0], size[1], data) for fmt, data in encoded[size].items()]
    return result


def _encode(image: Image.Image, quality: int) -> dict[str, bytes]:
    """Deterministic encodings with no metadata (no EXIF, ICC or XMP is passed to the encoders)."""
    image.info.clear()
    webp, jpg = io.BytesIO(), io.BytesIO()
    # method 2 encodes twice as fast as the default 4 for about 1% more bytes (measured on the demo art).
    image.save(webp, "WEBP", quality=quality, method=2)
    image.save(jpg, "JPEG", quality=quality, optimize=True, progressive=True)
    return {"webp": webp.getvalue(), "jpg": jpg.getvalue()}

"""Safe image decoding, web derivatives and the content hash of an artwork's source file.

Two sides of a source's bytes, computed apart so that a web-derivative setting never touches the analysis:
`analyse` gives the SHA-256 of the bytes, the displayed size (after EXIF orientation) and a small RGB copy
for the analysis stages; `derive` gives the web derivatives at each texture size the source fills (see
`texture_plan`) plus a thumbnail: WebP up to 720 px, JPEG above, and og:image's texture always as JPEG.
`ingest` does both from one decode.
Every way a file can be unusable raises `ImageError` with a one-line message; nothing else escapes.
"""
from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from . import resample
from .image_checks import (MAX_SOURCE_BYTES, ImageError, small_source_warning, too_big,  # noqa: F401 - kept Pillow-free there
                           unsupported_fix, unsupported_kind)
from .settings import ImageSettings
from .types import Derivative

# This module's code version is versions.IMAGES: bump it there when the same inputs give other output.

ANALYSIS_EDGE = 512
NATIVE_MARGIN = 1.25     # a source this much beyond the largest size it fills also gets a texture at its own size
OG_MIN_EDGE = 1000       # og:image is the smallest texture this big, always also a JPEG: what site.layout.card_image shares
# WebP (method 0) is the smaller format for a given SSIM at 720 px and below, JPEG (Huffman-optimised) above
# it, where it also encodes 3.6x faster (benchmarks/bench_texture_format.py; ARCHITECTURE.md, "The cold
# image path"): derivatives up to this long edge are WebP, larger ones JPEG.
WEBP_MAX_EDGE = 720
# The thumbnail (about 3x smaller than the texture it comes from) is box-reduced 2x before Lanczos: 35% less
# time (6.2 -> 4.0 ms), a mean difference of 0.4 levels (99th percentile 2) from Lanczos alone. Textures,
# seen close up, get Lanczos only.
THUMB_REDUCING_GAP = 1.5
TEXTURE_REDUCING_GAP = 3.0
# Formats we decode. Pillow knows more (EPS would run Ghostscript, for one); these are the web and camera ones.
# (JPEG includes MPO, the multi-picture JPEG of some cameras.)
WANTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF")
_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)
# Image.MAX_IMAGE_PIXELS is process-wide: it is swapped only while a header is parsed, under this lock.
_PIXEL_LIMIT_LOCK = threading.Lock()


@dataclass
class Decoded:
    """A source decoded to 8-bit sRGB RGB, turned by its EXIF orientation; (width, height) is its displayed
    size at full resolution (`image` may be smaller: a JPEG decodes scaled down to what is needed)."""
    image: Image.Image
    width: int
    height: int
    notes: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    """The analysis side of a source: what mood, captions and music read. Web-derivative settings change none of it."""
    sha256: str
    width: int
    height: int
    analysis: Image.Image   # RGB, at most ANALYSIS_EDGE on the long edge
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestResult(Analysis):
    derivatives: list[Derivative] = field(default_factory=list)


def read_source(path: Path) -> bytes:
    """The bytes of an artwork's file (only a regular file: a named pipe put in its place would block)."""
    from .safe_paths import open_regular

    path = Path(path)
    try:
        with open_regular(path) as fh:
            refused = too_big(os.fstat(fh.fileno()).st_size)
            if refused:
                raise ImageError(f"cannot read '{path.name}': {refused}")
            return fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise ImageError(f"cannot read '{path.name}': {exc.strerror or exc}") from None


def decode(data: bytes, name: str, settings: ImageSettings, needed_edge: int) -> Decoded:
    """Decode `data` (the file `name`) with at least `needed_edge` pixels on the long edge where the source has them."""
    if not data:
        raise ImageError(f"cannot decode '{name}': file is empty (0 bytes)")
    notes: list[str] = []
    image = _open_checked(data, name, settings.max_pixels)
    width, height, orientation = _displayed_size(image, notes)
    _draft_for(image, min(max(width, height), needed_edge))
    try:
        image.load()
    except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error ...
        raise ImageError(f"cannot decode '{name}': {_describe_decode_error(exc)}") from None
    if orientation not in (None, 1):
        image = _apply_orientation(image, notes)
    base = _to_rgb(image, settings.mat_colour, notes, name)
    base.info.clear()
    return Decoded(base, width, height, notes)


def analyse(data: bytes, name: str, settings: ImageSettings) -> Analysis:
    """Content hash, displayed size and the small analysis copy (decoded no larger than it needs)."""
    decoded = decode(data, name, settings, ANALYSIS_EDGE)
    analysis = _resized([decoded.image], _target_size(decoded.width, decoded.height, ANALYSIS_EDGE))
    return Analysis(hashlib.sha256(data).hexdigest(), decoded.width, decoded.height, analysis, decoded.notes)


def derive(data: bytes, name: str, settings: ImageSettings) -> list[Derivative]:
    """The web derivatives: a texture per size the source fills (see `texture_plan`) and the thumbnail,
    each WebP up to WEBP_MAX_EDGE and JPEG above it, and the og:image texture also as JPEG."""
    decoded = decode(data, name, settings, max(*settings.sizes, settings.thumbnail))
    return _derivatives(decoded, settings, name)[0]


def ingest(source: Path | bytes, settings: ImageSettings, name: str | None = None) -> IngestResult:
    """Both sides of a source from one decode (for callers outside a build: tests, benchmarks, evaluate).
    `source`: the file, or its bytes with its `name`."""
    if isinstance(source, bytes):
        data, name = source, name or "image"
    else:
        data, name = read_source(source), name or Path(source).name
    decoded = decode(data, name, settings, max(*settings.sizes, settings.thumbnail, ANALYSIS_EDGE))
    derivatives, made = _derivatives(decoded, settings, name)
    analysis = _resized(made, _target_size(decoded.width, decoded.height, ANALYSIS_EDGE))
    return IngestResult(hashlib.sha256(data).hexdigest(), decoded.width, decoded.height, analysis,
                        decoded.notes, derivatives)


@functools.lru_cache(maxsize=1)
def decodable_formats() -> tuple[str, ...]:
    """The wanted formats this Pillow decodes (loading every plug-in takes ~60 ms: not on a no-op rebuild)."""
    Image.init()
    return tuple(f for f in WANTED_FORMATS if f in Image.OPEN)


def _open_checked(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """Parse only the header, and refuse the file before any pixel is decoded if it is too big."""
    with _PIXEL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=decodable_formats())
        except Image.DecompressionBombError as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
            raise ImageError(f"'{name}' is too large: {size}, over the limit of {max_pixels:,} "
                             "(images.max_pixels); refused as a possible decompression bomb") from None
        except UnidentifiedImageError:
            kind = unsupported_kind(data)
            if kind:
                raise ImageError(f"cannot decode '{name}': it is {kind}, which imaudible cannot read; "
                                 f"{unsupported_fix(kind)}") from None
            raise ImageError(f"cannot decode '{name}': not an image, or not a supported format "
                             f"({', '.join(decodable_formats())})") from None
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
    import numpy as np

    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        low, high = (0.0, 1.0) if values.size and values.min() >= 0 and values.max() <= 1 else _range(values)
    elif image.mode.startswith("I;16") or (values.size and values.min() >= 0 and values.max() <= 65535):
        low, high = 0.0, 65535.0
    else:
        low, high = _range(values)
    scaled = np.clip((values - low) * (255.0 / max(high - low, 1e-12)), 0, 255)
    return Image.fromarray(np.round(np.nan_to_num(scaled, nan=0.0)).astype(np.uint8))   # NaN: black, as it was


def _range(values) -> tuple[float, float]:
    import numpy as np

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


def texture_plan(long_edge: int, sizes: tuple[int, ...]) -> list[tuple[str, int]]:
    """(name, long edge) of the texture derivatives of a source with this long edge, smallest first.

    Each configured size the source fills, named by that size; and the source at its own size, named by
    its own long edge, when it fills none of them, or when it is well beyond the largest it fills but
    short of a bigger one. Nothing is ever upscaled, so no file is named after a size it does not have.
    """
    filled = sorted(size for size in set(sizes) if size <= long_edge)
    plan = [(str(size), size) for size in filled]
    if not filled or (filled[-1] < max(sizes) and long_edge > NATIVE_MARGIN * filled[-1]):
        plan.append((str(long_edge), long_edge))
    return plan


def _og_texture(plan: list[tuple[str, int]]) -> str:
    """The one texture also written as JPEG (og:image and the <img> fallback): the smallest of at least
    OG_MIN_EDGE pixels, else the largest."""
    return next((name for name, edge in plan if edge >= OG_MIN_EDGE), plan[-1][0])


def _derivatives(decoded: Decoded, settings: ImageSettings, name: str) -> tuple[list[Derivative], list[Image.Image]]:
    """The texture derivatives and the thumbnail, and every resized image made on the way.

    Each is resized from the smallest already-made image that is at least twice its size (a cascade is
    several times faster than resizing everything from the full source, with no visible difference).
    """
    width, height = decoded.width, decoded.height
    plan = texture_plan(max(width, height), tuple(settings.sizes))
    og = _og_texture(plan)
    wanted = [(label, edge, label == og) for label, edge in plan] + [("thumb", settings.thumbnail, False)]
    made: list[Image.Image] = [decoded.image]
    encoded: dict[tuple[tuple[int, int], str], bytes] = {}  # equal sizes (small sources): encode once
    result = []
    for label, edge, with_jpeg in sorted(wanted, key=lambda item: -item[1]):
        size = _target_size(width, height, edge)
        image = _resized(made, size, THUMB_REDUCING_GAP if label == "thumb" else TEXTURE_REDUCING_GAP,
                         resample.lanczos)
        made.append(image)
        for fmt in _formats(edge, with_jpeg):
            if (size, fmt) not in encoded:
                try:
                    encoded[size, fmt] = _encode(image, fmt, settings.quality)
                except (OSError, ValueError) as exc:  # e.g. WebP's 16383 px limit
                    raise ImageError(f"cannot encode '{name}' at {size[0]}x{size[1]}: "
                                     f"{' '.join(str(exc).split())}") from None
            result.append(Derivative(label, fmt, size[0], size[1], encoded[size, fmt]))
    order = {label: i for i, (label, _, _) in enumerate(wanted)}
    return sorted(result, key=lambda d: (order[d.name], d.fmt)), made


def _formats(edge: int, with_jpeg: bool) -> tuple[str, ...]:
    if edge > WEBP_MAX_EDGE:
        return ("jpg",)
    return ("webp", "jpg") if with_jpeg else ("webp",)


def _resized(made: list[Image.Image], size: tuple[int, int], reducing_gap: float = TEXTURE_REDUCING_GAP,
             resize=resample.pillow_lanczos) -> Image.Image:
    for image in made:
        if image.size == size:
            return image
    source = min((im for im in made if im.width >= 2 * size[0] and im.height >= 2 * size[1]),
                 key=lambda im: im.width, default=made[0])
    return resize(source, size, reducing_gap)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    """Deterministic encodings with no metadata (no EXIF, ICC or XMP is passed to the encoders)."""
    out = io.BytesIO()
    if fmt == "webp":
        # method 0 encodes ~1.8x faster than method 2 for ~5% more bytes (measured on the benchmark's art).
        image.save(out, "WEBP", quality=quality, method=0)
    else:
        # Baseline JPEG with optimised Huffman tables: 6.3 against 2.5 ms per artwork for 1.5% fewer bytes;
        # progressive would save 4% more for 13.5 ms (benchmarks/bench_texture_format.py, demo art).
        image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()

"""images.ingest: safe decoding, derivatives, content hash, determinism."""
from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from imaudible.image_checks import decoding_warning
from imaudible.images import Derivative, ImageError, ingest, small_source_warning, texture_plan
from imaudible.settings import ImageSettings

ART = Path(__file__).resolve().parent.parent / "demo" / "art"
SETTINGS = ImageSettings()


def decode(d: Derivative) -> Image.Image:
    image = Image.open(io.BytesIO(d.data))
    image.load()
    return image


def find(result, name: str, fmt: str = "webp") -> Derivative:
    return next(d for d in result.derivatives if d.name == name and d.fmt == fmt)


def texture(result, fmt: str = "webp") -> Derivative:
    """The largest texture derivative in this format."""
    return max((d for d in result.derivatives if d.name != "thumb" and d.fmt == fmt), key=lambda d: d.width)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes | None) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = png_chunk(b"IDAT", zlib.compress(rows)) if rows is not None else b""
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + idat + png_chunk(b"IEND", b"")


def gradient(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb)


def save(tmp_path: Path, name: str, image: Image.Image, **options) -> Path:
    path = tmp_path / name
    image.save(path, **options)
    return path


# ---- files that must be refused, each with a one-line message naming the file ----

def assert_refused(path: Path, *fragments: str, settings: ImageSettings = SETTINGS) -> str:
    with pytest.raises(ImageError) as info:
        ingest(path, settings)
    message = str(info.value)
    assert "\n" not in message and path.name in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_truncated_jpeg(tmp_path):
    data = (ART / "starry_night.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path, "truncated")


def test_truncated_png(tmp_path):
    buffer = io.BytesIO()
    gradient(300, 200).save(buffer, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buffer.getvalue()[:-2000])
    assert_refused(path, "truncated")


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert_refused(path, "empty")


def test_text_renamed_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are my notes, not a picture\n" * 20)
    assert_refused(path, "not an image")


def test_unsupported_format(tmp_path):
    path = save(tmp_path, "old.pcx", gradient(20, 20), format="PCX")
    assert_refused(path, "not a supported format")


@pytest.mark.parametrize("name, head, kind", [
    ("phone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "a HEIC/HEIF image (the iPhone's photo format)"),
    ("scan.jxl", b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a", "a JPEG XL image"),
    ("print.jpg", b"%PDF-1.7\n", "a PDF document"),
    ("logo.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "an SVG drawing"),
])
def test_a_format_people_use_but_the_build_cannot_read_is_named(tmp_path, name, head, kind):
    path = tmp_path / name
    path.write_bytes(head + bytes(200))
    assert_refused(path, f"it is {kind}, which imaudible cannot read; export it as JPEG or PNG")


def test_missing_file(tmp_path):
    assert_refused(tmp_path / "nowhere.jpg", "cannot read")


def test_huge_header_refused_before_decoding(tmp_path):
    # 32 bytes of header claim 10^10 pixels; there are no pixel data at all, so decoding would fail anyway.
    path = tmp_path / "bomb.png"
    path.write_bytes(raw_png(100_000, 100_000, 8, 2, None))
    limit_before = Image.MAX_IMAGE_PIXELS
    assert_refused(path, "too large", "10,000,000,000", "images.max_pixels")
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_pixel_limit_is_the_setting(tmp_path):
    path = save(tmp_path, "small.png", gradient(40, 30))
    limit_before = Image.MAX_IMAGE_PIXELS
    assert_refused(path, "40x30", "1,200", settings=ImageSettings(max_pixels=1000))
    assert ingest(path, ImageSettings(max_pixels=1200)).width == 40
    assert Image.MAX_IMAGE_PIXELS == limit_before


# ---- odd but valid files ----

def test_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # pure red ink mix
    result = ingest(save(tmp_path, "cmyk.jpg", cmyk, quality=95), SETTINGS)
    pixel = decode(texture(result)).convert("RGB").getpixel((32, 32))
    assert pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60
    assert any("CMYK" in note for note in result.notes)


def test_cmyk_with_unusable_icc_profile(tmp_path):
    cmyk = Image.new("CMYK", (32, 32), (0, 0, 0, 255))
    result = ingest(save(tmp_path, "cmyk_icc.jpg", cmyk, icc_profile=b"not a profile" * 20), SETTINGS)
    assert decode(find(result, "thumb")).convert("L").getpixel((16, 16)) < 40
    assert any("ICC" in note for note in result.notes)


def test_what_the_site_shows_otherwise_than_the_file_is_worded_as_a_warning(tmp_path):
    """An animation or a page past the first, colours without a usable profile: the curator must hear it.
    A rotation, a flattened alpha or a greyscale scan is shown as meant and said nowhere."""
    frames = [gradient(48, 32), gradient(48, 32).rotate(180)]
    said = {
        "anim.gif": (frames[0], {"save_all": True, "append_images": frames[1:]}),
        "anim.webp": (frames[0], {"save_all": True, "append_images": frames[1:], "lossless": True}),
        "pages.tif": (frames[0], {"save_all": True, "append_images": frames[1:]}),
        "cmyk.jpg": (Image.new("CMYK", (32, 32), (0, 255, 255, 0)), {}),
        "cmyk_icc.jpg": (Image.new("CMYK", (32, 32)), {"icc_profile": b"not a profile" * 20}),
        "rgb_icc.jpg": (gradient(32, 32), {"icc_profile": b"not a profile" * 20}),
    }
    for name, (image, options) in said.items():
        warning = decoding_warning(f"art/{name}", ingest(save(tmp_path, name, image, **options), SETTINGS).notes)
        assert warning and warning.startswith(f"'art/{name}': ") and "\n" not in warning, (name, warning)
    exif = Image.Exif()
    exif[0x0112] = 6
    quiet = {"turned.jpg": (gradient(48, 32), {"exif": exif.tobytes()}),
             "alpha.png": (gradient(32, 32).convert("RGBA"), {}), "grey.png": (gradient(32, 32).convert("L"), {})}
    for name, (image, options) in quiet.items():
        result = ingest(save(tmp_path, name, image, **options), SETTINGS)
        assert result.notes and decoding_warning(name, result.notes) is None, (name, result.notes)


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    levels = np.array([[0, 16384, 32768, 65535]], dtype=np.uint16).repeat(16, axis=0).repeat(16, axis=1)
    path = save(tmp_path, "deep.png", Image.fromarray(levels))
    assert Image.open(path).mode.startswith("I")
    result = ingest(path, SETTINGS)
    values = [decode(texture(result)).convert("L").getpixel((x * 16 + 8, 8)) for x in range(4)]
    for got, expected in zip(values, (0, 64, 128, 255)):
        assert abs(got - expected) <= 3, values


def test_float_pixels_that_are_no_number_decode_without_a_warning(tmp_path):
    values = np.linspace(0, 1, 16 * 16, dtype=np.float32).reshape(16, 16)
    values[0, :3] = (np.nan, np.inf, -np.inf)
    path = save(tmp_path, "float.tif", Image.fromarray(values))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # numpy's "invalid value encountered in cast" reached the terminal
        result = ingest(path, SETTINGS)
    assert np.asarray(result.analysis)[0, :3, 0].tolist() == [0, 255, 0]   # NaN black, infinities at the ends


def test_16_bit_rgb_png(tmp_path):
    width, height = 16, 8
    sample = struct.pack(">HHH", 40000, 10000, 65535)  # -> about (156, 39, 255)
    rows = b"".join(b"\x00" + sample * width for _ in range(height))
    path = tmp_path / "deep_rgb.png"
    path.write_bytes(raw_png(width, height, 16, 2, rows))
    result = ingest(path, SETTINGS)
    r, g, b = decode(texture(result)).convert("RGB").getpixel((8, 4))
    assert abs(r - 156) <= 4 and abs(g - 39) <= 4 and b >= 250


def test_exif_orientation_6_rotates_pixels(tmp_path):
    stored = Image.new("RGB", (96, 48), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 24, 24))  # red in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # display = stored rotated 90 degrees clockwise
    path = save(tmp_path, "phone.jpg", stored, exif=exif, quality=95)
    result = ingest(path, SETTINGS)
    assert (result.width, result.height) == (48, 96)
    shown = decode(texture(result, "jpg")).convert("RGB")
    assert shown.size == (48, 96)
    top_right, top_left = shown.getpixel((40, 8)), shown.getpixel((8, 8))
    assert top_right[0] > 200 and top_right[2] < 60
    assert top_left[2] > 200 and top_left[0] < 60
    assert result.analysis.size == (48, 96)


def test_palette_transparency_flattened_on_mat(tmp_path):
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    image.paste(1, (0, 0, 16, 32))
    path = save(tmp_path, "logo.png", image, transparency=0)
    settings = ImageSettings(mat_colour="#20a040")
    flat = decode(texture(ingest(path, settings))).convert("RGB")
    assert _close(flat.getpixel((28, 16)), (0x20, 0xA0, 0x40))
    assert _close(flat.getpixel((4, 16)), (200, 30, 30))


def test_rgba_alpha_flattened_on_mat(tmp_path):
    image = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    image.paste((10, 20, 200, 255), (0, 0, 32, 16))
    result = ingest(save(tmp_path, "alpha.png", image), ImageSettings(mat_colour="#f3efe6"))
    flat = decode(texture(result)).convert("RGB")
    assert _close(flat.getpixel((16, 4)), (10, 20, 200))
    assert _close(flat.getpixel((16, 28)), (0xF3, 0xEF, 0xE6))
    assert result.analysis.mode == "RGB"


def test_greyscale_becomes_rgb(tmp_path):
    path = save(tmp_path, "grey.jpg", gradient(64, 64).convert("L"))
    result = ingest(path, SETTINGS)
    assert result.analysis.mode == "RGB"
    pixel = decode(texture(result)).convert("RGB").getpixel((40, 40))
    assert max(pixel) - min(pixel) <= 3


def _close(a, b, tolerance=8):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


# ---- derivatives, hash, determinism ----

def test_derivative_sizes_never_upscale(tmp_path):
    big = ingest(save(tmp_path, "big.jpg", gradient(3000, 1500), quality=90), SETTINGS)
    assert (big.width, big.height) == (3000, 1500)
    sizes = {(d.name, d.fmt): (d.width, d.height) for d in big.derivatives}
    # WebP up to 720 px, JPEG above (og:image is the 1024 JPEG: the smallest texture of at least 1000 px)
    assert sizes == {("720", "webp"): (720, 360), ("1024", "jpg"): (1024, 512), ("2048", "jpg"): (2048, 1024),
                     ("thumb", "webp"): (320, 160)}
    for d in big.derivatives:
        image = decode(d)
        assert image.size == (d.width, d.height)
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[d.fmt]
    assert big.analysis.size == (512, 256) and big.analysis.mode == "RGB"

    # a source smaller than every size is shown at its own size, named by it: never "-720" or "-1024"
    small = ingest(save(tmp_path, "small.png", gradient(400, 600)), SETTINGS)
    assert {(d.name, d.fmt, d.width, d.height) for d in small.derivatives} == {
        ("600", "webp", 400, 600), ("600", "jpg", 400, 600), ("thumb", "webp", 213, 320)}
    assert max(small.analysis.size) == 512

    custom = ingest(tmp_path / "big.jpg", ImageSettings(sizes=(256,), thumbnail=64))
    assert [(d.name, d.fmt, d.width) for d in custom.derivatives] == [
        ("256", "jpg", 256), ("256", "webp", 256), ("thumb", "webp", 64)]

    # the format goes by the edge, whatever the derivative is: a thumbnail above 720 px is a JPEG
    wide_thumb = ingest(tmp_path / "big.jpg", ImageSettings(sizes=(700, 1600), thumbnail=900))
    assert [(d.name, d.fmt, d.width) for d in wide_thumb.derivatives] == [
        ("700", "webp", 700), ("1600", "jpg", 1600), ("thumb", "jpg", 900)]


@pytest.mark.parametrize("sizes, long_edge, expected", [
    ((1024, 2048), 3000, ["1024", "2048"]),
    ((1024, 2048), 1200, ["1024"]),            # within 25% of 1024: the 1024 texture is enough
    ((1024, 2048), 1500, ["1024", "1500"]),    # well beyond 1024, short of 2048: its own size too
    ((1024, 2048), 192, ["192"]),
    ((512,), 800, ["512"]),
    ((800, 1600), 1600, ["800", "1600"]),
    ((2048, 512, 1024), 700, ["512", "700"]),
])
def test_texture_plan_names_only_sizes_a_source_fills(sizes, long_edge, expected):
    plan = texture_plan(long_edge, sizes)
    assert [name for name, _ in plan] == expected
    assert all(edge <= long_edge for _, edge in plan)


def test_any_set_of_sizes_ingests(tmp_path):
    path = save(tmp_path, "wide.jpg", gradient(1700, 850), quality=90)
    # one file per size, WebP up to 720 px and JPEG above; og:image (the smallest texture of at least
    # 1000 px, else the largest) is also a JPEG
    for sizes, expected in [((512,), {("512", "webp"), ("512", "jpg")}),
                            ((800, 1600), {("800", "jpg"), ("1600", "jpg")}),
                            ((300, 600, 1200), {("300", "webp"), ("600", "webp"), ("1200", "jpg")})]:
        result = ingest(path, ImageSettings(sizes=sizes))
        assert {(d.name, d.fmt) for d in result.derivatives if d.name != "thumb"} == expected
        assert {d.width for d in result.derivatives if d.name != "thumb"} == set(sizes)


def test_small_source_warning():
    assert small_source_warning("a.jpg", 3000, 2000, (1024, 2048), None) is None
    message = small_source_warning("tiny.png", 192, 128, (1024, 2048), None)
    assert "tiny.png" in message and "192 px" in message and "1024" in message and "\n" not in message
    assert small_source_warning("a.jpg", 1500, 1000, (1024,), (100, 60)) is None       # 150 px per 10 cm
    message = small_source_warning("wall.jpg", 1500, 1000, (1024,), (300, 200))        # 50 px per 10 cm
    assert "wall.jpg" in message and "size_cm" in message and "50 px per 10 cm" in message


def test_hash_determinism_and_no_metadata(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(tmp_path, "meta.jpg", gradient(1300, 700), exif=exif, icc_profile=srgb, quality=92)
    first, second = ingest(path, SETTINGS), ingest(path, SETTINGS)
    assert first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [d.data for d in first.derivatives] == [d.data for d in second.derivatives]
    for d in first.derivatives:
        image = decode(d)
        assert not image.info.get("exif") and not image.info.get("icc_profile") and not image.getexif()


def test_real_paintings(tmp_path):
    for path in sorted(ART.glob("*.jpg"))[:3]:
        result = ingest(path, SETTINGS)
        with Image.open(path) as original:
            assert (result.width, result.height) == original.size
        plan = texture_plan(max(result.width, result.height), SETTINGS.sizes)
        formats = {(d.name, d.fmt) for d in result.derivatives}
        # a texture per size, WebP up to 720 px and JPEG above (og:image is a texture of at least 1000 px)
        assert formats == {(name, "webp" if edge <= 720 else "jpg") for name, edge in plan} | {("thumb", "webp")}
        assert max(result.analysis.size) <= 512


def test_derivative_over_the_encoders_limit_is_a_clear_error(tmp_path):
    # the manifest keeps sizes within 16384 px (test_manifest); settings made in code can still ask more
    path = save(tmp_path, "wide.png", Image.new("RGB", (70000, 2), "red"))
    assert_refused(path, "cannot encode", "70000x2", settings=ImageSettings(sizes=(70000,)))

"""`imaudible-site init`: a new gallery folder with a commented manifest and an example image."""
from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageDraw

from .types import naming

MANIFEST_TEMPLATE = """\
# imaudible gallery manifest. Build with `imaudible-site build`, preview with `imaudible-site serve`.
# Every option is listed by `imaudible-site schema` (a JSON Schema your editor can use for completion).

title: My gallery
description: A walk through a few pictures, each with its own music.
# url: https://my-gallery.netlify.app/   # public address, for link previews (OpenGraph)
# style: ambient, soft piano             # added to every music prompt

# caption:
#   model: auto        # auto | builtin | Salesforce/blip-image-captioning-base | ./models/blip
music:
  # model: auto        # auto | builtin | facebook/musicgen-small | ./models/musicgen
  duration: 20         # seconds (MusicGen was trained on clips of at most 30 s; longer ones continue in windows)
  seed: 0
# audio:
#   loudness: -14      # LUFS
#   loop: false
#   formats: [webm, m4a] # Opus for every current browser, AAC for Safari 16 and older
# layout:
#   order: manifest    # manifest | mood (an emotional journey from calm to intense)
#   per_room: 6

artworks:
  - file: images/example.jpg
    title: Example
    artist: imaudible
    year: 2026
    # id: example                # used in URLs; derived from the file name when left out
    # size_cm: [60, 40]          # real size, to hang it at the right scale
    # caption: a quiet harbour at dusk     # replaces the generated caption
    # prompt: slow solo cello, melancholic # replaces the whole music prompt
    # music: {seed: 7, duration: 30}       # per-artwork music settings
"""


def example_image() -> Image.Image:
    """A small evening-sky picture, drawn here so the package ships no binary."""
    width, height = 960, 640
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(40 + 180 * t), int(50 + 90 * t), int(120 - 40 * t)))
    draw.ellipse([600, 300, 720, 420], fill=(250, 200, 120))
    draw.polygon([(0, 640), (0, 470), (260, 400), (520, 480), (960, 420), (960, 640)], fill=(30, 35, 50))
    return img


class ScaffoldError(Exception):
    """`init` would overwrite a file, or cannot make the gallery's folders (one-line message); nothing was
    written."""


def create_gallery(directory: Path) -> None:
    """gallery.yaml and images/example.jpg in `directory`, each created only where no file (nor a link, even
    one to nothing) of that name is: `init` in a folder of the curator's never overwrites one of their files,
    and of two `init`s at once one finds the other's files. A refusal writes nothing."""
    directory = Path(directory)
    manifest, image = directory / "gallery.yaml", directory / "images" / "example.jpg"
    for path in (manifest, image):
        if os.path.lexists(path):
            raise ScaffoldError(f"{path} already exists; not overwriting it")
    try:
        image.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:   # /proc/x, a read-only place, a file on the way: the folder given is unusable
        raise ScaffoldError(f"cannot create the folder '{exc.filename or image.parent}': "
                            f"{exc.strerror or exc}") from None
    buf = io.BytesIO()
    example_image().save(buf, "JPEG", quality=90)
    written = []
    try:
        for path, data in ((image, buf.getvalue()), (manifest, MANIFEST_TEMPLATE.encode())):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                raise ScaffoldError(f"{path} already exists; not overwriting it") from None
            written.append(path)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            except OSError as exc:   # a full disk fails the write, which names no file
                raise naming(path, exc) from exc
    except BaseException:
        for path in written:   # only what this call created
            path.unlink(missing_ok=True)
        raise

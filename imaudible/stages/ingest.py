"""Stage `ingest`: the artwork's file -> its content hash, displayed size and a small analysis image: what
mood, captions and music read. No web-derivative setting enters its key (those are stage `derive`'s)."""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass

from . import shapes
from ..engine.stage import Result, Stage, per_item
from ..types import StoredFile


@dataclass(frozen=True)
class IngestView:
    key: str
    sha256: str
    width: int
    height: int
    analysis: StoredFile          # PNG, at most images.ANALYSIS_EDGE pixels on the long edge
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceBytes:
    """An artwork file's bytes, read in the driver (workers get bytes, never a path), and the SHA-256 that
    keyed the result they are for."""
    data: bytes
    name: str
    sha256: str

    def checked(self) -> bytes:
        """The bytes, refused when they are not those whose hash made the key (the file changed meanwhile)."""
        from ..image_checks import ImageError

        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise ImageError(f"'{self.name}' changed during the build; build again")
        return self.data


def source_bytes(gallery, art, sha256: str) -> SourceBytes:
    from ..images import read_source

    path = gallery.artwork_path(art)
    return SourceBytes(read_source(path), path.name, sha256)


def analyse(item) -> Result:
    from .. import images

    source, settings = item
    result = images.analyse(source.checked(), source.name, settings)
    buf = io.BytesIO()
    result.analysis.save(buf, format="PNG", compress_level=1)
    meta = {"sha256": result.sha256, "width": result.width, "height": result.height, "notes": list(result.notes)}
    return Result(meta, {"analysis.png": buf.getvalue()})


class Ingest(Stage):
    name = "ingest"
    check_result = staticmethod(shapes.ingest)
    compute = per_item(analyse)

    @property
    def version(self) -> str:
        from .. import versions

        return versions.IMAGES

    def settings(self, gallery, art, model):
        # what decoding reads: the pixel limit (refusal) and the mat colour (transparency flattened on it)
        return {"max_pixels": gallery.images.max_pixels, "mat_colour": gallery.images.mat_colour}

    def source(self, gallery, art) -> str:
        from .. import statcache
        from ..engine.cache import CACHE_DIR_NAME
        from ..image_checks import ImageError

        try:  # an untouched file is not read again (see statcache); plain strings: asked once per artwork
            return statcache.for_cache(os.path.join(gallery.root, CACHE_DIR_NAME)).sha256(
                os.path.join(gallery.root, art.file))
        except OSError as exc:
            raise ImageError(f"cannot read '{art.file}': {exc.strerror or exc}") from None

    def inputs(self, gallery, art, upstream):
        return source_bytes(gallery, art, self.source(gallery, art)), gallery.images

    def read(self, entry) -> IngestView:
        meta = entry.meta
        return IngestView(entry.key, meta["sha256"], meta["width"], meta["height"], entry.source("analysis.png"),
                          tuple(meta.get("notes", ())))


STAGE = Ingest()

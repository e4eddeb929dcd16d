"""Stage `ingest`: the artwork's file -> its content hash, displayed size and a small analysis image: what
mood, captions and music read. No web-derivative setting enters its key (those are stage `derive`'s).

The analysis image (binary PPM: raw RGB behind a short header, written in 0.4 ms and read in 0.5 ms) is a
transient file: handed in memory to the stages that read it in the build that computes it, never written to
the cache. Writing it was 270 MB of a cold build of 500 artworks, more than the web derivatives, for an image
computed again in ~10 ms when a later build needs it (a changed mood override, a caption model). Results
stored before hold it as `analysis.ppm` (older ones as `analysis.png`, the same pixels) and are read as they
are: the key names what a result depends on, which is unchanged."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

from . import shapes
from .source import source_file
from ..engine.stage import Result, Stage, StageWarning, per_item
from ..types import DamagedResult, HeldFile, NotHeld, StoredFile


@dataclass(frozen=True)
class IngestView:
    key: str
    sha256: str
    width: int
    height: int
    # PPM (PNG in older results), at most images.ANALYSIS_EDGE px on the long edge; None when neither held
    # (computed in this build) nor stored (by an older version)
    analysis: StoredFile | HeldFile | None
    notes: tuple[str, ...] = ()

    def analysis_bytes(self) -> bytes:
        """The analysis image's bytes, once seen to be what ingest writes. The cache checks that a file is
        the bytes recorded, not who recorded them: a crafted result must reach no other decoder (an EPS
        would start Ghostscript) and no pixel bomb. Anything else is a damaged result, computed again."""
        import io

        from PIL import Image

        from ..images import ANALYSIS_EDGE

        if self.analysis is None:
            raise NotHeld("ingest", self.key, shapes.ANALYSIS_FILE, "is not kept in the cache")
        data = self.analysis.read()
        try:
            with Image.open(io.BytesIO(data), formats=("PPM", "PNG")) as img:   # reads the header only
                size = img.size
        except (OSError, Image.DecompressionBombError):
            size = (0, 0)
        if not (0 < size[0] <= ANALYSIS_EDGE and 0 < size[1] <= ANALYSIS_EDGE):
            raise DamagedResult("ingest", self.key, self.analysis.path.name,
                                f"is not a PPM or PNG of at most {ANALYSIS_EDGE} px a side")
        return data


def analyse(item) -> Result:
    from .. import images

    source, settings = item
    result = images.analyse(source.checked(), source.name, settings)
    buf = io.BytesIO()
    result.analysis.save(buf, format="PPM")
    meta = {"sha256": result.sha256, "width": result.width, "height": result.height, "notes": list(result.notes)}
    return Result(meta, {shapes.ANALYSIS_FILE: buf.getvalue()})


class Ingest(Stage):
    name = "ingest"
    check_result = staticmethod(shapes.ingest)
    compute = per_item(analyse)
    transient_files = (shapes.ANALYSIS_FILE,)

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

    def inputs(self, gallery, art, upstream, model):
        return source_file(gallery, art, self.source(gallery, art)), gallery.images

    def warnings(self, gallery, art, view: IngestView) -> list[StageWarning]:
        from ..image_checks import decoding_warning, small_source_warning, strip_warning

        small = small_source_warning(art.file, view.width, view.height, gallery.images.sizes, art.size_cm)
        strip = strip_warning(art.file, view.width, view.height, art.size_cm)
        decoded = decoding_warning(art.file, view.notes)
        return [StageWarning(message, kind) for message, kind in (
            (small, "sources are small for their place and will look soft"),
            (strip, "sources are so long and narrow that they hang as thin strips"),
            (decoded, "sources are shown otherwise than their files hold")) if message]

    def has_transient(self, entry) -> bool:
        return entry.has(shapes.analysis_file(entry.files or {}))

    def read(self, entry) -> IngestView:
        meta = entry.meta
        name = shapes.analysis_file(entry.files or {})
        return IngestView(entry.key, meta["sha256"], meta["width"], meta["height"],
                          entry.source(name) if entry.has(name) else None, tuple(meta.get("notes", ())))


STAGE = Ingest()

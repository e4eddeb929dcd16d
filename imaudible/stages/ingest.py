"""Stage `ingest`: the artwork's file -> web derivatives, a small analysis image and the source's hash."""
from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

from . import shapes
from ..engine.stage import Result, Stage, per_item
from ..types import ImageView, StoredFile


@dataclass(frozen=True)
class IngestView:
    key: str
    sha256: str
    width: int
    height: int
    images: tuple[ImageView, ...]
    analysis: StoredFile          # PNG, at most images.ANALYSIS_EDGE pixels on the long edge
    notes: tuple[str, ...] = ()


def ingest(item) -> Result:
    from .. import images

    data, name, settings = item
    result = images.ingest(data, settings, name)
    files, derivatives = {}, []
    for d in result.derivatives:
        name = f"{d.name}.{d.fmt}"
        files[name] = d.data
        derivatives.append({"name": d.name, "fmt": d.fmt, "width": d.width, "height": d.height, "file": name})
    buf = io.BytesIO()
    result.analysis.save(buf, format="PNG", compress_level=1)
    files["analysis.png"] = buf.getvalue()
    meta = {"sha256": result.sha256, "width": result.width, "height": result.height,
            "derivatives": derivatives, "notes": list(result.notes)}
    return Result(meta, files)


class Ingest(Stage):
    name = "ingest"
    check_result = staticmethod(shapes.ingest)
    compute = per_item(ingest)

    @property
    def version(self) -> str:
        from .. import images

        return images.VERSION

    def settings(self, gallery, art, model):
        return dataclasses.asdict(gallery.images)

    def source(self, gallery, art) -> str:
        from .. import statcache
        from ..engine.cache import CACHE_DIR_NAME
        from ..images import ImageError

        try:  # an untouched file is not read again (see statcache)
            return statcache.for_cache(gallery.root / CACHE_DIR_NAME).sha256(gallery.artwork_path(art))
        except OSError as exc:
            raise ImageError(f"cannot read '{art.file}': {exc.strerror or exc}") from None

    def inputs(self, gallery, art, upstream):
        # The bytes, not the path: a worker on another machine has no access to the gallery folder.
        from ..images import ImageError

        path = gallery.artwork_path(art)
        try:
            return path.read_bytes(), path.name, gallery.images
        except OSError as exc:
            raise ImageError(f"cannot read '{art.file}': {exc.strerror or exc}") from None

    def read(self, entry) -> IngestView:
        meta = entry.meta
        images = tuple(ImageView(d["name"], d["fmt"], d["width"], d["height"], entry.source(d["file"]))
                       for d in meta["derivatives"])
        return IngestView(entry.key, meta["sha256"], meta["width"], meta["height"], images,
                          entry.source("analysis.png"), tuple(meta.get("notes", ())))


STAGE = Ingest()

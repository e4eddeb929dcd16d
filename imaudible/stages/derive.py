"""Stage `derive`: the artwork's file -> its web derivatives (a texture per size it fills and a thumbnail; WebP up
to 720 px, JPEG above, og:image's texture always JPEG). Only the site reads them, so `images.sizes`, `quality`
or `thumbnail` redo this stage and nothing else."""
from __future__ import annotations

from dataclasses import dataclass

from . import shapes
from .source import source_file
from ..engine.stage import settings_dict, Result, Stage, per_item
from ..types import ImageView


@dataclass(frozen=True)
class DeriveView:
    key: str
    images: tuple[ImageView, ...]


def derive(item) -> Result:
    from .. import images

    source, settings = item
    files, derivatives = {}, []
    for d in images.derive(source.checked(), source.name, settings):
        file = f"{d.name}.{d.fmt}"
        files[file] = d.data
        derivatives.append({"name": d.name, "fmt": d.fmt, "width": d.width, "height": d.height, "file": file})
    return Result({"derivatives": derivatives}, files)


class Derive(Stage):
    name = "derive"
    check_result = staticmethod(shapes.derive)
    needs = ("ingest",)       # its key: the source's content and how it decodes (pixel limit, mat colour)
    compute = per_item(derive)

    @property
    def version(self) -> str:
        from .. import versions

        return versions.DERIVATIVES

    def settings(self, gallery, art, model):
        return settings_dict(gallery.images)

    def inputs(self, gallery, art, upstream, model):
        return source_file(gallery, art, upstream["ingest"].sha256), gallery.images

    def read(self, entry) -> DeriveView:
        return DeriveView(entry.key, tuple(ImageView(d["name"], d["fmt"], d["width"], d["height"],
                                                     entry.source(d["file"])) for d in entry.meta["derivatives"]))


STAGE = Derive()

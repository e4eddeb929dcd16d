"""An artwork's image file as stages `ingest` and `derive` take it: where it is, and the SHA-256 that keyed
the result it is for.

A worker that shares the driver's disk (threads, the local process pool) reads the file itself: sending its
bytes through the pool's pipe cost the driver a read and a pickle per stage, twice per artwork, about a
tenth of its time in a cold build. An executor on other machines (Ray) sends the bytes instead
(`by_value`, read in the driver). Either way the bytes are checked against the hash, so a file changed
after it was keyed is refused, not taken for the one keyed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass


def _checked(data: bytes, name: str, sha256: str) -> bytes:
    from ..image_checks import ImageError

    if hashlib.sha256(data).hexdigest() != sha256:
        raise ImageError(f"'{name}' changed during the build; build again")
    return data


@dataclass(frozen=True)
class SourceBytes:
    """The file's bytes, read in the driver, for a worker with no access to the gallery's folder; or why they
    could not be read (`unreadable`: that artwork fails in its worker, not the batch as it is sent)."""
    data: bytes
    name: str
    sha256: str
    unreadable: str = ""

    def checked(self) -> bytes:
        if self.unreadable:
            from ..image_checks import ImageError

            raise ImageError(self.unreadable)
        return _checked(self.data, self.name, self.sha256)

    def by_value(self) -> SourceBytes:
        return self


@dataclass(frozen=True)
class SourceFile:
    """The file's path, for a worker on the driver's disk (it reads the file)."""
    path: str
    name: str
    sha256: str

    def checked(self) -> bytes:
        """The bytes, refused when they are not those whose hash made the key (the file changed meanwhile)."""
        from .. import images

        return _checked(images.read_source(self.path), self.name, self.sha256)

    def by_value(self) -> SourceBytes:
        """The same source with its bytes, for a worker elsewhere (read here)."""
        from .. import images
        from ..image_checks import ImageError

        try:
            return SourceBytes(images.read_source(self.path), self.name, self.sha256)
        except ImageError as exc:
            return SourceBytes(b"", self.name, self.sha256, str(exc))


def source_file(gallery, art, sha256: str) -> SourceFile:
    path = gallery.artwork_path(art)
    return SourceFile(str(path), path.name, sha256)

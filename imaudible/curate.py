"""Edits a curator makes from the command line: `pick`, `reroll` and `add`.

`gallery.yaml` is edited with ruamel.yaml's round-trip mode, so comments, key order, quoting and layout stay
as the curator wrote them; only the edited lines change (CRLF line endings and a UTF-8 BOM are kept too). The
manifest is validated before and after: an edit that would make it invalid is not written, and the write is
atomic.

`add` takes the images the build can read (their suffixes and header checks come from `images`), and never
a file of the tool's own: the output folder, any folder holding a site the build wrote, the cache, the
evaluation report, the gallery's theme folders.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from .manifest import ManifestError, find_manifest, load_manifest, slugify
from .settings import MAX_SEED, ImageSettings
from .image_titles import image_title, image_title_and_year
from .types import CONTROL_CHARACTERS, UNSAFE_TEXT, naming, open_bidi

# (mapping indent, sequence indent, dash offset): "  - file:" under "artworks:" is (2, 4, 2)
INDENT_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1), (3, 3, 1), (4, 2, 0))
DEFAULT_OUT = "build"                    # the output folder when no --out is given (cli/build.py)
THEME_FOLDERS = ("static", "templates")  # the gallery's own theme files (site/render.py), not artworks


class CurateError(Exception):
    """An edit that cannot be made (one-line message); the manifest is left as it was."""


NO_ARTWORKS_YET = ("the gallery has no artworks", "expected a list, found nothing", "required option is missing")


class ManifestEditor:
    """A round-trip view of gallery.yaml: load, edit nodes, save only the change."""

    def __init__(self, site_dir: Path, allow_empty: bool = False):
        self.path = find_manifest(Path(site_dir))
        if not self.path.is_file():
            raise CurateError(f"no {self.path.name} in {self.path.parent} (create one with `imaudible-site init`)")
        self.gallery = self._validated(allow_empty)   # first: it words a manifest that is not UTF-8
        self.raw = raw = self.path.read_bytes()
        self.bom = raw.startswith(codecs.BOM_UTF8)
        text = raw.decode("utf-8-sig")
        # ruamel.yaml writes "\n" only: the file's own line ending (that of its first line) is put back on save
        first = text.find("\n")
        self.newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
        self.text = text.replace("\r\n", "\n")
        self.yaml, self.data = self._round_tripping_loader()

    def _round_tripping_loader(self):
        """A loader whose indentation settings reproduce the file exactly (tried in turn; the common layouts)."""
        from io import StringIO

        from ruamel.yaml import YAML

        first = None
        for mapping, sequence, offset in INDENT_LAYOUTS:
            yaml = YAML(typ="rt")
            yaml.preserve_quotes = True
            yaml.width = 4096  # never re-wrap the curator's long lines
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            data = yaml.load(self.text)
            buf = StringIO()
            yaml.dump(data, buf)
            if buf.getvalue().rstrip("\n") == self.text.rstrip("\n"):
                return yaml, data
            first = first or (yaml, data)
        return first

    def _validated(self, allow_empty: bool):
        try:
            gallery, _ = load_manifest(self.path)
        except ManifestError as exc:
            # `add` fills an empty gallery: `artworks: []`, `artworks:` left after deleting init's example,
            # or no `artworks:` at all
            if allow_empty and all(p.field == "artworks" and p.message.startswith(NO_ARTWORKS_YET)
                                   for p in exc.problems):
                return SimpleNamespace(artworks=(), music=None)
            raise CurateError(f"fix the manifest first: {exc.problems[0]}") from None
        return gallery

    def artwork_node(self, artwork_id: str):
        ids = [a.id for a in self.gallery.artworks]
        if artwork_id not in ids:
            raise CurateError(f"no artwork with id '{artwork_id}' in {self.path.name} (ids: {', '.join(ids) or 'none'})")
        return self.data["artworks"][ids.index(artwork_id)], self.gallery.artworks[ids.index(artwork_id)]

    def music_of(self, node):
        """The artwork's `music:` mapping, created as a one-line `{...}` mapping when absent."""
        from ruamel.yaml.comments import CommentedMap

        music = node.get("music")
        if music is None or self._references(music) > 1:
            # A mapping shared through a YAML anchor (`music: *slow`, or `<<: *base`) would carry the edit to
            # every artwork that uses it: this artwork gets its own copy, the others keep the shared one.
            own = CommentedMap(music or {})
            if music is None or music.fa.flow_style():
                own.fa.set_flow_style()
            node["music"] = music = own
        return music

    def _references(self, target) -> int:
        """How many places in the document hold `target` (the very object, not an equal one)."""
        found, stack, seen = 0, [self.data], set()
        while stack:
            item = stack.pop()
            if item is target:
                found += 1
                continue
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found

    def save(self) -> None:
        from io import StringIO

        buf = StringIO()
        self.yaml.dump(self.data, buf)
        text = buf.getvalue()
        if not self.text.endswith("\n") and text.endswith("\n"):
            text = text[:-1]
        data = (codecs.BOM_UTF8 if self.bom else b"") + text.replace("\n", self.newline).encode("utf-8")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".gallery-", suffix=".yaml", dir=self.path.parent)
        except OSError as exc:
            raise naming(self.path, exc) from exc
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(self.path).st_mode))   # mkstemp's 0600 would make it private
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            try:
                load_manifest(Path(tmp))
            except ManifestError as exc:
                raise CurateError(f"the edit would make the manifest invalid ({exc.problems[0]}); nothing written") from None
            if self.path.read_bytes() != self.raw:   # another edit (or the curator's editor) saved meanwhile
                raise CurateError(f"{self.path.name} changed while this edit was made; nothing written (run it again)")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise naming(self.path, exc) from exc
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.text, self.raw = text, data


def pick(site_dir: Path, artwork_id: str, take: int) -> str:
    """Pin take `take` (1-based) of an artwork: `music: {take: K}`."""
    editor = ManifestEditor(site_dir)
    node, art = editor.artwork_node(artwork_id)
    takes = art.music_settings(editor.gallery.music).takes
    if not 1 <= take <= takes:
        raise CurateError(f"'{artwork_id}' has {takes} take(s); pick one of 1..{takes} "
                          f"(set music: {{takes: N}} for more)")
    editor.music_of(node)["take"] = take
    editor.save()
    return f"{artwork_id}: take {take} pinned in {editor.path.name}"


def reroll(site_dir: Path, artwork_id: str) -> str:
    """A new seed for one artwork (its current seed + 1, or 0 after MAX_SEED); a pinned take no longer
    applies and is dropped."""
    editor = ManifestEditor(site_dir)
    node, art = editor.artwork_node(artwork_id)
    current = art.music_settings(editor.gallery.music).seed
    seed = current + 1 if current < MAX_SEED else 0
    music = editor.music_of(node)
    music["seed"] = seed
    pinned = music.pop("take", None)
    editor.save()
    unpinned = f" (its pinned take {pinned} was of the old seed and is unpinned)" if pinned is not None else ""
    return f"{artwork_id}: new seed {seed} in {editor.path.name}{unpinned}; the next build makes new music for it"


def add(site_dir: Path, paths: list[Path], warn: Callable[[str], None] | None = None) -> list[str]:
    """Append an artwork for each image (files, or images found in folders) not yet in the manifest. A file
    found in a folder that the build could not read is skipped with a one-line warning to `warn`; a file
    named in `paths` is refused instead, and then nothing is written."""
    warn = warn or (lambda line: None)
    editor = ManifestEditor(site_dir, allow_empty=True)
    root = editor.path.parent.resolve()
    finder = _Candidates(root, getattr(editor.gallery, "images", ImageSettings()).max_pixels)
    known = {(root / a.file).resolve() for a in editor.gallery.artworks}
    taken_ids = {a.id for a in editor.gallery.artworks}
    added = []
    for image, named in finder.candidates(paths, warn):
        resolved = finder.inside(image)
        if resolved in known:
            continue
        rel = resolved.relative_to(root).as_posix()
        problem = _name_problem(rel) or finder.tool_owned(resolved, is_dir=False) or finder.unreadable(resolved)
        if problem:
            if named:
                raise CurateError(f"'{image}' is {problem}")
            warn(f"skipped '{rel}': {problem}")
            continue
        title, year = image_title_and_year(resolved)
        entry = {"file": rel, "title": title, **({"year": year} if year else {})}
        art_id = slugify(Path(rel).stem)
        if art_id in taken_ids:
            n = 2
            while f"{art_id}-{n}" in taken_ids:
                n += 1
            art_id = f"{art_id}-{n}"
            entry["id"] = art_id
        taken_ids.add(art_id)
        known.add(resolved)
        if not editor.data.get("artworks"):
            from ruamel.yaml.comments import CommentedSeq
            editor.data["artworks"] = CommentedSeq()   # block style, even where the manifest said []
        editor.data["artworks"].append(entry)
        added.append(f"{rel}: '{entry['title']}'")
    if added:
        editor.save()
    return added


def accepted_suffixes() -> frozenset[str]:
    """The file-name suffixes of the formats the build decodes, from Pillow's registry (so they follow it)."""
    from PIL import Image

    from .images import decodable_formats

    formats = decodable_formats()
    return frozenset(suffix for suffix, fmt in Image.registered_extensions().items() if fmt in formats)


# Images people keep that Pillow does not open at all: found in a folder, they are named, not passed over
OTHER_IMAGE_SUFFIXES = {".heic": "HEIC", ".heif": "HEIF", ".jxl": "JPEG XL", ".svg": "SVG",
                        **{s: "camera RAW" for s in (".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2")}}


class _Candidates:
    """The files `add` considers, and what it checks of each, in the gallery folder `root` (resolved)."""

    def __init__(self, root: Path, max_pixels: int):
        from PIL import Image

        from .engine.cache import CACHE_DIR_NAME
        from .evaluate.report import REPORT_DIR
        from .images import decodable_formats
        from .site.output_folder import OWNED_LIST

        self.root, self.max_pixels, self.marker = root, max_pixels, OWNED_LIST
        theme = "the gallery's theme folder"
        self.fixed = {root / DEFAULT_OUT: "the build's output folder", root / CACHE_DIR_NAME: "the build's cache",
                      root / REPORT_DIR: "the evaluation report folder (`evaluate` rewrites it)",
                      **{root / name: theme for name in THEME_FOLDERS}}
        self.reasons: dict[Path, str | None] = {}
        self.suffixes, self.formats = accepted_suffixes(), decodable_formats()
        # Formats Pillow opens but the build does not: worth a warning when found, unlike a .txt or a .pdf
        pillow_only = {suffix: fmt for suffix, fmt in Image.registered_extensions().items()
                       if fmt in Image.OPEN and suffix not in self.suffixes}
        self.other_images = {**OTHER_IMAGE_SUFFIXES, **pillow_only}

    def candidates(self, paths: list[Path], warn: Callable[[str], None]) -> list[tuple[Path, bool]]:
        """(file, named): each file named, and each image found in the folders named."""
        found = []
        for path in map(Path, paths):
            if path.is_dir():
                problem = self.tool_owned(self.inside(path), is_dir=True)
                if problem:
                    raise CurateError(f"'{path}' is {problem}")
                found += [(image, False) for image in self._found_in(path, warn)]
            elif path.is_file():
                found.append((path, True))
            elif path.exists():
                raise CurateError(f"'{path}' is not a file or folder")
            else:
                raise CurateError(f"no such file or folder: '{path}'")
        return found

    def inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise CurateError(f"'{path}' is outside the gallery folder {self.root}; copy it in first")
        return resolved

    def _found_in(self, folder: Path, warn: Callable[[str], None]) -> list[Path]:
        """The images in `folder` and below, outside hidden folders and the tool's own (never entered)."""
        real, found = folder.resolve(), []
        for here, dirs, files in os.walk(folder):   # symlinked folders are not followed
            real_here = real / Path(here).relative_to(folder)
            dirs[:] = [d for d in dirs if not d.startswith(".") and self._reason(real_here / d) is None]
            for name in files:
                suffix = os.path.splitext(name)[1].lower()
                if name.startswith("."):   # hidden, or macOS's "._name" resource forks
                    continue
                if suffix in self.suffixes:
                    problem = self._not_a_file(Path(here) / name)
                    if problem:
                        warn(f"skipped '{(real_here / name).relative_to(self.root).as_posix()}': {problem}")
                    else:
                        found.append(Path(here) / name)
                elif suffix in self.other_images:
                    rel = (real_here / name).relative_to(self.root).as_posix()
                    warn(f"skipped '{rel}': {self.other_images[suffix]}, a format the build does not read "
                         f"({', '.join(self.formats)}); export it as JPEG or PNG")
        return sorted(found)

    def _not_a_file(self, path: Path) -> str | None:
        """Why a name found in a folder is no image file of the gallery's, or None: what os.walk lists as a
        file may be a named pipe (opening it would wait forever), a device, a link in a loop or to nothing, or
        a link to a file outside the gallery (one such link must not stop the whole `add`)."""
        try:
            mode = os.stat(path).st_mode
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:   # RuntimeError: a symlink loop, on Python < 3.13
            return f"a link that leads nowhere ({getattr(exc, 'strerror', None) or 'a symlink loop'})"
        if not stat.S_ISREG(mode):
            kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
            return f"not a regular file (it is {kind})"
        if not resolved.is_relative_to(self.root):
            return f"a link to '{resolved}', outside the gallery folder; copy the file in instead"
        return None

    def _reason(self, folder: Path) -> str | None:
        """Why `folder` (resolved) holds the tool's files and not the curator's, or None."""
        if folder not in self.reasons:
            self.reasons[folder] = self.fixed.get(folder) or (
                f"a site the build wrote (it holds {self.marker})" if (folder / self.marker).is_file() else None)
        return self.reasons[folder]

    def tool_owned(self, path: Path, is_dir: bool) -> str | None:
        """Why `path` (resolved, in the gallery) is, or is inside, a folder of the tool's, or None."""
        for folder in [path, *path.parents] if is_dir else path.parents:
            if folder == self.root:
                return None
            reason = self._reason(folder)
            if reason:
                where = "" if folder == path else f"inside '{folder.relative_to(self.root).as_posix()}/', "
                return f"{where}{reason}: its files are not artworks"
        return None

    def unreadable(self, path: Path) -> str | None:
        """Why the build could not read the image, or None: its header first, then its pixels as the build
        decodes them (a JPEG at 1/8 scale), so that a truncated or corrupt file is refused here, not found
        broken by the next build."""
        problem = self._unreadable_header(path)
        if problem is not None:
            return problem
        from .image_checks import ImageError
        from .images import decode

        prefix = f"cannot decode '{path.name}': "
        try:
            decoded = decode(path.read_bytes(), path.name, ImageSettings(max_pixels=self.max_pixels), needed_edge=64)
            decoded.image.close()
        except ImageError as exc:
            return f"damaged: {str(exc).removeprefix(prefix)} (the build could not decode it)"
        except OSError as exc:
            return f"not readable ({exc.strerror or exc})"
        return None

    def _unreadable_header(self, path: Path) -> str | None:
        from PIL import Image, UnidentifiedImageError

        not_image = f"not an image the build can read ({', '.join(self.formats)})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path, formats=self.formats) as img:
                    width, height = img.size
        except Image.DecompressionBombError as exc:
            # Pillow's own limit, which images.max_pixels may exceed (the build lifts Pillow's to it)
            found = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(found.group(1)) if found else self.max_pixels + 1
            return self._too_large(f"{pixels:,} pixels") if pixels > self.max_pixels else None
        except UnidentifiedImageError:
            from .image_checks import unsupported_kind

            with open(path, "rb") as file:
                kind = unsupported_kind(file.read(1024))
            return f"{kind}, which the build cannot read (export it as JPEG or PNG)" if kind else not_image
        except Exception as exc:   # Pillow's plug-ins raise many kinds on a hostile header
            if isinstance(exc, OSError) and exc.strerror:
                return f"not readable ({exc.strerror})"
            return f"{not_image[:-1]}; damaged: {' '.join(str(exc).split()) or type(exc).__name__})"
        if width < 1 or height < 1:
            return f"{not_image[:-1]}; its header gives an empty size {width}x{height})"
        if width * height > self.max_pixels:
            return self._too_large(f"{width}x{height} = {width * height:,} pixels")
        return None

    def _too_large(self, size: str) -> str:
        return f"too large for the build: {size}, over images.max_pixels ({self.max_pixels:,})"


def _name_problem(rel: str) -> str | None:
    """Why a file name cannot go into the manifest, or None: what the manifest refuses in any text (control
    characters; bytes that are no UTF-8, which Python keeps as lone surrogates; a bidirectional override left
    open) must be skipped here, or one such file would make the whole edit invalid."""
    if CONTROL_CHARACTERS.search(rel):
        return "a file name with control characters in it (rename the file)"
    if UNSAFE_TEXT.search(rel):
        return "a file name that is not valid UTF-8 (rename the file)"
    if open_bidi(rel):
        return "a file name with a text-direction override left open (rename the file)"
    return None


__all__ = ["CurateError", "accepted_suffixes", "add", "image_title", "pick", "reroll"]

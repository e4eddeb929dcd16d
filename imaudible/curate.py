"""Edits a curator makes from the command line: `pick`, `reroll` and `add`.

`gallery.yaml` is edited with ruamel.yaml's round-trip mode, so comments, key order, quoting and layout stay
as the curator wrote them; only the edited lines change. The manifest is validated before and after: an edit
that would make it invalid is not written, and the write is atomic.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

from .manifest import ManifestError, find_manifest, load_manifest, slugify

# (mapping indent, sequence indent, dash offset): "  - file:" under "artworks:" is (2, 4, 2)
INDENT_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1), (3, 3, 1), (4, 2, 0))
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}


class CurateError(Exception):
    """An edit that cannot be made (one-line message); the manifest is left as it was."""


class ManifestEditor:
    """A round-trip view of gallery.yaml: load, edit nodes, save only the change."""

    def __init__(self, site_dir: Path, allow_empty: bool = False):
        self.path = find_manifest(Path(site_dir))
        if not self.path.is_file():
            raise CurateError(f"no {self.path.name} in {self.path.parent} (create one with `imaudible-site init`)")
        self.text = self.path.read_text(encoding="utf-8")
        self.gallery = self._validated(allow_empty)
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
            if allow_empty and all(p.field == "artworks" and "no artworks" in p.message for p in exc.problems):
                return SimpleNamespace(artworks=(), music=None)   # `add` fills an empty gallery
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
        fd, tmp = tempfile.mkstemp(prefix=".gallery-", suffix=".yaml", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            try:
                load_manifest(Path(tmp))
            except ManifestError as exc:
                raise CurateError(f"the edit would make the manifest invalid ({exc.problems[0]}); nothing written") from None
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.text = text


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
    """A new seed for one artwork (its current seed + 1); a pinned take no longer applies and is dropped."""
    editor = ManifestEditor(site_dir)
    node, art = editor.artwork_node(artwork_id)
    seed = art.music_settings(editor.gallery.music).seed + 1
    music = editor.music_of(node)
    music["seed"] = seed
    if "take" in music:
        del music["take"]
    editor.save()
    return f"{artwork_id}: new seed {seed} in {editor.path.name}; the next build makes new music for it"


def add(site_dir: Path, paths: list[Path]) -> list[str]:
    """Append an artwork for each image (files, or images in folders) not yet in the manifest."""
    editor = ManifestEditor(site_dir, allow_empty=True)
    root = editor.path.parent.resolve()
    known = {(root / a.file).resolve() for a in editor.gallery.artworks}
    taken_ids = {a.id for a in editor.gallery.artworks}
    added = []
    for image in _images(paths):
        resolved = image.resolve()
        if resolved in known:
            continue
        try:
            rel = resolved.relative_to(root).as_posix()
        except ValueError:
            raise CurateError(f"'{image}' is outside the gallery folder {root}; copy it in first") from None
        entry = {"file": rel, "title": image_title(resolved)}
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


def _images(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                            and not any(part.startswith(".") or part == "build" for part in p.relative_to(path).parts))
        elif path.is_file():
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise CurateError(f"'{path}' is not an image ({', '.join(sorted(IMAGE_SUFFIXES))})")
            found.append(path)
        else:
            raise CurateError(f"no such file or folder: '{path}'")
    return found


def image_title(path: Path) -> str:
    """The image's embedded title (XMP dc:title, then IPTC Object Name), else one made from the file name."""
    from PIL import Image, IptcImagePlugin

    try:
        with Image.open(path) as img:
            title = _xmp_title(img.info.get("xmp") or img.info.get("XML:com.adobe.xmp"))
            if not title:
                iptc = IptcImagePlugin.getiptcinfo(img) or {}
                raw = iptc.get((2, 5))
                raw = raw[0] if isinstance(raw, list) else raw
                title = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else ""
    except OSError:
        title = ""
    if title:
        return title
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def _xmp_title(packet) -> str:
    if not packet:
        return ""
    import xml.etree.ElementTree as ET

    text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else str(packet)
    start = text.find("<x:xmpmeta")
    end = text.rfind("</x:xmpmeta>")
    if start < 0 or end < 0:
        return ""
    try:
        tree = ET.fromstring(text[start:end + len("</x:xmpmeta>")])
    except ET.ParseError:
        return ""
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    for title in tree.iter(f"{{{ns['dc']}}}title"):
        items = title.findall(".//rdf:li", ns)
        default = [i for i in items if i.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"]
        for item in default + items:
            if item.text and item.text.strip():
                return item.text.strip()
    return ""


__all__ = ["CurateError", "add", "image_title", "pick", "reroll"]

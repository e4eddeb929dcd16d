"""Edits a curator makes from the command line: `pick`, `reroll` and `add`.

`gallery.yaml` is edited with ruamel.yaml's round-trip mode, so comments, key order, quoting and layout stay
as the curator wrote them; only the edited lines change (CRLF line endings and a UTF-8 BOM are kept too). Where
ruamel would write other lines differently (extra spaces, an anchor nothing uses), only the edit's own lines are
carried into the curator's text, and an edit that cannot be made that way is refused with what to write. The
manifest is validated before and after: an edit that would make it invalid is not written, and the write is
atomic.

`add` takes the images the build can read, and never a file of the tool's own (`add_candidates` says which).
"""
from __future__ import annotations

import codecs
import os
import stat
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from .add_candidates import Candidates, CurateError, accepted_suffixes, name_problem
from .manifest import ManifestError, find_manifest, init_hint, load_manifest, slugify
from .settings import MAX_SEED, ImageSettings
from .image_titles import image_title, image_title_and_year
from .types import naming

# (mapping indent, sequence indent, dash offset): "  - file:" under "artworks:" is (2, 4, 2)
INDENT_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1), (3, 3, 1), (4, 2, 0))


NO_ARTWORKS_YET = ("the gallery has no artworks", "expected a list, found nothing", "required option is missing")


class ManifestEditor:
    """A round-trip view of gallery.yaml: load, edit nodes, save only the change."""

    def __init__(self, site_dir: Path, allow_empty: bool = False):
        self.path = find_manifest(Path(site_dir))
        if not self.path.is_file():
            raise CurateError(f"no {self.path.name} in {self.path.parent} ({init_hint(self.path.parent)})")
        self.gallery = self._validated(allow_empty)   # first: it words a manifest that is not UTF-8
        self.raw = raw = self.path.read_bytes()
        self.bom = raw.startswith(codecs.BOM_UTF8)
        text = raw.decode("utf-8-sig")
        # ruamel.yaml writes "\n" only: the file's own line ending (that of its first line) is put back on save
        first = text.find("\n")
        self.newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
        self.text = text.replace("\r\n", "\n")
        # `unedited`: ruamel's own writing of the file, which may differ from the curator's (spacing, a
        # flow list over several lines, an anchor nothing refers to); save() carries only the edit over
        self.yaml, self.data, self.unedited = self._round_tripping_loader()

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
                return yaml, data, buf.getvalue()
            first = first or (yaml, data, buf.getvalue())
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

    def save(self, edit: str = "") -> None:
        """Write the edit; `edit` says it in words for the curator when it cannot be made line by line."""
        from io import StringIO

        buf = StringIO()
        self.yaml.dump(self.data, buf)
        text = buf.getvalue()
        if self.unedited.rstrip("\n") != self.text.rstrip("\n"):
            text = splice_edit(self.text, self.unedited, text)
            if text is None:
                raise CurateError(f"{self.path.name} is laid out in a way this edit cannot keep without rewriting "
                                  f"lines it does not change; nothing written"
                                  + (f" ({edit} by hand)" if edit else ""))
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


def splice_edit(original: str, unedited: str, edited: str) -> str | None:
    """Carry the change from `unedited` to `edited` (ruamel's writings of the manifest before and after an edit)
    onto `original`, the curator's own text, line by line: lines are matched whatever their spacing, and the
    edit's lines are indented as the curator indented the line they replace or follow. None when a line the
    edit replaces, or both lines around an insertion, have no match in `original`, or when the result would
    not read as the edited manifest."""
    from difflib import SequenceMatcher

    from ruamel.yaml import YAML

    lines, before, after = original.splitlines(), unedited.splitlines(), edited.splitlines()
    bare = lambda text: ["".join(line.split()) for line in text]   # noqa: E731
    where = {}   # line of `unedited` -> the same line of `original`
    for a, b, size in SequenceMatcher(None, bare(lines), bare(before), autojunk=False).get_matching_blocks():
        where.update({b + k: a + k for k in range(size)})
    indent = lambda line: len(line) - len(line.lstrip(" "))   # noqa: E731
    changes = [op for op in SequenceMatcher(None, before, after, autojunk=False).get_opcodes() if op[0] != "equal"]
    for _, i1, i2, j1, j2 in reversed(changes):
        if i1 < i2:
            if any(where.get(i) != where.get(i1, -1) + (i - i1) for i in range(i1, i2)):
                return None
            start, end, anchor = where[i1], where[i1] + (i2 - i1), i1
        elif i1 > 0 and i1 - 1 in where:
            start = end = where[i1 - 1] + 1
            anchor = i1 - 1
        elif i1 in where or i1 == len(before):   # before the next line, or at the end
            start = end = where.get(i1, len(lines))
            anchor = i1 if i1 in where else None
        else:
            return None
        shift = 0 if anchor is None else indent(lines[where[anchor]]) - indent(before[anchor])
        lines[start:end] = [" " * max(0, indent(line) + shift) + line.lstrip(" ") for line in after[j1:j2]]
    text = "\n".join(lines) + ("\n" if original.endswith("\n") or not original else "")
    safe = YAML(typ="safe")
    try:
        same = safe.load(text) == safe.load(edited)
    except Exception:   # ruamel raises many kinds; any of them means the splice is not the edit
        return None
    return text if same else None


def pick(site_dir: Path, artwork_id: str, take: int) -> str:
    """Pin take `take` (1-based) of an artwork: `music: {take: K}`."""
    editor = ManifestEditor(site_dir)
    node, art = editor.artwork_node(artwork_id)
    takes = art.music_settings(editor.gallery.music).takes
    if not 1 <= take <= takes:
        raise CurateError(f"'{artwork_id}' has {takes} take(s); pick one of 1..{takes} "
                          f"(set music: {{takes: N}} for more)")
    editor.music_of(node)["take"] = take
    editor.save(f"set music: {{take: {take}}} on '{artwork_id}'")
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
    editor.save(f"set music: {{seed: {seed}}} on '{artwork_id}'" + (" and remove its take" if pinned is not None else ""))
    unpinned = f" (its pinned take {pinned} was of the old seed and is unpinned)" if pinned is not None else ""
    return f"{artwork_id}: new seed {seed} in {editor.path.name}{unpinned}; the next build makes new music for it"


def add(site_dir: Path, paths: list[Path], warn: Callable[[str], None] | None = None) -> list[str]:
    """Append an artwork for each image (files, or images found in folders) not yet in the manifest. A file
    found in a folder that the build could not read is skipped with a one-line warning to `warn`; a file
    named in `paths` is refused instead, and then nothing is written."""
    warn = warn or (lambda line: None)
    editor = ManifestEditor(site_dir, allow_empty=True)
    root = editor.path.parent.resolve()
    finder = Candidates(root, getattr(editor.gallery, "images", ImageSettings()).max_pixels)
    known = {(root / a.file).resolve() for a in editor.gallery.artworks}
    taken_ids = {a.id for a in editor.gallery.artworks}
    added = []
    for image, named in finder.candidates(paths, warn):
        resolved = finder.inside(image)
        if resolved in known:
            continue
        rel = resolved.relative_to(root).as_posix()
        problem = name_problem(rel) or finder.tool_owned(resolved, is_dir=False) or finder.unreadable(resolved)
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
        editor.save("add the new artworks")
    return added


__all__ = ["CurateError", "accepted_suffixes", "add", "image_title", "pick", "reroll"]

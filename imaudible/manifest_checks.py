"""Checks of `gallery.yaml` that look past one value: image files on disk, artwork ids (derived from file names
when not given), room lists and pinned takes. Each reports through the validator's `error(node, field,
message)`, at the node the curator must edit.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import posixpath
import re
import stat
import unicodedata
from pathlib import Path

import yaml

from .image_checks import resolved_with_stat, too_big
from .settings import MAX_ID_LENGTH, Gallery


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return close[0] if close else None


def suggest(word: str, choices) -> str:
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def clip(text: str, limit: int = 80) -> str:
    """Text quoted in a message, shortened: a pasted page must not become a page of error."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def slugify(text: str) -> str:
    """An id (lowercase ASCII letters, digits, hyphens) from a file name. Accents are dropped (é -> e); when
    letters or digits with no ASCII form are dropped too (CJK, Cyrillic, ...), a short hash of the name keeps
    the ids of such files distinct and stable ('山水 1' -> '1-' + 6 hex digits)."""
    decomposed = unicodedata.normalize("NFKD", text)
    slug = re.sub(r"[^a-z0-9]+", "-", decomposed.encode("ascii", "ignore").decode().lower()).strip("-")
    lost = any(not ch.isascii() and ch.isalnum() for ch in decomposed)
    if lost or len(slug) > MAX_ID_LENGTH:   # a long name is cut: its ids become file names with more after them
        # NFC first: macOS stores file names decomposed, and the id must not depend on the machine
        digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:6]
        return f"{slug[:MAX_ID_LENGTH - 7].rstrip('-') or 'artwork'}-{digest}"
    return slug or "artwork"


def _artwork_nodes(root) -> list:
    for key, value in root.value:
        if key.value == "artworks" and isinstance(value, yaml.SequenceNode):
            return value.value
    return []


def field_node(node, name):
    """The value node of option `name` in mapping `node`, or `node` itself when it has none."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == name:
                return value
    return node


def check_artworks(gallery: Gallery, root_node, v) -> Gallery:
    """Gives every artwork its id, refusing a second use of one, and checks pinned takes."""
    ids: dict[str, int] = {}
    folded: dict[str, int] = {}   # the file names a case-insensitive disk (macOS, Windows) holds as one
    images: dict[str, int] = {}
    checked = []
    for i, (art, node) in enumerate(zip(gallery.artworks, _artwork_nodes(root_node))):
        field = f"artworks[{i}]"
        first = folded.setdefault(unicodedata.normalize("NFC", art.file).casefold(), i)
        if gallery.artworks[first].file != art.file:
            v.warnings.append(v.problem(field_node(node, "file"), f"{field}.file",
                                        f"'{clip(art.file)}' and '{clip(gallery.artworks[first].file)}' "
                                        f"(artworks[{first}]) differ only in case: on a Mac or Windows disk one "
                                        "file replaces the other; rename one"))
        art_id = art.id or slugify(Path(art.file).stem)
        twice = images.setdefault(posixpath.normpath(art.file), i)   # an entry pasted or added twice
        if art_id in ids:
            id_node = field_node(node, "id") if art.id else field_node(node, "file")
            again = f"hangs the same image as artworks[{twice}] (remove one entry, or give this one its own `id:`)"
            v.error(id_node, f"{field}.id", again if twice != i and not art.id else
                    f"id '{art_id}' is already used by artworks[{ids[art_id]}]; give one of them an explicit `id:`")
        elif twice != i:
            v.warnings.append(v.problem(field_node(node, "file"), f"{field}.file",
                                        f"'{clip(art.file)}' is also the image of artworks[{twice}]: it hangs twice"))
        ids.setdefault(art_id, i)
        _check_take(gallery, art, node, field, v)
        checked.append(art if art.id == art_id else dataclasses.replace(art, id=art_id))
    return dataclasses.replace(gallery, artworks=tuple(checked))


def _check_take(gallery: Gallery, art, node, field: str, v) -> None:
    """A pinned take must be one the artwork makes (the build would silently play the ranked one instead)."""
    take = art.music.take
    takes = art.music_settings(gallery.music).takes
    if take is None or take <= takes:
        return
    where = f"{field}.music.takes" if art.music.takes is not None else "music.takes"
    v.error(field_node(field_node(node, "music"), "take"), f"{field}.music.take",
            f"take {take}, but this artwork makes {takes} take{'s' if takes > 1 else ''} ({where}); "
            f"pin one of 1..{takes} or raise {where}")


def _way_out(root: Path, candidate: Path) -> str:
    """The link on the way that leads out of the gallery folder, if one does (the folder seems to hold it); a link
    that stays inside it (art -> pictures) is passed over."""
    for depth in range(1, len(candidate.parts) + 1):
        step = root.joinpath(*candidate.parts[:depth])
        if step.is_symlink() and not step.resolve().is_relative_to(root):
            return f" (through the link '{clip(Path(*candidate.parts[:depth]).as_posix())}' -> '{clip(os.readlink(step))}')"
    return ""


def check_file(root: Path, rel: str, node, field: str, v) -> str:
    """`rel` names a regular file inside the gallery folder. Returns it as the folder spells it: a name typed
    composed (NFC) finds the file macOS wrote decomposed (NFD), and the other way round, as on a Mac."""
    if not rel:
        v.error(node, field, "file name is empty")
        return rel
    candidate = Path(rel)
    shown = clip(rel)
    if candidate.is_absolute():
        v.error(node, field, f"'{shown}' is an absolute path; give a path relative to the gallery folder")
        return rel
    target, info = _resolved(root, candidate, v)
    if info is None and not rel.isascii():
        respelled = _spelled_on_disk(root, candidate)
        if respelled is not None:
            candidate, rel = respelled, respelled.as_posix()
            target, info = _resolved(root, candidate, v)
    if not target.is_relative_to(root):
        v.error(node, field, f"'{shown}' is outside the gallery folder{_way_out(root, candidate)}; copy the image "
                             "into the gallery folder and name it from there")
        return rel
    if info is None:
        why = _unreadable(root / candidate)
        if why:
            v.error(node, field, f"cannot read '{shown}': {why}")
            return
        if os.path.islink(root / candidate):    # git-annex keeps an image not fetched as a dangling link
            v.error(node, field, f"'{shown}' is a symlink to '{clip(os.readlink(root / candidate))}', which does not "
                                 "exist (an image a clone did not fetch? with git-annex: `git annex get`)")
            return rel
        v.error(node, field, f"no such file '{shown}'{_where_it_may_be(root, rel, candidate, v)}")
    elif not stat.S_ISREG(info.st_mode):
        v.error(node, field, f"'{shown}' is not a file")
    elif too_big(info.st_size):
        v.error(node, field, f"'{shown}': {too_big(info.st_size)}")
    return rel


WEB_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MOST_FILES_LOOKED_AT = 50_000   # a gallery kept in a home folder is not walked whole for a hint


def _where_it_may_be(root: Path, rel: str, candidate: Path, v) -> str:
    """A hint for a file that is not where `rel` says: a web address, Windows' backslashes, a close name in
    its folder, or the same name in another folder of the gallery (a folder renamed or an image moved)."""
    if WEB_ADDRESS.match(rel):
        return " (it is a web address: download the image into the gallery folder and give its path)"
    slashed = rel.replace("\\", "/")
    if slashed != rel and (root / slashed).is_file():
        return f" (write folders with '/': '{slashed}')"
    folder = (root / candidate).parent
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    except OSError:
        names = []
    close = closest(candidate.name, names)   # suggested as the whole path: what the field needs
    if close:
        return f" (did you mean '{(candidate.parent / close).as_posix()}'?)"
    if v.files_by_name is None:
        v.files_by_name = _files_by_name(root)
    found = v.files_by_name.get(unicodedata.normalize("NFC", candidate.name).casefold(), [])
    return f" (did you mean '{found[0]}'?)" if len(found) == 1 and found[0] != rel else ""


def _files_by_name(root: Path) -> dict[str, list[str]]:
    """The gallery's files by name (folded: case and Unicode normalization), past hidden folders and links."""
    found: dict[str, list[str]] = {}
    seen = 0
    for top, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            key = unicodedata.normalize("NFC", name).casefold()
            found.setdefault(key, []).append(Path(os.path.relpath(os.path.join(top, name), root)).as_posix())
        seen += len(names) + len(dirs)
        if seen > MOST_FILES_LOOKED_AT:
            break
    return found


def _resolved(root: Path, rel: Path, v) -> tuple[Path, os.stat_result | None]:
    try:
        return resolved_with_stat(root / rel, v.real_folders)
    except (OSError, RuntimeError):     # a symlink loop (RuntimeError before Python 3.13)
        return root, None


def _spelled_on_disk(root: Path, rel: Path) -> Path | None:
    """`rel` with each name as the folder holds it, where they differ only in Unicode normalization; None
    unless exactly one entry matches each missing name."""
    found = root
    for part in rel.parts:
        if not os.path.lexists(found / part):
            wanted = unicodedata.normalize("NFC", part)
            try:
                same = [name for name in os.listdir(found) if unicodedata.normalize("NFC", name) == wanted]
            except OSError:
                return None
            if len(same) != 1:
                return None
            part = same[0]
        found = found / part
    return found.relative_to(root)


def _unreadable(path: Path) -> str | None:
    """Why a file that is there cannot be read (a folder without permission, a symlink loop); None when
    it is simply missing."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_rooms(gallery: Gallery, root_node, v) -> None:
    """Every id in `layout.rooms` names an artwork, and no artwork is hung in two rooms."""
    known = {art.id for art in gallery.artworks}
    rooms_node = field_node(field_node(root_node, "layout"), "rooms")
    room_nodes = rooms_node.value if isinstance(rooms_node, yaml.SequenceNode) else []
    seen: dict[str, int] = {}
    for r, room in enumerate(gallery.layout.rooms):
        ids_node = field_node(room_nodes[r], "artworks") if r < len(room_nodes) else rooms_node
        id_nodes = ids_node.value if isinstance(ids_node, yaml.SequenceNode) else []
        for k, art_id in enumerate(room.artworks):
            at = id_nodes[k] if k < len(id_nodes) else ids_node
            field = f"layout.rooms[{r}].artworks"
            if art_id not in known:
                v.error(at, field, f"no artwork has the id '{clip(art_id)}'{suggest(art_id, sorted(known))}")
            elif art_id in seen:
                v.error(at, field, f"'{art_id}' is already hung in layout.rooms[{seen[art_id]}]")
            seen.setdefault(art_id, r)

"""Render the static site into the output folder.

Every file of the site is first listed (relative path -> bytes or a cached file), then written
(`publish.py`): files whose name carries a content hash are written only if absent, the rest only if their
bytes changed, each by an atomic rename. Files the previous build wrote that this one does not are deleted;
the list of what the tool owns (path -> SHA-256 of the bytes written) is kept in `.imaudible-build.json`, so
nothing else in the folder is touched. That list is data on disk, not trusted: an entry is deleted only
if it names a regular file strictly inside the folder, reached without a symlink, whose bytes are still
the ones recorded. Nothing is written through a symlink either.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .. import __version__
from ..engine.cache import CACHE_DIR_NAME
from ..headers import CONTENT_TYPES, SECURITY_HEADERS
from ..types import REPORT_DIR, WEB_AUDIO_FORMATS, StoredFile, published_model
from ..listening import model_music_description
from ..editor_files import is_editor_leftover
from .layout import card_image, rooms_and_titles, site_path
from . import output_folder as folder, pages, written as written_stat
from .publish import SiteWrite, Written, digest_of
from .output_folder import SITE_PATH

if TYPE_CHECKING:
    from ..settings import Gallery
    from ..types import ArtworkView


def _theme_dir() -> Path:
    """The default theme: inside the package in a wheel (the build maps top-level templates/ and static/
    into imaudible/theme/), or the repository's top-level folders in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "theme"
    return packaged if (packaged / "templates").is_dir() else package.parent


THEME_DIR = _theme_dir()


def theme_folders() -> list[str]:
    """The default theme's folders, as a build reads them."""
    return [os.fspath(THEME_DIR / "templates"), os.fspath(THEME_DIR / "static")]


class SiteError(Exception):
    pass


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


class SiteFiles:
    """The site as a mapping of relative path -> bytes | Path (a cached file to copy)."""

    def __init__(self):
        self.files: dict[str, bytes | StoredFile] = {}
        self.immutable: set[str] = set()

    def add(self, rel: str, source: bytes | StoredFile, immutable: bool = False) -> str:
        if not folder.site_path_ok(rel):
            raise SiteError(f"refusing to write '{rel}': not a plain path inside the site")
        self.files[rel] = source
        if immutable:
            self.immutable.add(rel)
        return rel


def _static_sources(gallery: Gallery) -> dict[str, Path]:
    """Theme static files, overridden file by file by the gallery's own static/ folder."""
    sources: dict[str, Path] = {}
    for base in (THEME_DIR / "static", gallery.root / "static"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(base)
                if path.is_file() and not any(part.startswith(".") for part in rel.parts) \
                        and not is_editor_leftover(path.name):
                    sources[rel.as_posix()] = path
    return sources


def _hashed_name(rel: str, data: bytes) -> str:
    # The bundle's lazily loaded chunks already carry esbuild's content hash (which covers their source maps)
    # and are imported by those names: they keep them.
    if rel.startswith("chunks/"):
        return f"assets/{rel}"
    stem, dot, ext = rel.rpartition(".")
    return f"assets/{stem}.{_digest(data)}.{ext}" if dot else f"assets/{rel}.{_digest(data)}"


def _artwork_data(view: ArtworkView, site: SiteFiles, loop: bool) -> dict:
    art = view.art
    images: dict[str, dict] = {}
    for image in view.images:
        # Named by the bytes, not by the result's key: a forced recompute (a GPU model, another encoder
        # version) can store other bytes under the same key, and browsers keep an asset for a year.
        rel = f"assets/img/{art.id}-{image.name}.{image.file.sha256[:10]}.{image.fmt}"
        site.add(rel, image.file, immutable=True)
        slot = images.setdefault(image.name, {"width": image.width, "height": image.height})
        slot[image.fmt] = rel
    sounds = dict.fromkeys(WEB_AUDIO_FORMATS)     # a format the gallery does not publish (audio.formats) is null
    for fmt, stored in sorted(view.audio.items()):
        sounds[fmt] = site.add(f"assets/audio/{art.id}.{stored.sha256[:10]}.{fmt}", stored, immutable=True)
    data = {
        "id": art.id, "title": art.title, "artist": art.artist, "year": art.year, "description": art.description,
        "caption": view.caption, "prompt": view.prompt, "mood": view.mood.to_dict(),
        "music_description": view.music_description   # what the built-in composer played, else what was asked
        or model_music_description(view.mood, view.prompt, view.prompt_writer),
        "credit": art.credit, "license": art.license, "source_url": art.source_url,
        "models": {"caption": published_model(view.caption_model), "caption_draft": view.caption_draft,
                   "prompt": published_model(view.prompt_writer) or None,
                   "music": published_model(view.music_model), "music_draft": view.music_draft},
        "width": view.width, "height": view.height,
        "size_cm": list(art.size_cm) if art.size_cm else None,
        "images": images,
        "audio": {**sounds, "duration": view.duration, "loop": loop},
        "page": f"art/{art.id}/", "list_anchor": f"list.html#{art.id}",
    }
    if view.takes:   # `chosen` is the ranker's pick, counted from 0; `played`, the take the site plays, from 1
        pinned = view.art.music.take
        data["takes"] = {**view.takes, "played": pinned or int(view.takes.get("chosen", 0)) + 1,
                         "pinned": pinned is not None}
    return data


def site_data(gallery: Gallery, views: list[ArtworkView], site: SiteFiles) -> dict:
    artworks = [_artwork_data(view, site, gallery.audio.loop) for view in views]
    rooms, titles = rooms_and_titles(gallery, artworks, {view.art.id: view.mood for view in views})
    return {
        "title": gallery.title, "description": gallery.description, "url": gallery.url,
        "generator": f"imaudible {__version__}",
        "layout": {"order": gallery.layout.order, "per_room": gallery.layout.per_room,
                   "rooms": rooms, "titles": titles},
        "artworks": artworks,
    }


def _json_for_html(compact: bytes) -> str:
    """Compact site JSON made safe inside <script type="application/json">."""
    return compact.decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _og(gallery: Gallery, title: str, description: str, image: str, page: str) -> dict:
    base = gallery.url.rstrip("/") + "/" if gallery.url else ""
    return {"title": title, "description": description, "image": base + image if base else image,
            "url": base + page if base else page}


def _headers(site: SiteFiles) -> bytes:
    lines = ["# Written by imaudible. Netlify reads this file from the published folder.", "/*",
             *(f"  {name}: {value}" for name, value in SECURITY_HEADERS.items()), "",
             "/assets/*", "  Cache-Control: public, max-age=31536000, immutable", ""]
    for page in ["/", "/index.html", "/list.html", "/404.html", "/gallery.json", "/art/*"]:
        lines += [page, "  Cache-Control: public, max-age=0, must-revalidate", ""]
    for rel in sorted(site.files):
        ctype = CONTENT_TYPES.get(os.path.splitext(rel)[1])
        if ctype:
            lines += [f"/{rel}", f"  Content-Type: {ctype}", ""]
    return "\n".join(lines).encode()


NETLIFY_TOML = b"""# Written by imaudible. Deploy this folder as it is:  netlify deploy --dir build --prod
# Caching, Content-Type and Content-Security-Policy headers are in _headers (same folder).
[build]
  publish = "."
  command = ""
"""


def check_front_end(gallery: Gallery) -> None:
    """Raise SiteError when no gallery.js (the bundled 3D front end) is in the theme or the gallery's static/:
    the CLI asks before any stage runs, so that nothing is computed for a site that cannot be written."""
    if "gallery.js" not in _static_sources(gallery):
        raise SiteError("the front end is not built (no gallery.js in the theme): run `npm ci && npm run build` "
                        "in the imaudible source folder, or install imaudible from a wheel")


# The comment at the end of a script or style sheet that names its source map, next to it.
SOURCE_MAP_COMMENT = re.compile(rb"(\n(?://|/\*)# sourceMappingURL=)([A-Za-z0-9_.-]+\.map)(\s*(?:\*/)?\s*)$")


def _add_statics(gallery: Gallery, site: SiteFiles) -> dict[str, str]:
    """Every static file under a name with its content hash. Source maps first: a script is served for a
    year under its hashed name, and so is its map, so the map's hashed name is written into the script."""
    check_front_end(gallery)
    sources = _static_sources(gallery)
    statics = {}
    for rel, path in sorted(sources.items(), key=lambda item: not item[0].endswith(".map")):
        data = path.read_bytes()
        if not rel.startswith("chunks/"):
            data = SOURCE_MAP_COMMENT.sub(lambda m: _map_comment(m, rel, statics), data)
        statics[rel] = site.add(_hashed_name(rel, data), data, immutable=True)
    return statics


def _map_comment(match: re.Match, rel: str, statics: dict[str, str]) -> bytes:
    folder = rel.rpartition("/")[0]
    named = f"{folder}/{match.group(2).decode()}" if folder else match.group(2).decode()
    if named not in statics:
        return match.group(0)   # a map the site does not publish: the comment stays as it was
    return match.group(1) + statics[named].rpartition("/")[2].encode() + match.group(3)


def _render_key(gallery: Gallery, compact: bytes, statics: dict[str, str]) -> str:
    """Everything the pages are rendered from: the site data, the templates and the asset names."""
    h = hashlib.sha256(__version__.encode() + compact + json.dumps(statics, sort_keys=True, allow_nan=False).encode())
    for base in (gallery.root / "templates", THEME_DIR / "templates"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    h.update(path.as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def plan_site(gallery: Gallery, views: list[ArtworkView]) -> tuple[SiteFiles, str, Callable[[], None]]:
    """Every file of the site but the pages and the data files, the key of what those are made from, and a
    function that adds them to the site (skipped when the key shows they would come out the same)."""
    site = SiteFiles()
    statics = _add_statics(gallery, site)

    data = site_data(gallery, views, site)
    if gallery.report == "public":   # the evaluation report, written by `evaluate` beside build/
        from ..evaluate.report import add_to_site
        add_to_site(gallery.root, site.add, data)
    # one compact dump (the C encoder; an indented one runs in pure Python), served under both names
    compact = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()

    def render_pages() -> None:  # not called when the key matches the site already there (a no-op)
        site.add("gallery.json", compact + b"\n")
        data_url = site.add(f"assets/gallery-data.{_digest(compact)}.json", compact, immutable=True)
        common = {"gallery": data, "gallery_json": _json_for_html(compact), "data_url": data_url,
                  "asset": pages.Assets(statics),
                  "version": __version__}
        _render_pages(gallery, site, data, common)
    return site, _render_key(gallery, compact, statics), render_pages


def _render_pages(gallery: Gallery, site: SiteFiles, data: dict, common: dict) -> None:
    first_image = card_image(data["artworks"][0]) if data["artworks"] else ""
    description = gallery.description or f"A walkable gallery of {len(data['artworks'])} artworks, each with its own music."
    og = _og(gallery, gallery.title, description, first_image, "")
    todo = [pages.Page("index.html", "index.html", {**common, "root": "", "page": "index", "artwork": None, "og": og}),
            pages.Page("list.html", "list.html", {**common, "root": "", "page": "list", "artwork": None,
                                                  "og": _og(gallery, gallery.title, description, first_image,
                                                            "list.html")}),
            pages.Page("404.html", "404.html", {**common, "root": site_path(gallery.url), "page": "404",
                                                "artwork": None, "og": og})]
    for art in data["artworks"]:
        art_og = _og(gallery, f"{art['title']} — {gallery.title}", art["caption"] or description,
                     card_image(art), art["page"])
        todo.append(pages.Page(f"art/{art['id']}/index.html", "artwork.html",
                               {**common, "root": "../../", "page": "artwork", "artwork": art, "og": art_og}))
    own = gallery.root / "templates"
    try:
        rendered = pages.render([own, THEME_DIR / "templates"] if own.is_dir() else [THEME_DIR / "templates"],
                                todo, isolated=own.is_dir())
    except pages.TemplateError as exc:
        raise SiteError(str(exc)) from None
    for page, html in zip(todo, rendered):
        site.add(page.target, html)
    site.add("netlify.toml", NETLIFY_TOML)
    site.add(folder.NO_JEKYLL, b"")
    site.add("_headers", _headers(site))


# A file of the gallery's static/ or templates/ is read whole; an archive can unpack to a sparse terabyte.
MAX_GALLERY_FILE = 1 << 30


def check_gallery_folders(gallery: Gallery) -> None:
    """The gallery's static/ and templates/ are published; like artwork files, they may not lead out of the
    gallery folder through a symlink."""
    root = gallery.root.resolve()
    for name in ("static", "templates"):
        base = gallery.root / name
        if not base.exists() and not base.is_symlink():
            continue
        if not base.is_dir():   # else skipped by the loader without a word: the default theme was built
            raise SiteError(f"'{name}' is {_kind_of(_mode_and_size(base)[0])}, not a folder: the site cannot use it; "
                            f"make '{name}' a folder of the gallery's own files or remove it")
        for top, dirs, files in os.walk(base):  # lists symlinked folders without entering them
            for entry in [Path(top)] + [Path(top) / d for d in dirs] + [Path(top) / f for f in files]:
                rel = entry.relative_to(gallery.root).as_posix()
                if not entry.resolve().is_relative_to(root):
                    raise SiteError(f"'{rel}' is a symlink to '{entry.resolve()}', outside the gallery folder; "
                                    "copy what it points at into the gallery instead")
                mode, size = _mode_and_size(entry)
                if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):   # else skipped by the loader without a word
                    raise SiteError(f"'{rel}' is {_kind_of(mode)}, not a file: the site cannot publish it; "
                                    "put a plain file there or remove it")
                if stat.S_ISREG(mode) and size > MAX_GALLERY_FILE:   # read whole when published
                    raise SiteError(f"'{rel}' holds {size:,} bytes, more than a file of the site "
                                    f"may (at most {MAX_GALLERY_FILE >> 20} MiB)")


def _mode_and_size(path: Path) -> tuple[int, int]:
    """What `path` leads to (links followed): (0, 0) for a link to nothing."""
    try:
        info = os.stat(path)
    except OSError:
        return 0, 0
    return info.st_mode, info.st_size


def _kind_of(mode: int) -> str:
    return ("a file" if stat.S_ISREG(mode) else "a FIFO" if stat.S_ISFIFO(mode) else
            "a socket" if stat.S_ISSOCK(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a link to nothing")


def preflight(gallery: Gallery, out: Path) -> None:
    """Everything about the output that can be checked before any stage runs (and before anything,
    the cache included, is written): the out folder, the gallery's static/ and templates/, the front end."""
    root = gallery.root
    try:
        folder.check_out_dir(out, root, {"cache": root / CACHE_DIR_NAME, "gallery's static/ folder": root / "static",
                                         "gallery's templates/ folder": root / "templates",
                                         "report folder, which `evaluate` rewrites": root / REPORT_DIR})
    except folder.OutputFolderError as exc:
        raise SiteError(str(exc)) from None
    check_gallery_folders(gallery)
    statics = _static_sources(gallery)
    for rel, path in statics.items():
        if not SITE_PATH.fullmatch(rel):
            raise SiteError(f"'{path}': file names in static/ may use only letters, digits, '.', '-' and '_' "
                            "(and may not start with '.' or '-'); rename it")
    check_front_end(gallery)


def render_site(gallery: Gallery, views: list[ArtworkView], out: Path,
                warn: Callable[[str], None] = lambda m: None) -> Written:
    """Render and write the site (after `preflight`, which the build runs before any stage)."""
    out = Path(out)
    if out.is_dir():
        folder.sweep_tmp(out)
    site, key, render_pages = plan_site(gallery, views)
    owned, cache_root = folder.read_owned(out), gallery.root / CACHE_DIR_NAME
    # The key covers every name that hashes its bytes; the digests cover the files that keep fixed names (the
    # public evaluation report's, which `evaluate` rewrites).
    if key == owned.key and all(owned.holds(rel, digest_of(source)) for rel, source in site.files.items()) \
            and folder.unchanged_since_written(out, owned, written_stat.load(cache_root, out)):
        return Written(0, 0, [])  # same data, templates and assets as the finished build already there
    write = SiteWrite(out, warn, cache_root, owned)
    try:   # a failure or Ctrl-C from the first staged asset on leaves the folder as it was
        write.start(site.files, site.immutable)     # the assets, while the pages render
        render_pages()
    except BaseException:
        write.stop()
        raise
    return write.finish(site.files, site.immutable, key)

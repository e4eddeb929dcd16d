"""What the pages need from the manifest's layout, the image sizes and the url: the rooms (named by the curator
or by their mood), the picture a link preview shows and the path the site is served under."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ..listening import room_title
from ..settings import MAX_PER_ROOM

if TYPE_CHECKING:
    from ..mood import Mood
    from ..settings import Gallery


def rooms_and_titles(gallery: Gallery, artworks: list[dict], moods: dict[str, Mood]) -> tuple[list[list[str]], list[str]]:
    """Artwork ids per room and the rooms' names: the manifest's named rooms first, then the rest in
    rooms of per_room, named by their mood ("Calm blues") when hung by mood."""
    named = [(room.title, part) for room in gallery.layout.rooms for part in _parts(list(room.artworks))]
    placed = {i for _, ids in named for i in ids}
    ordered = [a for a in artworks if a["id"] not in placed]
    if gallery.layout.order == "mood":
        ordered = sorted(ordered, key=lambda a: (a["mood"]["arousal"], -a["mood"]["valence"]))
    ids = [a["id"] for a in ordered]
    n = gallery.layout.per_room
    rest = [ids[i:i + n] for i in range(0, len(ids), n)]
    by_mood = gallery.layout.order == "mood"
    rest_named = [(room_title([moods[i] for i in chunk]) if by_mood else "", chunk) for chunk in rest]
    rooms = named + rest_named
    return [ids for _, ids in rooms], [title for title, _ in rooms]


def _parts(ids: list[str]) -> list[list[str]]:
    """A named room's works in rooms of at most MAX_PER_ROOM, as even as can be (150 -> 7 rooms of 21-22): a
    room loads all its textures at once, and one of 150 works was a 93 m hall loading 150 images."""
    count = -(-len(ids) // MAX_PER_ROOM)
    size, extra = divmod(len(ids), count)
    bounds = [k * size + min(k, extra) for k in range(count + 1)]
    return [ids[a:b] for a, b in zip(bounds, bounds[1:])]


def card_image(art: dict) -> str:
    """The JPEG for a link preview: the smallest size at least 1000 px on its long edge, else the largest
    (the sizes are whatever `images.sizes` made)."""
    sized = sorted((im for name, im in art["images"].items() if name != "thumb" and im.get("jpg")),
                   key=lambda im: max(im["width"], im["height"]))
    if not sized:
        return art["images"].get("thumb", {}).get("jpg", "")
    return next((im for im in sized if max(im["width"], im["height"]) >= 1000), sized[-1])["jpg"]


def site_path(url: str) -> str:
    """The path the site is served under, from its `url` ("/" when none is given): the host answers a missing
    page at any depth with 404.html, so its links start there, also for a site in a folder (GitHub Pages)."""
    path = urlsplit(url).path if url else ""
    path = re.sub(r"/{2,}", "/", path)   # "//host/..." would be a link to another host
    return quote(path.rstrip("/"), safe="/%") + "/"


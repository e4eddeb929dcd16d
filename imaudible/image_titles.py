"""The title an image file carries (XMP dc:title, then IPTC Object Name), for `add`: else one from its name."""
from __future__ import annotations

import re
from pathlib import Path

from .types import BIDI_CONTROLS, CONTROL_CHARACTERS, open_bidi

MAX_TITLE = 300


# A year at the end of a title, as file names carry it: "The Scream (1893)", "Udnie, 1913", "(c. 1831)",
# "(1900-1905)". Only in brackets or after a comma: a bare number may be part of the title ("Composition 8").
_TRAILING_YEAR = re.compile(r"(?P<title>.*?\S)\s*(?:\(\s*(?P<bracketed>(?:c\.\s*)?\d{3,4}(?:\s*[-–]\s*\d{2,4})?)\s*\)"
                            r"|,\s*(?P<after_comma>(?:c\.\s*)?\d{4}))")


def title_and_year(title: str) -> tuple[str, str | None]:
    """A title and the year written at its end, apart; the title as it is without one."""
    found = _TRAILING_YEAR.fullmatch(title)
    if not found:
        return title, None
    return found["title"], found["bracketed"] or found["after_comma"]


def image_title(path: Path) -> str:
    """The image's embedded title (XMP dc:title, then IPTC Object Name), else one made from the file name."""
    title, year = image_title_and_year(path)
    return f"{title} ({year})" if year else title


def image_title_and_year(path: Path) -> tuple[str, str | None]:
    """`image_title`, with a year written at its end apart (`add` fills in both)."""
    from PIL import Image, IptcImagePlugin

    try:
        with Image.open(path) as img:
            title = _xmp_title(img.info.get("xmp") or img.info.get("XML:com.adobe.xmp"))
            if not title:
                iptc = IptcImagePlugin.getiptcinfo(img) or {}
                raw = iptc.get((2, 5))
                raw = raw[0] if isinstance(raw, list) else raw
                title = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else ""
    except Exception:   # noqa: BLE001 - best effort: Pillow's plug-ins raise many kinds on a hostile file
        title = ""
    title = " ".join(CONTROL_CHARACTERS.sub(" ", title).split())[:MAX_TITLE]   # an embedded title is anyone's text
    if open_bidi(title):     # an override left open would turn around what pages write after it
        title = BIDI_CONTROLS.sub("", title)
    if title:
        return title_and_year(title)
    stem, year = title_and_year(path.stem)          # before '-' and '.' become spaces: "(c. 1831)", "(1900-1905)"
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return (words[:1].upper() + words[1:] if words else path.name), year


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

"""`evaluate --variant KEY=VALUE`: the gallery with one manifest option changed (the thesis' ablation).

KEY is a manifest option by its dotted name (`prompt.remove_stopwords`, `music.guidance_scale`, `style`);
VALUE is read as YAML (true, 3.5, text, [webm]) and read exactly as gallery.yaml would read it there.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from ..settings import Gallery


class VariantError(ValueError):
    """A --variant that names no option or gives it a value of the wrong type (one-line message)."""


def _field(cls, name: str, section: str = ""):
    """`section` as gallery.yaml names it ("prompt"; "" for the top level), never the class behind it."""
    import difflib

    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    if name not in fields or name == "artworks":
        names = sorted(n for n in fields if n != "artworks")
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean '{section + '.' if section else ''}{close[0]}'? " if close else ""
        where = f"section '{section}'" if section else "gallery.yaml"
        raise VariantError(f"--variant: {where} has no option '{name}' ({hint}options: {', '.join(names)})")
    return fields[name]


def apply(gallery: Gallery, assignment: str) -> Gallery:
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise VariantError(f"--variant: expected KEY=VALUE, got '{assignment}'")
    try:
        yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not a YAML value"
        raise VariantError(f"--variant {key}: cannot read '{raw}' ({problem})") from None
    path = key.split(".")
    if len(path) > 2:
        raise VariantError(f"--variant: '{key}' is not an option (use section.option, e.g. prompt.remove_stopwords)")
    _field(Gallery, path[0])
    if len(path) == 2:
        if not dataclasses.is_dataclass(getattr(gallery, path[0])):
            raise VariantError(f"--variant: '{path[0]}' is not a section")
        _field(type(getattr(gallery, path[0])), path[1], path[0])
    as_written = _as_in_manifest(gallery, path, raw, key)
    if len(path) == 1:
        return dataclasses.replace(gallery, **{key: getattr(as_written, key)})
    section, option = path
    changed = dataclasses.replace(getattr(gallery, section), **{option: getattr(getattr(as_written, section), option)})
    return dataclasses.replace(gallery, **{section: changed})


def _as_in_manifest(gallery: Gallery, path: list[str], raw: str, key: str) -> Gallery:
    """The gallery as if the value were written into gallery.yaml: the manifest's own reading of it (types,
    limits, patterns), with every check the file gets (a blank title or device, control characters in text,
    a take pinned beyond the variant's `music.takes`)."""
    from ..manifest import ManifestError, with_option

    if not Path(gallery.manifest_path).is_absolute() or not Path(gallery.manifest_path).is_file():
        raise VariantError("--variant: the gallery's manifest file is gone")
    section, option = (None, path[0]) if len(path) == 1 else path
    try:
        return with_option(gallery.manifest_path, section, option, raw)
    except ManifestError as exc:
        problem = exc.problems[0]
        where = f"{problem.field}: " if problem.field and problem.field != key else ""
        raise VariantError(f"--variant {key}: not a value gallery.yaml accepts here ({where}{problem.message})") from None
    except yaml.YAMLError as exc:   # the file itself changed since it was loaded
        raise VariantError(f"--variant {key}: gallery.yaml cannot be read now ({getattr(exc, 'problem', None) or exc})") from None


def check_models(gallery: Gallery, changed: Gallery, assignment: str) -> None:
    """A variant that names a model (`music.model=...`) must name one that is here: found now, not after the
    main evaluation has run."""
    from ..models import read_recorded, resolve_model

    for kind in ("caption", "prompt", "music"):
        section = getattr(changed, kind)
        if section == getattr(gallery, kind):
            continue
        resolved = resolve_model(kind, section, gallery_root=gallery.root, recorded=read_recorded(gallery.root))
        if resolved.is_model and not resolved.available and resolved.requested != "auto":
            raise VariantError(f"--variant {assignment}: {resolved.missing_message()}")


NOTHING_TO_COMPARE = "the variant changed no music: nothing to compare"


def same_music(current: dict, variant: dict) -> bool:
    """Whether two records' `music_identity` (see `run.music_identity`) name the same music in the site."""
    a, b = current.get("music_identity") or {}, variant.get("music_identity") or {}
    if not a or not b or a.get("used") != b.get("used"):
        return False
    return a.get("key") == b.get("key") or (bool(a.get("sha256")) and a.get("sha256") == b.get("sha256"))

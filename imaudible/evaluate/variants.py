"""`evaluate --variant KEY=VALUE`: the gallery with one manifest option changed (the thesis' ablation).

KEY is a manifest option by its dotted name (`prompt.remove_stopwords`, `music.guidance_scale`, `style`);
VALUE is read as YAML (true, 3.5, text) and must have the option's type.
"""
from __future__ import annotations

import dataclasses
import math
import re
import typing
from pathlib import Path

import yaml

from ..settings import Gallery


class VariantError(ValueError):
    """A --variant that names no option or gives it a value of the wrong type (one-line message)."""


def _field(cls, name: str):
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    if name not in fields or name == "artworks":
        options = ", ".join(sorted(n for n in fields if n != "artworks"))
        raise VariantError(f"--variant: '{cls.__name__}' has no option '{name}' (options: {options})")
    return fields[name]


def _converted(tp, value, key: str):
    hints = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType")) else (tp,)
    if value is None and type(None) in hints:
        return None
    for hint in hints:
        if typing.get_origin(hint) is typing.Literal:
            if value in typing.get_args(hint):
                return value
        elif hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        elif hint is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        elif hint in (bool, int) and type(value) is hint:
            return value
    raise VariantError(f"--variant {key}: {value!r} is not a valid value for this option")


def _checked(field, value, key: str):
    """The manifest's own limits for the option (the same minimum, maximum and pattern `load_manifest` checks)."""
    meta = field.metadata
    if isinstance(value, float) and not math.isfinite(value):
        raise VariantError(f"--variant {key}: {value!r} is not a finite number")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in meta and value < meta["minimum"]:
            raise VariantError(f"--variant {key}: must be at least {meta['minimum']}, not {value}")
        if "maximum" in meta and value > meta["maximum"]:
            raise VariantError(f"--variant {key}: must be at most {meta['maximum']}, not {value}")
    if isinstance(value, str) and meta.get("pattern") and value and not re.fullmatch(meta["pattern"], value):
        raise VariantError(f"--variant {key}: '{value}' does not match {meta['pattern']}")
    return value


def apply(gallery: Gallery, assignment: str) -> Gallery:
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise VariantError(f"--variant: expected KEY=VALUE, got '{assignment}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not a YAML value"
        raise VariantError(f"--variant {key.strip()}: cannot read '{raw}' ({problem})") from None
    path = key.strip().split(".")
    hints = typing.get_type_hints(Gallery)
    if len(path) == 1:
        field = _field(Gallery, path[0])
        changed = dataclasses.replace(gallery, **{path[0]: _checked(field, _converted(hints[path[0]], value, key), key)})
        _check_in_manifest(gallery, None, path[0], raw, key.strip())
        return changed
    if len(path) != 2:
        raise VariantError(f"--variant: '{key}' is not an option (use section.option, e.g. prompt.remove_stopwords)")
    section_field = _field(Gallery, path[0])
    section = getattr(gallery, section_field.name)
    if not dataclasses.is_dataclass(section):
        raise VariantError(f"--variant: '{path[0]}' is not a section")
    field = _field(type(section), path[1])
    inner = typing.get_type_hints(type(section))[path[1]]
    changed = dataclasses.replace(section, **{path[1]: _checked(field, _converted(inner, value, key), key)})
    _check_in_manifest(gallery, path[0], path[1], raw, key.strip())
    return dataclasses.replace(gallery, **{path[0]: changed})


def _check_in_manifest(gallery: Gallery, section: str | None, option: str, raw: str, key: str) -> None:
    """The value as if written into gallery.yaml gets every check the file gets: besides each option's own
    type and limits, a blank title or device, control characters in text, and what spans options (a take
    pinned beyond the variant's `music.takes`) were let through to the build."""
    from ..manifest import ManifestError, with_option

    if not Path(gallery.manifest_path).is_absolute() or not Path(gallery.manifest_path).is_file():
        return   # a Gallery made in code, not loaded from a file
    try:
        with_option(gallery.manifest_path, section, option, raw)
    except ManifestError as exc:
        problem = exc.problems[0]
        where = f"{problem.field}: " if problem.field and problem.field != key else ""
        raise VariantError(f"--variant {key}: not a value gallery.yaml accepts here ({where}{problem.message})") from None
    except yaml.YAMLError:
        return   # already read (or refused) above


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

"""Read and validate `gallery.yaml` into a typed `Gallery`.

The YAML is composed into nodes (not loaded into plain dicts) so that every error can name the file,
line, column and field. Types, bounds and docs come from the dataclasses in `settings.py`; the same
declarations produce the JSON Schema (`json_schema()`).
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import re
import stat
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from .image_checks import resolved_with_stat
from .settings import Gallery
from .yaml_syntax import explain as explain_syntax_error

MANIFEST_NAME = "gallery.yaml"
_MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: " + (f"{self.field}: " if self.field else "") + self.message


class ManifestError(Exception):
    """The manifest is invalid; `problems` lists every problem found, each printable on one line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(str(problems[0]) if problems else "invalid manifest")


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return close[0] if close else None


def _suggest(word: str, choices) -> str:
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "artwork"


class _Validator:
    def __init__(self, display_name: str, strict: bool, root: Path | None = None):
        self.file, self.root, self.strict = display_name, root, strict
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self._scalars = yaml.SafeLoader("")
        self.real_folders: dict[Path, Path] = {}  # an artwork folder -> its resolved path (one realpath per folder)

    def problem(self, node, field: str, message: str) -> Problem:
        mark = node.start_mark
        return Problem(self.file, mark.line + 1, mark.column + 1, field, message)

    def error(self, node, field, message):
        self.errors.append(self.problem(node, field, message))

    # --- conversion of one node to the type a field declares -------------------------------------
    def convert(self, node, tp, field: str, meta: dict) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Union, types.UnionType):
            if self._is_null(node) and type(None) in args:
                return None
            inner = [a for a in args if a is not type(None)]
            return self.convert(node, inner[0], field, meta)
        if dataclasses.is_dataclass(tp):
            return self.convert_dataclass(node, tp, field)
        if origin is tuple:
            return self.convert_sequence(node, args, field, meta)
        if origin is Literal:
            value = self.scalar(node, field)
            if value is _MISSING:
                return _MISSING
            if value not in args:
                options = ", ".join(f"'{a}'" for a in args)
                self.error(node, field, f"must be one of {options}, not '{value}'{_suggest(value, args)}")
                return _MISSING
            return value
        return self.convert_scalar(node, tp, field, meta)

    def _is_null(self, node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"

    def scalar(self, node, field):
        if not isinstance(node, yaml.ScalarNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
            self.error(node, field, f"expected a single value, found {kind}")
            return _MISSING
        try:
            return self._scalars.construct_object(node)
        except yaml.YAMLError as exc:
            self.error(node, field, f"unreadable value ({exc.problem if hasattr(exc, 'problem') else exc})")
            return _MISSING

    def convert_scalar(self, node, tp, field, meta):
        value = self.scalar(node, field)
        if value is _MISSING:
            return _MISSING
        if tp is str:
            if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float)):
                self.error(node, field, f"expected text, found {_describe(value)}")
                return _MISSING
            value = str(value)
            pattern = meta.get("pattern")
            if pattern and value and not re.fullmatch(pattern, value):
                self.error(node, field, f"'{value}' is not {meta.get('expected') or 'matching ' + pattern}")
                return _MISSING
            if meta.get("check") == "file" and self.root is not None:
                _check_file(self.root, value, node, field, self)
            return value
        if tp is bool:
            if not isinstance(value, bool):
                self.error(node, field, f"expected true or false, found {_describe(value)}")
                return _MISSING
            return value
        if tp in (int, float):
            ok = isinstance(value, int) and not isinstance(value, bool)
            if tp is float:
                ok = ok or isinstance(value, float)
            if not ok:
                expected = "a whole number" if tp is int else "a number"
                self.error(node, field, f"expected {expected}, found {_describe(value)}")
                return _MISSING
            if not math.isfinite(value):  # .nan/.inf: JSON has no such numbers and browsers reject the file
                self.error(node, field, f"must be a finite number, not {node.value}")
                return _MISSING
            if "minimum" in meta and value < meta["minimum"]:
                self.error(node, field, f"must be at least {meta['minimum']}, not {value}")
                return _MISSING
            if "maximum" in meta and value > meta["maximum"]:
                self.error(node, field, f"must be at most {meta['maximum']}, not {value}")
                return _MISSING
            return tp(value)
        raise TypeError(f"unsupported option type {tp!r}")

    def convert_sequence(self, node, args, field, meta):
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, field, f"expected a list, found {_node_kind(node)}")
            return _MISSING
        fixed = not (len(args) == 2 and args[1] is Ellipsis)
        if fixed and len(node.value) != len(args):
            self.error(node, field, f"expected a list of {len(args)} values, found {len(node.value)}")
            return _MISSING
        items = []
        for i, child in enumerate(node.value):
            tp = args[i] if fixed else args[0]
            items.append(self.convert(child, tp, f"{field}[{i}]", meta))
        return _MISSING if any(v is _MISSING for v in items) else tuple(items)

    def convert_dataclass(self, node, cls, field):
        if not isinstance(node, yaml.MappingNode):
            self.error(node, field, f"expected a mapping of options, found {_node_kind(node)}")
            return _MISSING
        options, metadata, hints = _declared(cls)
        values, seen, misspelled = {}, {}, set()
        given = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            path = f"{field}.{key}" if field else str(key)
            if key in seen:
                self.error(key_node, path, f"duplicate key (first given on line {seen[key] + 1})")
                continue
            seen[key] = key_node.start_mark.line
            if key not in options:
                # A near miss of a known option is a typo whose value would be dropped: an error. Other
                # unknown keys (notes for the curator, options of a newer version) are warnings.
                meant = closest(key, [name for name in options if name not in given])
                if meant:
                    misspelled.add(meant)
                    self.error(key_node, path, f"unknown option '{key}' (did you mean '{meant}'?)")
                else:
                    problem = self.problem(key_node, path, "unknown option")
                    (self.errors if self.strict else self.warnings).append(problem)
                continue
            values[key] = self.convert(value_node, hints[key], path, metadata[key])
        for name, f in options.items():
            if name not in seen and name not in misspelled and f.default is _MISSING and f.default_factory is _MISSING:
                self.error(node, f"{field}.{name}" if field else name, "required option is missing")
        if any(v is _MISSING for v in values.values()) or self.errors:
            return _MISSING
        return cls(**values)


@functools.lru_cache(maxsize=None)
def _declared(cls) -> tuple[dict, dict, dict]:
    """A settings class's options (name -> field), their metadata and type hints, once per class (for 500
    artworks: typing.get_type_hints re-evaluates every annotation)."""
    options = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    return options, {name: dict(f.metadata) for name, f in options.items()}, typing.get_type_hints(cls)


def _describe(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    return f"'{value}'" if isinstance(value, str) else f"{type(value).__name__} {value!r}"


def _node_kind(node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"'{node.value}'"


def find_manifest(path: Path) -> Path:
    path = Path(path)
    return path / MANIFEST_NAME if path.is_dir() else path


def load_manifest(path: Path, *, strict: bool = False, display_name: str | None = None) -> tuple[Gallery, list[Problem]]:
    """Parse and validate; returns the gallery and the warnings, or raises ManifestError."""
    manifest = find_manifest(path)
    name = display_name or str(manifest)
    if not manifest.is_file():
        why = "a folder, not a file" if manifest.is_dir() else "no such file (create one with `imaudible-site init`)"
        raise ManifestError([Problem(name, 1, 1, "", why)])
    try:
        text = manifest.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError([Problem(name, 1, 1, "", f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise ManifestError([Problem(name, 1, 1, "", exc.strerror or str(exc))]) from None
    try:
        try:  # libyaml parses a 500-artwork manifest ~10x faster; on an error the pure parser words the message
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        found = explain_syntax_error(text, exc)
        raise ManifestError([Problem(name, found.line, found.column, "", found.message)]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([Problem(name, 1, 1, "", f"YAML error: {exc}")]) from None
    if root is None:
        raise ManifestError([Problem(name, 1, 1, "", "the file is empty; it needs at least a title and artworks")])

    validator = _Validator(name, strict, manifest.parent.resolve())
    gallery = validator.convert_dataclass(root, Gallery, "")
    if gallery is not _MISSING:
        gallery = dataclasses.replace(gallery, root=manifest.parent.resolve(), manifest_path=manifest.resolve())
        gallery = _check_artworks(gallery, root, validator)
        _check_rooms(gallery, root, validator)
    if validator.errors:
        raise ManifestError(sorted(validator.errors, key=lambda p: (p.line, p.column)))
    return gallery, validator.warnings


def _artwork_nodes(root) -> list:
    for key, value in root.value:
        if key.value == "artworks" and isinstance(value, yaml.SequenceNode):
            return value.value
    return []


def _field_node(art_node, name):
    for key, value in art_node.value:
        if key.value == name:
            return value
    return art_node


def _check_artworks(gallery: Gallery, root_node, v: _Validator) -> Gallery:
    nodes = _artwork_nodes(root_node)
    if not gallery.artworks:
        v.error(root_node, "artworks", "the gallery has no artworks; add at least one")
        return gallery
    ids: dict[str, int] = {}
    checked = []
    for i, (art, node) in enumerate(zip(gallery.artworks, nodes)):
        field = f"artworks[{i}]"
        file_node = _field_node(node, "file")
        art_id = art.id or slugify(Path(art.file).stem)
        if art_id in ids:
            id_node = _field_node(node, "id") if art.id else file_node
            v.error(id_node, f"{field}.id", f"id '{art_id}' is already used by artworks[{ids[art_id]}]; "
                    "give one of them an explicit `id:`")
        ids.setdefault(art_id, i)
        checked.append(art if art.id == art_id else dataclasses.replace(art, id=art_id))
    return dataclasses.replace(gallery, artworks=tuple(checked))


def _check_file(root: Path, rel: str, node, field: str, v: _Validator) -> None:
    if not rel:
        v.error(node, field, "file name is empty")
        return
    candidate = Path(rel)
    if candidate.is_absolute():
        v.error(node, field, f"'{rel}' is an absolute path; give a path relative to the gallery folder")
        return
    target, info = resolved_with_stat(root / candidate, v.real_folders)
    if not target.is_relative_to(root):
        v.error(node, field, f"'{rel}' is outside the gallery folder")
        return
    if info is None:
        folder = (root / candidate).parent
        names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        v.error(node, field, f"no such file '{rel}'{_suggest(candidate.name, names)}")
    elif not stat.S_ISREG(info.st_mode):
        v.error(node, field, f"'{rel}' is not a file")


# --- JSON Schema ---------------------------------------------------------------------------------

def json_schema() -> dict:
    schema = _schema_for(Gallery, {})
    schema.update({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "imaudible gallery.yaml"})
    return schema


def _schema_for(tp, meta: dict) -> dict:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    doc = {"description": meta["doc"]} if meta.get("doc") else {}
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        return {"anyOf": [_schema_for(inner, {}), {"type": "null"}], **doc}
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        props, required = {}, []
        for f in dataclasses.fields(tp):
            if f.metadata.get("internal"):
                continue
            props[f.name] = _schema_for(hints[f.name], dict(f.metadata))
            if f.default is _MISSING and f.default_factory is _MISSING:
                required.append(f.name)
            elif f.default is not _MISSING and f.default is not None and not dataclasses.is_dataclass(f.default):
                default = list(f.default) if isinstance(f.default, tuple) else f.default
                props[f.name]["default"] = default
        out = {"type": "object", "properties": props, "additionalProperties": False, **doc}
        if required:
            out["required"] = required
        return out
    if origin is tuple:
        item_meta = {k: v for k, v in meta.items() if k in ("minimum", "maximum")}
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0], item_meta), **doc}
        return {"type": "array", "prefixItems": [_schema_for(a, item_meta) for a in args],
                "minItems": len(args), "maxItems": len(args), **doc}
    if origin is Literal:
        return {"enum": list(args), **doc}
    base = {str: {"type": ["string", "number"]} if meta.get("doc", "").startswith("Year") else {"type": "string"},
            bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"}}[tp]
    extra = {k: meta[k] for k in ("minimum", "maximum", "pattern") if k in meta}
    return {**base, **extra, **doc}


def _check_rooms(gallery: Gallery, root_node, v: _Validator) -> None:
    """Every id in `layout.rooms` names an artwork, and no artwork is hung in two rooms."""
    known = {art.id for art in gallery.artworks}
    layout = _field_node(root_node, "layout")
    rooms_node = _field_node(layout, "rooms") if layout is not root_node else root_node
    seen: dict[str, int] = {}
    for r, room in enumerate(gallery.layout.rooms):
        for art_id in room.artworks:
            field = f"layout.rooms[{r}].artworks"
            if art_id not in known:
                v.error(rooms_node, field, f"no artwork has the id '{art_id}'{_suggest(art_id, sorted(known))}")
            elif art_id in seen:
                v.error(rooms_node, field, f"'{art_id}' is already hung in layout.rooms[{seen[art_id]}]")
            seen.setdefault(art_id, r)


def locate(manifest: Path, dotted: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of the value of a top-level option like "music.model", or None."""
    try:
        node = yaml.compose(Path(manifest).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    for name in dotted.split("."):
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((value for key, value in node.value if getattr(key, "value", None) == name), None)
        if node is None:
            return None
    return node.start_mark.line + 1, node.start_mark.column + 1

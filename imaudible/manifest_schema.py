"""The JSON Schema of `gallery.yaml` (`imaudible-site schema`, for editors), from the same declarations in
`settings.py` that the validator in `manifest.py` checks: types, bounds, patterns, lengths and list sizes.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Literal, Union

from .settings import MAX_TEXT_LENGTH, Gallery

_MISSING = dataclasses.MISSING


def json_schema() -> dict:
    schema = _schema_for(Gallery, {})
    schema.update({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "imaudible gallery.yaml"})
    return schema


def _schema_for(tp, meta: dict) -> dict:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    doc = {"description": meta["doc"]} if meta.get("doc") else {}
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        return {"anyOf": [_schema_for(inner, {k: v for k, v in meta.items() if k != "doc"}), {"type": "null"}],
                **doc}
    if dataclasses.is_dataclass(tp):
        return _object_schema(tp, doc)
    if origin is tuple:
        item_meta = {k: v for k, v in meta.items() if k in ("minimum", "maximum")}
        if len(args) == 2 and args[1] is Ellipsis:
            sized = {"minItems": meta["min_items"]} if "min_items" in meta else {}
            sized.update({"uniqueItems": True} if meta.get("unique") else {})
            return {"type": "array", "items": _schema_for(args[0], item_meta), **sized, **doc}
        return {"type": "array", "prefixItems": [_schema_for(a, item_meta) for a in args],
                "minItems": len(args), "maxItems": len(args), **doc}
    if origin is Literal:
        return {"enum": list(args), **doc}
    if tp is str:
        # A plain number is read as its text (`year: 1889`); only the year says so, other text is best quoted.
        out = {"type": ["string", "number"] if meta.get("doc", "").startswith("Year") else "string",
               "maxLength": meta.get("max_length", MAX_TEXT_LENGTH)}
        if meta.get("nonblank"):
            out.update(minLength=1, pattern=r"\S")   # JSON Schema patterns search: something not whitespace
        if "pattern" in meta:
            out["pattern"] = meta["pattern"]
        return {**out, **doc}
    base = {bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"}}[tp]
    return {**base, **{k: meta[k] for k in ("minimum", "maximum") if k in meta}, **doc}


def _object_schema(cls, doc: dict) -> dict:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        props[f.name] = _schema_for(hints[f.name], dict(f.metadata))
        if f.default is _MISSING and f.default_factory is _MISSING:
            required.append(f.name)
        elif f.default is not _MISSING and f.default is not None and not dataclasses.is_dataclass(f.default):
            props[f.name]["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
    out = {"type": "object", "properties": props, "additionalProperties": False, **doc}
    if required:
        out["required"] = required
    return out

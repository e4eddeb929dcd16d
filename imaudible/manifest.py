"""Read and validate `gallery.yaml` into a typed `Gallery`.

The YAML is composed into nodes (not loaded into plain dicts) so that every error can name the file,
line, column and field. Types, bounds and docs come from the dataclasses in `settings.py`; the same
declarations produce the JSON Schema (`manifest_schema.py`). Checks that look past one value (files, ids,
rooms, takes) are in `manifest_checks.py`; reading bytes and merge keys in `yaml_syntax.py`.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import shlex
import stat
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from .manifest_checks import check_artworks, check_file, check_rooms, clip, closest, slugify
from .manifest_checks import suggest as _suggest
from .manifest_schema import json_schema
from .manifest_values import describe, number_problem, text_problem
from .settings import Gallery
from .yaml_syntax import SyntaxProblem, apply_merge_keys, decode, unreadable_character
from .yaml_syntax import explain as explain_syntax_error

__all__ = ["MANIFEST_NAME", "ManifestError", "Problem", "closest", "find_manifest", "gallery_folder", "json_schema",
           "load_manifest", "locate", "slugify"]

MANIFEST_NAME = "gallery.yaml"
SHOWN_PROBLEMS = 20        # problems listed for people; the rest are counted
_MISSING = dataclasses.MISSING
_TAG = "tag:yaml.org,2002:"
# A plain scalar for a text option is the text as written, whatever YAML 1.1 would make of it: `12:30` is not
# 750, `3.10` is not 3.1, `010` is not 8, `Yes` is not true.
_TEXT_TAGS = frozenset(_TAG + kind for kind in ("str", "int", "float", "bool", "timestamp"))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        at = f":{self.line}:{self.column}" if self.line else ""   # line 0: the file itself, not a place in it
        return f"{self.file}{at}: " + (f"{self.field}: " if self.field else "") + self.message


class ManifestError(Exception):
    """The manifest is invalid; `problems` lists every problem found, each printable on one line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(str(problems[0]) if problems else "invalid manifest")

    def lines(self, limit: int = SHOWN_PROBLEMS) -> list[str]:
        """The problems as lines for people: all of them, or the first `limit` and a count of the others."""
        if len(self.problems) <= limit + 1:
            return [str(p) for p in self.problems]
        rest = len(self.problems) - limit
        return [str(p) for p in self.problems[:limit]] + [f"... and {rest:,} more problems"]


class _Validator:
    def __init__(self, display_name: str, strict: bool, root: Path | None = None):
        self.file, self.root, self.strict = display_name, root, strict
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self._scalars = yaml.SafeLoader("")
        self.real_folders: dict[Path, Path] = {}  # an artwork folder -> its resolved path (one realpath per folder)
        self.files_by_name: dict[str, list[str]] | None = None   # walked once, for the first missing file

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
                shown = clip(str(value))
                self.error(node, field, f"must be one of {options}, not '{shown}'{_suggest(value, args)}")
                return _MISSING
            return value
        return self.convert_scalar(node, tp, field, meta)

    def _is_null(self, node) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null"

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

    def convert_text(self, node, field, meta):
        if isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS:
            value = node.value
        else:
            value = self.scalar(node, field)
            if value is _MISSING:
                return _MISSING
            if not isinstance(value, str):
                self.error(node, field, f"expected text, found {describe(value)}")
                return _MISSING
        wrong = text_problem(value, meta)
        if wrong:
            self.error(node, field, wrong)
            return _MISSING
        if meta.get("check") == "file" and self.root is not None:
            return check_file(self.root, value, node, field, self)
        return value

    def convert_scalar(self, node, tp, field, meta):
        if tp is str:
            return self.convert_text(node, field, meta)
        value = self.scalar(node, field)
        if value is _MISSING:
            return _MISSING
        if tp is bool:
            if not isinstance(value, bool):
                self.error(node, field, f"expected true or false, found {describe(value)}")
                return _MISSING
            return value
        if tp in (int, float):
            wrong = number_problem(value, tp, node.value, meta)
            if wrong:
                self.error(node, field, wrong)
                return _MISSING
            return tp(value)
        raise TypeError(f"unsupported option type {tp!r}")

    def convert_sequence(self, node, args, field, meta):
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, field, f"expected a list, found {_node_kind(node)}{_list_form(args)}")
            return _MISSING
        fixed = not (len(args) == 2 and args[1] is Ellipsis)
        if fixed and len(node.value) != len(args):
            self.error(node, field, f"expected a list of {len(args)} values, found {len(node.value)}")
            return _MISSING
        least = meta.get("min_items", 0)
        if len(node.value) < least:
            self.error(node, field, meta.get("empty") or f"must list at least {least} value"
                       f"{'s' if least > 1 else ''}, found {len(node.value)}")
            return _MISSING
        items = []
        for i, child in enumerate(node.value):
            tp = args[i] if fixed else args[0]
            items.append(self.convert(child, tp, f"{field}[{i}]", meta))
        if any(v is _MISSING for v in items):
            return _MISSING
        if meta.get("unique"):
            for i, (child, value) in enumerate(zip(node.value, items)):
                if value in items[:i]:
                    self.error(child, f"{field}[{i}]", f"'{clip(str(value))}' is listed twice")
                    return _MISSING
        return tuple(items)

    def convert_dataclass(self, node, cls, field):
        if not isinstance(node, yaml.MappingNode):
            self.error(node, field, _options_expected(node, cls))
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


def _list_form(args) -> str:
    """How the list that was expected is written, for a curator who has not written YAML before."""
    if dataclasses.is_dataclass(args[0]):
        return "; start each entry with '- ' on a line of its own"
    return " (e.g. [a, b], or one '- ' line per value)" if args[-1] is Ellipsis else ""


def _options_expected(node, cls) -> str:
    """Options were expected; for a plain value where they belong (`- art/x.jpg` in artworks), the option it
    may be."""
    found = _node_kind(node)
    message = f"expected options, one `name: value` per line, found {found}"
    if not isinstance(node, yaml.ScalarNode) or found == "nothing":
        return message
    required = [f.name for f in dataclasses.fields(cls) if f.default is _MISSING and f.default_factory is _MISSING]
    return message + (f" (write `{required[0]}: {clip(node.value)}`?)" if required else "")


def _node_kind(node) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null":
        return "nothing"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"'{clip(node.value)}'"


def find_manifest(path: Path) -> Path:
    path = Path(path)
    return path / MANIFEST_NAME if path.is_dir() else path


def gallery_folder(path: Path) -> Path:
    """The gallery folder of a gallery argument that may name its manifest."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def init_hint(folder: Path | str) -> str:
    """What to run for a missing manifest, naming the folder as given: a bare `init` would make the gallery in
    the current folder, not in the one the command was pointed at."""
    where = "" if str(folder) in ("", ".") else " " + shlex.quote(str(folder))
    return f"create one with `imaudible-site init{where}`"


def load_manifest(path: Path, *, strict: bool = False, display_name: str | None = None) -> tuple[Gallery, list[Problem]]:
    """Parse and validate; returns the gallery and the warnings, or raises ManifestError."""
    manifest = find_manifest(path)
    name = display_name or str(manifest)
    text = _read_text(manifest, name)
    try:
        try:  # libyaml parses a 500-artwork manifest ~10x faster; on an error the pure parser words the message
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        raise _error(name, unreadable_character(text, exc)) from None
    except yaml.MarkedYAMLError as exc:
        raise _error(name, explain_syntax_error(text, exc)) from None
    except yaml.YAMLError as exc:
        raise _error(name, SyntaxProblem(1, 1, "YAML error: " + " ".join(str(exc).split()))) from None
    if root is None:
        raise _error(name, SyntaxProblem(1, 1, "the file is empty; it needs at least a title and artworks"))

    return _validated(root, manifest, name, strict)


def with_option(manifest: Path, section: str | None, option: str, value_text: str) -> Gallery:
    """The gallery of the manifest with one option (`section.option`, or a top-level `option`) set to the
    YAML `value_text`, as if written so in the file (`evaluate --variant`): every check the file gets, those
    across options (a pinned take over `takes`) and of text (blank, control characters) included. Raises
    ManifestError; the file is read, never written."""
    manifest = find_manifest(manifest)
    name = str(manifest)
    root = yaml.compose(_read_text(manifest, name), Loader=yaml.SafeLoader)
    root, _ = apply_merge_keys(root)
    value = yaml.compose(value_text, Loader=yaml.SafeLoader) if value_text.strip() else None
    value = value or yaml.ScalarNode(_TAG + "str", "", root.start_mark, root.end_mark)
    root = _set(root, section, lambda mapping: _set(mapping, option, lambda _: value)) if section else \
        _set(root, option, lambda _: value)
    return _validated(root, manifest, name, strict=False)[0]


def _set(mapping, key: str, make):
    """A copy of a mapping node with `key`'s value replaced by make(its value, or an empty mapping)."""
    pairs, found = [], False
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            v, found = make(v if isinstance(v, yaml.MappingNode) else _empty(mapping)), True
        pairs.append((k, v))
    if not found:
        pairs.append((yaml.ScalarNode(_TAG + "str", key, mapping.start_mark, mapping.end_mark), make(_empty(mapping))))
    return yaml.MappingNode(mapping.tag, pairs, mapping.start_mark, mapping.end_mark, mapping.flow_style)


def _empty(near) -> yaml.MappingNode:
    return yaml.MappingNode(_TAG + "map", [], near.start_mark, near.end_mark)


def _validated(root, manifest: Path, name: str, strict: bool) -> tuple[Gallery, list[Problem]]:
    root, merge_problems = apply_merge_keys(root)
    validator = _Validator(name, strict, manifest.parent.resolve())
    for node, field, message in merge_problems:
        validator.error(node, field, message)
    gallery = validator.convert_dataclass(root, Gallery, "")
    if gallery is not _MISSING:
        gallery = dataclasses.replace(gallery, root=manifest.parent.resolve(), manifest_path=manifest.resolve())
        gallery = check_artworks(gallery, root, validator)
        check_rooms(gallery, root, validator)
    if validator.errors:
        raise ManifestError(sorted(validator.errors, key=lambda p: (p.line, p.column)))
    return gallery, validator.warnings


def _error(name: str, found: SyntaxProblem) -> ManifestError:
    return ManifestError([Problem(name, found.line, found.column, "", found.message)])


def _file_error(name: str, message: str) -> ManifestError:
    """A problem of the file itself (missing, a folder, a pipe), which has no line to name."""
    return ManifestError([Problem(name, 0, 0, "", message)])


def _read_text(manifest: Path, name: str) -> str:
    """The manifest's text. What is not a regular file is named and never read: a named pipe would block.
    Nor is a link out of the gallery folder: a gallery from elsewhere could point it at a key or a password
    file, and the first error would quote it (into a CI log, say), as it would an artwork's link."""
    if os.path.islink(manifest):
        target, folder = Path(os.path.realpath(manifest)), Path(os.path.realpath(os.path.dirname(manifest) or "."))
        if not target.is_relative_to(folder):
            raise _file_error(name, f"a symlink to '{target}', outside the gallery folder; copy what "
                                    "it points at into the gallery instead")
    try:
        info = os.stat(manifest)
        if stat.S_ISREG(info.st_mode):
            # O_NONBLOCK: should a pipe replace the file between stat and open, opening it does not wait
            with os.fdopen(os.open(manifest, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
                info = os.fstat(file.fileno())
                data = file.read() if stat.S_ISREG(info.st_mode) else None
    except FileNotFoundError:
        raise _file_error(name, f"no such file ({init_hint(manifest.parent)})") from None
    except OSError as exc:
        raise _file_error(name, exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise _file_error(name, "a folder, not a file")
    if not stat.S_ISREG(info.st_mode) or data is None:
        mode = info.st_mode
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        raise _file_error(name, f"not a regular file (it is {kind}); the manifest must be a file")
    text = decode(data)
    if isinstance(text, SyntaxProblem):
        raise _error(name, text)
    return text


def locate(manifest: Path, dotted: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of the value of a top-level option like "music.model", or None."""
    try:
        node, _ = apply_merge_keys(yaml.compose(_read_text(Path(manifest), str(manifest)), Loader=yaml.SafeLoader))
    except (ManifestError, yaml.YAMLError):
        return None
    for name in dotted.split("."):
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((value for key, value in node.value if getattr(key, "value", None) == name), None)
        if node is None:
            return None
    return node.start_mark.line + 1, node.start_mark.column + 1

"""YAML text to nodes, every problem in the curator's words at the line to edit.

PyYAML reports where its scanner gave up, often the line after the mistake ("could not find expected ':'" at
62:5 for a colon missing on line 61), in its own vocabulary ("expected <block end>, but found '?'"). `explain`
maps its errors back to the line the curator must change and says what is wrong there. `decode` and
`unreadable_character` place bytes that are not UTF-8 and characters YAML refuses at their line and column,
and `apply_merge_keys` resolves `<<:` merge keys while keeping each merged value's own position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class SyntaxProblem:
    line: int     # 1-based
    column: int   # 1-based
    message: str


def _content_lines(lines: list[str], before: int) -> list[int]:
    """0-based indexes of the lines above `before` that hold something (not blank, not a comment), nearest first."""
    return [i for i in range(min(before, len(lines)) - 1, -1, -1)
            if lines[i].strip() and not lines[i].lstrip().startswith("#")]


def _key_start(line: str) -> tuple[int, str]:
    """(0-based column, first word) of a line's key or value, past any list dashes."""
    found = re.match(r"^((?:\s*-\s+)*\s*)(\S*)", line)
    word = re.split(r"[:\s]", found.group(2))[0] if found else ""
    return (len(found.group(1)) if found else 0), word


def _first_word(line: str) -> str:
    return _key_start(line)[1]


def _tab_line(lines: list[str], upto: int) -> int | None:
    for i, line in enumerate(lines[:upto + 1]):
        if "\t" in line[:len(line) - len(line.lstrip())]:
            return i
    return None


def _missing_colon(line_index: int, lines: list[str]) -> SyntaxProblem:
    column, word = _key_start(lines[line_index])
    return SyntaxProblem(line_index + 1, column + 1, f"missing ':' after '{word}'?")


def _bad_indentation(line_index: int, lines: list[str], deeper: bool) -> SyntaxProblem:
    column, word = _key_start(lines[line_index])
    above = _content_lines(lines, line_index)
    hint = ""
    if above:
        other_col, other = _key_start(lines[above[0]])
        if other and other_col != column:
            hint = f"; '{other}' on line {above[0] + 1} starts at column {other_col + 1}"
    how = "is indented deeper than the line above" if deeper else "does not line up with the lines above"
    return SyntaxProblem(line_index + 1, column + 1, f"bad indentation: '{word}' {how} (it starts at column "
                         f"{column + 1}{hint}); keys of one mapping must start in the same column")


def explain(text: str, exc: yaml.MarkedYAMLError) -> SyntaxProblem:
    lines = text.splitlines() or [""]
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at = min(mark.line, len(lines) - 1) if mark else 0
    column = mark.column + 1 if mark else 1
    ctx_line = exc.context_mark.line if exc.context_mark else at

    tab = _tab_line(lines, at)
    if tab is not None:
        return SyntaxProblem(tab + 1, lines[tab].index("\t") + 1, "tabs are not allowed for indentation; use spaces")
    if problem == "could not find expected ':'":
        return _missing_colon(ctx_line, lines)
    if problem == "mapping values are not allowed here":
        before_colon = lines[at][:mark.column] if mark else ""
        if ": " in before_colon:
            return SyntaxProblem(at + 1, column, "a value that contains ': ' must be put in quotes "
                                 f"(e.g. {before_colon.split(': ', 1)[0].strip().lstrip('- ')}: \"...\")")
        above = _content_lines(lines, at)
        if above and ":" not in lines[above[0]].split(" #")[0]:
            return _missing_colon(above[0], lines)
        return _bad_indentation(at, lines, deeper=True)
    if problem.startswith("expected <block end>") or "did not find expected key" in problem \
            or "did not find expected '-' indicator" in problem:
        return _bad_indentation(at, lines, deeper=False)
    if "quoted scalar" in context:
        return SyntaxProblem(ctx_line + 1, exc.context_mark.column + 1, "this quote is never closed")
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        return SyntaxProblem(ctx_line + 1, exc.context_mark.column + 1,
                             f"this '{bracket}' is not closed where expected ({problem})")
    where = f" ({context} on line {ctx_line + 1})" if context and exc.context_mark else ""
    return SyntaxProblem(at + 1, column, f"YAML syntax error: {problem or context}{where}")


def _line_column(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of the character at `index`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _utf16_without_mark(data: bytes) -> bool:
    """Text saved as UTF-16 with no byte-order mark: mostly ASCII, so every other byte (the even ones for
    big-endian, the odd ones for little-endian) is a NUL, which UTF-8 text never has."""
    head = data[:512]
    return len(head) >= 4 and (not any(head[0::2]) or not any(head[1::2]))


def decode(data: bytes) -> str | SyntaxProblem:
    """The UTF-8 text of a manifest, or where it stops being UTF-8."""
    if _utf16_without_mark(data):   # valid UTF-8 as bytes, but every other character a NUL
        return SyntaxProblem(1, 1, "the file is UTF-16 text (with no byte-order mark); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return SyntaxProblem(1, 1, "the file is UTF-16 text; save it as UTF-8")
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8")) + 1   # valid up to exc.start
        return SyntaxProblem(data.count(b"\n", 0, exc.start) + 1, column,
                             f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8")


def unreadable_character(text: str, exc: yaml.reader.ReaderError) -> SyntaxProblem:
    """A character YAML does not allow in a file (control characters, U+FFFE...), at its line and column."""
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    kind = "control character" if code < 0x20 or 0x7F <= code <= 0x9F else "character"
    line, column = _line_column(text, exc.position) if 0 <= exc.position < len(text) else (1, 1)
    return SyntaxProblem(line, column, f"{kind} U+{code:04X} is not allowed in YAML text (write it as an escape "
                         f'in double quotes, e.g. "{escape}", or remove it)')


MERGE_TAG = "tag:yaml.org,2002:merge"


def apply_merge_keys(root: yaml.Node) -> tuple[yaml.Node, list[tuple[yaml.Node, str, str]]]:
    """A copy of the node tree with every merge key (`<<: *defaults`, `<<: [*a, *b]`) replaced by the pairs it
    merges, and the problems found as (node, field, message). As in YAML 1.1: a key of the mapping itself wins
    over a merged one, and an earlier merged mapping over a later. Merged pairs keep their own nodes, so an
    error in a merged value points at the line where it is written. The nodes are copied, not changed: an
    anchored mapping is also used as itself (PyYAML's own `flatten_mapping` changes it in place, keeps the
    overridden pairs and raises at the first problem)."""
    copies: dict[int, yaml.Node] = {}
    merging: set[int] = set()      # mappings being copied, to refuse one that merges itself
    problems: list[tuple[yaml.Node, str, str]] = []

    def child(path: str, key) -> str:
        return f"{path}.{key}" if path else str(key)

    def copy(node: yaml.Node, path: str) -> yaml.Node:
        if id(node) in copies:
            return copies[id(node)]
        if isinstance(node, yaml.SequenceNode):
            new = yaml.SequenceNode(node.tag, [], node.start_mark, node.end_mark, node.flow_style)
            copies[id(node)] = new
            new.value = [copy(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
            return new
        if not isinstance(node, yaml.MappingNode):
            return node
        new = yaml.MappingNode(node.tag, [], node.start_mark, node.end_mark, node.flow_style)
        copies[id(node)] = new
        merging.add(id(node))
        own, sources = [], []
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                sources.extend(merged_mappings(value, child(path, "<<")))
            else:
                own.append((key, copy(value, child(path, getattr(key, "value", "?")))))
        merging.discard(id(node))
        taken = {key.value for key, _ in own if isinstance(key, yaml.ScalarNode)}
        merged = []
        for source in sources:
            keys = {key.value for key, _ in source.value if isinstance(key, yaml.ScalarNode)}
            merged.extend(pair for pair in source.value if getattr(pair[0], "value", None) not in taken)
            taken |= keys
        new.value = merged + own
        return new

    def merged_mappings(value: yaml.Node, path: str) -> list[yaml.Node]:
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        found = []
        for item in items:
            if not isinstance(item, yaml.MappingNode):
                what = ("a list" if isinstance(item, yaml.SequenceNode) else "nothing"
                        if item.tag == "tag:yaml.org,2002:null" else f"'{item.value[:40]}'")
                problems.append((item, path, f"a merge key ('<<') takes a mapping or a list of mappings, not {what}"))
            elif id(item) in merging:
                problems.append((item, path, "a merge key ('<<') cannot merge a mapping into itself"))
            else:
                found.append(copy(item, path))
        return found

    return copy(root, ""), problems

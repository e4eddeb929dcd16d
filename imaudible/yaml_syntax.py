"""YAML syntax errors in the curator's words, at the line to edit.

PyYAML reports where its scanner gave up, often the line after the mistake ("could not find expected ':'" at
62:5 for a colon missing on line 61), in its own vocabulary ("expected <block end>, but found '?'"). `explain`
maps its errors back to the line the curator must change and says what is wrong there.
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

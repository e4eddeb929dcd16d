"""The front end's shape, held to the package's standard: modules of frontend/src at most 400 lines, classes
at most 150. Classes are found by a small JavaScript scanner that matches braces past strings, template
literals, comments and regular expressions, so a formatting change cannot hide a long class."""
from __future__ import annotations

import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[1] / "frontend" / "src"
MODULE_LINES = 400
CLASS_LINES = 150
WORD = re.compile(r"[A-Za-z_$#][\w$]*|\d[\w.]*")
# After these a "/" starts a regular expression; after a name, a number or ")" it divides.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"", "return", "typeof", "instanceof", "in", "of", "new", "delete",
                                             "void", "throw", "case", "do", "else", "yield", "await"}


def _skip_quoted(text: str, i: int, quote: str) -> int:
    """Index just past the string or regular expression that starts at text[i] (the opening quote)."""
    i += 1
    in_class = False  # inside a regular expression's [...], a "/" does not end it
    while text[i] != quote or in_class:
        if text[i] == "\\":
            i += 1
        elif quote == "/" and text[i] in "[]":
            in_class = text[i] == "["
        i += 1
    return i + 1


def _skip_template(text: str, i: int) -> tuple[int, bool]:
    """From inside a template literal, the index past its closing backtick (False) or past a "${" (True)."""
    while True:
        if text[i] == "\\":
            i += 2
        elif text[i] == "`":
            return i + 1, False
        elif text.startswith("${", i):
            return i + 2, True
        else:
            i += 1


def js_classes(text: str) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of every class declared or expressed in a JavaScript source."""
    found, stack, i, last = [], [], 0, ""
    pending = None  # a class keyword seen, its body not yet open: [name, index of "class", past "extends"]
    line_at = lambda k: text.count("\n", 0, k) + 1  # noqa: E731
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif text.startswith("/*", i):
            i = text.index("*/", i + 2) + 2
        elif c in "'\"" or (c == "/" and last in REGEX_AFTER):
            i, last = _skip_quoted(text, i, c), "value"
        elif c == "`" or (c == "}" and stack and stack[-1][0] == "template"):
            if c == "}":
                stack.pop()
            i, opened = _skip_template(text, i + 1)
            if opened:
                stack.append(("template", None, 0))
            last = "value" if not opened else "{"
        elif (word := WORD.match(text, i)):
            token = word.group()
            if token == "class" and last != "." and not re.match(r"\s*:", text[word.end():]):
                pending = [None, i, False]
            elif pending and token == "extends":
                pending[2] = True
            elif pending and pending[0] is None and not pending[2]:
                pending[0] = token
            i, last = word.end(), token
        else:
            if c == "{":
                stack.append(("class", pending[0] or "<anonymous>", line_at(pending[1])) if pending else ("block", None, 0))
                pending = None
            elif c == "}":
                kind, cls, first = stack.pop()
                if kind == "class":
                    found.append((cls, first, line_at(i)))
            i, last = i + 1, c
    assert not stack, "unbalanced braces"
    return found


def test_the_scanner_matches_braces_past_strings_templates_comments_and_regexes():
    source = """// a { in a comment
export class Outer extends Base {
  /* } */
  a() { return "}" + '{' + `x ${ { y: 1 }.y } }` + /[}/]{2}/.source; }
  b(n) { return n / 2 / 1; }
}
const Inner = class {
  c() {}
};
class Last {}
"""
    assert js_classes(source) == [("Outer", 2, 6), ("<anonymous>", 7, 9), ("Last", 10, 10)]


def test_front_end_modules_and_classes_are_short():
    sources = sorted(SOURCES.glob("*.js"))
    seen = set()
    for path in sources:
        text = path.read_text()
        lines = text.count("\n") + (not text.endswith("\n"))
        assert lines <= MODULE_LINES, f"frontend/src/{path.name} has {lines} lines (at most {MODULE_LINES})"
        for name, first, last in js_classes(text):
            seen.add(name)
            assert last - first + 1 <= CLASS_LINES, \
                f"{path.name}: class {name} has {last - first + 1} lines (at most {CLASS_LINES})"
    assert {"Hud", "AudioDeck", "Controls", "RoomTextures"} <= seen, "the scanner found too few classes"


def test_the_whole_bundle_fits_the_initial_javascript_budget():
    """Issue 4: at most 250 KB of gzipped JavaScript before the first view. Every script the theme ships counts
    here, lazily loaded chunks too, so this bound is stricter than the budget (benchmarks/bench_frontend.py
    measures what a browser really fetches)."""
    import gzip

    from imaudible.site.render import THEME_DIR

    scripts = sorted((THEME_DIR / "static").rglob("*.js"))
    assert any(p.name == "gallery.js" for p in scripts) and any(p.parent.name == "chunks" for p in scripts)
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts)
    assert total <= 250 * 1024, f"{total / 1024:.0f} KB gzipped"

"""What is wrong with one value of the manifest, a number or a text, under its option's declared constraints
(the validator in `manifest.py` places the answer at the value's line)."""
from __future__ import annotations

import math
import re

from .manifest_checks import clip
from .settings import MAX_TEXT_LENGTH
from .types import BIDI_OPENERS, UNSAFE_TEXT, open_bidi
from .web_address import address_problem

_YAML_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def number_problem(value, tp, written: str, meta: dict) -> str | None:
    """What is wrong with a number for an option of type `tp` (int or float) and its bounds, or None."""
    if isinstance(value, bool) or not isinstance(value, int if tp is int else (int, float)):
        return f"expected {'a whole number' if tp is int else 'a number'}, found {describe(value)}"
    if not math.isfinite(value):  # .nan/.inf: JSON has no such numbers and browsers reject the file
        return f"must be a finite number, not {written}"
    if isinstance(value, int) and _YAML_OCTAL.fullmatch(written):  # YAML 1.1: `seed: 010` is 8, not 10
        decimal = int(written.replace("_", ""), 10)
        return (f"{written} starts with a 0, so YAML reads it as the octal number {value}; write {decimal}"
                f"{f' (or {value}, if that is what you meant)' if decimal != value else ''}")
    if "minimum" in meta and value < meta["minimum"]:
        return f"must be at least {meta['minimum']}, not {value}"
    if "maximum" in meta and value > meta["maximum"]:
        return f"must be at most {meta['maximum']}, not {value}"
    return None


def text_problem(value: str, meta: dict) -> str | None:
    """What is wrong with a text value under its option's declared constraints, or None."""
    limit = meta.get("max_length", MAX_TEXT_LENGTH)
    if len(value) > limit:
        return f"is too long: {len(value):,} characters (at most {limit:,})"
    odd = UNSAFE_TEXT.search(value)
    if odd:   # from an escape such as "\0" or "\ud800": nothing a page, a file name or a terminal should get
        return f"holds the character U+{ord(odd.group()):04X}, which text here cannot hold (remove that escape)"
    left_open = open_bidi(value)
    if left_open:
        return (f"leaves a {BIDI_OPENERS[left_open]} (U+{ord(left_open):04X}) open: it would turn around the text "
                f"after it on every page (close it with U+{0x2069 if left_open >= chr(0x2066) else 0x202C:04X}, "
                "or remove it)")
    if meta.get("nonblank") and not value.strip():
        return "must not be empty" + (" (it is only whitespace)" if value else "")
    pattern = meta.get("pattern")
    if pattern and value and not re.fullmatch(pattern, value):
        return f"'{clip(value)}' is not {meta.get('expected') or 'matching ' + pattern}{_space_hint(pattern, value)}"
    if meta.get("address") and value:
        return address_problem(value, meta["address"])
    return None


def _space_hint(pattern: str, value: str) -> str:
    """What to do when only spaces or a capitalised scheme stand between `value` and `pattern` (a web address
    pasted with a space, or typed as HTTPS://)."""
    if value.strip() != value and re.fullmatch(pattern, value.strip()):
        return " (remove the spaces around it)"
    if re.fullmatch(pattern, re.sub(r"\s", "%20", value.strip())):
        return " (it holds a space: write each space as %20)"
    scheme, sep, rest = value.partition("://")
    if sep and scheme != scheme.lower() and re.fullmatch(pattern, scheme.lower() + sep + rest):
        return f" (write '{scheme.lower()}://' in lower case)"
    return ""


def describe(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    return f"'{value}'" if isinstance(value, str) else f"{type(value).__name__} {value!r}"

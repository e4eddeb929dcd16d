"""Plaque text on the 3-D wall (frontend/src/plaque.js's wrap, run in Node): every line fits the plaque, also
for titles and descriptions with no spaces to break at (Chinese, Japanese, a long run of one word), and a
broken word keeps its characters whole (combining marks, emoji)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

# Each character is 10 wide, as a monospaced font would measure it.
SCRIPT = """
import { wrap } from %s;
const ctx = { measureText: (s) => ({ width: Array.from(new Intl.Segmenter().segment(s)).length * 10 }) };
const texts = JSON.parse(process.argv[1]);
console.log(JSON.stringify(texts.map((t) => wrap(ctx, t, 100))));
"""


def wrapped(*texts: str) -> list[list[str]]:
    script = SCRIPT % json.dumps((ROOT / "frontend" / "src" / "plaque.js").as_uri())
    done = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(texts)], capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_text_without_spaces_is_broken_to_fit_the_plaque():
    japanese = "冨嶽三十六景神奈川沖浪裏と凱風快晴の二図"
    long_word = "x" * 35
    zalgo = "z̴̡a̶l̷g̵o" * 4
    for text, lines in zip([japanese, long_word, zalgo], wrapped(japanese, long_word, zalgo)):
        assert "".join(lines) == text
        assert all(len(list(_graphemes(line))) <= 10 for line in lines), lines
    assert wrapped("The Great Wave off Kanagawa") == [["The Great", "Wave off", "Kanagawa"]]


def _graphemes(line: str):
    import unicodedata
    return [c for c in line if not unicodedata.combining(c)]


DIRECTIONS = """
import { paragraph } from %s;
const calls = [];
const ctx = { measureText: (s) => ({ width: s.length * 10 }), fillText: (text, x) => calls.push([ctx.direction, x]) };
for (const text of JSON.parse(process.argv[1])) paragraph(ctx, text, 0, { font: "sans", size: 10 });
console.log(JSON.stringify(calls));
"""


def test_right_to_left_text_is_drawn_from_the_right_edge_in_its_direction():
    script = DIRECTIONS % json.dumps((ROOT / "frontend" / "src" / "plaque.js").as_uri())
    texts = ["מה?", "لوحة (1893)", "The Scream", "1893 — ציור"]
    done = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(texts)], capture_output=True,
                          text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [["rtl", 450], ["rtl", 450], ["ltr", 30], ["rtl", 450]]

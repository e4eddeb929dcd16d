"""Room names set by the curator: a door sign wraps a long name instead of squeezing it into one line, and
draws an Arabic or Hebrew name in its own direction (frontend/src/sign.js, run in Node); on screen, a
right-to-left name keeps its punctuation at its own end inside "Room 2 of 2 · ..."."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import write_gallery

from .conftest import build_site, open_page, served
from .visit import wait_ready

ROOT = Path(__file__).parents[2]
NODE = shutil.which("node")

# Each character is half the font size wide, as a monospaced font would measure it.
LAYOUT = """
import { SIGN_WIDTH, signLayout } from %s;
const ctx = { font: "", measureText(s) { return { width: Array.from(s).length * parseInt(this.font) / 2 }; } };
const titles = JSON.parse(process.argv[1]);
console.log(JSON.stringify({ width: SIGN_WIDTH, signs: titles.map((t) => signLayout(ctx, "Room 3", t)) }));
"""
FLAGS = "\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA" * 40     # French and German flags
LONG = "The extraordinarily long and winding exhibition of panoramas, scrolls and other awkward shapes of the world"


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_a_long_room_name_is_wrapped_on_the_sign_never_squeezed():
    script = LAYOUT % json.dumps((ROOT / "frontend" / "src" / "sign.js").as_uri())
    titles = ["", "Calm blues", LONG, "חדר הציורים הגדולים של המאה התשע עשרה ועוד הרבה מאוד מילים", "神奈川" * 12,
              FLAGS, "a" * 36 + " y" + FLAGS, "e\u0301" * 120, "a" * 36 + " y" + "e\u0301" * 120]
    done = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(titles)], capture_output=True,
                          text=True, timeout=60, check=True)
    out = json.loads(done.stdout)
    width, signs = out["width"], out["signs"]
    for title, sign in zip(titles, signs):
        for line in sign["lines"]:
            assert len(line["text"]) * line["size"] / 2 <= width, (title, line)  # fits at its own size
            assert line["size"] >= 24, line  # readable from the room
            assert 0 < line["y"] < sign["height"]
    assert [line["text"] for line in signs[0]["lines"]] == ["Room 3"]
    assert [line["text"] for line in signs[1]["lines"]] == ["Room 3 · \u2068Calm blues\u2069"]
    long_lines = [line["text"] for line in signs[2]["lines"]]
    assert long_lines[0] == "Room 3" and len(long_lines) == 3 and long_lines[-1].endswith("…")
    assert " ".join(long_lines[1:]).rstrip(" …") in LONG
    hebrew = signs[3]["lines"]
    assert [line["rtl"] for line in hebrew] == [False] + [True] * (len(hebrew) - 1)
    assert "".join(line["text"] for line in signs[4]["lines"][1:]).rstrip(" …") in "神奈川" * 12
    # cut between graphemes: never half a flag (two regional indicators) or an accent without its letter
    for title, sign in zip(titles[5:], signs[5:]):   # whole graphemes: no half flag, no accent without its e
        assert sign["lines"][-1]["text"].endswith("…")
        for line in sign["lines"][1:]:
            text = line["text"].removesuffix(" …")
            assert text in title, (title[:4], line)
            assert sum(0x1F1E6 <= ord(c) <= 0x1F1FF for c in text) % 2 == 0 and text.count("e") == text.count("\u0301")


@pytest.mark.browser
def test_a_right_to_left_room_name_keeps_its_punctuation_at_its_own_end(tmp_path, browser):
    """"Room 1 of 2 · שלום עולם!" showed the name's "!" at the far right, after the Hebrew, as if it were ours."""
    folder = write_gallery(tmp_path / "g", music={"duration": 1}, audio={"formats": ["webm"]},
                           layout={"per_room": 2, "rooms": [{"title": "שלום עולם!", "artworks": ["starry-night"]}]})
    with served(build_site(folder, tmp_path / "site")) as url:
        watched = open_page(browser)
        page = watched.page
        try:
            page.goto(url + "index.html")
            wait_ready(page)
            x = page.evaluate("""() => {
                const node = document.getElementById('room-name').firstChild, text = node.textContent;
                const at = (ch) => { const r = document.createRange(), i = text.indexOf(ch);
                                     r.setStart(node, i); r.setEnd(node, i + ch.length); return r.getBoundingClientRect().left; };
                return {bang: at('!'), shin: at('ש'), room: at('Room')};
            }""")
            assert x["room"] < x["bang"] < x["shin"], x
            watched.assert_clean()
        finally:
            page.context.close()

"""pick / reroll / add edit gallery.yaml round-trip: only the edited lines change."""
from __future__ import annotations

import difflib
import io
from pathlib import Path

import pytest
from PIL import Image

from imaudible import curate
from imaudible.manifest import load_manifest

MANIFEST = """\
# My gallery -- a comment the curator wrote
title: "Colour and Sound"   # quoted on purpose
style: instrumental, piano
music:
  duration: 12     # short clips
  takes: 3
  seed: 4

artworks:
  # the first room
  - file: art/dawn.jpg
    title: 'Dawn'
    size_cm: [92.1, 73.7]
  - file: art/night.jpg
    title: Night
    music: {duration: 8}   # shorter
    # trailing comment in the entry
  - file: art/noon.jpg
    title: Noon
    music:
      seed: 9
      take: 2
"""


def _gallery(tmp_path, text=MANIFEST):
    (tmp_path / "art").mkdir(parents=True)
    for name in ("dawn", "night", "noon"):
        Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / "art" / f"{name}.jpg")
    (tmp_path / "gallery.yaml").write_text(text)
    return tmp_path


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_pick_adds_one_line_and_nothing_else(tmp_path):
    site = _gallery(tmp_path)
    curate.pick(site, "night", 3)
    after = (site / "gallery.yaml").read_text()
    changed = _changed(MANIFEST, after)
    assert changed[0] == "-    music: {duration: 8}   # shorter"
    assert len(changed) == 2 and changed[1].startswith("+    music: {duration: 8, take: 3}") and changed[1].endswith("# shorter")
    gallery, _ = load_manifest(site)
    assert gallery.artworks[1].music.take == 3


def test_an_edit_never_overwrites_a_change_saved_while_it_was_made(tmp_path, monkeypatch):
    """Two edits at once (two clicks on the report's take buttons, `add` while the curator saves in an
    editor): the later one finds the file changed and writes nothing, so neither change is lost."""
    site = _gallery(tmp_path)
    real_load = curate.load_manifest
    saved_meanwhile = MANIFEST.replace("Colour and Sound", "Colour and Silence")

    def slow_load(path, *args, **kwargs):   # the check of the edited copy: another save happens now
        if Path(path).name.startswith(".gallery-"):
            (site / "gallery.yaml").write_text(saved_meanwhile)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(curate, "load_manifest", slow_load)
    with pytest.raises(curate.CurateError, match="changed while this edit was made; nothing written"):
        curate.pick(site, "night", 3)
    assert (site / "gallery.yaml").read_text() == saved_meanwhile
    assert not list(site.glob(".gallery-*"))
    monkeypatch.setattr(curate, "load_manifest", real_load)
    curate.pick(site, "night", 3)
    assert "Colour and Silence" in (site / "gallery.yaml").read_text()


def test_pick_on_an_artwork_without_music_settings(tmp_path):
    site = _gallery(tmp_path)
    curate.pick(site, "dawn", 2)
    after = (site / "gallery.yaml").read_text()
    assert _changed(MANIFEST, after) == ["+    music: {take: 2}"]
    # undoing the edit by hand gives back the original bytes
    assert after.replace("    music: {take: 2}\n", "") == MANIFEST


def test_reroll_sets_a_new_seed_and_drops_the_pin(tmp_path):
    site = _gallery(tmp_path)
    said = curate.reroll(site, "noon")
    after = (site / "gallery.yaml").read_text()
    assert _changed(MANIFEST, after) == ["-      seed: 9", "-      take: 2", "+      seed: 10"]
    assert "its pinned take 2 was of the old seed and is unpinned" in said
    assert "unpinned" not in curate.reroll(site, "dawn")   # inherits the gallery seed 4
    assert load_manifest(site)[0].artworks[0].music.seed == 5


def test_bad_picks_leave_the_manifest_alone(tmp_path):
    site = _gallery(tmp_path)
    with pytest.raises(curate.CurateError, match="has 3 take"):
        curate.pick(site, "dawn", 4)
    with pytest.raises(curate.CurateError, match="no artwork with id 'dusk'"):
        curate.pick(site, "dusk", 1)
    assert (site / "gallery.yaml").read_text() == MANIFEST


def _xmp(title: str) -> bytes:
    return (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
            + title.encode() + b'</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>'
            b'<?xpacket end="w"?>')


def test_add_appends_new_images_with_embedded_or_file_name_titles(tmp_path):
    site = _gallery(tmp_path)
    new = site / "new"
    new.mkdir()
    Image.new("RGB", (8, 8)).save(new / "blue_hour.jpg", xmp=_xmp("L'heure bleue"))
    Image.new("RGB", (8, 8)).save(new / "red-field.png")
    Image.new("RGB", (8, 8)).save(site / "art" / "extra.webp")
    added = curate.add(site, [new, site / "art"])    # art/ holds three known images and one new
    assert len(added) == 3
    after = (site / "gallery.yaml").read_text()
    assert after.startswith(MANIFEST)
    assert after[len(MANIFEST):] == (
        "  - file: new/blue_hour.jpg\n    title: L'heure bleue\n"
        "  - file: new/red-field.png\n    title: Red field\n"
        "  - file: art/extra.webp\n    title: Extra\n")
    assert curate.add(site, [new]) == []              # nothing new the second time
    assert len(load_manifest(site)[0].artworks) == 6


def test_add_reads_the_iptc_title(tmp_path):
    site = _gallery(tmp_path)
    title = b"Harbour at dusk"
    record = b"\x1c\x02\x05" + len(title).to_bytes(2, "big") + title
    resource = b"8BIM\x04\x04\x00\x00" + len(record).to_bytes(4, "big") + record + b"\x00" * (len(record) % 2)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    data = buf.getvalue()
    app13 = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13
    (site / "art" / "harbour.jpg").write_bytes(data[:2] + segment + data[2:])
    assert curate.image_title(site / "art" / "harbour.jpg") == "Harbour at dusk"


def test_add_refuses_images_outside_the_gallery(tmp_path):
    site = _gallery(tmp_path / "g")
    outside = tmp_path / "elsewhere.jpg"
    Image.new("RGB", (8, 8)).save(outside)
    with pytest.raises(curate.CurateError, match="outside the gallery folder"):
        curate.add(site, [outside])
    assert (site / "gallery.yaml").read_text() == MANIFEST


def test_variants_change_one_option_with_its_type(tmp_path):
    from imaudible.evaluate import variants

    gallery, _ = load_manifest(_gallery(tmp_path))
    changed = variants.apply(gallery, "prompt.remove_stopwords=true")
    assert changed.prompt.remove_stopwords is True and gallery.prompt.remove_stopwords is False
    assert variants.apply(gallery, "music.guidance_scale=4").music.guidance_scale == 4.0
    assert variants.apply(gallery, "style=ambient, strings").style == "ambient, strings"
    assert variants.apply(gallery, "audio.formats=[webm]").audio.formats == ("webm",)
    assert variants.apply(gallery, "title=12:30").title == "12:30"      # text is kept as written, as in the file
    for bad, message in (("prompt.remove_stopword=true", "section 'prompt' has no option 'remove_stopword' "
                                                          r"\(did you mean 'prompt.remove_stopwords'\?"),
                         ("promt.model=x", "gallery.yaml has no option 'promt' \\(did you mean 'prompt'\\?"),
                         ("prompt.remove_stopwords=maybe", "expected true or false"), ("nokey", "KEY=VALUE"),
                         ("audio.formats=[webm, webm]", r"audio.formats\[1\]: 'webm' is listed twice"),
                         ("audio.formats=[mp3]", "must be one of 'webm', 'm4a'"),
                         ("music.seed=-1", "must be at least 0"), ("music.nosuch.deeper=1", "is not an option")):
        with pytest.raises(variants.VariantError, match=message):
            variants.apply(gallery, bad)


@pytest.mark.parametrize("text", [
    "title: T\nmusic: {takes: 3}\nartworks:\n  - file: art/dawn.jpg\n    title: A\n    music: &slow {duration: 8}\n"
    "  - file: art/night.jpg\n    title: B\n    music: *slow\n",
    "title: T\nmusic: {takes: 3}\nshared: &base\n  music: {duration: 8}\nartworks:\n  - <<: *base\n"
    "    file: art/dawn.jpg\n    title: A\n  - <<: *base\n    file: art/night.jpg\n    title: B\n",
])
def test_an_edit_never_reaches_another_artwork_through_a_yaml_anchor(tmp_path, text):
    folder = _gallery(tmp_path, text)
    curate.pick(folder, "dawn", 2)       # used to pin take 2 on "night" too, through the shared mapping
    curate.reroll(folder, "night")       # and this used to give "dawn" the new seed and drop its pin
    dawn, night = load_manifest(folder)[0].artworks
    assert (dawn.music.take, dawn.music.seed, dawn.music.duration) == (2, None, 8)
    assert (night.music.take, night.music.seed, night.music.duration) == (None, 1, 8)


# Layouts ruamel.yaml does not write back as they were: extra spaces after a colon, an anchor nothing refers to,
# a flow mapping with inner spaces. An edit must still change only its own lines.
UNUSUAL = """\
title:   "Colour and Sound"    # spaced out
music: &defaults {duration: 12, takes: 3}
artworks:
  - file:   art/dawn.jpg   # aligned by hand
    title: Dawn
  - { file: art/night.jpg, title: Night, music: {seed: 5} }
  - file: art/noon.jpg
    title:    Noon
"""


@pytest.mark.parametrize("edit, expected", [
    (lambda site: curate.pick(site, "dawn", 2), ["+    music: {take: 2}"]),
    (lambda site: curate.reroll(site, "noon"), ["+    music: {seed: 1}"]),
])
def test_an_edit_keeps_every_line_it_does_not_change_in_any_layout(tmp_path, edit, expected):
    site = _gallery(tmp_path, UNUSUAL)
    edit(site)
    assert _changed(UNUSUAL, (site / "gallery.yaml").read_text()) == expected


def test_an_edit_that_would_rewrite_other_lines_is_refused_and_says_what_to_do(tmp_path):
    text = UNUSUAL.replace("music: {seed: 5} }", "music: {seed: 5}\n    }")   # a flow mapping over two lines
    site = _gallery(tmp_path, text)
    with pytest.raises(curate.CurateError, match=r"nothing written \(set music: \{seed: 6\} on 'night' by hand\)"):
        curate.reroll(site, "night")
    assert (site / "gallery.yaml").read_text() == text
    curate.pick(site, "dawn", 3)   # an edit elsewhere is still made line by line
    assert _changed(text, (site / "gallery.yaml").read_text()) == ["+    music: {take: 3}"]


WIDE = """\
title: T
artworks:
    -   file: art/dawn.jpg
        title: Dawn
    -   file: art/night.jpg
        title: Night
        music:
            seed: 3
    -   file: art/noon.jpg
        title: Noon
        music: {  duration: 8  }
"""


def test_an_edit_is_indented_as_the_curator_indents_and_replaces_only_its_own_line(tmp_path):
    site = _gallery(tmp_path, WIDE)
    curate.pick(site, "night", 1)
    curate.reroll(site, "dawn")
    curate.reroll(site, "noon")
    assert _changed(WIDE, (site / "gallery.yaml").read_text()) == [
        "+        music: {seed: 1}", "+            take: 1", "-        music: {  duration: 8  }",
        "+        music: {duration: 8, seed: 1}"]

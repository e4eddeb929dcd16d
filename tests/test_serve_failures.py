"""`serve` with an artwork that fails: the rebuilt site leaves it out, and open pages both reload and say which
artwork failed and why, instead of it vanishing from the page with no word."""
from __future__ import annotations

import json
import threading
import urllib.request

from imaudible import serve as preview

from .conftest import write_gallery


def test_a_rebuild_with_failed_artworks_reloads_pages_and_shows_the_failure(tmp_path):
    (tmp_path / "site").mkdir()
    server = preview.PreviewServer(tmp_path / "site", port=0)
    state = lambda: json.loads(urllib.request.urlopen(f"{server.url}__imaudible/version", timeout=5).read())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        server.notify_reload("artwork 'wave' (art/wave.jpg) failed at ingest:\n cannot decode")
        assert state() == {"version": 1, "error": "artwork 'wave' (art/wave.jpg) failed at ingest: cannot decode",
                           "partial": True}
        server.notify_reload()   # fixed: the next good build clears it
        assert state() == {"version": 2, "error": None}
    finally:
        server.shutdown()


def test_serve_names_the_failed_artwork_of_a_build_that_wrote_the_site(tmp_path, cli, monkeypatch):
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"},
                                            {"file": "art/broken.jpg", "title": "Broken"}], music={"duration": 2})
    (folder / "art" / "broken.jpg").write_text("a text file renamed .jpg")
    served = {}

    def fake_serve(root, out, host, port, rebuild, **kwargs):
        served.update(kwargs, rebuild=rebuild)

    monkeypatch.setattr(preview, "serve", fake_serve)
    result = cli("serve", folder, "--port", "0")
    assert result.exit_code == 0, result.output
    first = served["error"]
    assert isinstance(first, preview.PartlyBuilt) and "artwork 'broken' (art/broken.jpg) failed at ingest" in first
    assert (folder / "build" / "art" / "udnie").is_dir()
    (folder / "art" / "broken.jpg").write_bytes((folder / "art" / "udnie.jpg").read_bytes())
    assert served["rebuild"]() is True


def test_rebuilds_of_an_evaluated_gallery_say_the_draft_warning_once(tmp_path, cli, monkeypatch, capsys):
    """serve re-evaluates a gallery that has a report after each rebuild; that evaluation said the draft
    warning and its advice again every time, through a Progress of its own."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}],
                           caption={"model": "auto"}, music={"duration": 2})
    assert cli("evaluate", folder, "-q").exit_code == 0
    served = {}
    monkeypatch.setattr(preview, "serve", lambda root, out, host, port, rebuild, **kw: served.update(rebuild=rebuild))
    assert cli("serve", folder, "--port", "0").exit_code == 0
    capsys.readouterr()
    for title in ("Udnie, 1913", "Udnie, again"):
        manifest = folder / "gallery.yaml"
        manifest.write_text(manifest.read_text().replace("title: Udnie", f"title: {title}", 1))
        assert served["rebuild"]() is True
    said = capsys.readouterr().err
    assert "DRAFT" not in said and "models pull" not in said, said


def test_a_refused_out_folder_is_never_served_after_the_first_build_fails(tmp_path, cli, monkeypatch):
    """`serve --out ~` (or `/`, or any folder imaudible did not make): the build refused it, and serve then
    served that folder whole, ~/.ssh included, with the error overlay on top."""
    folder = write_gallery(tmp_path / "g", [{"file": "art/udnie.jpg", "title": "Udnie"}], music={"duration": 2})
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    monkeypatch.setenv("HOME", str(home))
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("years of work")
    served = []
    monkeypatch.setattr(preview, "serve", lambda root, out, *args, **kwargs: served.append(out))
    for out in (home, foreign):
        result = cli("serve", folder, "--out", out, "--port", "0")
        assert result.exit_code == 2, result.output
        assert "refusing to" in result.output and "the first build failed" in result.output
    assert served == []
    # a broken manifest over an earlier build of imaudible's still serves that build, with the error shown
    assert cli("build", folder).exit_code == 0
    (folder / "gallery.yaml").write_text("title: [broken\n")
    result = cli("serve", folder, "--port", "0")
    assert result.exit_code == 0, result.output
    assert served == [folder / "build"]

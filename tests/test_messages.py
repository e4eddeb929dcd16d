"""Messages a curator understands: each mistake a new user makes gets a message that leads to the fix."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import yaml

from imaudible.extras import install_command
from imaudible.site import render as site_render
from imaudible.engine.cache import CACHE_DIR_NAME
from imaudible.progress import Progress

from .conftest import REPO, write_gallery

ONE = [{"file": "art/udnie.jpg", "title": "Udnie", "artist": "Francis Picabia", "year": "1913"}]
# Fills the smallest default texture size, so no small-source warning is expected besides the ones tested.
LARGE = [{"file": "art/starry_night.jpg", "title": "The Starry Night", "artist": "Vincent van Gogh", "year": "1889"}]
TWO = ONE + [{"file": "art/the_scream.jpg", "title": "The Scream"}]

# Runs the CLI with the [models] extra's packages made unimportable, as in an install without it.
WITHOUT_MODELS_EXTRA = textwrap.dedent("""
    import sys
    for name in ("torch", "transformers", "huggingface_hub", "safetensors", "tokenizers", "audiocraft"):
        sys.modules[name] = None  # import fails and importlib.util.find_spec says None, as when not installed
    from imaudible.cli import main
    main(sys.argv[1:], prog_name="imaudible-site")
""")


def _small(tmp_path, artworks=ONE, **settings):
    settings.setdefault("music", {"model": "builtin", "duration": 1})
    return write_gallery(tmp_path / "g", artworks, **settings)


def _lines(result, prefix):
    return [line for line in result.output.splitlines() if line.startswith(prefix)]


def _without_models(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", WITHOUT_MODELS_EXTRA, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


# --- one error prefix ----------------------------------------------------------------------------------------

def test_every_error_has_one_prefix(cli, tmp_path):
    folder = _small(tmp_path)
    for args, expected in [(("biuld",), "error: No such command 'biuld'"),
                           (("build", folder, "--jobs", "0"), "error: Invalid value for '--jobs'"),
                           (("build", tmp_path / "nowhere"), "error: no such gallery folder"),
                           (("clean", folder, "--unused"), "error: no cache in")]:
        result = cli(*args)
        assert result.exit_code == 2, args
        assert result.output.startswith(expected), result.output
        assert "Error:" not in result.output and "Usage:" not in result.output and "Traceback" not in result.output


# --- build --force ID FOLDER -----------------------------------------------------------------------------------

def test_force_tells_the_folder_from_the_ids_in_any_order(cli, tmp_path):
    folder = _small(tmp_path, TWO)
    assert cli("build", folder, "-q").exit_code == 0
    report = tmp_path / "report.json"
    result = cli("build", "--force", "udnie", folder, "--report", report, "-q")
    assert result.exit_code == 0, result.output
    stages = {art: info["stages"]["music"]["status"] for art, info in json.loads(report.read_text())["artworks"].items()}
    assert stages == {"udnie": "computed", "the-scream": "cached"}


def test_force_errors_name_the_id_and_the_folder(cli, tmp_path, monkeypatch):
    folder = _small(tmp_path, TWO)
    result = cli("build", "--force", "udnei", folder)
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: --force: no artwork with id 'udnei' in {folder / 'gallery.yaml'} "
                                     "(did you mean 'udnie'?)")
    other = _small(tmp_path / "other")
    result = cli("build", "--force", "udnie", folder, other)
    assert result.exit_code == 2
    assert f"one gallery folder at a time: got '{folder}' and '{other}'" in result.output
    result = cli("build", folder, "udnie")
    assert result.exit_code == 2 and "artwork ids go after --force" in result.output
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    result = cli("build", "--force", "udnie", "empty")
    assert result.exit_code == 2 and "error: 'empty' is a folder without gallery.yaml" in result.output
    assert not (folder / "build").exists()


# --- a misspelled model id -------------------------------------------------------------------------------------

def test_misspelled_model_id_names_the_line_and_suggests_known_ids(cli, tmp_path):
    folder = _small(tmp_path, music={"model": "facebook/musicgen-smal", "duration": 1})
    line = next(i for i, text in enumerate((folder / "gallery.yaml").read_text().splitlines(), 1)
                if "musicgen-smal" in text)
    result = cli("build", folder)
    assert result.exit_code == 2
    message = _lines(result, "error:")
    assert len(message) == 1 and message[0].startswith(f"error: {folder / 'gallery.yaml'}:{line}:"), result.output
    assert "music.model: Music model 'facebook/musicgen-smal' (did you mean 'facebook/musicgen-small'?)" in message[0]
    assert str(folder / "facebook") not in result.output  # not a path: no local folder was looked for
    assert not (folder / "build").exists() and not (folder / CACHE_DIR_NAME).exists()


def test_a_model_path_names_the_folder_it_looked_in(cli, tmp_path):
    folder = _small(tmp_path, music={"model": "./models/musicgen", "duration": 1})
    result = cli("build", folder)
    assert result.exit_code == 2
    assert str(folder / "models" / "musicgen") in result.output
    assert "did you mean" not in result.output


# --- warnings: kept by -q, one line per problem, advice once ----------------------------------------------------

def test_quiet_build_keeps_the_draft_warnings_one_line_each_with_the_advice_once(cli, tmp_path):
    folder = write_gallery(tmp_path / "g", LARGE, caption={"model": "auto"}, music={"model": "auto", "duration": 1},
                           url="https://example.org/")
    result = cli("build", folder, "-q")
    assert result.exit_code == 0, result.output
    warnings = _lines(result, "warning:")
    assert warnings == [
        "warning: captions of 1 artwork are a DRAFT by the built-in describer: model "
        "'Salesforce/blip-image-captioning-base' has no weights on this machine",
        "warning: music of 1 artwork is a DRAFT by the built-in composer: model 'facebook/musicgen-small' "
        "has no weights on this machine"]
    assert result.output.count("next: run `imaudible-site models pull`") == 1
    assert all(len(line) < 200 for line in result.output.splitlines())

    again = cli("build", folder, "-q")  # all from cache: the site still has drafts, and -q still says so
    assert _lines(again, "warning:") == warnings


def test_advice_is_given_once_per_session():
    stream = io.StringIO()
    hints: set = set()
    for _ in range(2):  # two builds sharing the hints: the advice once
        Progress(stream, live=False, quiet=True, shown_hints=hints).warn("a problem", "next: fix it")
    assert stream.getvalue().splitlines() == ["warning: a problem", "  next: fix it", "warning: a problem"]
    stream, hints = io.StringIO(), set()
    for problem in ("a problem", "a problem", "another"):  # rebuilds under `serve`: the warning once too
        Progress(stream, live=False, quiet=True, shown_hints=hints, warn_once=True).warn(problem, "next: fix it")
    assert stream.getvalue().splitlines() == ["warning: a problem", "  next: fix it", "warning: another"]


def test_url_unset_warns_once_per_build(cli, tmp_path):
    folder = _small(tmp_path, LARGE)
    result = cli("build", folder, "-q")
    assert _lines(result, "warning: url:") == [
        "warning: url: is not set in gallery.yaml, so link previews show no image (og:image is a relative URL) and "
        "404.html links from / (wrong for a site in a folder, such as a GitHub Pages project site)"]
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    (folder / "gallery.yaml").write_text(yaml.safe_dump({**manifest, "url": "https://example.org/"}))
    assert not _lines(cli("build", folder, "-q"), "warning:")


# --- the summary counts artworks and says what to do next -------------------------------------------------------

def test_summary_counts_artworks_and_suggests_the_next_step(cli, tmp_path, monkeypatch):
    folder = _small(tmp_path, TWO, url="https://example.org/")
    monkeypatch.chdir(tmp_path)
    result = cli("build", "g")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-2].startswith("2 artworks in g/build (") and lines[-2].endswith(
        "2 built, 0 from cache, 2 drafts, 0 failed")
    assert lines[-1] == ("next: preview with `imaudible-site serve g`, then publish g/build "
                         "(e.g. `netlify deploy --dir g/build --prod`)")
    manifest = yaml.safe_load((folder / "gallery.yaml").read_text())
    manifest["artworks"][0]["music"] = {"seed": 9}
    (folder / "gallery.yaml").write_text(yaml.safe_dump(manifest))
    assert cli("build", "g").output.splitlines()[-2].endswith("1 built, 1 from cache, 2 drafts, 0 failed")
    assert "computed" not in result.output


def test_the_commands_suggested_can_be_pasted_for_a_folder_with_spaces(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("init", "My Gallery")
    assert result.output.splitlines()[-1] == (
        "next: copy your images into My Gallery/images, run `imaudible-site add 'My Gallery/images' --site "
        "'My Gallery'` (or edit My Gallery/gallery.yaml), then `imaudible-site build 'My Gallery'`")
    (tmp_path / "My Gallery" / "images" / "dawn.jpg").write_bytes(
        (tmp_path / "My Gallery" / "images" / "example.jpg").read_bytes())
    assert cli("add", "My Gallery/images", "--site", "My Gallery").exit_code == 0     # the suggestion, as written
    assert "dawn" in (tmp_path / "My Gallery" / "gallery.yaml").read_text()
    write_gallery(tmp_path / "Paris & Rome", TWO, url="https://example.org/", music={"model": "builtin", "duration": 1})
    lines = cli("build", "Paris & Rome").output.splitlines()
    assert lines[-1] == ("next: preview with `imaudible-site serve 'Paris & Rome'`, then publish Paris & Rome/build "
                         "(e.g. `netlify deploy --dir 'Paris & Rome/build' --prod`)")
    result = cli("build", "Paris & Rome", "udnie")
    assert "(e.g. `imaudible-site build 'Paris & Rome' --force udnie`)" in result.output



def test_a_missing_gallery_or_build_names_the_folder_in_the_command_to_run(cli, tmp_path, monkeypatch):
    """Pasted as given, a bare `init` or `build` would act on the current folder, not the one named."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "My Gallery").mkdir()
    init = "(create one with `imaudible-site init 'My Gallery'`)"
    for args in (("build", "My Gallery"), ("evaluate", "My Gallery"), ("pick", "x", "1", "--site", "My Gallery"),
                 ("reroll", "x", "--site", "My Gallery"), ("add", "x.jpg", "--site", "My Gallery")):
        result = cli(*args)
        assert result.exit_code == 2 and result.output.rstrip().endswith(init), (args, result.output)
    assert cli("build").output.rstrip().endswith("(create one with `imaudible-site init`)")   # here: as it is
    assert cli("init", "My Gallery").exit_code == 0 and (tmp_path / "My Gallery" / "gallery.yaml").is_file()
    result = cli("serve", "My Gallery", "--no-build")
    assert result.exit_code == 2 and "(run `imaudible-site build 'My Gallery'` first)" in result.output
    result = cli("serve", "My Gallery", "--no-build", "--out", "site out")
    assert "(run `imaudible-site build 'My Gallery' --out 'site out'` first)" in result.output

# --- the front end is checked before any stage runs -------------------------------------------------------------

def test_missing_front_end_is_exit_2_before_anything_is_written(cli, tmp_path, monkeypatch):
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "static" / "gallery.css").write_text("body {}")
    monkeypatch.setattr(site_render, "THEME_DIR", theme)
    folder = _small(tmp_path)
    result = cli("build", folder)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: the front end is not built")
    assert "npm ci && npm run build" in result.output
    assert not (folder / "build").exists() and not (folder / CACHE_DIR_NAME).exists()


# --- models pull / list without the [models] extra ---------------------------------------------------------------

def test_models_pull_without_the_extra_names_it(tmp_path):
    result = _without_models("models", "pull", "facebook/musicgen-small", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: downloading models needs the [models] extra, which is not installed: "
                                     f"pip install '{REPO}[models]'")   # not PyPI's
    assert "downloading facebook" not in result.stdout


def test_models_list_tells_library_missing_from_weights_missing(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", LARGE, caption={"model": "auto"}, music={"model": "auto"})
    without = _without_models("models", "list", folder, cwd=tmp_path)
    assert without.returncode == 0, without.stderr
    assert f"LIBRARY MISSING (torch, transformers, safetensors: pip install '{REPO}[models]') and WEIGHTS MISSING" \
        in without.stdout
    with_extra = cli("models", "list", folder)
    assert "WEIGHTS MISSING" in with_extra.output and "LIBRARY MISSING" not in with_extra.output


def _weights_only_folder(folder):
    """A MusicGen folder as files only: a config, a tokenizer and whole safetensors weights (no library loads them
    here, so their values do not matter)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "musicgen"}')
    (folder / "tokenizer.json").write_text('{"model": {}}')
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (folder / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + bytes(4))


def test_weights_without_the_extra_are_a_one_line_error_naming_it(tmp_path):
    folder = write_gallery(tmp_path / "g", LARGE, caption={"model": "builtin"}, music={"model": "models/mg"})
    _weights_only_folder(folder / "models" / "mg")
    built = _without_models("build", folder, "-q", cwd=tmp_path)
    assert built.returncode == 2, built.stderr   # was 3: "internal error: ModuleNotFoundError: No module named 'torch'"
    error = [line for line in built.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "Traceback" not in built.stderr, built.stderr
    assert error[0].endswith("torch, transformers and safetensors are not installed. To use it, install the [models] "
                             f"extra (`{install_command('models')}`).")
    assert not (folder / "build").exists()
    listed = _without_models("models", "list", folder, cwd=tmp_path)
    music = listed.stdout.split("music  ", 1)[1].splitlines()[1]
    assert "LIBRARY MISSING" in music and "NOT USABLE" not in music and "WEIGHTS MISSING" not in music, listed.stdout


def test_drafts_without_the_extra_say_to_install_it_before_pulling(tmp_path):
    folder = write_gallery(tmp_path / "g", LARGE, caption={"model": "builtin"}, music={"model": "auto", "duration": 1})
    built = _without_models("build", folder, "-q", cwd=tmp_path)   # (its stages fail on this simulation: scipy
    # reads sys.modules["torch"]; test_wheel builds in a venv that really lacks the extra)
    assert ("warning: music of 1 artwork is a DRAFT by the built-in composer: model 'facebook/musicgen-small' cannot be "
            "loaded: torch, transformers and safetensors are not installed") in built.stderr
    assert f"  next: install the [models] extra (`{install_command('models')}`), then run `imaudible-site models " \
           "pull`" in built.stderr
    pinned = write_gallery(tmp_path / "p", LARGE, caption={"model": "builtin"}, music={"model": "facebook/musicgen-small"})
    refused = _without_models("build", pinned, "-q", cwd=tmp_path)
    assert refused.returncode == 2 and f"To use it, install the [models] extra (`{install_command('models')}`), " \
        "then run `imaudible-site models pull facebook/musicgen-small`" in refused.stderr, refused.stderr


def test_models_list_tells_unusable_files_from_missing_weights(tmp_path, cli):
    folder = write_gallery(tmp_path / "g", LARGE, caption={"model": "models/broken"}, music={"model": "models/none"})
    (folder / "models" / "broken").mkdir(parents=True)
    (folder / "models" / "broken" / "config.json").write_text('{"model_type": "blip", ')
    (folder / "models" / "broken" / "model.safetensors").write_bytes(b"")
    listed = cli("models", "list", folder)
    assert listed.exit_code == 0, listed.output
    caption, music = (listed.output.split(f"{kind}  ", 1)[1].split("\n")[1] for kind in ("caption", "music"))
    assert "NOT USABLE (see below)" in caption and "WEIGHTS MISSING" not in caption, listed.output
    assert "WEIGHTS MISSING" in music, listed.output
    assert "config.json is not valid JSON" in listed.output
    rows = {row["kind"]: row for row in json.loads(cli("models", "list", folder, "--json").output)}
    assert rows["caption"]["problem"].endswith("config.json is not valid JSON") and rows["music"]["problem"] == ""

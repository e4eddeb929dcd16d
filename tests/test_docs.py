"""The documentation is true of the code: every `imaudible-site ...` command that README.md, ARCHITECTURE.md,
the init template, a help text or a message quotes names a real command and real options; the manifests the
README and `init` show load strictly, at the defaults they present; every module is named in ARCHITECTURE.md
and every file or test it names exists."""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import click
import pytest

from imaudible.cli import main
from imaudible.manifest import load_manifest
from imaudible.scaffold import MANIFEST_TEMPLATE
from imaudible.settings import AudioSettings, CaptionSettings, LayoutSettings, MusicSettings

from .conftest import ART, REPO

DOCS = {name: (REPO / name).read_text(encoding="utf-8") for name in ("README.md", "ARCHITECTURE.md")}
QUOTED = re.compile(r"imaudible-site((?: [^`'\"\n#)]*)?)")


def _help_texts(command: click.Command, path: str = "") -> list[tuple[str, str]]:
    texts = [(f"help of {path or 'imaudible-site'}", command.help or "")]
    texts += [(f"help of {path} {param.name}", getattr(param, "help", None) or "") for param in command.params]
    for name, sub in getattr(command, "commands", {}).items():
        texts += _help_texts(sub, f"{path} {name}".strip())
    return texts


def _source_strings() -> list[tuple[str, str]]:
    """Every string constant of the package (an f-string without its fields), where messages are made."""
    found = []
    for path in sorted((REPO / "imaudible").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(part.value if isinstance(part, ast.Constant) else "" for part in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            found.append((str(path.relative_to(REPO)), text))
    return found


def _quoted_commands() -> list[tuple[str, str]]:
    texts = list(DOCS.items()) + [("init template", MANIFEST_TEMPLATE)] + _help_texts(main) + _source_strings()
    return [(where, match.group(1).strip()) for where, text in texts for match in QUOTED.finditer(text)]


def _words(token: str) -> list[str]:
    """`[--cache`, `auto\\|threads]`, `--variant=K=V`: the words a synopsis token stands for."""
    return [w.strip("[](),.;:") for w in token.replace("\\|", "|").split("|") if w.strip("[](),.;:")]


def _check(where: str, quoted: str) -> list[str]:
    tokens = quoted.split()
    tokens = tokens[:tokens.index("|")] if "|" in tokens else tokens      # a shell pipe, or "pick | reroll"
    command: click.Command = main
    while isinstance(command, click.Group) and tokens and not tokens[0].startswith("-"):
        names = _words(tokens.pop(0))
        unknown = [n for n in names if n not in command.commands]
        if unknown:
            return [f"{where}: `imaudible-site {quoted}`: no command {unknown[0]!r}"]
        command = command.commands[names[0]]
    options = {opt: param for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    options.update({"-h": None, "--help": None})
    problems = []
    for index, token in enumerate(tokens):
        for word in _words(token):
            if not word.startswith("-") or word in ("-", "--") or word.startswith("-" * 3):
                continue
            name = word.split("=")[0]
            if name not in options:
                problems.append(f"{where}: `imaudible-site {quoted}`: {command.name} has no option {name}")
                continue
            param = options[name]
            values = _words(tokens[index + 1]) if index + 1 < len(tokens) else []
            if isinstance(getattr(param, "type", None), click.Choice) and len(values) > 1:
                wrong = [v for v in values if v not in param.type.choices]
                problems += [f"{where}: `imaudible-site {quoted}`: {name} takes no {v!r}" for v in wrong]
    return problems


def test_every_quoted_command_names_real_commands_and_options():
    quoted = _quoted_commands()
    assert len(quoted) > 40           # the docs, help texts and messages are really read
    problems = [problem for where, text in quoted for problem in _check(where, text)]
    assert problems == []


def test_the_check_catches_a_wrong_command_option_or_choice():
    assert _check("x", "buidl my-gallery") and _check("x", "build --forse")
    assert _check("x", "build [--executor auto\\|threads\\|cluster]") and _check("x", "models fetch ID")
    assert not _check("x", "build [DIR] [--out DIR] [--executor auto\\|threads\\|processes\\|ray] [--strict]")


# --- the manifests the docs show ------------------------------------------------------------------------------

def _uncommented(text: str) -> str:
    """The template with every commented-out option (`# key: value`) switched on."""
    return re.sub(r"^(\s*)# ( *[A-Za-z_]+:( .*)?)$", r"\1\2", text, flags=re.M)


def test_the_init_template_options_are_real_and_shown_at_their_defaults(tmp_path):
    folder = tmp_path / "g"
    (folder / "images").mkdir(parents=True)
    shutil.copy(ART / "udnie.jpg", folder / "images" / "example.jpg")
    text = _uncommented(MANIFEST_TEMPLATE)
    assert text.count("\n  model: auto") == 2 and "\n    size_cm: [60, 40]" in text   # the switch really ran
    (folder / "gallery.yaml").write_text(text)
    gallery, warnings = load_manifest(folder, strict=True)
    assert warnings == []
    # What the template shows for the gallery-wide sections is what leaving them out gives.
    assert (gallery.caption, gallery.music, gallery.audio, gallery.layout) == \
        (CaptionSettings(), MusicSettings(), AudioSettings(), LayoutSettings())


def test_the_readme_manifest_loads_strictly(tmp_path):
    manifest = re.search(r"`gallery.yaml`:\n\n```yaml\n(.*?)```", DOCS["README.md"], re.S).group(1)
    folder = tmp_path / "g"
    (folder / "art").mkdir(parents=True)
    for name in ("starry_night.jpg", "the_scream.jpg"):
        shutil.copy(ART / name, folder / "art" / name)
    (folder / "gallery.yaml").write_text(manifest)
    gallery, warnings = load_manifest(folder, strict=True)
    assert warnings == [] and [room.artworks for room in gallery.layout.rooms] == [("starry-night", "the-scream")]
    assert gallery.layout.order == "mood" and gallery.artworks[0].music.seed == 7


# --- ARCHITECTURE.md ------------------------------------------------------------------------------------------

def test_every_module_is_named_in_architecture():
    text = DOCS["ARCHITECTURE.md"]
    unnamed = []
    for path in sorted((REPO / "imaudible").rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        stem, name = path.stem, path.name
        if name not in text and not re.search(rf"`{re.escape(stem)}`", text):
            unnamed.append(str(path.relative_to(REPO / "imaudible")))
    assert unnamed == []


def test_every_file_and_test_architecture_names_exists():
    tracked = {p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if ".git" not in p.parts
               and "node_modules" not in p.parts and ".venv" not in p.parts[:1]}
    names = {Path(p).name for p in tracked}
    missing = []
    for doc, text in DOCS.items():
        for token in re.findall(r"`([^`\n]+)`", text):
            for ref in re.findall(r"\b((?:[\w-]+/)*[\w-]+\.(?:py|js))\b(?:::(\w+))?", token):
                path, test = ref
                if Path(path).name not in names:
                    missing.append(f"{doc}: {path}")
                elif test and not any(test in (REPO / p).read_text(encoding="utf-8", errors="replace")
                                      for p in tracked if p.endswith(path)):
                    missing.append(f"{doc}: {path}::{test}")
    assert missing == []


@pytest.mark.parametrize("module,name", [
    ("imaudible.engine.schedule", "IN_FLIGHT_PER_WORKER"), ("imaudible.engine.executors", "AUTO_POOL_FROM"),
    ("imaudible.settings", "MAX_PER_ROOM"), ("imaudible.engine.stamp", "WALK_LIMIT"),
    ("imaudible.audition", "MAX_BODY"), ("imaudible.model_folder", "MAX_LAYERS"),
])
def test_the_figures_architecture_quotes_are_the_code_s(module, name):
    import importlib

    value = getattr(importlib.import_module(module), name)
    quoted = {"IN_FLIGHT_PER_WORKER": "6 x jobs", "AUTO_POOL_FROM": "250 CPU batches", "MAX_PER_ROOM": "than 24 works",
              "WALK_LIMIT": "beyond 100,000 entries", "MAX_BODY": "at most 4 KB", "MAX_LAYERS": "1024 layers"}[name]
    number = int(re.search(r"[\d,]+", quoted).group().replace(",", ""))
    assert number == (value // 1024 if name == "MAX_BODY" else value)
    assert quoted in DOCS["ARCHITECTURE.md"] + DOCS["README.md"]

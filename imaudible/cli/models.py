"""`imaudible-site models list|pull`: which models a gallery uses, whether their weights are here, downloads."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import click

from .. import models as m
from ..model_libraries import install_command, not_installed
from ..settings import CaptionSettings, MusicSettings, PromptSettings
from ..progress import printable
from .errors import CliError, guarded
from .paths import GalleryPath


def _gallery(site_dir: Path):
    """The gallery in `site_dir`, or the default settings when there is no gallery.yaml there."""
    from ..manifest import MANIFEST_NAME, load_manifest

    if not (site_dir / MANIFEST_NAME).is_file():
        return SimpleNamespace(root=site_dir.resolve(), caption=CaptionSettings(), music=MusicSettings(),
                               prompt=PromptSettings()), False
    gallery, _ = guarded(lambda: load_manifest(site_dir))
    return gallery, True


@click.group("models")
def models():
    """List the models a gallery uses and download their weights."""


@models.command("list")
@click.argument("site_dir", required=False, default=".",
                type=GalleryPath(manifest_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(site_dir: Path, as_json: bool):
    """Show the caption, prompt-writer, music and CLAP models of SITE_DIR/gallery.yaml (or the defaults),
    whether their weights are on this machine, and the models known to work for each kind."""
    gallery, found = _gallery(site_dir)
    rows = guarded(lambda: m.list_models(gallery))
    if as_json:
        click.echo(json.dumps(rows, indent=2, allow_nan=False))
        return
    def say(line: str) -> None:   # a model folder's config.json and models.json are anyone's text
        click.echo(printable(line))

    if not found:
        say(f"(no gallery.yaml in {site_dir}: showing the defaults)")
    for row in rows:
        state = _state(row)
        revision = f" @ {row['revision'][:12]}" if row["revision"] else ""
        asked = "" if row["requested"] in (row["model_id"], "builtin") else f" (from '{row['requested']}')"
        say(f"{row['kind']:<8} {row['model_id']}{asked}{revision}")
        arch = f" ({row['architecture']})" if row["architecture"] else ""
        say(f"{'':<8} {row['backend']}{arch}, {state}; used: {row['used']}")
        if row["path"]:
            say(f"{'':<8} {row['path']}")
    for row in rows:
        if row["message"]:
            click.echo()
            say(row["message"])
    click.echo("\nKnown to work (`imaudible-site models pull ID`):")
    for kind, ids in m.KNOWN_MODEL_IDS.items():
        click.echo(printable(f"  {kind:<8} {', '.join(ids)}"))


def _state(row: dict) -> str:
    """Ready, or what is missing: the weights, the library that runs them (the [models] extra), or both."""
    problems = []
    if row["library"]:
        problems.append(f"LIBRARY MISSING ({', '.join(row['library'])}: {install_command(row['backend'])})")
    library_only = bool(row["library"]) and row.get("problem") == not_installed(row["library"])
    if not row["available"] and not library_only:   # files that are there but cannot be used are not missing
        problems.append("NOT USABLE (see below)" if row.get("problem") else "WEIGHTS MISSING")
    return " and ".join(problems) if problems else ("built in" if row["backend"] == "builtin" else "ready")


@models.command("pull")
@click.argument("model_ids", nargs=-1)
@click.option("--gallery", "site_dir", type=GalleryPath(manifest_okay=False),
              default=None, help="Download the models this gallery uses (default: the current folder's).")
@click.option("--revision", default=None, help="Branch, tag or commit to download (one model id only).")
@click.option("--backend", type=click.Choice(["transformers", "audiocraft"]), default=None,
              help="Also fetch audiocraft's checkpoint files (default: as the gallery's music.backend).")
def pull_command(model_ids: tuple[str, ...], site_dir: Path | None, revision: str | None, backend: str | None):
    """Download MODEL_IDS (Hugging Face ids) into the Hugging Face cache; without ids, the models the gallery
    uses. Needs a connection; copy the cache to offline machines afterwards."""
    if revision and len(model_ids) != 1:
        raise CliError("--revision needs exactly one model id")
    if importlib.util.find_spec("huggingface_hub") is None:
        from ..extras import install_command

        raise CliError("downloading models needs the [models] extra, which is not installed: "
                       + install_command("models"))
    for model_id in model_ids:   # every id is checked before the first download starts
        guarded(lambda: m.check_hub_id(model_id))
    wanted = [(mid, revision, backend or "transformers") for mid in model_ids]
    if not model_ids:
        wanted = _gallery_models(site_dir or Path("."), backend)
        if not wanted:
            click.echo("nothing to download: the gallery uses built-in or local models only")
            return
    for model_id, rev, kind in wanted:
        click.echo(printable(f"downloading {model_id}{f' @ {rev}' if rev else ''} ..."))
        folder = guarded(lambda: m.pull(model_id, rev, backend=kind))
        click.echo(printable(f"  {model_id} -> {folder}"))


def _gallery_models(site_dir: Path, backend: str | None) -> list[tuple[str, str | None, str]]:
    """(hub id, revision, backend) of the gallery's models that come from the Hub (CLAP too with MusicGen)."""
    gallery, _ = _gallery(site_dir)
    music_backend = backend or ("audiocraft" if gallery.music.backend == "audiocraft" else "transformers")
    wanted = []
    prompt = getattr(gallery, "prompt", PromptSettings())
    for kind, settings in (("caption", gallery.caption), ("prompt", prompt), ("music", gallery.music)):
        if settings.model == "builtin":
            continue
        name = m.DEFAULTS[kind] if settings.model == "auto" else settings.model
        if m.local_dir_for(name, Path(gallery.root)) is None:
            wanted.append((name, settings.revision, music_backend if kind == "music" else "transformers"))
        if kind == "music":
            clap = m.resolve_clap_model(gallery.music.ranker, gallery_root=Path(gallery.root))
            if clap is not None and m.local_dir_for(clap.model_id, Path(gallery.root)) is None:
                wanted.append((clap.model_id, None, "transformers"))
    return wanted

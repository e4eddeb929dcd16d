"""Which model weights a build uses: resolves `model: auto | builtin | <hub id> | <dir>` to a `ResolvedModel`.

Resolution only reads files (the Hugging Face hub cache layout, or a local directory); it never imports
torch or transformers and never touches the network. `pull` is the one function that downloads.
"""
from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .known_models import KNOWN_MODEL_IDS
from .local_revision import local_revision
from .model_folder import MAX_CONFIG_BYTES, SETTING_NAMES, folder_problem
from .model_libraries import install_step, library_missing, not_installed
from .settings import CaptionSettings, MusicSettings, PromptSettings
from .state_files import read_state_file

DEFAULT_CAPTION_MODEL = "Salesforce/blip-image-captioning-base"
DEFAULT_MUSIC_MODEL = "facebook/musicgen-small"
DEFAULT_CLAP_MODEL = "laion/clap-htsat-unfused"
DEFAULTS = {"caption": DEFAULT_CAPTION_MODEL, "music": DEFAULT_MUSIC_MODEL, "clap": DEFAULT_CLAP_MODEL,
            "prompt": "HuggingFaceTB/SmolLM2-360M-Instruct"}
BUILTIN_IDS = {"caption": "builtin:describer", "music": "builtin:procedural", "prompt": "builtin:template"}

FALLBACK_RANKER = "fallback:least-repetitive"   # how takes are ranked without CLAP (see backends/takes.py)
AUDIOCRAFT_FILES = ("state_dict.bin", "compression_state_dict.bin")
# What `pull` downloads: configs, tokenizer files and safetensors weights, never pickled weights.
PULL_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "tokenizer*"]
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class ModelError(Exception):
    """A model cannot be resolved, loaded or downloaded (one-line, actionable message). `setting` names the
    manifest option at fault ("music.model"), so that the CLI can point at its line."""

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class ResolvedModel:
    kind: str            # "caption" | "music" | "clap" | "prompt"
    requested: str       # what the manifest said: "auto", "builtin", a hub id or a path
    backend: str         # "builtin" | "transformers" | "audiocraft"
    model_id: str        # hub id, absolute local dir, or "builtin:describer" / "builtin:procedural"
    revision: str        # hub commit, sha256 of local files, or the built-in stage VERSION ("" if unknown)
    path: Path | None    # local directory with config + weights (None when missing or builtin)
    available: bool      # weights present locally (always True for builtin)
    searched: tuple[str, ...] = ()   # where the weights were looked for (for the error message)
    problem: str = ""                # why present files are not usable (e.g. only .bin weights)
    wanted: str = ""                 # the Hub revision the setting asks for ("" for the default branch)
    libraries: tuple[str, ...] = ()  # the Python packages its backend needs that are not installed

    @functools.cached_property   # asked for every artwork's key of a model stage
    def identity(self) -> str:
        """What goes into cache keys: a local directory by content, so a gallery and its cache can move."""
        name = "local" if self.model_id.startswith("/") or re.match(r"^[A-Za-z]:\\", self.model_id) else self.model_id
        prefix = "audiocraft:" if self.backend == "audiocraft" else ""
        return f"{prefix}{name}@{self.revision}"

    @property
    def is_model(self) -> bool:
        return self.backend != "builtin"

    def missing_message(self) -> str:
        what = {"caption": "Captioning", "music": "Music", "clap": "CLAP (take ranking, evaluation)", "prompt": "Prompt writer",
                "encoder": "Audio encoder (FAD)", "genre": "Genre classifier (genre-KL)"}.get(self.kind, self.kind)
        where = ", ".join(self.searched) or "nowhere"
        reason = self.problem or (f"revision '{self.wanted}' is not in the Hugging Face cache (looked in {where})"
                                  if self.wanted else f"no usable weights were found (looked in {where})")
        pull = f"imaudible-site models pull {self.model_id}" + (f" --revision {self.wanted}" if self.wanted else "")
        setting = SETTING_NAMES.get(self.kind, "the model setting")
        name = f"'{self.model_id}'"
        if not self.model_id.startswith("/") and self.requested not in ("auto", "builtin"):
            near = similar_model_ids(self.kind, self.model_id)
            if near:
                name += f" (did you mean {' or '.join(repr(n) for n in near)}?)"
        if self.model_id.startswith("/") and self.problem:
            fix = (f"repair {self.model_id} or point {setting} at another model (a directory holding config.json "
                   f"and *.safetensors weights, or a Hugging Face model id)")
        elif self.model_id.startswith("/"):
            fix = (f"point {setting} at a directory holding config.json and *.safetensors weights"
                   f" (or at a Hugging Face model id and run `imaudible-site models pull <id>`)")
        elif len(self.searched) > 1:   # a Hub id, or a folder of the gallery that is not there
            fix = (f"put config.json and *.safetensors weights in {self.searched[-1]}, or, for a Hugging Face model "
                   f"id, run `{pull}` on a connected machine")
        else:  # a Hub id: only the Hub cache was searched, so no local folder is mentioned
            fix = (f"run `{pull}` on a connected machine (copy its "
                   f"Hugging Face cache here if this machine is offline)")
        if self.libraries:   # loading would fail on the import, whatever the weights
            fix = install_step(self.backend) if reason == not_installed(self.libraries) else \
                f"{install_step(self.backend)}, then {fix}"
        return f"{what} model {name} is not available: {reason}. To use it, {fix}."

    def missing_error(self) -> ModelError:
        return ModelError(self.missing_message(), setting=SETTING_NAMES.get(self.kind))


def similar_model_ids(kind: str, model_id: str) -> list[str]:
    """Known Hub ids close to `model_id` (a likely typo): the defaults, the family of the default (MusicGen's
    sizes...), and what the Hugging Face cache on this machine holds."""
    known = set(DEFAULTS.values()) | set(KNOWN_MODEL_IDS.get(kind, ()))
    cache = hub_cache_dir()
    if cache.is_dir():
        known |= {p.name[len("models--"):].replace("--", "/") for p in cache.glob("models--*")}
    if model_id in known:
        return []  # a known id whose weights are missing is no typo
    scored = sorted(((difflib.SequenceMatcher(None, model_id, k).ratio(), k) for k in known), reverse=True)
    best = scored[0][0] if scored else 0.0
    return [k for score, k in scored[:2] if score >= 0.8 and score >= best - 0.02]

def builtin_model(kind: str) -> ResolvedModel:
    """The built-in describer (kind "caption"), procedural composer ("music") or prompt template ("prompt")."""
    if kind not in BUILTIN_IDS:
        raise ModelError(f"there is no built-in {kind} model")
    return ResolvedModel(kind=kind, requested="builtin", backend="builtin", model_id=BUILTIN_IDS[kind],
                         revision=_builtin_version(kind), path=None, available=True)


def _builtin_version(kind: str) -> str:
    from . import caption, compose, prompt  # none imports this module or a backend

    return {"caption": caption, "prompt": prompt}.get(kind, compose).VERSION


def resolve_caption_model(settings: CaptionSettings, *, gallery_root: Path,
                          recorded: dict[str, str]) -> ResolvedModel:
    return _resolve("caption", settings.model, settings.revision, "transformers", gallery_root, recorded)


def resolve_music_model(settings: MusicSettings, *, gallery_root: Path,
                        recorded: dict[str, str]) -> ResolvedModel:
    return _resolve("music", settings.model, settings.revision, settings.backend, gallery_root, recorded)


def architecture(resolved: ResolvedModel) -> str:
    """The `model_type` in a present model's config.json ("" when unknown): picks the backend class."""
    try:
        if (resolved.path / "config.json").stat().st_size > MAX_CONFIG_BYTES:
            return ""
        return str(json.loads((resolved.path / "config.json").read_text()).get("model_type", ""))
    except (OSError, ValueError, AttributeError, TypeError):   # no path (None), no file, not a config
        return ""


def resolve_model(kind: str, settings, *, gallery_root: Path, recorded: dict[str, str]) -> ResolvedModel:
    """The model of `kind` that a manifest section (`settings.model`, `.revision`, `.backend`) asks for."""
    backend = getattr(settings, "backend", "transformers")
    return _resolve(kind, settings.model, getattr(settings, "revision", None), backend, gallery_root, recorded)


def resolve_clap_model(model: str = "auto", *, gallery_root: Path | None = None, recorded: dict[str, str] | None = None,
                       kind: str = "clap") -> ResolvedModel | None:
    """The CLAP model that ranks takes (`music.ranker`: auto, a hub id or a directory relative to the gallery);
    None for 'none'. `kind` "encoder" or "genre": evaluate's other audio models, resolved the same way."""
    return None if (model or "auto").strip() == "none" else \
        _resolve(kind, model, None, "transformers", gallery_root or Path.cwd(), recorded or {})


def take_ranker_identity(ranker: str = "auto", gallery_root: Path | None = None) -> str:
    """What chooses among takes (`takes` > 1): belongs in the music cache key then, since the chosen take
    changes when CLAP weights appear or change."""
    clap = resolve_clap_model(ranker, gallery_root=gallery_root)
    return f"clap:{clap.identity}" if clap is not None and clap.available else FALLBACK_RANKER


def recorded_key(model_id: str, gallery_root: Path) -> str:
    """How models.json names a model: a hub id as it is; a local directory inside the gallery folder by its
    path from there ("./models/blip"), so a gallery moved with its cache still finds its models' results."""
    if not os.path.isabs(model_id):
        return model_id
    rel = os.path.relpath(model_id, os.path.abspath(gallery_root))
    return model_id if rel.startswith("..") else "./" + Path(rel).as_posix()


def _resolve(kind: str, requested: str, revision: str | None, backend: str, gallery_root: Path,
             recorded: dict[str, str]) -> ResolvedModel:
    requested = (requested or "auto").strip()
    if requested == "builtin":
        return builtin_model(kind)
    name = DEFAULTS[kind] if requested == "auto" else requested
    local = local_dir_for(name, Path(gallery_root))
    as_dir = os.path.abspath(Path(gallery_root) / os.path.expanduser(name))
    if local is None and recorded_key(as_dir, gallery_root) in recorded:  # a local directory seen before, now gone
        local = Path(as_dir)
    if local is not None:
        model_id, searched, snapshot = str(local), (str(local),), (local if local.is_dir() else None)
        rev_of = local_revision
        if local.exists() and not local.is_dir():
            return ResolvedModel(kind, requested, "transformers" if backend == "auto" else backend, model_id, "",
                                 None, False, searched, f"{local} is a file, not a folder: name the folder that "
                                 "holds config.json and the weights")
    else:
        if not _HUB_ID.fullmatch(name):
            raise ModelError(f"'{name}' is neither a directory nor a Hugging Face model id (like {DEFAULTS[kind]})",
                             setting=SETTING_NAMES[kind])
        # Not a path (local_dir_for would have said so): only the Hub cache is searched, so only it is named.
        model_id, cache = name, hub_cache_dir()
        searched = (str(cache / _repo_folder(name)),)
        if (Path(gallery_root) / name.split("/")[0]).is_dir():   # "models/blip": a folder of the gallery, mistyped?
            searched += (as_dir,)
        snapshot = _hub_snapshot(cache, name, revision)
        rev_of = (lambda p: p.name)   # the snapshot folder is named by the commit hash
    chosen, problem = _choose_backend(kind, backend, snapshot)
    libraries = tuple(library_missing(chosen))
    if snapshot is not None and not problem and libraries:   # weights that this install cannot load
        problem = not_installed(libraries)
    if snapshot is not None and not problem:
        return ResolvedModel(kind, requested, chosen, model_id, rev_of(snapshot), snapshot, True, searched)
    known = revision if revision and _COMMIT.fullmatch(revision) else recorded.get(recorded_key(model_id, gallery_root), "")
    return ResolvedModel(kind, requested, chosen, model_id, known, None, False, searched,
                         problem if snapshot is not None else "", (revision or "") if local is None else "", libraries)


def local_dir_for(name: str, root: Path) -> Path | None:
    """A path if `name` reads as one (or names something that exists), else None (a hub id)."""
    expanded = Path(os.path.expanduser(name))
    looks_like_path = name.startswith((".", "/", "~")) or "\\" in name or expanded.is_absolute()
    candidate = expanded if expanded.is_absolute() else root / expanded
    if looks_like_path or candidate.exists() or name.count("/") > 1:
        return Path(os.path.abspath(candidate))
    return None


def _choose_backend(kind: str, backend: str, folder: Path | None) -> tuple[str, str]:
    """(backend, problem): which library can run `folder`'s weights, or why none can."""
    if folder is None:
        return ("transformers" if backend == "auto" else backend), ""
    has_st = any(folder.glob("*.safetensors")) and (folder / "config.json").is_file()
    has_bin = any(folder.glob("*.bin"))
    has_ac = all((folder / f).is_file() for f in AUDIOCRAFT_FILES)
    ac_importable = importlib.util.find_spec("audiocraft") is not None
    if kind == "music" and backend == "audiocraft":
        return "audiocraft", "" if has_ac else f"{folder} has no audiocraft weights ({' + '.join(AUDIOCRAFT_FILES)})"
    if has_st:
        return "transformers", folder_problem(kind, folder)
    if kind == "music" and backend == "auto" and has_ac:
        if ac_importable:
            return "audiocraft", ""
        return "transformers", (f"{folder} holds audiocraft weights but audiocraft is not installed, and no "
                                f"transformers safetensors weights")
    if has_bin:
        return "transformers", (f"{folder} holds only PyTorch .bin weights; imaudible loads safetensors only "
                                f"(never pickled weights)")
    if not (folder / "config.json").is_file():
        return "transformers", f"{folder} has no config.json"
    return "transformers", f"{folder} has no *.safetensors weights"


# ---- the Hugging Face hub cache, read as files -------------------------------------------------------------

def hub_cache_dir() -> Path:
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.path.expanduser(os.environ[var]))
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return Path(os.path.expanduser(home)) / "hub"


def _repo_folder(model_id: str) -> str:
    return "models--" + model_id.replace("/", "--")


def _hub_snapshot(cache: Path, model_id: str, revision: str | None) -> Path | None:
    repo = cache / _repo_folder(model_id)
    rev = revision or "main"
    if _COMMIT.fullmatch(rev):
        commit = rev
    elif (repo / "refs" / rev).is_file():
        commit = (repo / "refs" / rev).read_text().strip()
    else:
        snapshots = sorted(p for p in (repo / "snapshots").glob("*") if p.is_dir()) if revision is None else []
        if len(snapshots) != 1:
            return None
        commit = snapshots[0].name
    snapshot = repo / "snapshots" / commit
    return snapshot if snapshot.is_dir() else None


# ---- listing and downloading -------------------------------------------------------------------------------

def read_recorded(gallery_root: Path) -> dict[str, str]:
    """model id -> last revision, from the gallery cache's models.json (tolerates absence and other shapes)."""
    try:
        data = json.loads(read_state_file(Path(gallery_root) / ".imaudible-cache" / "models.json"))
    except (OSError, ValueError):
        return {}
    data = data.get("models", data) if isinstance(data, dict) else {}
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = value.get("revision")
        if isinstance(value, str):
            out[str(key)] = value
    return out


def list_models(gallery) -> list[dict]:
    """The models a gallery is configured with, whether their weights are here, and where from."""
    recorded = read_recorded(gallery.root)
    prompt = getattr(gallery, "prompt", PromptSettings())
    resolved = [resolve_caption_model(gallery.caption, gallery_root=gallery.root, recorded=recorded),
                resolve_model("prompt", prompt, gallery_root=gallery.root, recorded=recorded),
                resolve_music_model(gallery.music, gallery_root=gallery.root, recorded=recorded)]
    clap = resolve_clap_model(getattr(gallery.music, "ranker", "auto"), gallery_root=gallery.root, recorded=recorded)
    if resolved[-1].is_model and clap is not None:
        resolved.append(clap)
    rows = []
    for r in resolved:
        rows.append({"kind": r.kind, "requested": r.requested, "model_id": r.model_id, "backend": r.backend,
                     "architecture": architecture(r), "revision": r.revision, "available": r.available,
                     "problem": r.problem, "path": str(r.path) if r.path else None, "library": library_missing(r.backend),
                     "used": _used_note(r), "message": "" if r.available else r.missing_message()})
    return rows


def _used_note(r: ResolvedModel) -> str:
    if r.available:
        return "yes" if r.kind != "clap" else "ranks takes when takes > 1"
    if r.kind == "clap":
        return "no: takes are ranked by the fallback score"
    if r.requested == "auto":
        return f"no: the build falls back to {BUILTIN_IDS[r.kind]}"
    return "no: the build stops with an error"


def check_hub_id(model_id: str) -> None:
    """Refuse what cannot be a Hub id, or names a gallery folder here, before anything is downloaded."""
    try:
        gallery = (Path(model_id) / "gallery.yaml").is_file()
    except OSError:   # a name too long to be a path is no gallery folder either
        gallery = False
    if gallery or not _HUB_ID.fullmatch(model_id) or model_id.startswith((".", "/")):
        hint = (f"; to download the models of the gallery in '{model_id}', run `imaudible-site models pull "
                f"--gallery {model_id}`" if gallery else "")
        raise ModelError(f"'{model_id}' is not a Hugging Face model id (e.g. {DEFAULT_MUSIC_MODEL}){hint}")


def pull(model_id: str, revision: str | None = None, *, backend: str = "transformers") -> Path:
    """Download a model's configs, tokenizer and safetensors weights into the Hugging Face cache."""
    check_hub_id(model_id)
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        from .extras import install_command

        raise ModelError(f"downloading models needs huggingface_hub: {install_command('models')}") from None
    patterns = PULL_PATTERNS + (list(AUDIOCRAFT_FILES) if backend == "audiocraft" else [])
    try:
        folder = Path(snapshot_download(model_id, revision=revision, allow_patterns=patterns))
    except Exception as exc:  # huggingface_hub raises many kinds; all mean "could not download"
        raise ModelError(_download_failure(model_id, exc)) from None
    if backend != "audiocraft" and not any(folder.glob("*.safetensors")):
        raise ModelError(f"'{model_id}' has no safetensors weights on the Hub; imaudible does not load pickled "
                         f"(.bin) weights")
    return folder


def _download_failure(model_id: str, exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    kind = type(exc).__name__
    if "Offline" in kind or "LocalEntryNotFound" in kind or os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "ON"):
        return (f"cannot download '{model_id}': this machine is offline (or HF_HUB_OFFLINE is set). Run "
                f"`imaudible-site models pull {model_id}` on a connected machine and copy "
                f"{hub_cache_dir() / _repo_folder(model_id)} here")
    if "RepositoryNotFound" in kind or "GatedRepo" in kind or "RevisionNotFound" in kind:
        return f"cannot download '{model_id}': {first}"
    return f"cannot download '{model_id}' ({kind}: {first}); check the connection and the model id"

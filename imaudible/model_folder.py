"""Whether the files of a model folder (a local directory or a Hub snapshot) can be what a setting asks for,
read as files only (no torch, no transformers): a config that describes a model, weights that are whole, the
kind of model the setting runs, and the tokenizer and image processor that loading would otherwise invent.

Each check returns "" when the folder may be used, else one line saying why not. `models list` shows that line
and the build refuses the model before any stage, instead of every artwork failing (or, for a missing
tokenizer, transformers building an empty one: prompts of unknown tokens, music that ignores them, no error).
"""
from __future__ import annotations

import json
from pathlib import Path

# A config.json is a few kilobytes (an id2label table for thousands of classes, under a megabyte); and no real
# checkpoint has more than a few hundred layers. Past these, a local folder's config is refused before anything
# reads it whole or builds a model from it (a million layers took minutes of CPU before transformers noticed
# that the weights do not match).
MAX_CONFIG_BYTES = 8 << 20
MAX_LAYERS = 1024
MAX_HEADER_BYTES = 100 << 20   # the safetensors format's own limit on its JSON header

MUSIC_TYPES = ("musicgen", "musicgen_melody")
# model_type -> what it is, for the types that are certainly of another kind than a setting needs.
OTHER_KINDS = {"musicgen": "a MusicGen music model", "musicgen_melody": "a MusicGen music model",
               "blip": "a BLIP captioning model", "clap": "a CLAP audio-text model", "encodec": "an audio codec",
               **{t: "a text-only model" for t in ("t5", "mt5", "umt5", "bart", "bert", "roberta", "gpt2", "llama",
                                                    "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi", "phi3",
                                                    "smollm3", "olmo", "opt", "gpt_neox")}}
NEEDED = {"caption": "an image captioning model (BLIP or a vision-language model)", "music": "a MusicGen model",
          "clap": "a CLAP model", "prompt": "an instruct language model"}
ACCEPTS = {"music": set(MUSIC_TYPES), "clap": {"clap"}}   # their backends load exactly these types
REFUSES = {"caption": set(OTHER_KINDS) - {"blip"}, "prompt": {"blip", "clap", "encodec", "t5", "mt5", "umt5", *MUSIC_TYPES}}
# The manifest setting that names a model of each kind.
SETTING_NAMES = {"caption": "caption.model", "music": "music.model", "clap": "music.ranker", "prompt": "prompt.model",
                 "encoder": "evaluate.audio_encoder", "genre": "evaluate.genre_model"}
SETTING_OF = {"musicgen": SETTING_NAMES["music"], "musicgen_melody": SETTING_NAMES["music"],
              "blip": SETTING_NAMES["caption"], "clap": SETTING_NAMES["clap"]}
# Files a tokenizer's vocabulary comes from; without one, transformers builds an empty tokenizer silently.
VOCABULARY = ("tokenizer.json", "vocab.json", "vocab.txt", "*.model", "*.tiktoken")
IMAGE_PROCESSOR = ("preprocessor_config.json", "processor_config.json")


def folder_problem(kind: str, folder: Path) -> str:
    """Why `folder` (config.json and safetensors weights present) cannot run as a model of `kind`, or ""."""
    data = _config(folder)
    if isinstance(data, str):
        return data
    return (config_problem(folder, data) or weights_problem(folder) or kind_problem(kind, folder, data)
            or companion_problem(kind, folder))


def config_problem(folder: Path, data: dict) -> str:
    """Why `folder`'s config.json (read as `data`) cannot describe a model ("" when it may): more layers than
    any real checkpoint has (see MAX_LAYERS)."""
    stack = [("", data)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            stack += [(str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            if key == "depths" and all(type(v) is int for v in value) and sum(value) > MAX_LAYERS:
                return f"{folder / 'config.json'} asks for {sum(value)} layers (depths), more than any real model has ({MAX_LAYERS})"
            stack += [(key, v) for v in value]
        elif "layers" in key and type(value) is int and value > MAX_LAYERS:
            return f"{folder / 'config.json'} asks for {value} layers ({key}), more than any real model has ({MAX_LAYERS})"
    return ""


def _config(folder: Path) -> dict | str:
    """config.json as a dict, or why it is not one: too big to be a config, or no JSON object."""
    config = folder / "config.json"
    try:
        size = config.stat().st_size
        if size > MAX_CONFIG_BYTES:
            return f"{config} is {size >> 20} MiB, too big to be a model config (at most {MAX_CONFIG_BYTES >> 20} MiB)"
        data = json.loads(config.read_bytes())
    except OSError as exc:
        return f"cannot read {config} ({exc.strerror or type(exc).__name__})"
    except (ValueError, RecursionError):
        return f"{config} is not valid JSON"
    return data if isinstance(data, dict) else f"{config} is not a JSON object"


def weights_problem(folder: Path) -> str:
    """Why the safetensors weights are not whole: a shard its index names is absent, a link whose file is gone,
    a file cut short (an interrupted copy or download) or one that is no safetensors file. Reads each file's
    header only."""
    index = sorted(folder.glob("*.safetensors.index.json"))
    if index:
        try:
            wanted = set(json.loads(index[0].read_bytes())["weight_map"].values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return f"{index[0]} is not a readable weights index"
        absent = sorted(name for name in wanted if not (folder / str(name)).is_file())
        if absent:
            return (f"{folder} lacks {absent[0]}{f' and {len(absent) - 1} more' if len(absent) > 1 else ''} of the "
                    f"{len(wanted)} weight files {index[0].name} names (an interrupted download or copy?)")
    for weights in sorted(folder.glob("*.safetensors")):
        problem = _safetensors_problem(weights)
        if problem:
            return problem
    return ""


def _safetensors_problem(path: Path) -> str:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            if size < 8 or length > min(size - 8, MAX_HEADER_BYTES):
                return f"{path} is not a safetensors file, or is cut short (an interrupted download or copy?)"
            header = json.loads(f.read(length))
    except FileNotFoundError:
        return f"{path} is missing (a link to a file that is gone?)"
    except OSError as exc:
        return f"cannot read {path} ({exc.strerror or type(exc).__name__})"
    except (ValueError, RecursionError):
        return f"{path} is not a safetensors file (its header is not JSON)"
    try:
        end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"), default=0)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return f"{path} is not a safetensors file (its header lists no tensors)"
    expected = 8 + length + end
    if size < expected:
        return (f"{path} is cut short: {size:,} bytes where its header describes {expected:,} (an interrupted "
                f"download or copy?)")
    if size > expected:
        return f"{path} is damaged: {size:,} bytes where its header describes {expected:,}"
    return ""


def kind_problem(kind: str, folder: Path, data: dict) -> str:
    """Why the model that config.json (read as `data`) describes is not of the kind the setting runs, or "".
    Music and CLAP models are of one family; for captions and prompts only the types certainly of another kind
    are refused (REFUSES), so an architecture not listed is left to loading."""
    if kind not in NEEDED:
        return ""
    model_type = str(data.get("model_type", ""))
    if not model_type or (model_type in ACCEPTS[kind] if kind in ACCEPTS else model_type not in REFUSES[kind]):
        return ""
    if kind == "caption" and any("vision" in key for key in data):
        return ""     # a text model with a vision tower is a vision-language model
    what = OTHER_KINDS.get(model_type, f"a '{model_type}' model")
    belongs = SETTING_OF.get(model_type)
    return (f"{folder} holds {what} (config.json model_type '{model_type}'), not {NEEDED[kind]}"
            + (f"; it belongs in {belongs}" if belongs and belongs != SETTING_NAMES[kind] else ""))


def companion_problem(kind: str, folder: Path) -> str:
    """The tokenizer (every kind that reads text) and the image processor (captioning) that loading needs."""
    if kind in ("caption", "music", "prompt", "clap") and not any(
            p.is_file() for pattern in VOCABULARY for p in folder.glob(pattern)):
        return (f"{folder} has no tokenizer ({', '.join(VOCABULARY[:3])} or a sentencepiece *.model): copy the "
                f"tokenizer files of the model it was fine-tuned from into it")
    if kind == "caption" and not any((folder / name).is_file() for name in IMAGE_PROCESSOR):
        return (f"{folder} has no image processor config ({' or '.join(IMAGE_PROCESSOR)}): copy it from the "
                f"model it was fine-tuned from")
    return ""

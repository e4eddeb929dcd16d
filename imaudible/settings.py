"""The one typed settings object that flows through every stage.

`gallery.yaml` is parsed into a `Gallery`. Every field below is an option of the manifest: its type
hint is what the validator in `manifest.py` checks, its `doc` metadata is the help text and the
description in the JSON Schema (`imaudible-site schema`). Adding a field here is all it takes to add
an option.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

from .types import WEB_AUDIO_FORMATS


# Ray's own address forms; anything else fails at the manifest, not after the build has started
RAY_ADDRESS_FORMS = "'auto', 'ray://host:port' or 'host:port'"
RAY_ADDRESS = r"^(auto|ray://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?|(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5})$"


# Declared once for every text option: generous for a curator's prose, a stop for a pasted file (the text is
# copied into every page).
MAX_TEXT_LENGTH = 100_000
# The conventional seed range: torch's manual_seed overflows at 2**64, numpy's legacy seeding at 2**32, and a
# JavaScript number holds it exactly.
MAX_SEED = 2**32 - 1
MAX_BEAMS = 32       # wider gains nothing; each beam holds its own copy of the decoder's state
MAX_GUIDANCE = 100   # far past any useful scale; much larger ones overflow the sampled probabilities
MAX_JOBS = 64              # the most workers --jobs takes, and the bound of its default (engine/executors.py)
WEB_ADDRESS = r"^(https?://\S+)?$"
WEB_ADDRESS_FORM = "an http:// or https:// address"


def opt(default, doc: str, **extra):
    """A manifest option: a dataclass field carrying its documentation and constraints: `minimum`/`maximum`
    (numbers), `pattern` + `expected` (text), `nonblank` (text that must hold more than whitespace),
    `max_length` (text, default MAX_TEXT_LENGTH), `min_items` + `empty` (lists; `empty` words the error),
    `unique` (lists whose values may appear only once), `address` (an http(s) address: "link" or "site",
    checked by `web_address.py`)."""
    meta = {"doc": doc, **extra}
    if default is ...:
        return field(metadata=meta)  # required
    if isinstance(default, (list, dict, set)) or dataclasses.is_dataclass(default):
        factory = default if callable(default) else (lambda d=default: d)
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


MAX_ID_LENGTH = 80         # an artwork id, which file names on the site carry with more after it
MAX_TEXTURE_EDGE = 16384   # WebGL's MAX_TEXTURE_SIZE on the largest GPUs; WebP itself stops at 16383


@dataclass(frozen=True)
class ImageSettings:
    max_pixels: int = opt(80_000_000, "Refuse images with more pixels than this (decompression-bomb guard); at most "
                          f"{MAX_TEXTURE_EDGE}² (the largest texture a GPU takes; decoding one takes ~0.8 GB).",
                          minimum=1, maximum=MAX_TEXTURE_EDGE ** 2)
    mat_colour: str = opt("#f3efe6", "Colour that transparent areas are flattened onto, as #rrggbb.",
                          pattern=r"^#[0-9a-fA-F]{6}$", expected="a colour as #rrggbb")
    sizes: tuple[int, ...] = opt((720, 1024, 2048), f"Long-edge pixel sizes of the textures (720 serves phones and the list view); a size the source cannot fill is skipped. At most {MAX_TEXTURE_EDGE}, the largest texture a GPU takes.", minimum=16, maximum=MAX_TEXTURE_EDGE, min_items=1, unique=True)
    thumbnail: int = opt(320, "Long-edge pixel size of the thumbnail.", minimum=16, maximum=MAX_TEXTURE_EDGE)
    quality: int = opt(82, "Quality of the derivatives (1-100): WebP up to 720 px, JPEG above.", minimum=1, maximum=100)


DEFAULT_CAPTION_INSTRUCTION = (
    "Look at this artwork. In one sentence, say what it shows and the emotion it evokes, and why "
    "(for example: it makes me feel calm because of the soft blue sky).")
DEFAULT_PROMPT_INSTRUCTION = (
    "You write prompts for a text-to-music model. From the description of an artwork, write one short music "
    "prompt: genre, instruments, tempo in bpm, key or mode, mood and production words, as a comma-separated "
    "list. Instrumental only: no vocals, no lyrics. Name no artists. Answer with the prompt only.")


@dataclass(frozen=True)
class CaptionSettings:
    model: str = opt("auto", "Captioning model: 'auto' (BLIP if its weights are present, else the built-in "
                     "describer), 'builtin', a Hugging Face model id, or a local model directory: BLIP or any "
                     "image-text-to-text model transformers supports natively (SmolVLM/Idefics3, Qwen2-VL, "
                     "LLaVA, PaliGemma, ...).", nonblank=True)
    revision: Optional[str] = opt(None, "Model revision (branch, tag or commit) on the Hub.")
    instruction: str = opt(DEFAULT_CAPTION_INSTRUCTION, "What a vision-language model is asked about each "
                           "image (BLIP takes no instruction). Part of the caption's cache key.")
    max_words: int = opt(40, "Longest caption a vision-language model may give, in words; longer ones are cut "
                         "at a sentence or fall back.", minimum=3)
    num_beams: int = opt(3, "Beam-search width for caption generation.", minimum=1, maximum=MAX_BEAMS)
    max_new_tokens: int = opt(30, "Longest caption, in tokens (vision-language models: at least 60).", minimum=1)
    batch_size: int = opt(8, "Images captioned per batch.", minimum=1)
    device: str = opt("auto", "'auto' (CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:1', 'mps'.", nonblank=True)


@dataclass(frozen=True)
class MusicSettings:
    model: str = opt("auto", "Music model: 'auto' (MusicGen if its weights are present, else the built-in "
                     "composer), 'builtin', a MusicGen model id such as facebook/musicgen-small, or a local directory.",
                     nonblank=True)
    backend: Literal["auto", "transformers", "audiocraft"] = opt(
        "auto", "Library that runs MusicGen: 'auto' (transformers, or Meta's audiocraft for a model folder that holds "
        "only audiocraft's checkpoint files, when audiocraft is installed), 'transformers' or 'audiocraft'.")
    revision: Optional[str] = opt(None, "Model revision (branch, tag or commit) on the Hub.")
    duration: float = opt(20.0, "Clip length in seconds. Over 30 s, MusicGen continues in windows.", minimum=1, maximum=600)
    seed: int = opt(0, "Random seed; the same seed, prompt and model give the same music.", minimum=0,
                    maximum=MAX_SEED)
    guidance_scale: float = opt(3.0, "Classifier-free guidance scale (MusicGen's default is 3; past about 10 the "
                                "music degrades, and a huge scale overflows the sampler).", minimum=0,
                                maximum=MAX_GUIDANCE)
    top_k: int = opt(250, "Top-k sampling.", minimum=0)
    temperature: float = opt(1.0, "Sampling temperature.", minimum=0.01)
    takes: int = opt(1, "Takes generated per artwork; the best one is kept.", minimum=1, maximum=16)
    ranker: str = opt("auto", "What chooses among takes: 'auto' (CLAP laion/clap-htsat-unfused if its weights are "
                      "present, else the least repetitive healthy take), 'none' (always the latter), a Hugging Face "
                      "model id, or a local CLAP directory (relative to the gallery folder).", nonblank=True)
    batch_size: int = opt(4, "Artworks generated together in one batch.", minimum=1)
    device: str = opt("auto", "'auto' (CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:1', 'mps'.", nonblank=True)


# Fields of MusicSettings that an artwork may override (the model and its runtime stay gallery-wide).
MUSIC_OVERRIDABLE = ("duration", "seed", "guidance_scale", "top_k", "temperature", "takes")


@dataclass(frozen=True)
class MusicOverrides:
    duration: Optional[float] = opt(None, "Clip length in seconds for this artwork.", minimum=1, maximum=600)
    seed: Optional[int] = opt(None, "Random seed for this artwork.", minimum=0, maximum=MAX_SEED)
    guidance_scale: Optional[float] = opt(None, "Classifier-free guidance scale for this artwork.", minimum=0,
                                          maximum=MAX_GUIDANCE)
    top_k: Optional[int] = opt(None, "Top-k sampling for this artwork.", minimum=0)
    temperature: Optional[float] = opt(None, "Sampling temperature for this artwork.", minimum=0.01)
    takes: Optional[int] = opt(None, "Takes generated for this artwork.", minimum=1, maximum=16)
    take: Optional[int] = opt(None, "Pin take K (1 = the first) of this artwork's takes instead of the ranked best "
                              "(`imaudible-site pick ARTWORK_ID K` writes it).", minimum=1, maximum=16)


@dataclass(frozen=True)
class AudioSettings:
    loudness: float = opt(-14.0, "Integrated loudness target in LUFS.", minimum=-40, maximum=-5)
    true_peak: float = opt(-1.0, "True-peak ceiling in dBTP.", minimum=-9, maximum=0)
    fade_in: float = opt(0.5, "Fade-in in seconds.", minimum=0)
    fade_out: float = opt(2.0, "Fade-out in seconds.", minimum=0)
    loop: bool = opt(False, "Make each clip loop seamlessly (crossfaded tail) instead of fading out.")
    opus_bitrate: int = opt(64, "Opus (WebM) bitrate in kbit/s.", minimum=6, maximum=510)
    aac_bitrate: int = opt(96, "AAC (.m4a) bitrate in kbit/s.", minimum=16, maximum=320)
    formats: tuple[Literal[WEB_AUDIO_FORMATS], ...] = opt(
        ("webm", "m4a"), "Web encodes to publish: 'webm' (Opus: Chrome, Edge, Firefox, Safari 17 and later) and "
        "'m4a' (AAC: also Safari 16 and older, which iPhones stuck at iOS 16 still run). Without 'm4a' the audio "
        "stage takes about 40% less CPU and the site carries half the audio bytes, but those visitors hear no "
        "music (they are told why).",
        min_items=1, unique=True)


@dataclass(frozen=True)
class PromptSettings:
    model: str = opt("builtin", "Who writes the music prompt: 'builtin' (a template of style, mood and caption), "
                     "or an instruct language model with a chat template (a Hugging Face id such as "
                     "HuggingFaceTB/SmolLM2-360M-Instruct or Qwen/Qwen2.5-0.5B-Instruct, or a local directory). "
                     "'auto' uses the default writer model when its weights are present, else the template.",
                     nonblank=True)
    revision: Optional[str] = opt(None, "Writer model revision (branch, tag or commit) on the Hub.")
    instruction: str = opt(DEFAULT_PROMPT_INSTRUCTION, "The writer model's system instruction.")
    max_words: int = opt(60, "Longest prompt, in words; a longer model answer falls back to the template.",
                         minimum=5, maximum=200)
    include_metadata: bool = opt(False, "Tell the writer model the artwork's title, artist and year.")
    max_new_tokens: int = opt(96, "Longest answer of the writer model, in tokens.", minimum=8)
    batch_size: int = opt(8, "Prompts written per batch.", minimum=1)
    seed: int = opt(0, "Seed of the writer model (it decodes greedily, so the seed only matters for models "
                    "whose generation config samples).", minimum=0, maximum=MAX_SEED)
    device: str = opt("auto", "'auto' (CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:1', 'mps'.", nonblank=True)
    remove_stopwords: bool = opt(False, "Drop English stop words (and 'look', 'looks', 'like') from the caption, "
                                 "as in the ImAudible thesis; negations, counts and words for what is seen "
                                 "('no', 'two', 'fire', 'empty') are kept.")
    include_mood: bool = opt(True, "Add the mood words and tempo/mode hints to the prompt.")


@dataclass(frozen=True)
class EvaluateSettings:
    clap_model: str = opt("auto", "CLAP model for prompt adherence, zero-shot mood and FAD: 'auto' "
                          "(laion/clap-htsat-unfused when its weights are present), a model id or a local directory.",
                          nonblank=True)
    audio_encoder: Optional[str] = opt(None, "A second embedding space for FAD: any Hugging Face audio encoder "
                                       "(model id or local directory).", nonblank=True)
    genre_model: Optional[str] = opt(None, "Audio-classification model for the genre-KL proxy (the thesis found "
                                     "it unreliable).", nonblank=True)


@dataclass(frozen=True)
class Room:
    title: str = opt(..., "Room name, shown at its door and on screen.", nonblank=True)
    artworks: tuple[str, ...] = opt(..., "Ids of the artworks hung in this room, in visiting order (more than 24: "
                                    "hung across adjoining rooms of this name).", min_items=1,
                                    empty="a room needs at least one artwork id")


# The most works one room holds: each room loads all its textures at once when the visitor enters it. A named
# room with more is hung across adjoining rooms of that name (site/layout.py).
MAX_PER_ROOM = 24


@dataclass(frozen=True)
class LayoutSettings:
    order: Literal["manifest", "mood"] = opt("manifest", "Hang artworks in manifest order, or by mood from calm to intense.")
    per_room: int = opt(6, "Artworks per room.", minimum=1, maximum=MAX_PER_ROOM)
    rooms: tuple[Room, ...] = opt((), "Named rooms, hung first; artworks in none of them follow in rooms of per_room.")


@dataclass(frozen=True)
class RunSettings:
    executor: Literal["auto", "threads", "processes", "ray"] = opt(
        "auto", "Where the stages run: threads of this process, a pool of worker processes, or Ray (a private "
        "local Ray, or the cluster named by `address`; needs the imaudible[ray] extra). `auto`: a command-line "
        "build with enough image and audio work (250 tasks, about 50 artworks) uses the pool, others threads.")
    address: Optional[str] = opt(None, "Ray cluster to join: 'auto' (the cluster this machine is part of), "
                                 "'ray://host:port' (Ray Client) or 'host:port' (the head node's GCS). Empty: a "
                                 "local Ray started for the build.", pattern=RAY_ADDRESS,
                                 expected=RAY_ADDRESS_FORMS)
    model_gpus: float = opt(1.0, "GPUs each model actor requests on a Ray cluster: 1 gives one copy of a model per "
                            "GPU, 0.5 two per GPU.", minimum=0.01, maximum=8)


@dataclass(frozen=True)
class MoodOverride:
    valence: Optional[float] = opt(None, "Valence 0 (negative) .. 1 (positive).", minimum=0, maximum=1)
    arousal: Optional[float] = opt(None, "Arousal 0 (calm) .. 1 (intense).", minimum=0, maximum=1)


@dataclass(frozen=True)
class Artwork:
    file: str = opt(..., "Image file, relative to the gallery folder.", check="file")
    title: str = opt(..., "Title shown on the plaque.", nonblank=True)
    artist: str = opt("", "Artist shown on the plaque.")
    year: str = opt("", "Year (free text, e.g. 'c. 1831').")
    id: str = opt("", "Stable id used in URLs and file names; derived from the file name when empty.", max_length=MAX_ID_LENGTH,
                  pattern=r"^[a-z0-9][a-z0-9-]*$", expected="lowercase letters, digits and hyphens")
    description: str = opt("", "Curator's text shown on the plaque.")
    caption: Optional[str] = opt(None, "Replaces the generated caption.")
    prompt: Optional[str] = opt(None, "Replaces the whole generated music prompt.")
    mood: MoodOverride = opt(MoodOverride, "Overrides the estimated mood.")
    music: MusicOverrides = opt(MusicOverrides, "Music settings for this artwork only.")
    size_cm: Optional[tuple[float, float]] = opt(None, "Real size [width, height] in centimetres.", minimum=1)
    credit: str = opt("", "Credit line shown with the work, e.g. 'Museum of Modern Art, New York. Public domain'.")
    license: str = opt("", "Licence of the image, e.g. 'Public domain' or 'CC BY-SA 4.0'.")
    source_url: str = opt("", "Where the image comes from (a web page), linked from the plaque.",
                          pattern=WEB_ADDRESS, expected=WEB_ADDRESS_FORM, address="link")

    def music_settings(self, base: MusicSettings) -> MusicSettings:
        changes = {k: getattr(self.music, k) for k in MUSIC_OVERRIDABLE if getattr(self.music, k) is not None}
        return dataclasses.replace(base, **changes) if changes else base  # frozen: no copy needed


@dataclass(frozen=True)
class Gallery:
    title: str = opt(..., "Gallery title.", nonblank=True)
    artworks: tuple[Artwork, ...] = opt(..., "The artworks, in hanging order.", min_items=1,
                                        empty="the gallery has no artworks; add images with `imaudible-site add FOLDER` "
                                              "or list them under `artworks:`")
    description: str = opt("", "Short description (page text and OpenGraph).")
    url: str = opt("", "Public URL of the folder the site is published at (for link previews, canonical links and "
                   "404.html), e.g. https://example.org/ or https://user.github.io/museum/.",
                   pattern=WEB_ADDRESS, expected=WEB_ADDRESS_FORM, address="site")
    style: str = opt("", "Text added to every music prompt, e.g. 'ambient, piano'.")
    caption: CaptionSettings = opt(CaptionSettings, "Image captioning.")
    music: MusicSettings = opt(MusicSettings, "Music generation.")
    audio: AudioSettings = opt(AudioSettings, "Audio finishing and encoding.")
    images: ImageSettings = opt(ImageSettings, "Image derivatives.")
    prompt: PromptSettings = opt(PromptSettings, "Prompt composition.")
    layout: LayoutSettings = opt(LayoutSettings, "Room layout.")
    run: RunSettings = opt(RunSettings, "Where the build runs (command-line options override it).")
    evaluate: EvaluateSettings = opt(EvaluateSettings, "`imaudible-site evaluate`: the models it may use.")
    report: Literal["private", "public"] = opt("private", "'public' copies the evaluation report into build/report/ "
                                               "and links it from the site; 'private' keeps it beside build/.")
    # Not manifest options: filled in by the loader.
    root: Path = field(default=Path("."), metadata={"internal": True})
    manifest_path: Path = field(default=Path("gallery.yaml"), metadata={"internal": True})

    def artwork_path(self, art: Artwork) -> Path:
        return self.root / art.file

"""Prompt writer and vision-language captions: batched generation against one artwork at a time.

    .venv/bin/python benchmarks/bench_prompt.py            # CPU: SmolLM2-135M writer, SmolVLM-256M captioner
    .venv/bin/python benchmarks/bench_prompt.py --quick    # 4 artworks (about 10 minutes on the busy 2-core box)
    .venv/bin/python benchmarks/bench_prompt.py --gpu      # the same on CUDA (fp16), more artworks

Both models have a real small architecture with random weights (none can be downloaded here), built from
configs, saved and loaded back by imaudible's own backends (`LlmPromptWriter`, `VlmCaptioner`): the writer
is a Llama with SmolLM2-135M's shape (576 wide, 30 layers, 49152-token vocabulary), the captioner an
Idefics3 with SmolVLM-256M's (a 768-wide, 12-layer SigLIP on 512 px images, 256 tokens per image at
scale factor 2, and SmolLM2-135M as its language model). Every answer is forced to the same length
(`min_new_tokens`, 60 tokens), so both ways do the same work; the baseline is the same backend with `batch_size: 1`, run in this process.

Measured on the shared 2-core development machine (--quick --threads 1, 4 artworks, load average ~15):
writer 110.9 s one by one, 42.7 s batched (2.6x); VLM captions 110.9 s vs 48.1 s (2.3x). `--gpu` numbers
are taken on a CUDA machine when one is lent.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CAPTIONS = ["a pale sea at dawn with small boats", "a stormy night over a village", "a woman in a colourful hat",
            "water lilies on a green pond", "a great wave over small boats", "an abstract explosion of colour",
            "a ship wrecked on dark rocks", "a figure screaming on a bridge"]


def build_models(root: Path, tokens: int):
    import torch

    from tests.models import tiny

    writer = tiny.build_instruct_lm(root / "writer", **tiny.SMOLLM2_135M)
    vlm = tiny.build_vlm(root / "vlm", image_size=512, patch=16, vision_width=768, vision_layers=12,
                         **tiny.SMOLLM2_135M)
    for folder in (writer, vlm):       # the same answer length either way
        from transformers import GenerationConfig

        config = GenerationConfig.from_pretrained(folder)
        config.update(min_new_tokens=tokens)
        config.save_pretrained(folder)
    torch.manual_seed(0)
    return writer, vlm


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", action="store_true", help="run on CUDA in fp16")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    parser.add_argument("--quick", action="store_true", help="fewer artworks (also BENCH_QUICK=1)")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from PIL import Image

    from imaudible.backends.hf_vlm_caption import MIN_NEW_TOKENS
    from imaudible.mood import estimate_mood
    from imaudible.prompt import PromptRequest

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.gpu and not torch.cuda.is_available():
        sys.exit("error: --gpu needs a CUDA GPU")
    device = "cuda" if args.gpu else "cpu"
    n = (16 if args.gpu else 4) if quick else (32 if args.gpu else 8)
    tokens = MIN_NEW_TOKENS         # a caption is never asked for fewer
    rng_images = [Image.effect_noise((512, 384), 40 + 10 * i).convert("RGB") for i in range(n)]
    moods = [estimate_mood(img) for img in rng_images]
    requests = [PromptRequest(CAPTIONS[i % len(CAPTIONS)], moods[i], "ambient") for i in range(n)]
    print(f"{n} artworks, {tokens} new tokens each, device {device}, torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        writer_dir, vlm_dir = build_models(root, tokens)
        rows = []
        for name, run in (("prompt writer (SmolLM2-135M shape)", lambda size: _write(writer_dir, root, size, requests,
                                                                                    tokens, device)),
                          ("VLM caption (SmolVLM-256M shape)", lambda size: _caption(vlm_dir, root, size, rng_images,
                                                                                   moods, tokens, device))):
            run(2)                                        # warm-up: load, first kernels
            single, _ = timed(lambda: run(1))
            batched, _ = timed(lambda: run(min(n, 8 if not args.gpu else 16)))
            rows.append((name, single, batched))
        for name, single, batched in rows:
            print(f"{name:38s} one by one {single:7.2f} s   batched {batched:7.2f} s   "
                  f"{single / batched:4.1f}x faster ({n / batched:5.2f} artworks/s)")
        if args.gpu:
            print(f"peak CUDA memory {torch.cuda.max_memory_allocated() / 2 ** 20:.0f} MiB")


def _write(folder, root, size, requests, tokens, device):
    from imaudible.backends.registry import load_backend
    from imaudible.models import resolve_model
    from imaudible.settings import PromptSettings

    s = PromptSettings(model=str(folder), batch_size=size, max_new_tokens=tokens, device=device)
    writer = _cached(("writer", device), lambda: load_backend("prompt", resolve_model("prompt",
        s, gallery_root=root, recorded={}), s))
    return writer.write(requests, s)


def _caption(folder, root, size, images, moods, tokens, device):
    from imaudible.backends.registry import load_backend
    from imaudible.models import resolve_caption_model
    from imaudible.settings import CaptionSettings

    s = CaptionSettings(model=str(folder), batch_size=size, num_beams=1, max_new_tokens=tokens, device=device)
    captioner = _cached(("vlm", device), lambda: load_backend("caption", resolve_caption_model(
        s, gallery_root=root, recorded={}), s))
    captioner.settings = s
    return captioner.caption(images, moods)


_MODELS: dict = {}


def _cached(key, make):
    """One loaded model per kind for the whole run, so only generation is timed."""
    if key not in _MODELS:
        _MODELS[key] = make()
    return _MODELS[key]


if __name__ == "__main__":
    main()

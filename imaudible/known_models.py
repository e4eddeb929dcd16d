"""Hub ids of models known to work, by kind: listed by `models list`, and what a likely typo is compared
with. Any other checkpoint of a supported architecture works too."""
from __future__ import annotations

KNOWN_MODEL_IDS = {
    "caption": ("Salesforce/blip-image-captioning-base", "Salesforce/blip-image-captioning-large",
                "HuggingFaceTB/SmolVLM-256M-Instruct", "HuggingFaceTB/SmolVLM-500M-Instruct",
                "Qwen/Qwen2-VL-2B-Instruct", "Qwen/Qwen2.5-VL-3B-Instruct", "llava-hf/llava-interleave-qwen-0.5b-hf",
                "google/paligemma2-3b-mix-224"),
    "prompt": ("HuggingFaceTB/SmolLM2-360M-Instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct",
               "Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"),
    "music": ("facebook/musicgen-small", "facebook/musicgen-medium", "facebook/musicgen-large",
              "facebook/musicgen-melody", "facebook/musicgen-stereo-small"),
}

#!/bin/sh
# Build a throwaway virtualenv in which audiocraft 1.3.0 imports beside torch 2.13, then run the
# audiocraft backend tests in it:   sh tests/models/audiocraft_venv.sh [VENV_DIR]   (about a minute)
#
# audiocraft pins torch==2.1.0, av==11.0.0 (no Python 3.11 wheel), torchaudio<2.1.2 and xformers<0.0.23,
# so it is installed without its pins (--no-deps) and its imports are satisfied by hand. PyPI's torchaudio
# wheels link CUDA libraries; with its compiled extension removed torchaudio imports as pure Python (its
# own "extension not found" path), which is all audiocraft's MusicGen code path needs.
set -eu
VENV=${1:-/tmp/imaudible-audiocraft-venv}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
python3 -m venv "$VENV"
PIP="$VENV/bin/pip"
"$PIP" install -q torch==2.13.0
"$PIP" install -q --no-deps audiocraft==1.3.0 torchaudio==2.11.0 xformers==0.0.35
"$PIP" install -q spacy librosa torchmetrics dora-search julius num2words av sentencepiece einops \
    omegaconf soundfile transformers huggingface_hub hydra-core flashy \
    numpy scipy click jinja2 pillow pyyaml scikit-learn imageio-ffmpeg pytest pytest-timeout
rm -f "$VENV"/lib/python3*/site-packages/torchaudio/lib/*.so
cd "$REPO"
PYTHONPATH="$REPO" "$VENV/bin/python" -m pytest tests/models/test_audiocraft.py -q -p no:cacheprovider

"""Tiny, randomly initialised BLIP, MusicGen, CLAP, vision-language (Idefics3/SmolVLM) and instruct (Llama)
models built offline from configs.

They have the real architectures (so the real loading and generation code runs on them) with widths small
enough to generate a few seconds of audio in well under a second on one CPU thread. Each builder writes a
directory with `config.json`, safetensors weights and the tokenizer/processor files, exactly the layout
`from_pretrained` reads from a downloaded checkpoint.
"""
from __future__ import annotations

import math
from pathlib import Path

CORPUS = [
    "a painting of a calm blue sea under a pale sky",
    "a portrait of a woman with a colourful hat",
    "a stormy night over a village with swirling stars",
    "ambient piano music, slow and gentle, minor key",
    "energetic orchestral music with drums and brass",
    "a garden with water lilies and green reflections",
    "dark tense strings, low drones, a slow pulse",
    "bright happy folk tune with guitar and flute",
    "an abstract composition of red yellow and black shapes",
    "a great wave breaking over small boats near a mountain",
]


def _words() -> list[str]:
    return sorted({w for line in CORPUS for w in line.replace(",", " ").split()})


def t5_tokenizer(vocab_size: int = 200):
    """A T5 tokenizer whose Unigram pieces are trained on CORPUS (MusicGen's text side)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    trainer_tok = Tokenizer(models.Unigram())
    trainer_tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=["<pad>", "</s>", "<unk>"],
                                      unk_token="<unk>", show_progress=False)
    trainer_tok.train_from_iterator(CORPUS, trainer=trainer)
    pieces = trainer_tok.get_vocab()  # piece -> id; scores come from the model JSON
    import json
    scores = json.loads(trainer_tok.to_str())["model"]["vocab"]
    assert len(scores) == len(pieces)
    return T5Tokenizer(vocab=[(p, float(s)) for p, s in scores], extra_ids=0)


def bert_tokenizer():
    """A WordPiece tokenizer over CORPUS's words, with BLIP's [DEC] start token."""
    from transformers import BertTokenizer

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
    vocab = {tok: i for i, tok in enumerate(special + _words())}
    tok = BertTokenizer(vocab=vocab)
    tok.add_special_tokens({"bos_token": "[DEC]"})
    return tok


def roberta_tokenizer():
    """A byte-level BPE tokenizer trained on CORPUS (CLAP's text side)."""
    import json

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import RobertaTokenizer

    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(CORPUS, trainer=trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return RobertaTokenizer(vocab=model["vocab"], merges=merges)


def musicgen_configs(*, text_width=32, text_layers=1, text_heads=4, text_vocab=200, width=32, layers=2, heads=2,
                     ffn=64, codec_width=8, codebook_size=64, codec_lstm_layers=1):
    """T5 + EnCodec (32 kHz, 50 frames/s like the real model) + decoder configs; defaults are tiny.
    The real musicgen-small: text 768 wide, 12 layers, 12 heads, vocab 32128; decoder 1024, 24 layers,
    16 heads, ffn 4096; EnCodec 64 filters, 2048 codes, 2 LSTM layers."""
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

    text = T5Config(vocab_size=text_vocab, d_model=text_width, d_kv=text_width // text_heads, d_ff=text_width * 4,
                    num_layers=text_layers, num_heads=text_heads,
                    relative_attention_num_buckets=32 if text_width >= 256 else 8)
    codec = EncodecConfig(sampling_rate=32000, audio_channels=1, upsampling_ratios=[8, 5, 4, 4],
                          num_filters=codec_width, hidden_size=128, codebook_size=codebook_size,
                          codebook_dim=128, num_lstm_layers=codec_lstm_layers,
                          # the bandwidth that gives exactly 4 codebooks (2.2 kbit/s for the real 2048-code books)
                          target_bandwidths=[4 * 50 * math.log2(codebook_size) / 1000],
                          use_causal_conv=False, use_conv_shortcut=False,
                          normalize=False)
    decoder = MusicgenDecoderConfig(vocab_size=codebook_size, hidden_size=width, num_hidden_layers=layers,
                                    num_attention_heads=heads, ffn_dim=ffn, num_codebooks=4,
                                    max_position_embeddings=4096, bos_token_id=codebook_size,
                                    pad_token_id=codebook_size, dropout=0.0)
    return MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=codec.to_dict(), decoder=decoder.to_dict())


def build_musicgen(out: Path, *, seed: int = 0, silent: bool = False, **config_kwargs) -> Path:
    """Save a MusicGen checkpoint (weights, generation config, T5 tokenizer, processor) into `out`; `silent`:
    one whose codec's last convolution is all zeros, like a broken fine-tune: every take is silence."""
    import torch
    from transformers import (EncodecFeatureExtractor, MusicgenForConditionalGeneration, MusicgenProcessor)

    torch.manual_seed(seed)
    config = musicgen_configs(**config_kwargs)
    model = MusicgenForConditionalGeneration(config).eval()
    _make_codec_audible(model.audio_encoder)
    if silent:
        with torch.no_grad():
            model.audio_encoder.decoder.layers[-1].conv.parametrizations.weight.original0.zero_()
    pad = config.decoder.pad_token_id
    gen = model.generation_config
    gen.decoder_start_token_id = pad
    gen.pad_token_id = pad
    gen.bos_token_id = pad
    gen.do_sample = True
    gen.guidance_scale = 3.0
    gen.top_k = 250
    gen.max_length = 1500
    model.save_pretrained(out, safe_serialization=True)
    extractor = EncodecFeatureExtractor(feature_size=1, sampling_rate=32000, padding_value=0.0)
    MusicgenProcessor(feature_extractor=extractor, tokenizer=t5_tokenizer()).save_pretrained(out)
    return Path(out)


def build_musicgen_melody(out: Path, *, seed: int = 0) -> Path:
    """Save a MusicGen-melody checkpoint (text prepended to the audio tokens instead of cross-attention).
    Only the tokenizer is saved: the melody feature extractor needs torchaudio, which the prompts never use."""
    import torch
    from transformers import MusicgenMelodyConfig, MusicgenMelodyForConditionalGeneration

    torch.manual_seed(seed)
    base = musicgen_configs()
    config = MusicgenMelodyConfig(text_encoder=base.text_encoder.to_dict(), audio_encoder=base.audio_encoder.to_dict(),
                                  decoder={**base.decoder.to_dict(), "model_type": "musicgen_melody_decoder"})
    model = MusicgenMelodyForConditionalGeneration(config).eval()
    _make_codec_audible(model.audio_encoder)
    pad = config.decoder.pad_token_id
    model.generation_config.update(decoder_start_token_id=pad, pad_token_id=pad, bos_token_id=pad)
    model.save_pretrained(out, safe_serialization=True)
    t5_tokenizer().save_pretrained(out)
    return Path(out)


def _make_codec_audible(codec) -> None:
    """A randomly initialised EnCodec decodes every code sequence to nearly the same DC offset: its codebooks
    start at zero and its last convolution sums positive activations. Random codebooks and a last convolution
    whose taps sum to zero for every input channel make the tiny model's audio depend on its tokens, without
    DC (std ~0.2, peaks < 1)."""
    import torch

    with torch.no_grad():
        for layer in codec.quantizer.layers:
            layer.codebook.embed.normal_(0.0, 3.0)
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
        last = codec.decoder.layers[-1].conv
        direction = last.parametrizations.weight.original1   # (out, in, kernel)
        direction.sub_(direction.mean(dim=-1, keepdim=True))    # each input channel high-passed: no DC out
        last.parametrizations.weight.original0.fill_(3.0)
        last.bias.zero_()


def build_blip(out: Path, *, seed: int = 0, image_size: int = 32) -> Path:
    """Save a BLIP captioning checkpoint with a PIL image processor into `out`."""
    import torch
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipProcessor
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    tokenizer = bert_tokenizer()
    torch.manual_seed(seed)
    vocab = len(tokenizer)
    text = dict(vocab_size=vocab, hidden_size=32, encoder_hidden_size=32, intermediate_size=64,
                num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=64,
                bos_token_id=tokenizer.convert_tokens_to_ids("[DEC]"), eos_token_id=tokenizer.sep_token_id,
                pad_token_id=tokenizer.pad_token_id, sep_token_id=tokenizer.sep_token_id)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                  image_size=image_size, patch_size=8, initializer_range=0.02)
    config = BlipConfig(text_config=text, vision_config=vision, projection_dim=32, image_text_hidden_size=32)
    model = BlipForConditionalGeneration(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    processor = BlipImageProcessorPil(size={"height": image_size, "width": image_size})
    BlipProcessor(image_processor=processor, tokenizer=tokenizer).save_pretrained(out)
    return Path(out)


def build_clap(out: Path, *, seed: int = 0) -> Path:
    """Save a tiny CLAP (HTSAT audio + RoBERTa text) checkpoint with its processor into `out`."""
    import torch
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor

    tokenizer = roberta_tokenizer()
    torch.manual_seed(seed)
    text = dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=80, projection_dim=16)
    audio = dict(patch_embeds_hidden_size=8, hidden_size=64, depths=[1, 1, 1, 1], num_attention_heads=[1, 1, 2, 2],
                 projection_dim=16, num_hidden_layers=4)
    config = ClapConfig(text_config=text, audio_config=audio, projection_dim=16)
    model = ClapModel(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    ClapProcessor(feature_extractor=ClapFeatureExtractor(), tokenizer=tokenizer).save_pretrained(out)
    return Path(out)


def audiocraft_configs(*, card: int = 64, dim: int = 16, window_s: float = 30) -> tuple[dict, dict]:
    """(compression, language model) configs for audiocraft's builders: a 32 kHz, 50 frames/s EnCodec with
    4 codebooks and a 2-layer LM conditioned by a lookup table (audiocraft's T5 would need downloaded weights)."""
    compression = {
        "compression_model": "encodec", "device": "cpu",
        "encodec": {"autoencoder": "seanet", "quantizer": "rvq", "sample_rate": 32000, "channels": 1,
                    "causal": False, "renormalize": False},
        "seanet": {"dimension": 32, "channels": 1, "causal": False, "n_filters": 4, "n_residual_layers": 1,
                   "ratios": [8, 5, 4, 4], "activation": "ELU", "activation_params": {"alpha": 1.0},
                   "norm": "weight_norm", "norm_params": {}, "kernel_size": 7, "residual_kernel_size": 3,
                   "last_kernel_size": 7, "dilation_base": 2, "pad_mode": "constant", "true_skip": True,
                   "compress": 2, "lstm": 0, "disable_norm_outer_blocks": 0, "encoder": {},
                   "decoder": {"trim_right_ratio": 1.0, "final_activation": None, "final_activation_params": None}},
        "rvq": {"n_q": 4, "q_dropout": False, "bins": card, "decay": 0.99, "kmeans_init": False,
                "kmeans_iters": 10, "threshold_ema_dead_code": 2, "orthogonal_reg_weight": 0.0,
                "orthogonal_reg_active_codes_only": False},
    }
    lm = {
        "lm_model": "transformer_lm", "device": "cpu", "dtype": "float32",
        "transformer_lm": {"n_q": 4, "card": card, "dim": dim, "num_heads": 2, "num_layers": 2, "hidden_scale": 2,
                           "causal": True, "norm_first": True, "bias_proj": False, "memory_efficient": False},
        "codebooks_pattern": {"modeling": "delay", "delay": {"delays": [0, 1, 2, 3], "flatten_first": 0,
                                                             "empty_initial": 0}},
        "classifier_free_guidance": {"training_dropout": 0.0, "inference_coef": 3.0},
        "attribute_dropout": {},
        "fuser": {"cross_attention_pos_emb": False, "cross_attention_pos_emb_scale": 1, "sum": [], "prepend": [],
                  "cross": ["description"], "input_interpolate": []},
        "conditioners": {"description": {"model": "lut", "lut": {"n_bins": 128, "dim": dim, "tokenizer": "noop"}}},
        "dataset": {"segment_duration": window_s},
    }
    return compression, lm


def build_audiocraft_musicgen(out: Path, *, seed: int = 0, window_s: float = 30) -> Path:
    """Save a tiny audiocraft MusicGen as audiocraft checkpoints (state_dict.bin + compression_state_dict.bin),
    built by audiocraft's own builders; `MusicGen.get_pretrained(out)` loads it back."""
    import torch
    from audiocraft.models import builders
    from omegaconf import OmegaConf

    torch.manual_seed(seed)
    compression_cfg, lm_cfg = audiocraft_configs(window_s=window_s)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for cfg, build, name in ((compression_cfg, builders.get_compression_model, "compression_state_dict.bin"),
                             (lm_cfg, builders.get_lm_model, "state_dict.bin")):
        model = build(OmegaConf.create(cfg))
        if name.startswith("compression"):
            with torch.no_grad():  # random codebooks, as in build_musicgen
                for layer in model.quantizer.vq.layers:
                    layer._codebook.embed.normal_(0.0, 3.0)
                    layer._codebook.inited.fill_(1.0)
        torch.save({"xp.cfg": OmegaConf.to_yaml(OmegaConf.create(cfg)), "best_state": model.state_dict()},
                   out / name)
    return out


# --- chat models: a vision-language captioner and an instruct prompt writer ------------------------------------

CHAT_SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<end_of_utterance>", "<image>", "<fake_token_around_image>",
                "<global-img>"]
# A SmolVLM-style template: "<|im_start|>User:<image>text<end_of_utterance>\n<|im_start|>Assistant:"
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] | capitalize }}:"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>{% else %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>Assistant:{% endif %}")


def chat_tokenizer(vocab_size: int = 600):
    """A byte-level BPE tokenizer trained on CORPUS, with chat and image special tokens and CHAT_TEMPLATE."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=CHAT_SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    from imaudible.settings import DEFAULT_CAPTION_INSTRUCTION, DEFAULT_PROMPT_INSTRUCTION

    bpe.train_from_iterator(CORPUS + [DEFAULT_CAPTION_INSTRUCTION, DEFAULT_PROMPT_INSTRUCTION] * 3, trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", unk_token="<unk>",
                                  bos_token="<|im_start|>", eos_token="<end_of_utterance>",
                                  extra_special_tokens=["<image>", "<fake_token_around_image>", "<global-img>"])
    tok.chat_template = CHAT_TEMPLATE
    return tok


def llama_text_config(tok, *, width=32, layers=2, heads=2, kv_heads=2, ffn=64, vocab=None) -> dict:
    """A Llama text config (tiny by default; SmolLM2-135M is width 576, 30 layers, 9 heads, 3 kv heads,
    ffn 1536, vocab 49152)."""
    return dict(model_type="llama", vocab_size=vocab or len(tok), hidden_size=width, intermediate_size=ffn,
                num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
                max_position_embeddings=2048, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                eos_token_id=tok.eos_token_id, tie_word_embeddings=True)


SMOLLM2_135M = dict(width=576, layers=30, heads=9, kv_heads=3, ffn=1536, vocab=49152)


def teach(model, processor, prompts: list[str], answer: str, *, images=None, steps: int = 40) -> None:
    """Fit a tiny model (a few dozen Adam steps) to answer `answer` after each of `prompts` (chat texts that
    end with the assistant's turn opened), so tests can see a model's good answer go through the real
    generate-decode-check path; untaught random weights write garbage, which tests use for the fallback."""
    import torch

    tok = getattr(processor, "tokenizer", processor)
    model.train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches = []
    for i, prompt in enumerate(prompts):
        extra = {"images": [[images[i]]]} if images is not None else {"add_special_tokens": False}
        full = processor(text=[prompt + answer + tok.eos_token], return_tensors="pt", **extra)
        head = processor(text=[prompt], return_tensors="pt", **extra)["input_ids"].shape[1]
        labels = full["input_ids"].clone()
        labels[:, :head] = -100
        batches.append((full, labels))
    for _ in range(steps):
        for inputs, labels in batches:
            loss = model(**inputs, labels=labels).loss
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
    model.eval()


def build_instruct_lm(out: Path, *, seed: int = 0, answer: str | None = None, prompts: tuple[str, ...] = (),
                      **size) -> Path:
    """Save a Llama causal LM with CHAT_TEMPLATE (an instruct model's layout) into `out`; with `answer`,
    taught to give it after `prompts` (see `teach`)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = chat_tokenizer()
    torch.manual_seed(seed)
    config = LlamaConfig(**{k: v for k, v in llama_text_config(tok, **size).items() if k != "model_type"})
    model = LlamaForCausalLM(config).eval()
    if answer is not None:
        teach(model, tok, list(prompts), answer)
    model.generation_config.update(pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, do_sample=False)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return Path(out)


def build_vlm(out: Path, *, seed: int = 0, image_size: int = 32, patch: int = 8, vision_width: int = 32,
              vision_layers: int = 1, answer: str | None = None, prompt: str = "", images=(), **text_size) -> Path:
    """Save an Idefics3 (SmolVLM's architecture) image-text-to-text model with a PIL image processor and
    CHAT_TEMPLATE into `out`; with `answer`, taught to give it for `images` asked `prompt` (see `teach`).
    SmolVLM-256M: vision 768 wide, 12 layers, 512 px in 16 px patches."""
    import torch
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3 import Idefics3ImageProcessorPil

    tok = chat_tokenizer()
    torch.manual_seed(seed)
    scale = 2
    vision = dict(hidden_size=vision_width, intermediate_size=2 * vision_width, num_hidden_layers=vision_layers,
                  num_attention_heads=2 if vision_width < 256 else 12, image_size=image_size, patch_size=patch)
    config = Idefics3Config(vision_config=vision, text_config=llama_text_config(tok, **text_size), scale_factor=scale,
                            image_token_id=tok.convert_tokens_to_ids("<image>"), pad_token_id=tok.pad_token_id)
    model = Idefics3ForConditionalGeneration(config).eval()
    image_processor = Idefics3ImageProcessorPil(do_image_splitting=False, size={"longest_edge": image_size},
                                                max_image_size={"longest_edge": image_size})
    tokens_per_image = (image_size // patch) ** 2 // scale ** 2
    processor = Idefics3Processor(image_processor=image_processor, tokenizer=tok, image_seq_len=tokens_per_image,
                                  chat_template=CHAT_TEMPLATE)
    if answer is not None:
        teach(model, processor, [prompt] * len(images), answer, images=list(images))
    model.generation_config.update(pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, do_sample=False)
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    return Path(out)


def _wav2vec2_config(**extra):
    from transformers import Wav2Vec2Config

    # real wav2vec2's 320x total stride (50 frames/s at 16 kHz) with tiny widths: a 10 s window is 500 frames
    return Wav2Vec2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                          conv_dim=(8, 8, 8, 8), conv_kernel=(10, 3, 3, 3), conv_stride=(5, 4, 4, 4),
                          num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, vocab_size=8,
                          do_stable_layer_norm=False, feat_extract_norm="group", **extra)


def _wav2vec2_extractor():
    from transformers import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                    return_attention_mask=True)


def build_audio_encoder(out: Path, *, seed: int = 0) -> Path:
    """Save a tiny Wav2Vec2 encoder with its feature extractor: any Hugging Face audio encoder for FAD."""
    import torch
    from transformers import Wav2Vec2Model

    torch.manual_seed(seed)
    Wav2Vec2Model(_wav2vec2_config()).eval().save_pretrained(out, safe_serialization=True)
    _wav2vec2_extractor().save_pretrained(out)
    return Path(out)


def build_genre_classifier(out: Path, genres: tuple[str, ...] = ("ambient", "classical", "jazz", "rock"), *,
                           seed: int = 0) -> Path:
    """Save a tiny Wav2Vec2 audio classifier whose labels are genres (the genre-KL proxy's model)."""
    import torch
    from transformers import Wav2Vec2ForSequenceClassification

    torch.manual_seed(seed)
    config = _wav2vec2_config(num_labels=len(genres), id2label=dict(enumerate(genres)),
                              label2id={g: i for i, g in enumerate(genres)}, classifier_proj_size=8)
    Wav2Vec2ForSequenceClassification(config).eval().save_pretrained(out, safe_serialization=True)
    _wav2vec2_extractor().save_pretrained(out)
    return Path(out)

"""Training configuration: one dataclass of plain values, and named presets.

Every field is a command-line flag of ``webcorpus train`` (``n_layer`` -> ``--n-layer``).
A preset fills in the model and batch sizes; explicit flags override it. This module
does not import torch, so the CLI can list presets and options without it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass
class TrainConfig:
    # --- data and output
    data: str = ""  # folder of llm.c-format shards NAME_train_*.bin / NAME_val_*.bin
    out: str = "runs/default"  # run folder: checkpoint.pt, config.json, metrics.jsonl
    vocab_size: int | None = None  # None: tokenizer card, else max token id + 1 of the data
    doc_aligned: bool = False  # every sequence starts at a separator token
    separator_token: int | None = None  # None: from the tokenizer card ("eot_token"/"bos_id"), else 0
    # --- model (GPT-2 by default; the switches move towards modded-nanogpt)
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    seq_len: int = 1024
    bias: bool = True
    dropout: float = 0.0
    rope: bool = False  # rotary position embedding instead of a learned position table
    rmsnorm: bool = False  # RMSNorm instead of LayerNorm
    qk_norm: bool = False  # RMS-normalise queries and keys per head
    relu2: bool = False  # ReLU squared instead of GELU in the MLP
    untied_head: bool = False  # separate output matrix instead of sharing the token embedding
    # --- batch: batch_size sequences per rank and micro-step; total_batch_tokens per optimiser step
    batch_size: int = 16
    total_batch_tokens: int | None = None  # None: batch_size * seq_len * world size (no accumulation)
    # --- optimiser and schedule
    steps: int = 1000
    lr: float = 6e-4
    min_lr_ratio: float = 0.1  # final learning rate = lr * min_lr_ratio
    warmup_steps: int = 100
    decay: str = "cosine"  # cosine | linear | constant | wsd (constant, then linear over cooldown_frac)
    cooldown_frac: float = 0.4  # wsd: the last fraction of the steps decays linearly to lr * min_lr_ratio
    optimizer: str = "adamw"  # adamw | muon (Muon on the blocks' matrices, AdamW on the rest)
    muon_lr: float = 0.02  # Muon's learning rate (the schedule scales it like lr)
    muon_momentum: float = 0.95
    embed_lr: float | None = None  # AdamW learning rate of the embeddings; None: lr (needs untied_head)
    weight_decay: float = 0.1  # AdamW, on matrices (dim >= 2) only
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # 0 disables clipping
    # --- evaluation, logging, checkpoints
    eval_every: int = 250
    eval_tokens: int = 1 << 20  # fixed validation tokens per evaluation (rounded down to whole batches)
    log_every: int = 1
    checkpoint_every: int = 1000  # 0: only at the end
    stop_at: int | None = None  # stop (with a checkpoint) after this step without changing the schedule
    target_val_loss: float | None = None  # stop (with a checkpoint) at the first evaluation at or below it
    # --- system
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    compile: bool = True  # torch.compile, used on CUDA only
    compile_mode: str = "default"  # default | reduce-overhead (CUDA graphs) | max-autotune | max-autotune-no-cudagraphs
    attention: str = "auto"  # SDPA backend: auto (cuDNN first on Hopper and newer) | cudnn | flash | efficient | math
    # tokens per chunk of the output layer's loss; 0: full logits at once; None: 8192 on CUDA, else 0
    # (on CPUs memory is rarely the limit and the unfused chunks cost time)
    loss_chunk: int | None = None
    seed: int = 1337
    resume: bool = False

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown trainer option(s): {', '.join(unknown)}")
        return cls(**values)


DECAYS = ("cosine", "linear", "constant", "wsd")
OPTIMIZERS = ("adamw", "muon")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
ATTENTION = ("auto", "cudnn", "flash", "efficient", "math")

_MODERN = dict(rope=True, rmsnorm=True, qk_norm=True, relu2=True, untied_head=True, bias=False)
_GPT2_124M = dict(n_layer=12, n_head=12, n_embd=768, seq_len=1024, batch_size=32, total_batch_tokens=524288)

#: modded-nanogpt's training recipe of its late-2024 records, on this model with the modern switches:
#: Muon on the blocks' matrices (lr 0.05, momentum 0.95), Adam (betas 0.8, 0.95, no weight decay) on
#: the embedding (lr 0.6), head and gains (lr 0.008), no warmup, constant then a linear cooldown to
#: zero over the last 40% of 3,200 steps, no clipping. Published settings, not tuned here; none of its
#: architecture changes (value embeddings, U-net skips, sliding windows, FP8 head) are included.
SPEEDRUN = dict(_GPT2_124M, **_MODERN, steps=3200, optimizer="muon", muon_lr=0.05, muon_momentum=0.95,
                lr=0.008, embed_lr=0.6, beta1=0.8, beta2=0.95, weight_decay=0.0, warmup_steps=0,
                decay="wsd", cooldown_frac=0.4, min_lr_ratio=0.0, grad_clip=0.0, eval_every=125,
                eval_tokens=10 * 524288, checkpoint_every=1000)

#: Named starting points. gpt2-124m follows nanoGPT/llm.c: 0.5M-token batches, 6e-4, 700 warmup steps.
PRESETS: dict[str, dict] = {
    "tiny": dict(n_layer=2, n_head=2, n_embd=64, seq_len=64, batch_size=8, steps=300, lr=3e-3,
                 warmup_steps=20, eval_every=50, eval_tokens=8192, checkpoint_every=100),
    "small": dict(n_layer=6, n_head=6, n_embd=384, seq_len=256, batch_size=32, steps=5000, lr=1e-3,
                  warmup_steps=200, eval_every=250, eval_tokens=1 << 18, checkpoint_every=1000),
    "gpt2-124m": dict(_GPT2_124M, steps=19073, lr=6e-4, warmup_steps=700,
                      eval_every=250, eval_tokens=10 * 524288, checkpoint_every=2000),
    "gpt2-124m-modern": dict(_GPT2_124M, steps=19073, lr=1.5e-3, warmup_steps=700,
                             eval_every=250, eval_tokens=10 * 524288, checkpoint_every=2000,
                             **_MODERN),
    "gpt2-124m-speedrun": SPEEDRUN,
    "gpt2-350m": dict(n_layer=24, n_head=16, n_embd=1024, seq_len=1024, batch_size=32,
                      total_batch_tokens=524288, steps=19073, lr=3e-4, warmup_steps=700,
                      eval_every=250, eval_tokens=10 * 524288, checkpoint_every=2000),
}


def make_config(preset: str | None = None, **overrides) -> TrainConfig:
    """A config from a preset (or the GPT-2 defaults) with the given fields overridden.

    ``None`` overrides are ignored, so unset command-line flags keep the preset's value.
    """
    values: dict = {}
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        values.update(PRESETS[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = TrainConfig.from_dict(values)
    check_config(config)
    return config


def check_config(config: TrainConfig) -> None:
    """Values that cannot work together, caught before any data or model is touched."""
    head_dim, rest = divmod(config.n_embd, config.n_head) if config.n_head > 0 else (0, 1)
    if rest or (config.rope and head_dim % 2):
        rule = "heads of even width (RoPE)" if not rest else "heads of equal width"
        raise ValueError(f"n_embd {config.n_embd} does not split into {config.n_head} {rule}")
    choices = {"decay": DECAYS, "optimizer": OPTIMIZERS, "compile_mode": COMPILE_MODES, "attention": ATTENTION}
    for field, valid in choices.items():
        if getattr(config, field) not in valid:
            raise ValueError(f"{field} must be one of {', '.join(valid)}, not {getattr(config, field)!r}")
    if not 0.0 <= config.cooldown_frac <= 1.0:
        raise ValueError(f"cooldown_frac must be between 0 and 1, not {config.cooldown_frac}")
    if config.embed_lr is not None and not config.untied_head:
        raise ValueError("embed_lr needs untied_head: a tied embedding is also the output layer")
    if config.loss_chunk is not None and config.loss_chunk < 0:
        raise ValueError(f"loss_chunk must be 0 (off) or a number of tokens, not {config.loss_chunk}")

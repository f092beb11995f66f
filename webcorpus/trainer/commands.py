"""``webcorpus train`` and ``webcorpus sample``.

Every field of :class:`TrainConfig` is a flag (``n_layer`` -> ``--n-layer``, booleans as
``--rope/--no-rope``); unset flags keep the preset's value. Importing this module does not
import torch: torch is the optional extra ``webcorpus[train]``, checked when a command runs.
"""
from __future__ import annotations

import dataclasses
import importlib.util

import click

from webcorpus.trainer.config import PRESETS, TrainConfig, make_config

INSTALL_HINT = "the trainer needs PyTorch: pip install 'webcorpus[train]'"

HELP = {
    "steps": "Optimiser steps in the whole run (sets the schedule).",
    "n_layer": "Transformer blocks.",
    "n_head": "Attention heads per block.",
    "n_embd": "Model width.",
    "seq_len": "Tokens per sequence (context length).",
    "batch_size": "Sequences per rank and micro-step.",
    "total_batch_tokens": "Tokens per optimiser step; accumulates micro-steps to reach it.",
    "lr": "Peak learning rate.",
    "min_lr_ratio": "Final learning rate as a fraction of --lr.",
    "warmup_steps": "Steps of linear warmup.",
    "weight_decay": "AdamW weight decay on matrices.",
    "grad_clip": "Clip the gradient norm to this (0: off).",
    "eval_every": "Evaluate validation loss every N steps (and at the end).",
    "eval_tokens": "Validation tokens per evaluation.",
    "log_every": "Write a metrics line every N steps.",
    "checkpoint_every": "Checkpoint every N steps (0: only at the end).",
    "stop_at": "Stop with a checkpoint after this step, keeping the schedule of --steps.",
    "target_val_loss": "Stop with a checkpoint at the first evaluation at or below this loss.",
    "decay": "Decay after warmup: cosine, linear, constant or wsd (constant, then a linear cooldown).",
    "cooldown_frac": "wsd: fraction of the steps at the end that decays linearly.",
    "optimizer": "adamw, or muon (Muon on the blocks' matrices, AdamW on the rest).",
    "muon_lr": "Muon's peak learning rate.",
    "muon_momentum": "Muon's Nesterov momentum.",
    "embed_lr": "AdamW learning rate of the embeddings (needs --untied-head; default: --lr).",
    "compile_mode": "torch.compile mode: default, reduce-overhead (CUDA graphs), max-autotune, max-autotune-no-cudagraphs.",
    "attention": "SDPA backend: auto (cuDNN first on Hopper+), cudnn, flash, efficient or math.",
    "loss_chunk": "Tokens per chunk of the output layer's loss (0: full logits at once; default: 8192 on CUDA, else 0).",
    "device": "auto, cpu, cuda, cuda:N or mps.",
    "vocab_size": "Vocabulary size (default: tokenizer card, else the data).",
    "doc_aligned": "Start every sequence at a separator token.",
    "separator_token": "Separator token id (default: tokenizer card, else 0).",
    "compile": "torch.compile the model (CUDA only).",
    "rope": "Rotary position embedding instead of learned positions.",
    "rmsnorm": "RMSNorm instead of LayerNorm.",
    "qk_norm": "Normalise queries and keys per head.",
    "relu2": "ReLU squared instead of GELU.",
    "untied_head": "Output matrix separate from the token embedding.",
}
_EXPLICIT = {"data", "out", "resume"}
_TYPES = {"int": int, "float": float, "str": str}


def _config_options(command):
    """Add one click option per TrainConfig field, all defaulting to None (= keep the preset)."""
    for f in reversed(dataclasses.fields(TrainConfig)):
        if f.name in _EXPLICIT:
            continue
        flag = f.name.replace("_", "-")
        help_text = HELP.get(f.name, "") + f" [default: {_preset_defaults(f.name, f.default)}]"
        base = f.type.split("|")[0].strip()
        if base == "bool":
            option = click.option(f"--{flag}/--no-{flag}", f.name, default=None, help=help_text)
        else:
            option = click.option(f"--{flag}", f.name, type=_TYPES[base], default=None, help=help_text)
        command = option(command)
    return command


def _preset_defaults(name: str, default) -> str:
    """The default of a field under each preset: "12; tiny: 2, small: 6" (the plain default is the GPT-2
    one, used without --preset); presets that keep the plain default are not listed."""
    differing = [f"{preset}: {values[name]}" for preset, values in PRESETS.items() if name in values and values[name] != default]
    return f"{default}; " + ", ".join(differing) if differing else str(default)


#: What a finished or started training run leaves in its --out folder.
RUN_FILES = ("checkpoint.pt", "metrics.jsonl", "config.json")


def _check_out(out: str, resume: bool, overwrite: bool) -> None:
    """An --out that holds a run is continued (--resume) or replaced (--overwrite), never silently overwritten."""
    import os
    from pathlib import Path

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return  # under torchrun a rank could see what another rank already wrote: no check there
    found = [name for name in RUN_FILES if (Path(out) / name).exists()]
    if not found:
        if resume:
            raise click.UsageError(f"--resume: {out} holds no run to continue (no {RUN_FILES[0]})")
        return
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite contradict each other: choose one")
    if overwrite:
        for name in found:
            (Path(out) / name).unlink()
        return
    if not resume:
        raise click.UsageError(
            f"--out {out} already holds a run ({', '.join(found)}): pass --resume to continue it, "
            f"--overwrite to replace it, or choose another --out"
        )


def _check_device(device: str | None) -> None:
    from webcorpus.trainer.device_check import device_problem

    problem = device_problem(device or "auto")
    if problem:
        raise click.BadParameter(problem, param_hint="--device")


def _require_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        raise click.ClickException(INSTALL_HINT)


@click.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="Folder of llm.c shards NAME_train_*.bin and NAME_val_*.bin.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Run folder: checkpoint.pt, config.json, metrics.jsonl.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Starting sizes and schedule; other flags override it.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
@click.option("--overwrite", is_flag=True, help="Replace the run already in OUT (its checkpoint, metrics, config).")
@_config_options
def train(data, out, preset, resume, overwrite, **overrides):
    """Train a GPT on token shards (on GPUs at speed: torchrun --nproc_per_node N -m webcorpus.trainer train ...)."""
    _require_torch()
    from webcorpus.trainer.data import ShardError
    from webcorpus.trainer.train import train as run_training

    try:
        config = make_config(preset, data=data, out=out, resume=resume or None, **overrides)
    except ValueError as error:  # flags that do not fit together: a usage error, exit code 2 as for `run`
        raise click.UsageError(str(error)) from error
    _check_device(config.device)
    _check_out(out, resume, overwrite)
    try:
        run_training(config)
    except (ShardError, FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from error


@click.command()
@click.option("--checkpoint", required=True, type=click.Path(exists=True),
              help="Run folder (or its checkpoint.pt).")
@click.option("--prompt", default="", help="Text to continue (token ids when the run has no tokenizer).")
@click.option("--max-new-tokens", default=100, show_default=True)
@click.option("--temperature", default=0.8, show_default=True, help="0 for greedy decoding.")
@click.option("--top-k", default=200, show_default=True, help="Sample among the k likeliest (0: all).")
@click.option("--num-samples", default=1, show_default=True)
@click.option("--seed", default=1337, show_default=True)
@click.option("--device", default="auto", show_default=True)
def sample(checkpoint, prompt, max_new_tokens, temperature, top_k, num_samples, seed, device):
    """Generate text from a trained checkpoint."""
    _require_torch()
    from webcorpus.trainer.sample import sample as run_sampling

    _check_device(device)
    try:
        texts = run_sampling(checkpoint, prompt, max_new_tokens, temperature, top_k or None,
                             num_samples, seed, device)
    except (FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    for i, text in enumerate(texts):
        if num_samples > 1:
            click.echo(f"--- sample {i + 1}")
        click.echo(text)

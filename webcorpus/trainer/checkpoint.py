"""The checkpoint: everything the next step depends on, so a resumed run ends where an uninterrupted one ends.

``checkpoint.pt`` (a ``torch.save`` dict): ``model``, ``optimizer``, ``step`` (optimiser steps
done), ``train_loader`` (its position), ``rng`` (every rank's Python, NumPy, torch and CUDA RNG
states), ``val_loss``, ``model_config`` and ``config``.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch
import torch.distributed as dist

from webcorpus.trainer.runtime import Runtime, rng_state, set_rng_state

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(out: Path, rt: Runtime, step: int, val_loss: float | None, model, optimizer,
                    train_loader, model_config, config: dict) -> None:
    """Every rank takes part (RNG states are gathered); rank 0 writes, by rename, never half a file."""
    rngs = [None] * rt.world_size
    if rt.distributed:
        dist.all_gather_object(rngs, rng_state())
    else:
        rngs = [rng_state()]
    if rt.master:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                 "train_loader": train_loader.state_dict(), "rng": rngs, "val_loss": val_loss,
                 "model_config": dataclasses.asdict(model_config), "config": config}
        tmp = out / f"{CHECKPOINT}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, out / CHECKPOINT)


def load_checkpoint(out: Path, rt: Runtime, model, optimizer, train_loader, model_config,
                    optimizer_kind: str = "adamw") -> int:
    """Restore model, optimiser, loader position and this rank's RNG state; return the step."""
    path = out / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint at {path}")
    # our own file; loaded on the CPU because RNG states must stay CPU tensors (the model and
    # optimiser state are copied to the device by load_state_dict)
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if ckpt["model_config"] != dataclasses.asdict(model_config):
        raise ValueError(f"{path} was trained with model {ckpt['model_config']}, "
                         f"not {dataclasses.asdict(model_config)}")
    saved_kind = ckpt.get("config", {}).get("optimizer", "adamw")  # checkpoints before Muon: AdamW
    if saved_kind != optimizer_kind:
        raise ValueError(f"{path} was trained with --optimizer {saved_kind}, not {optimizer_kind}")
    model.load_state_dict(ckpt["model"])
    initial_lrs = [group["initial_lr"] for group in optimizer.param_groups]
    optimizer.load_state_dict(ckpt["optimizer"])
    for group, initial_lr in zip(optimizer.param_groups, initial_lrs):
        group["initial_lr"] = initial_lr  # this run's learning rates (checkpoints before Muon lack them)
    train_loader.load_state_dict(ckpt["train_loader"])
    if len(ckpt["rng"]) == rt.world_size:
        set_rng_state(ckpt["rng"][rt.rank])
    return ckpt["step"]

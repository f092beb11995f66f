"""The training loop, read top to bottom: setup, data, model, resume, then steps.

Runs the same on one CPU, one GPU, or many processes under ``torchrun`` (NCCL on GPUs,
gloo on CPUs). On CUDA: bf16 autocast, TF32 matmuls, fused AdamW (or Muon), ``torch.compile``,
the fastest SDPA attention backend, the output layer's loss in chunks (no full float32 logits),
batches prefetched on a side stream, no host sync inside a step (the step's numbers are read
one step later) and step times from CUDA events; elsewhere plain float32. A checkpoint holds
everything the next step depends on, so a run that is stopped and resumed ends exactly where
an uninterrupted run ends.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from webcorpus.trainer.batches import DeviceBatches
from webcorpus.trainer.checkpoint import CHECKPOINT, load_checkpoint, save_checkpoint
from webcorpus.trainer.config import TrainConfig, check_config
from webcorpus.trainer.data import TokenLoader, find_shards, separator_of, vocab_size_of
from webcorpus.trainer.devices import cuda_peak_flops, peak_flops
from webcorpus.trainer.metrics import MetricsLog, PendingStep, StepTimer
from webcorpus.trainer.model import GPT, GPTConfig
from webcorpus.trainer.optim import make_optimizer
from webcorpus.trainer.runtime import (Runtime, attention_backends, autocast_for, compile_model,
                                       mean_over_ranks, seed_everything, setup_runtime)

__all__ = ["train", "lr_at", "lr_factor", "peak_flops", "CHECKPOINT", "METRICS"]

METRICS = "metrics.jsonl"
#: tokens per chunk of the output layer's loss on CUDA: 8192 x 50,304 float32 logits = 1.6 GB at a time
DEFAULT_LOSS_CHUNK = 8192


def lr_factor(it: int, cfg: TrainConfig) -> float:
    """Multiplier of every learning rate at update ``it`` (0-based): linear warmup, then
    cosine / linear decay to ``min_lr_ratio``, constant, or ``wsd`` (constant, then a linear
    cooldown over the last ``cooldown_frac`` of the steps)."""
    if it < cfg.warmup_steps:
        return (it + 1) / cfg.warmup_steps
    if cfg.decay == "constant":
        return 1.0
    if cfg.decay == "wsd":
        cooldown = cfg.cooldown_frac * cfg.steps
        coeff = min(1.0, (cfg.steps - it) / cooldown) if cooldown > 0 else 1.0
    else:
        progress = min((it - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps), 1.0)
        coeff = 0.5 * (1.0 + math.cos(math.pi * progress)) if cfg.decay == "cosine" else 1.0 - progress
    return cfg.min_lr_ratio + coeff * (1.0 - cfg.min_lr_ratio)


def lr_at(it: int, cfg: TrainConfig) -> float:
    """Learning rate (``--lr`` scaled by the schedule) of update ``it`` (0-based)."""
    return cfg.lr * lr_factor(it, cfg)


@dataclass
class Data:
    """The loaders and the batch arithmetic of a run."""

    train: TokenLoader
    val: TokenLoader
    vocab_size: int
    eval_batches: int  # validation micro-batches per rank and evaluation
    accum_steps: int  # micro-steps per optimiser step
    tokens_per_step: int  # all ranks together


def open_data(cfg: TrainConfig, rt: Runtime) -> Data:
    """Every rank reads its own chunks of the train shards; the validation set is fixed."""
    B, T = cfg.batch_size, cfg.seq_len
    vocab_size = cfg.vocab_size or vocab_size_of(cfg.data)
    separator = None
    if cfg.doc_aligned:
        separator = cfg.separator_token if cfg.separator_token is not None else separator_of(cfg.data)
    train_loader = TokenLoader(find_shards(cfg.data, "train"), B, T, rt.rank, rt.world_size, separator)
    val_loader = TokenLoader(find_shards(cfg.data, "val"), B, T, rt.rank, rt.world_size)
    eval_batches = max(1, min(cfg.eval_tokens // (B * T), val_loader.total_chunks) // rt.world_size)
    tokens_per_micro_step = B * T * rt.world_size
    tokens_per_step = cfg.total_batch_tokens or tokens_per_micro_step
    if tokens_per_step % tokens_per_micro_step:
        raise ValueError(f"total_batch_tokens {tokens_per_step} is not a multiple of "
                         f"batch_size * seq_len * world_size = {tokens_per_micro_step}")
    return Data(train_loader, val_loader, vocab_size, eval_batches,
                tokens_per_step // tokens_per_micro_step, tokens_per_step)


def model_config_of(cfg: TrainConfig, vocab_size: int) -> GPTConfig:
    """The model ``cfg`` describes: every GPTConfig field but ``vocab_size`` is a TrainConfig field of the same name."""
    shape = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(GPTConfig) if f.name != "vocab_size"}
    return GPTConfig(vocab_size=vocab_size, **shape)


def set_learning_rates(optimizer, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor


def train_step(step_model, model: GPT, optimizer, batches: DeviceBatches, accum_steps: int,
               grad_clip: float, rt: Runtime, autocast, cudagraphs: bool):
    """One optimiser step over ``accum_steps`` micro-batches; returns (mean loss, gradient norm)
    as device tensors, so nothing here waits for the GPU."""
    loss_sum = torch.zeros((), device=rt.device)
    for micro, (x, y) in enumerate(batches.take(accum_steps)):
        if rt.distributed:  # all-reduce gradients only on the last micro-step
            step_model.require_backward_grad_sync = micro == accum_steps - 1
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()
        with autocast:
            _, loss = step_model(x, y)
        loss = loss / accum_steps
        loss_sum += loss.detach()
        loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip if grad_clip > 0 else math.inf)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return mean_over_ranks(loss_sum, rt), grad_norm


@torch.no_grad()
def evaluate(model: GPT, eval_model, batches: DeviceBatches, n_batches: int, rt: Runtime, autocast,
             cudagraphs: bool) -> float:
    """Mean loss over the first ``n_batches`` validation batches of every rank."""
    model.eval()
    batches.loader.reset()
    total = torch.zeros((), device=rt.device)
    for x, y in batches.take(n_batches):
        if cudagraphs:
            torch.compiler.cudagraph_mark_step_begin()
        with autocast:
            _, loss = eval_model(x, y)
        total += loss.float()
    model.train()
    return mean_over_ranks(total / n_batches, rt).item()


def write_run_config(out: Path, cfg: TrainConfig, data: Data, rt: Runtime, model: GPT) -> None:
    record = dict(cfg.to_dict(), data=os.path.abspath(cfg.data), vocab_size=data.vocab_size,
                  world_size=rt.world_size, accum_steps=data.accum_steps, parameters=model.num_params())
    (out / "config.json").write_text(json.dumps(record, indent=2) + "\n")


def train(cfg: TrainConfig) -> dict:
    """Train as ``cfg`` says; return the last step's train and validation loss."""
    check_config(cfg)
    rt = setup_runtime(cfg.device)
    out = Path(cfg.out)
    if rt.master:
        out.mkdir(parents=True, exist_ok=True)
    data = open_data(cfg, rt)

    # --- model and optimiser (same initial weights on every rank; DDP also broadcasts them)
    torch.manual_seed(cfg.seed)
    model_config = model_config_of(cfg, data.vocab_size)
    model = GPT(model_config).to(rt.device)
    model.loss_chunk = cfg.loss_chunk if cfg.loss_chunk is not None else (DEFAULT_LOSS_CHUNK if rt.cuda else 0)
    optimizer = make_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay, (cfg.beta1, cfg.beta2),
                               rt.device.type, cfg.muon_lr, cfg.muon_momentum, cfg.embed_lr)
    seed_everything(cfg.seed + rt.rank)  # dropout differs between ranks
    start_step = 0
    if cfg.resume:
        start_step = load_checkpoint(out, rt, model, optimizer, data.train, model_config, cfg.optimizer)

    # --- how it runs on this device
    compiled = compile_model(model, cfg.compile, cfg.compile_mode, rt)
    step_model = DDP(compiled, device_ids=[rt.local_rank] if rt.cuda else None) if rt.distributed else compiled
    cudagraphs = rt.cuda and cfg.compile and cfg.compile_mode == "reduce-overhead"
    autocast = autocast_for(rt)
    train_batches, val_batches = DeviceBatches(data.train, rt.device), DeviceBatches(data.val, rt.device)
    device_peak = cuda_peak_flops(rt.device) if rt.cuda else None  # None: no MFU (CPU, unknown GPU)
    peak = device_peak * rt.world_size if device_peak else None
    flops_per_token = model.flops_per_token()

    # --- logging: metrics.jsonl (lines past the resumed step are dropped) and the console
    metrics = MetricsLog(out / METRICS, cfg.steps, rt.master, start_step if cfg.resume else None)
    if rt.master:
        write_run_config(out, cfg, data, rt, model)
        precision = "bf16" if isinstance(autocast, torch.autocast) else "fp32"
        print(f"model {model.num_params() / 1e6:.2f}M parameters, vocab {data.vocab_size} "
              f"(padded {model_config.padded_vocab_size}) | {rt.world_size} rank(s) on {rt.device.type}, "
              f"{precision} | {data.tokens_per_step:,} tokens/step = {cfg.batch_size} x {cfg.seq_len} x "
              f"{rt.world_size} rank(s) x {data.accum_steps} accumulation step(s) | {cfg.optimizer}")

    validation_loss = functools.partial(evaluate, model, compiled, val_batches, data.eval_batches, rt,
                                        autocast, cudagraphs)

    # --- the loop: one optimiser step per iteration; a logged step is written after the next is queued
    record: dict = {}
    with attention_backends(cfg.attention, rt):
        if start_step == 0:
            metrics.write({"step": 0, "tokens": 0, "val_loss": validation_loss()})
        elif rt.master:
            print(f"resumed at step {start_step}" + (" (nothing left to do)" if start_step >= cfg.steps else ""))
        waiting: PendingStep | None = None
        for step in range(start_step + 1, cfg.steps + 1):
            factor = lr_factor(step - 1, cfg)
            set_learning_rates(optimizer, factor)
            timer = StepTimer(rt.device)
            timer.start()
            loss, grad_norm = train_step(step_model, model, optimizer, train_batches, data.accum_steps,
                                         cfg.grad_clip, rt, autocast, cudagraphs)
            done = PendingStep(step, data.tokens_per_step, cfg.lr * factor, loss, grad_norm, timer.stop())
            if waiting is not None:  # the previous step is finished by now: reading it costs no stall
                metrics.write(waiting.resolve(flops_per_token, peak))
                waiting = None
            last = step == cfg.steps
            stopping = cfg.stop_at is not None and step >= cfg.stop_at
            evaluating = step % cfg.eval_every == 0 or last
            saving = (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or last or stopping
            if evaluating or saving:
                record = done.resolve(flops_per_token, peak)
                if evaluating:
                    record["val_loss"] = validation_loss()
                    if cfg.target_val_loss is not None and record["val_loss"] <= cfg.target_val_loss:
                        stopping = saving = True  # the target is reached: stop, with a checkpoint
                if step % cfg.log_every == 0 or evaluating or stopping:
                    metrics.write(record)
                if saving:
                    save_checkpoint(out, rt, step, record.get("val_loss"), model, optimizer, data.train,
                                    model_config, cfg.to_dict())
            elif step % cfg.log_every == 0:
                waiting = done
            if stopping:
                break  # (the last step is always resolved above, so nothing is left waiting)

    if rt.distributed:
        # Every rank leaves together, and DDP's hold on the group goes first: a rank that destroyed its gloo
        # group while another still had work queued could leave that one waiting at exit (seen in a test).
        torch.distributed.barrier()
        del step_model
        torch.distributed.destroy_process_group()
    return {"step": record.get("step", start_step), "train_loss": record.get("train_loss"),
            "val_loss": record.get("val_loss"), "out": str(out)}

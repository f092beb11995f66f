"""The training loop, read top to bottom: setup, data, model, resume, then steps.

Runs the same on one CPU, one GPU, or many processes under ``torchrun`` (NCCL on GPUs,
gloo on CPUs). On CUDA it uses bf16 autocast, TF32 matmuls, fused AdamW and ``torch.compile``;
elsewhere plain float32. A checkpoint holds everything the next step depends on (model,
optimiser, step, loader position, every rank's RNG state), so a run that is stopped and
resumed ends exactly where an uninterrupted run ends.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from webcorpus.trainer.config import TrainConfig
from webcorpus.trainer.data import TokenLoader, find_shards, separator_of, vocab_size_of
from webcorpus.trainer.model import GPT, GPTConfig

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.jsonl"

#: Dense bf16 tensor-core peak FLOP/s by device-name fragment; the longest matching fragment wins.
PEAK_BF16_FLOPS = {
    "A100": 312e12,
    "A10G": 70e12,
    "L4": 121e12,
    "L40S": 362e12,
    "H100": 989e12,  # SXM; the PCIe card is listed below
    "H100 PCIe": 756e12,
    "H100 NVL": 835e12,
    "H200": 989e12,
    "GH200": 989e12,
    "B200": 2250e12,
}


def peak_flops(device_name: str) -> float | None:
    matches = [k for k in PEAK_BF16_FLOPS if k in device_name]
    return PEAK_BF16_FLOPS[max(matches, key=len)] if matches else None


def lr_at(it: int, cfg: TrainConfig) -> float:
    """Learning rate of update ``it`` (0-based): linear warmup, then cosine/linear decay to lr*min_lr_ratio."""
    if it < cfg.warmup_steps:
        return cfg.lr * (it + 1) / cfg.warmup_steps
    if cfg.decay == "constant":
        return cfg.lr
    progress = min((it - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps), 1.0)
    coeff = 0.5 * (1.0 + math.cos(math.pi * progress)) if cfg.decay == "cosine" else 1.0 - progress
    min_lr = cfg.lr * cfg.min_lr_ratio
    return min_lr + coeff * (cfg.lr - min_lr)


@dataclass
class Runtime:
    rank: int
    local_rank: int
    world_size: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def master(self) -> bool:
        return self.rank == 0


def setup_runtime(device: str) -> Runtime:
    """Pick the device; under torchrun, join the process group (NCCL on CUDA, gloo otherwise)."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    rank, local_rank, world = (int(os.environ.get(k, d)) for k, d in
                               (("RANK", 0), ("LOCAL_RANK", 0), ("WORLD_SIZE", 1)))
    dev = torch.device(device)
    if dev.type == "cuda":
        if world > 1 or dev.index is None:
            dev = torch.device("cuda", local_rank if world > 1 else 0)
        torch.cuda.set_device(dev)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return Runtime(rank, local_rank, world, dev)


def rng_state() -> dict:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def train(cfg: TrainConfig) -> dict:
    """Train as ``cfg`` says; return the last step's train and validation loss."""
    if cfg.decay not in ("cosine", "linear", "constant"):
        raise ValueError(f"decay must be cosine, linear or constant, not {cfg.decay!r}")
    rt = setup_runtime(cfg.device)
    out = Path(cfg.out)
    if rt.master:
        out.mkdir(parents=True, exist_ok=True)

    # --- data: every rank reads its own chunks; the validation set is fixed
    B, T = cfg.batch_size, cfg.seq_len
    vocab_size = cfg.vocab_size or vocab_size_of(cfg.data)
    separator = None
    if cfg.doc_aligned:
        separator = cfg.separator_token if cfg.separator_token is not None else separator_of(cfg.data)
    train_loader = TokenLoader(find_shards(cfg.data, "train"), B, T, rt.rank, rt.world_size, separator)
    val_loader = TokenLoader(find_shards(cfg.data, "val"), B, T, rt.rank, rt.world_size)
    eval_batches = max(1, min(cfg.eval_tokens // (B * T), val_loader.total_chunks) // rt.world_size)
    tokens_per_micro_step = B * T * rt.world_size
    total_batch_tokens = cfg.total_batch_tokens or tokens_per_micro_step
    if total_batch_tokens % tokens_per_micro_step:
        raise ValueError(f"total_batch_tokens {total_batch_tokens} is not a multiple of "
                         f"batch_size * seq_len * world_size = {tokens_per_micro_step}")
    accum_steps = total_batch_tokens // tokens_per_micro_step

    # --- model and optimiser (same initial weights on every rank; DDP also broadcasts them)
    torch.manual_seed(cfg.seed)
    model_config = GPTConfig(vocab_size=vocab_size, seq_len=T, n_layer=cfg.n_layer, n_head=cfg.n_head,
                             n_embd=cfg.n_embd, bias=cfg.bias, dropout=cfg.dropout, rope=cfg.rope,
                             rmsnorm=cfg.rmsnorm, qk_norm=cfg.qk_norm, relu2=cfg.relu2,
                             untied_head=cfg.untied_head)
    model = GPT(model_config).to(rt.device)
    optimizer = model.make_optimizer(cfg.lr, cfg.weight_decay, (cfg.beta1, cfg.beta2), rt.device.type)
    random.seed(cfg.seed + rt.rank)
    np.random.seed(cfg.seed + rt.rank)
    torch.manual_seed(cfg.seed + rt.rank)  # dropout differs between ranks

    # --- resume: everything the next step depends on
    start_step = 0
    if cfg.resume:
        path = out / CHECKPOINT
        if not path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {path}")
        # our own file; loaded on the CPU because RNG states must stay CPU tensors (the model and
        # optimiser state are copied to the device by load_state_dict)
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        if ckpt["model_config"] != dataclasses.asdict(model_config):
            raise ValueError(f"{path} was trained with model {ckpt['model_config']}, "
                             f"not {dataclasses.asdict(model_config)}")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        train_loader.load_state_dict(ckpt["train_loader"])
        start_step = ckpt["step"]
        if len(ckpt["rng"]) == rt.world_size:
            set_rng_state(ckpt["rng"][rt.rank])
        del ckpt

    on_cuda = rt.device.type == "cuda"
    compiled = torch.compile(model) if on_cuda and cfg.compile else model
    train_model = DDP(compiled, device_ids=[rt.local_rank] if on_cuda else None) if rt.distributed else compiled
    bf16 = on_cuda and torch.cuda.is_bf16_supported()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    peak = peak_flops(torch.cuda.get_device_name(rt.device)) if on_cuda else None
    flops_per_token = model.flops_per_token()

    def to_device(batch):
        if on_cuda:
            return tuple(t.pin_memory().to(rt.device, non_blocking=True) for t in batch)
        return batch

    def mean_over_ranks(value: torch.Tensor) -> float:
        if rt.distributed:
            dist.all_reduce(value, op=dist.ReduceOp.SUM)  # gloo has no AVG
            value = value / rt.world_size
        return value.item()

    @torch.no_grad()
    def evaluate() -> float:
        model.eval()
        val_loader.reset()
        total = torch.zeros((), device=rt.device)
        for _ in range(eval_batches):
            x, y = to_device(val_loader.next_batch())
            with autocast:
                _, loss = compiled(x, y)
            total += loss.float()
        model.train()
        return mean_over_ranks(total / max(eval_batches, 1))

    def save_checkpoint(step: int, val_loss: float | None) -> None:
        rngs = [None] * rt.world_size
        if rt.distributed:
            dist.all_gather_object(rngs, rng_state())
        else:
            rngs = [rng_state()]
        if rt.master:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                     "train_loader": train_loader.state_dict(), "rng": rngs, "val_loss": val_loss,
                     "model_config": dataclasses.asdict(model_config), "config": cfg.to_dict()}
            tmp = out / f"{CHECKPOINT}.tmp"
            torch.save(state, tmp)
            os.replace(tmp, out / CHECKPOINT)  # never a half-written checkpoint

    # --- logging: metrics.jsonl (lines past the resumed step are dropped) and the console
    metrics_path = out / METRICS
    if rt.master:
        kept = []
        if cfg.resume and metrics_path.is_file():
            kept = [line for line in metrics_path.read_text().splitlines()
                    if line.strip() and json.loads(line)["step"] <= start_step]
        metrics_path.write_text("".join(line + "\n" for line in kept))
        config_record = dict(cfg.to_dict(), data=os.path.abspath(cfg.data), vocab_size=vocab_size,
                             world_size=rt.world_size, accum_steps=accum_steps,
                             parameters=model.num_params())
        (out / "config.json").write_text(json.dumps(config_record, indent=2) + "\n")
        print(f"model {model.num_params() / 1e6:.2f}M parameters, vocab {vocab_size} "
              f"(padded {model_config.padded_vocab_size}) | {rt.world_size} rank(s) on {rt.device.type}, "
              f"{'bf16' if bf16 else 'fp32'} | {total_batch_tokens:,} tokens/step = "
              f"{B} x {T} x {rt.world_size} rank(s) x {accum_steps} accumulation step(s)")

    def log(record: dict) -> None:
        if not rt.master:
            return
        with open(metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        parts = [f"step {record['step']:>6}/{cfg.steps}"]
        if "train_loss" in record:
            parts += [f"loss {record['train_loss']:.4f}", f"lr {record['lr']:.2e}",
                      f"norm {record['grad_norm']:.3f}", f"{record['ms_per_step']:.1f} ms",
                      f"{record['tokens_per_s']:,.0f} tok/s"]
            if record.get("mfu") is not None:
                parts.append(f"mfu {100 * record['mfu']:.1f}%")
        if "val_loss" in record:
            parts.append(f"val {record['val_loss']:.4f}")
        print(" | ".join(parts), flush=True)

    if start_step == 0:
        log({"step": 0, "tokens": 0, "val_loss": evaluate()})
    elif rt.master:
        print(f"resumed at step {start_step}" + (" (nothing left to do)" if start_step >= cfg.steps else ""))

    # --- the loop: one optimiser step per iteration
    record: dict = {}
    for step in range(start_step + 1, cfg.steps + 1):
        t0 = time.perf_counter()
        lr = lr_at(step - 1, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss_sum = torch.zeros((), device=rt.device)
        for micro in range(accum_steps):
            x, y = to_device(train_loader.next_batch())
            if rt.distributed:  # all-reduce gradients only on the last micro-step
                train_model.require_backward_grad_sync = micro == accum_steps - 1
            with autocast:
                _, loss = train_model(x, y)
            loss = loss / accum_steps
            loss_sum += loss.detach()
            loss.backward()
        clip = cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        train_loss = mean_over_ranks(loss_sum)  # .item() waits for the device
        dt = time.perf_counter() - t0

        tokens_per_s = total_batch_tokens / dt
        record = {"step": step, "tokens": step * total_batch_tokens, "train_loss": train_loss, "lr": lr,
                  "grad_norm": grad_norm.item(), "ms_per_step": 1000 * dt, "tokens_per_s": tokens_per_s}
        if peak:
            record["mfu"] = flops_per_token * tokens_per_s / (peak * rt.world_size)
        last = step == cfg.steps
        stopping = cfg.stop_at is not None and step >= cfg.stop_at
        if step % cfg.eval_every == 0 or last:
            record["val_loss"] = evaluate()
        if step % cfg.log_every == 0 or "val_loss" in record or last or stopping:
            log(record)
        if (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or last or stopping:
            save_checkpoint(step, record.get("val_loss"))
        if stopping:
            break

    if rt.distributed:
        dist.destroy_process_group()
    return {"step": record.get("step", start_step), "train_loss": record.get("train_loss"),
            "val_loss": record.get("val_loss"), "out": str(out)}

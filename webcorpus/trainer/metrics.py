"""Step timing from the device's clock, and metrics written without stalling the GPU.

A step's loss and gradient norm stay on the device as tensors; the record holding them is
written one step later, when the GPU has long finished them, so reading them (``.item()``)
does not stop the host from queuing the next step. Step times come from CUDA events recorded
on the compute stream around the step: device time, synchronised with the work itself, not the
host's view of when it queued it. On the CPU the host clock is the device clock.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch


class StepTimer:
    """``start()`` and ``stop()`` around a step; ``seconds()`` reads the span once it is done."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"

    def start(self) -> None:
        if self.cuda:
            self.begin = torch.cuda.Event(enable_timing=True)
            self.begin.record()
        else:
            self.begin = time.perf_counter()

    def stop(self) -> "StepTimer":
        if self.cuda:
            self.end = torch.cuda.Event(enable_timing=True)
            self.end.record()
        else:
            self.end = time.perf_counter()
        return self

    def seconds(self) -> float:
        if self.cuda:
            self.end.synchronize()
            return self.begin.elapsed_time(self.end) / 1000.0
        return self.end - self.begin


class PendingStep:
    """One optimiser step's record while its numbers may still be on the device."""

    def __init__(self, step: int, tokens_per_step: int, lr: float, loss: torch.Tensor,
                 grad_norm: torch.Tensor, timer: StepTimer):
        self.step, self.tokens_per_step, self.lr = step, tokens_per_step, lr
        self.loss, self.grad_norm, self.timer = loss, grad_norm, timer

    def resolve(self, flops_per_token: float, peak_flops: float | None) -> dict:
        dt = self.timer.seconds()
        tokens_per_s = self.tokens_per_step / dt
        record = {"step": self.step, "tokens": self.step * self.tokens_per_step,
                  "train_loss": self.loss.item(), "lr": self.lr, "grad_norm": self.grad_norm.item(),
                  "ms_per_step": 1000 * dt, "tokens_per_s": tokens_per_s}
        if peak_flops:
            record["mfu"] = flops_per_token * tokens_per_s / peak_flops
        return record


class MetricsLog:
    """``OUT/metrics.jsonl`` and the console line; only the master rank writes."""

    def __init__(self, path: Path, total_steps: int, master: bool, keep_until: int | None):
        """``keep_until``: on resume, keep the lines up to that step; None: start the file afresh."""
        self.path, self.total_steps, self.master = path, total_steps, master
        if master:
            kept = []
            if keep_until is not None and path.is_file():
                kept = [line for line in path.read_text().splitlines()
                        if line.strip() and json.loads(line)["step"] <= keep_until]
            path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict) -> None:
        if not self.master:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        print(console_line(record, self.total_steps), flush=True)


def console_line(record: dict, total_steps: int) -> str:
    parts = [f"step {record['step']:>6}/{total_steps}"]
    if "train_loss" in record:
        parts += [f"loss {record['train_loss']:.4f}", f"lr {record['lr']:.2e}",
                  f"norm {record['grad_norm']:.3f}", f"{record['ms_per_step']:.1f} ms",
                  f"{record['tokens_per_s']:,.0f} tok/s"]
        if record.get("mfu") is not None:
            parts.append(f"mfu {100 * record['mfu']:.1f}%")
    if "val_loss" in record:
        parts.append(f"val {record['val_loss']:.4f}")
    return " | ".join(parts)

"""Where the trainer runs: device and ranks, RNG states, and the speed settings of the device.

Speed settings, each an option with a safe default (see docs/trainer.md):

- precision: bf16 autocast and TF32 matmuls on CUDA GPUs that have bf16, float32 elsewhere;
- attention backend of ``F.scaled_dot_product_attention``: ``auto`` puts cuDNN's fused attention
  first on Hopper and newer GPUs (compute capability 9.0+; the fastest kernel PyTorch has
  there), then flash, memory-efficient and math; on older GPUs PyTorch's own order;
- ``torch.compile`` with a mode: ``default``, ``reduce-overhead`` (CUDA graphs: one launch per
  graph instead of one per kernel), ``max-autotune`` (searches matmul and Triton configs; slow
  first steps), ``max-autotune-no-cudagraphs``.
"""
from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass
class Runtime:
    """This process's place in the run: rank, world size, device."""

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

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"


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


def mean_over_ranks(value: torch.Tensor, rt: Runtime) -> torch.Tensor:
    """The mean of a scalar tensor over ranks, left on the device (no host sync on NCCL)."""
    if rt.distributed:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)  # gloo has no AVG
        value = value / rt.world_size
    return value


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


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def autocast_for(rt: Runtime):
    """bf16 autocast on CUDA GPUs with bf16; nothing (float32) elsewhere."""
    if rt.cuda and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def attention_backends(choice: str, rt: Runtime):
    """A context in which SDPA uses the chosen backend (see the module docstring). ``auto`` is
    cuDNN first on CUDA GPUs of compute capability 9.0+, PyTorch's own choice elsewhere; a named
    backend applies on any device (on the CPU, ``flash`` and ``math`` exist)."""
    if choice == "auto" and not (rt.cuda and torch.cuda.get_device_capability(rt.device)[0] >= 9):
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    order = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
             "efficient": SDPBackend.EFFICIENT_ATTENTION, "math": SDPBackend.MATH}
    if choice == "auto":  # all backends allowed, cuDNN tried first
        return sdpa_kernel(list(order.values()), set_priority=True)
    return sdpa_kernel([order[choice]])


def compile_model(model: torch.nn.Module, enabled: bool, mode: str, rt: Runtime) -> torch.nn.Module:
    """``torch.compile`` on CUDA when enabled (elsewhere the model as is)."""
    if not (rt.cuda and enabled):
        return model
    from webcorpus.trainer.loss import use_compiled_chunks

    use_compiled_chunks(True)  # the chunked loss's softmax as fused kernels
    return torch.compile(model, mode=None if mode == "default" else mode)

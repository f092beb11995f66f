"""Batches on the device, the next one copied while the current one computes.

On CUDA a step's micro-batches are copied through two pinned host buffers that are allocated
once and reused, on a side stream, one micro-batch ahead: while the GPU runs micro-batch i,
micro-batch i+1 is already sliced from the memory-mapped shard and on its way. The compute
stream waits for the copy with an event, not the host. Reading never runs ahead of the step,
so the loader's position at the end of a step is exactly the step's (checkpoints stay exact).
On the CPU the loader's tensors are used as they are.
"""
from __future__ import annotations

import torch

from webcorpus.trainer.data import TokenLoader


class DeviceBatches:
    """``take(n)`` yields n (x, y) pairs on ``device`` from ``loader``."""

    SLOTS = 2

    def __init__(self, loader: TokenLoader, device: torch.device):
        self.loader, self.device = loader, device
        self.cuda = device.type == "cuda"
        if self.cuda:
            shape = (2, loader.batch_size, loader.seq_len)  # x and y together: one copy per micro-batch
            self.pinned = [torch.empty(shape, dtype=torch.int64, pin_memory=True) for _ in range(self.SLOTS)]
            self.copied = [None] * self.SLOTS  # event: the slot's last copy has left the host buffer
            self.stream = torch.cuda.Stream(device)
            self.slot = 0

    def take(self, n: int):
        if not self.cuda:
            for _ in range(n):
                yield self.loader.next_batch()
            return
        pending = self._start_copy()
        for i in range(n):
            current = pending
            if i + 1 < n:
                pending = self._start_copy()
            yield self._ready(*current)

    def _start_copy(self):
        slot = self.slot
        self.slot = (slot + 1) % self.SLOTS
        if self.copied[slot] is not None:
            self.copied[slot].synchronize()  # long done in practice: it was queued a micro-step ago
        x, y = self.loader.next_batch()
        self.pinned[slot][0].copy_(x)
        self.pinned[slot][1].copy_(y)
        with torch.cuda.stream(self.stream):
            on_device = self.pinned[slot].to(self.device, non_blocking=True)
            done = torch.cuda.Event()
            done.record(self.stream)
        self.copied[slot] = done
        return on_device, done

    def _ready(self, on_device: torch.Tensor, done: torch.cuda.Event):
        stream = torch.cuda.current_stream(self.device)
        stream.wait_event(done)
        on_device.record_stream(stream)  # allocated on the side stream, freed after the compute stream's use
        return on_device[0], on_device[1]

"""Loss of a trained model on a token file: every token scored once, in windows of the context length.

The stream is cut into consecutive windows of ``seq_len`` targets (each window's inputs are the
token before each target); the last, shorter window is scored too. The loss is the mean negative
log-likelihood per token in nats, and bits per byte divides the total by ln 2 and by the UTF-8
bytes of the text the tokens encode, a figure that does not depend on the tokenizer.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def load_model(run_dir: str | Path, device: str):
    """The run's model in eval mode, from its ``checkpoint.pt``."""
    from webcorpus.trainer.sample import load_checkpoint

    model, _ = load_checkpoint(run_dir, device)
    model.loss_chunk = 0  # token_nll needs the per-token logits, not the trainer's chunked loss
    return model


def token_nll(model, x, y):
    """Per-token negative log-likelihood (nats) of targets ``y`` given inputs ``x`` (both B x T)."""
    import torch.nn.functional as F

    x, y = x.contiguous(), y.contiguous()
    logits, _ = model(x, y)
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction="none").view(y.shape)


def stream_loss(model, tokens: np.ndarray, seq_len: int, batch_size: int, device: str) -> tuple[float, int]:
    """(total nats, scored tokens) over a whole token stream."""
    import torch

    tokens = np.asarray(tokens, dtype=np.int64)
    total, count = 0.0, 0
    full = (len(tokens) - 1) // seq_len
    with torch.no_grad():
        for start in range(0, full, batch_size):
            rows = range(start, min(start + batch_size, full))
            buf = np.stack([tokens[r * seq_len : r * seq_len + seq_len + 1] for r in rows])
            t = torch.from_numpy(buf).to(device)
            nll = token_nll(model, t[:, :-1], t[:, 1:])
            total += float(nll.double().sum())
            count += nll.numel()
        rest = tokens[full * seq_len :]
        if len(rest) > 1:
            t = torch.from_numpy(rest[None, :]).to(device)
            nll = token_nll(model, t[:, :-1], t[:, 1:])
            total += float(nll.double().sum())
            count += nll.numel()
    return total, count


def evaluate_file(model, path: str | Path, text_bytes: int, seq_len: int, batch_size: int, device: str) -> dict:
    """Loss (nats per token) and bits per byte of a model on one llm.c token file."""
    from webcorpus.trainer.data import open_shard

    total, count = stream_loss(model, open_shard(path), seq_len, batch_size, device)
    return {"loss": total / count if count else None, "tokens": count,
            "bits_per_byte": total / math.log(2) / text_bytes if text_bytes else None, "nats": total}

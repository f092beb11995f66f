"""Cross-entropy of the output layer without the full logits: chunked, gradients computed on the way.

The usual ``F.cross_entropy(hidden @ W.T, targets)`` materialises a (tokens x vocab) logits
tensor, upcast to float32 for the softmax: 32 x 1024 tokens x 50,304 ids x 4 bytes = 6.6 GB per
GPT-2 micro-batch, written and read several times. Here the rows are taken ``chunk`` tokens at a
time: logits of one chunk (in the matmul dtype: bf16 under autocast), their log-sum-exp and loss
in float32, and at once the gradient of the mean loss with respect to the chunk's logits
(softmax minus one-hot, over the number of tokens), turned straight into the gradients of the
hidden states (g @ W) and of the weight (g.T @ h, summed in float32). Only one chunk of logits
ever exists; backward just scales the stored gradients. The matmul FLOPs are those of the
plain loss (no recomputation). The same idea as Liger-Kernel's fused linear cross-entropy and
the chunked losses of the fast small-GPT trainers.

At float32 the result equals ``F.cross_entropy`` up to summation order (the tests check loss
and gradients to 1e-6).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _chunk_loss_and_grad(logits: torch.Tensor, targets: torch.Tensor, n_total: int):
    """Summed loss of one chunk (float32) and d(mean loss)/d(logits) in the logits' dtype."""
    logits32 = logits.float()
    lse = torch.logsumexp(logits32, dim=-1)
    picked = logits32.gather(1, targets[:, None]).squeeze(1)
    loss_sum = (lse - picked).sum()
    grad = torch.exp(logits32 - lse[:, None])
    grad.scatter_add_(1, targets[:, None], torch.full_like(picked[:, None], -1.0))
    return loss_sum, (grad / n_total).to(logits.dtype)


def _chunk_loss(logits: torch.Tensor, targets: torch.Tensor):
    return F.cross_entropy(logits.float(), targets, reduction="sum")


#: On CUDA each chunk's softmax runs as one or two fused kernels instead of six passes over the
#: chunk; set by ``use_compiled_chunks`` (the trainer does when it compiles the model).
_CHUNK_FNS = {"loss_and_grad": _chunk_loss_and_grad, "loss": _chunk_loss}


def use_compiled_chunks(enabled: bool = True) -> None:
    """Fuse each chunk's softmax with torch.compile (CUDA), or go back to the eager functions."""
    if enabled:
        _CHUNK_FNS["loss_and_grad"] = torch.compile(_chunk_loss_and_grad, dynamic=False)
        _CHUNK_FNS["loss"] = torch.compile(_chunk_loss, dynamic=False)
    else:
        _CHUNK_FNS.update(loss_and_grad=_chunk_loss_and_grad, loss=_chunk_loss)


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk, dtype, need_grad):
        n_total = hidden.shape[0]
        w = weight.to(dtype)
        loss_sum = torch.zeros((), dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.empty_like(hidden) if need_grad else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_grad else None
        for start in range(0, n_total, chunk):
            h = hidden[start : start + chunk].to(dtype)
            t = targets[start : start + chunk]
            logits = h @ w.t()
            if not need_grad:
                loss_sum += _CHUNK_FNS["loss"](logits, t)
                continue
            part, grad_logits = _CHUNK_FNS["loss_and_grad"](logits, t, n_total)
            loss_sum += part
            grad_hidden[start : start + chunk] = grad_logits @ w
            grad_weight += (grad_logits.t() @ h).float()
        if need_grad:
            ctx.save_for_backward(grad_hidden, grad_weight)
        ctx.weight_dtype = weight.dtype
        return loss_sum / n_total

    @staticmethod
    def backward(ctx, grad_loss):
        grad_hidden, grad_weight = ctx.saved_tensors
        return grad_hidden * grad_loss, (grad_weight * grad_loss).to(ctx.weight_dtype), None, None, None, None


@torch.compiler.disable  # a Python loop over chunks; the compiled model breaks its graph here
def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                         chunk: int = 8192) -> torch.Tensor:
    """Mean cross-entropy of ``hidden @ weight.T`` against ``targets``, ``chunk`` rows at a time.

    ``hidden`` is (N, C), ``weight`` (V, C), ``targets`` (N,) int64. Under autocast the matmuls
    run in the autocast dtype, the softmax always in float32.
    """
    device_type = hidden.device.type
    dtype = torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else hidden.dtype
    # gradients are computed in forward, so only when a backward can follow
    need_grad = torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)
    with torch.autocast(device_type, enabled=False):
        return _LinearCrossEntropy.apply(hidden, weight, targets, max(1, chunk), dtype, need_grad)

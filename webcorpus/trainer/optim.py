"""Optimisers: AdamW for everything (GPT-2's recipe), or Muon for the hidden matrices plus AdamW.

Muon (Keller Jordan, 2024; the optimiser of the modded-nanogpt speedruns) keeps a momentum of
each matrix's gradient and replaces the update by the nearest semi-orthogonal matrix: all
singular values set to about 1, found by a few Newton-Schulz iterations instead of an SVD. Every
direction of the matrix then moves by the same amount, which lets small GPTs reach a given loss
in fewer steps than with AdamW. It is meant for the matrices inside the transformer blocks only;
the embedding, the output head, gains and biases stay on AdamW.

Definitions used (from the published description): Nesterov momentum ``mu``; the quintic
Newton-Schulz iteration ``X <- a X + (b A + c A^2) X`` with ``A = X X^T``, coefficients
(3.4445, -4.7750, 2.0315), five steps, on the gradient normalised to Frobenius norm 1 and
transposed so that rows <= columns; the update scaled by ``sqrt(max(1, rows / columns))``. The
fused query-key-value matrix is orthogonalised as its three square parts. On CUDA the iteration
runs in bf16, elsewhere in float32. Under DDP every rank holds the same averaged gradient and
computes the same update, so the ranks stay identical without extra communication.
"""
from __future__ import annotations

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def orthogonalize(g: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    """Approximately U V^T of ``g = U S V^T`` (per matrix of a batch (..., rows, cols))."""
    a, b, c = NS_COEFFICIENTS
    x = g.to(torch.bfloat16 if g.is_cuda else torch.float32)
    tall = x.size(-2) > x.size(-1)
    if tall:
        x = x.mT
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + eps)
    for _ in range(steps):
        A = x @ x.mT
        x = a * x + (b * A + c * A @ A) @ x
    return (x.mT if tall else x).to(g.dtype)


class Muon(torch.optim.Optimizer):
    """Momentum, orthogonalised: for 2-D weights. A parameter with ``muon_split = k`` is updated
    as k stacked row blocks (the fused q, k, v projection), each orthogonalised on its own."""

    def __init__(self, params, lr: float = 0.02, momentum: float = 0.95, nesterov: bool = True,
                 weight_decay: float = 0.0, ns_steps: int = 5):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov,
                                      weight_decay=weight_decay, ns_steps=ns_steps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                buf = state["momentum_buffer"]
                buf.mul_(mu).add_(p.grad)
                g = p.grad.add(buf, alpha=mu) if group["nesterov"] else buf
                blocks = getattr(p, "muon_split", 1)
                g = g.view(blocks, g.size(0) // blocks, g.size(1))
                update = orthogonalize(g, group["ns_steps"]).view_as(p)
                update *= max(1.0, g.size(-2) / g.size(-1)) ** 0.5
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(update, alpha=-group["lr"])


class Optimizers:
    """Several optimisers stepped as one (Muon + AdamW): the calls the training loop makes."""

    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> list[dict]:
        return [g for opt in self.optimizers for g in opt.param_groups]

    def step(self) -> None:
        for opt in self.optimizers:
            opt.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"optimizers": [opt.state_dict() for opt in self.optimizers]}

    def load_state_dict(self, state: dict) -> None:
        if "optimizers" not in state or len(state["optimizers"]) != len(self.optimizers):
            raise ValueError("the checkpoint was written with another --optimizer")
        for opt, opt_state in zip(self.optimizers, state["optimizers"]):
            opt.load_state_dict(opt_state)


def adamw(groups: list[dict], lr: float, betas: tuple, device_type: str) -> torch.optim.AdamW:
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=device_type == "cuda")


def make_optimizer(model, kind: str, lr: float, weight_decay: float, betas: tuple, device_type: str,
                   muon_lr: float = 0.02, muon_momentum: float = 0.95, embed_lr: float | None = None):
    """``adamw``: AdamW, weight decay on matrices (embeddings included), none on gains and biases.
    ``muon``: Muon (no weight decay) on the matrices inside the blocks (``h.*``); AdamW on the rest.
    ``embed_lr``: the embeddings get an AdamW group of their own with this learning rate.

    Every parameter group carries ``initial_lr``; the schedule multiplies it."""
    if kind not in ("adamw", "muon"):
        raise ValueError(f"optimizer must be adamw or muon, not {kind!r}")
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    on_muon = [(n, p) for n, p in params if kind == "muon" and p.dim() == 2 and n.startswith("h.")]
    muon_ids = {id(p) for _, p in on_muon}
    rest = [(n, p) for n, p in params if id(p) not in muon_ids]
    embeddings = [p for n, p in rest if embed_lr is not None and n.startswith(("wte.", "wpe."))]
    embedding_ids = {id(p) for p in embeddings}
    matrices = [p for n, p in rest if p.dim() >= 2 and id(p) not in embedding_ids]
    vectors = [p for n, p in rest if p.dim() < 2]
    groups = [{"params": matrices, "weight_decay": weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    if embeddings:
        groups.append({"params": embeddings, "weight_decay": weight_decay, "lr": embed_lr})
    opt = adamw(groups, lr, betas, device_type)
    if on_muon:
        for name, p in on_muon:
            if name.endswith("attn.c_attn.weight"):
                p.muon_split = 3  # q, k and v are three matrices
        opt = Optimizers(Muon([p for _, p in on_muon], lr=muon_lr, momentum=muon_momentum), opt)
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    return opt

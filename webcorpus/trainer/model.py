"""A GPT in one file: GPT-2 by default, with switches towards newer practice.

The defaults reproduce GPT-2 (learned positions, LayerNorm, GELU, tied head), so results
compare with nanoGPT and llm.c. The switches, each independent:

- ``rope``: rotary position embedding on queries and keys; no position table.
- ``rmsnorm``: RMSNorm instead of LayerNorm (no mean subtraction, no bias).
- ``qk_norm``: queries and keys RMS-normalised per head before attention (stabilises logits).
- ``relu2``: ReLU squared instead of GELU in the MLP.
- ``untied_head``: an output matrix of its own instead of reusing the token embedding.

The vocabulary is padded to a multiple of 64 for fast matmuls; padded ids never occur in
the data, and generation never samples them.

The training loss never holds the full logits when ``loss_chunk`` is set (the trainer's
default on CUDA): the output layer and its cross-entropy run chunk by chunk (see loss.py), and
``forward`` then returns no logits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from webcorpus.trainer.loss import linear_cross_entropy


@dataclass
class GPTConfig:
    vocab_size: int = 50257
    seq_len: int = 1024
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    bias: bool = True
    dropout: float = 0.0
    rope: bool = False
    rmsnorm: bool = False
    qk_norm: bool = False
    relu2: bool = False
    untied_head: bool = False

    @property
    def padded_vocab_size(self) -> int:
        return (self.vocab_size + 63) // 64 * 64


def rms_norm(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class RMSNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return rms_norm(x.float()).type_as(x) * self.weight


def make_norm(config: GPTConfig) -> nn.Module:
    if config.rmsnorm:
        return RMSNorm(config.n_embd)
    return nn.LayerNorm(config.n_embd, bias=config.bias)


def rope_tables(seq_len: int, head_dim: int, base: float = 10000.0):
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)  # (T, head_dim/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (x[i], x[i + head_dim/2]) of a (B, H, T, head_dim) tensor by position angles."""
    x1, x2 = x.chunk(2, dim=-1)
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head or (config.rope and (config.n_embd // config.n_head) % 2):
            rule = "heads of even size (rope)" if config.rope else "equal heads"
            raise ValueError(f"n_embd {config.n_embd} does not split into {config.n_head} {rule}")
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.qk_norm = config.qk_norm
        self.dropout = config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.c_proj.residual_projection = True
        self.rope = config.rope
        if config.rope:
            cos, sin = rope_tables(config.seq_len, self.head_dim)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v))
        if self.qk_norm:
            q, k = rms_norm(q), rms_norm(k)
        if self.rope:
            q = apply_rope(q, self.rope_cos[:T], self.rope_sin[:T])
            k = apply_rope(k, self.rope_cos[:T], self.rope_sin[:T])
        # the backend (cuDNN, flash, memory-efficient, math) is chosen by the trainer (see train.py)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return F.dropout(self.c_proj(y), self.dropout, self.training)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.relu2 = config.relu2
        self.dropout = config.dropout
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.c_proj.residual_projection = True

    def forward(self, x):
        h = self.c_fc(x)
        h = F.relu(h).square() if self.relu2 else F.gelu(h, approximate="tanh")
        return F.dropout(self.c_proj(h), self.dropout, self.training)


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = make_norm(config)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = make_norm(config)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        vocab = config.padded_vocab_size
        self.wte = nn.Embedding(vocab, config.n_embd)
        self.wpe = None if config.rope else nn.Embedding(config.seq_len, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = make_norm(config)
        self.lm_head = nn.Linear(config.n_embd, vocab, bias=False)
        self.loss_chunk = 0  # tokens per chunk of the training loss; 0: the full logits at once
        if not config.untied_head:
            self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # GPT-2: N(0, 0.02), and residual projections scaled down by sqrt(2 * n_layer)
        if isinstance(module, nn.Linear):
            std = 0.02
            if getattr(module, "residual_projection", False):
                std /= math.sqrt(2 * self.config.n_layer)
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        assert T <= self.config.seq_len, f"sequence of {T} tokens exceeds seq_len {self.config.seq_len}"
        x = self.wte(idx)
        if self.wpe is not None:
            x = x + self.wpe(torch.arange(T, device=idx.device))
        x = self.drop(x)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        if targets is None:  # generation: only the last position is needed
            return self.lm_head(x[:, [-1], :]), None
        if self.loss_chunk:  # no (tokens x vocab) logits: the loss is computed chunk by chunk
            return None, linear_cross_entropy(x.flatten(0, 1), self.lm_head.weight, targets.flatten(),
                                              self.loss_chunk)
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self) -> float:
        """Training FLOPs per token: 6 per matmul weight plus attention (PaLM appendix B)."""
        c = self.config
        matmul_params = self.num_params()
        if self.wpe is not None:
            matmul_params -= self.wpe.weight.numel()
        if c.untied_head:  # the embedding is a lookup, not a matmul
            matmul_params -= self.wte.weight.numel()
        return 6 * matmul_params + 12 * c.n_layer * c.n_embd * c.seq_len

    def make_optimizer(self, lr: float, weight_decay: float, betas: tuple, device_type: str):
        """AdamW with weight decay on matrices (embeddings included) and none on gains and biases
        (``optim.make_optimizer`` also offers Muon)."""
        from webcorpus.trainer.optim import make_optimizer

        return make_optimizer(self, "adamw", lr, weight_decay, betas, device_type)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None):
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T); temperature 0 is greedy."""
        for _ in range(max_new_tokens):
            context = idx[:, -self.config.seq_len:]
            logits, _ = self(context)
            logits = logits[:, -1, : self.config.vocab_size].float()  # never sample padding ids
            if temperature <= 0:
                next_id = logits.argmax(-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None and top_k > 0:
                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                next_id = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat([idx, next_id], dim=1)
        return idx

"""Trainer overhead on CPU: `webcorpus train` against a bare nanoGPT-style loop, same model, same data.

Both sides train the tiny preset's model (2 layers, 2 heads, width 64, 64 tokens x 8 sequences)
on the same llm.c shard. The reference loop is what nanoGPT's inner loop does and nothing more:
slice a batch from the memory-mapped tokens, forward, backward, clip, AdamW step, read the loss.
The trainer adds its loader, schedule, metrics.jsonl, console line, evaluation and checkpoint.

Per-step cost is measured as a marginal: each side runs SHORT and LONG steps, and
(time(LONG) - time(SHORT)) / (LONG - SHORT) removes setup, the evaluation and the final
checkpoint (the same in both runs) but keeps every per-step cost, logging included. Time is the
process's CPU time (torch runs single-threaded by default here), so other work on a shared
machine does not count against either side; --wall uses wall-clock time instead. The sides
alternate for several rounds; the median is reported.

    python benchmarks/trainer_bench.py [--rounds 5] [--short 30] [--long 150] [--threads 1] [--wall]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from webcorpus.trainer.config import make_config  # noqa: E402
from webcorpus.trainer.data import open_shard, write_shard  # noqa: E402
from webcorpus.trainer.model import GPT, GPTConfig  # noqa: E402
from webcorpus.trainer.train import train  # noqa: E402


def make_data(folder: Path, vocab: int, n_tokens: int = 2_000_000) -> Path:
    """A Markov token stream (learnable, so the loss moves as in real training)."""
    rng = np.random.default_rng(0)
    successor = rng.integers(0, vocab, size=vocab)
    tokens = np.empty(n_tokens, dtype=np.int64)
    tokens[0] = 0
    jumps = rng.random(n_tokens) < 0.2
    randoms = rng.integers(0, vocab, size=n_tokens)
    for i in range(1, n_tokens):
        tokens[i] = randoms[i] if jumps[i] else successor[tokens[i - 1]]
    folder.mkdir(parents=True, exist_ok=True)
    write_shard(folder / "bench_train_000.bin", tokens[: n_tokens - 100_000])
    write_shard(folder / "bench_val_000.bin", tokens[n_tokens - 100_000:])
    return folder


CLOCK = time.process_time


def reference_loop(data: Path, steps: int, cfg) -> float:
    """Seconds for a bare loop of ``steps`` steps (setup included, as for the trainer)."""
    start = CLOCK()
    tokens = open_shard(data / "bench_train_000.bin")
    torch.manual_seed(cfg.seed)
    model = GPT(GPTConfig(vocab_size=cfg.vocab_size, seq_len=cfg.seq_len, n_layer=cfg.n_layer,
                          n_head=cfg.n_head, n_embd=cfg.n_embd))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                                  weight_decay=cfg.weight_decay)
    B, T, position = cfg.batch_size, cfg.seq_len, 0
    for _ in range(steps):
        buf = torch.from_numpy(np.asarray(tokens[position : position + B * T + 1], dtype=np.int64))
        x, y = buf[:-1].view(B, T), buf[1:].view(B, T)
        position += B * T
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()
    return CLOCK() - start


def trainer_run(data: Path, out: Path, steps: int, vocab: int) -> float:
    cfg = make_config("tiny", data=str(data), out=str(out), steps=steps, eval_every=10**9,
                      checkpoint_every=0, log_every=1, device="cpu", vocab_size=vocab)
    start = CLOCK()
    with contextlib.redirect_stdout(io.StringIO()):  # the console line is built, not displayed
        train(cfg)
    return CLOCK() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--short", type=int, default=30)
    parser.add_argument("--long", type=int, default=150)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
    torch.set_num_threads(args.threads)
    cfg = make_config("tiny", vocab_size=args.vocab)
    tokens_per_step = cfg.batch_size * cfg.seq_len
    extra = args.long - args.short
    ref_rates, trainer_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data(Path(tmp) / "tokens", args.vocab)
        reference_loop(data, 10, cfg)  # warm up allocator and kernels
        for r in range(args.rounds):
            ref = reference_loop(data, args.long, cfg) - reference_loop(data, args.short, cfg)
            ours = (trainer_run(data, Path(tmp) / f"run{r}l", args.long, args.vocab)
                    - trainer_run(data, Path(tmp) / f"run{r}s", args.short, args.vocab))
            ref_rates.append(tokens_per_step * extra / ref)
            trainer_rates.append(tokens_per_step * extra / ours)
            print(f"round {r + 1}: reference {ref_rates[-1]:,.0f} tok/s | trainer {trainer_rates[-1]:,.0f} tok/s")
    ref_rate, trainer_rate = statistics.median(ref_rates), statistics.median(trainer_rates)
    print(f"tiny preset, vocab {args.vocab}, {tokens_per_step} tokens/step, {args.threads} thread(s), "
          f"torch {torch.__version__}")
    print(f"median reference loop: {ref_rate:,.0f} tok/s")
    print(f"median webcorpus train: {trainer_rate:,.0f} tok/s")
    print(f"trainer / reference: {trainer_rate / ref_rate:.3f} (overhead {100 * (1 - trainer_rate / ref_rate):+.1f}%)")


if __name__ == "__main__":
    main()

"""The output layer's loss, full logits against chunks: peak memory and time of forward + backward.

One measurement per subprocess (so each peak is its own): hidden states (N tokens x width),
the GPT-2 output matrix (50,304 x 768), random targets; forward, backward, and the peak of the
process's resident memory (``ru_maxrss``) above its level after the inputs were made, and the
CPU time of ``--repeat`` forward+backward passes. ``full`` is ``F.cross_entropy(h @ W.T, y)``
(float32 logits of N x 50,304, their gradient, the softmax); ``chunk=K`` is
``webcorpus.trainer.loss.linear_cross_entropy`` with K tokens per chunk. On a CUDA machine
(``--device cuda``) the peak is ``torch.cuda.max_memory_allocated`` and the time comes from
CUDA events, with bf16 autocast as in training.

    python benchmarks/loss_bench.py [--tokens 4096] [--chunks 1024,256] [--repeat 3] [--rounds 3] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import torch, torch.nn.functional as F
sys.path.insert(0, {repo!r})
from webcorpus.trainer.loss import linear_cross_entropy
torch.set_num_threads(1)
tokens, chunk, repeat, device = {tokens}, {chunk}, {repeat}, {device!r}
g = torch.Generator().manual_seed(0)
h = torch.randn(tokens, 768, generator=g).to(device).requires_grad_()
w = (torch.randn(50304, 768, generator=g) * 0.02).to(device).requires_grad_()
y = torch.randint(0, 50257, (tokens,), generator=g).to(device)
cuda = device == "cuda"
autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else torch.autocast("cpu", enabled=False)
def once():
    with autocast:
        loss = F.cross_entropy(h @ w.t(), y) if chunk == 0 else linear_cross_entropy(h, w, y, chunk)
    loss.backward()
    h.grad = w.grad = None
    return loss
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # inputs made, nothing computed yet
once()  # warm-up
if cuda:
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
else:
    base = rss_before  # ru_maxrss is a high-water mark: the warm-up already reached the peak
    t0 = time.process_time()
for _ in range(repeat):
    loss = once()
if cuda:
    end.record(); torch.cuda.synchronize()
    seconds, peak = start.elapsed_time(end) / 1000, (torch.cuda.max_memory_allocated() - base) / 2**20
else:
    seconds = time.process_time() - t0
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps(dict(seconds=seconds / repeat, peak_mib=peak, loss=loss.item())))
"""


def measure(tokens: int, chunk: int, repeat: int, device: str) -> dict:
    code = CHILD.format(repo=str(REPO), tokens=tokens, chunk=chunk, repeat=repeat, device=device)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4096)
    parser.add_argument("--chunks", default="1024,256")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    settings = [0] + [int(c) for c in args.chunks.split(",")]
    runs: dict[int, list[dict]] = {c: [] for c in settings}
    for _ in range(args.rounds):  # interleaved: every setting once per round
        for chunk in settings:
            runs[chunk].append(measure(args.tokens, chunk, args.repeat, args.device))
    import torch

    print(f"{args.tokens} tokens x width 768 -> 50,304 ids, {args.device}, torch {torch.__version__}, "
          f"median of {args.rounds} rounds of {args.repeat} forward+backward")
    print("| loss | peak memory above inputs (MiB) | seconds per forward+backward | loss value |")
    print("|---|---:|---:|---:|")
    for chunk in settings:
        peak = statistics.median(r["peak_mib"] for r in runs[chunk])
        seconds = statistics.median(r["seconds"] for r in runs[chunk])
        label = "full logits (F.cross_entropy)" if chunk == 0 else f"chunks of {chunk} tokens"
        print(f"| {label} | {peak:,.0f} | {seconds:.3f} | {runs[chunk][0]['loss']:.6f} |")


if __name__ == "__main__":
    main()

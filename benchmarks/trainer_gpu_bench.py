"""GPU throughput of `webcorpus train` against nanoGPT's train.py, same model, same tokens, one run.

nanoGPT is Andrej Karpathy's https://github.com/karpathy/nanoGPT (MIT). The script does not
download it (GPU boxes are often offline): clone it first and pass the checkout's path,

    git clone https://github.com/karpathy/nanoGPT /path/to/nanoGPT
    python benchmarks/trainer_gpu_bench.py --nanogpt /path/to/nanoGPT [--steps 20] [--rounds 1] \
        [--variants default,no-chunked-loss,flash-attention,batch-64] [--work DIR]

What runs, in one process tree on one GPU, each trainer in a subprocess of its own:

- tokens: random GPT-2-vocabulary ids (uniform over 50,257; seed 0), written once as an llm.c shard
  for webcorpus and as nanoGPT's raw ``train.bin`` / ``val.bin``: the same ids on both sides;
- nanoGPT ``train.py``: GPT-2 124M with biases (``--bias=True``, as webcorpus's ``gpt2-124m``),
  dropout 0, bf16, ``torch.compile``, 32 x 1024 tokens per micro-step, 16 accumulation steps
  (524,288 tokens per step), from a scratch folder holding links to the checkout's files;
- ``webcorpus train --preset gpt2-124m`` with the same batch, once per variant (below);
- the order is interleaved: each round runs nanoGPT and then every variant.

Throughput is the median over steps 6..N (steps 1-5 include compilation and warm-up): nanoGPT's
printed per-iteration time (host clock, synchronised every iteration by its ``loss.item()``),
webcorpus's ``tokens_per_s`` (CUDA events around each step). MFU for both uses the same count
(6 x matmul parameters + 12 x layers x width x sequence FLOPs per token) against the GPU's dense
bf16 peak from ``webcorpus/trainer/devices.py``. Peak memory is the GPU's used memory as
``nvidia-smi`` reports it, polled every 0.2 s, less what was in use before the run.

Variants (``--variants``, comma-separated; each is the default trainer with one change):
default (nothing changed), no-chunked-loss (--loss-chunk 0), flash-attention (--attention flash),
batch-64 (--batch-size 64, 8 accumulation steps), cuda-graphs (--compile-mode reduce-overhead),
max-autotune (--compile-mode max-autotune-no-cudagraphs), modern (--preset gpt2-124m-modern),
speedrun (--preset gpt2-124m-speedrun: its step time only).

``--time-to-loss TARGET --data SHARDS`` instead trains ``gpt2-124m`` and ``gpt2-124m-speedrun``
on real llm.c shards until the validation loss reaches TARGET (evaluations every 125 steps on
the first 10 x 524,288 validation tokens) and prints the training time of each (the sum of
their step times, evaluations excluded) and the speed-up. On one H100 that is hours, not minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from webcorpus.trainer.data import write_shard  # noqa: E402

VOCAB = 50257
B, T, ACCUM = 32, 1024, 16
TOKENS_PER_STEP = B * T * ACCUM
VARIANTS = {
    "default": [],
    "no-chunked-loss": ["--loss-chunk", "0"],
    "flash-attention": ["--attention", "flash"],
    "batch-64": ["--batch-size", "64"],
    "cuda-graphs": ["--compile-mode", "reduce-overhead"],
    "max-autotune": ["--compile-mode", "max-autotune-no-cudagraphs"],
    "modern": ["--preset", "gpt2-124m-modern"],
    "speedrun": ["--preset", "gpt2-124m-speedrun"],
}
NANOGPT_LINE = re.compile(r"^iter (\d+): loss [-\d.naninf]+, time ([\d.]+)ms")


class MemoryPoll:
    """Peak GPU memory in use (MiB) while a child runs, from nvidia-smi, less the level before."""

    def __init__(self):
        self.smi = shutil.which("nvidia-smi")
        self.peak = self.base = None

    def _used(self) -> int | None:
        done = subprocess.run([self.smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                              capture_output=True, text=True)
        return int(done.stdout.split()[0]) if done.returncode == 0 and done.stdout.strip() else None

    def __enter__(self):
        if self.smi:
            self.base = self.peak = self._used()
            self.running = True
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()
        return self

    def _loop(self):
        while self.running:
            used = self._used()
            if used is not None:
                self.peak = max(self.peak or 0, used)
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.smi:
            self.running = False
            self.thread.join()

    def gib(self) -> float | None:
        return None if self.peak is None or self.base is None else (self.peak - self.base) / 1024


def make_tokens(work: Path, steps: int) -> tuple[Path, Path]:
    """The same random ids as an llm.c shard folder (webcorpus) and a nanoGPT dataset folder."""
    rng = np.random.default_rng(0)
    train = rng.integers(0, VOCAB, size=(steps + 4) * TOKENS_PER_STEP, dtype=np.uint16)
    val = rng.integers(0, VOCAB, size=8 * B * T + 1, dtype=np.uint16)
    shards, nano = work / "shards", work / "nanogpt-data" / "wcbench"
    for folder in (shards, nano):
        folder.mkdir(parents=True, exist_ok=True)
    write_shard(shards / "bench_train_000.bin", train)
    write_shard(shards / "bench_val_000.bin", val)
    train.tofile(nano / "train.bin")  # nanoGPT: raw uint16, no header
    val.tofile(nano / "val.bin")
    return shards, nano.parent


def run_logged(cmd: list[str], cwd: Path, log: Path) -> tuple[str, float | None]:
    with MemoryPoll() as memory:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    log.write_text(done.stdout + "\n--- stderr\n" + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed (exit {done.returncode}); see {log}\n"
                           f"{done.stderr[-2000:]}")
    return done.stdout, memory.gib()


def run_nanogpt(checkout: Path, data_root: Path, work: Path, steps: int, tag: str) -> dict:
    """nanoGPT's train.py from a scratch folder: links to its files, our data under data/."""
    run_dir = work / f"nanogpt-{tag}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    for name in ("train.py", "model.py", "configurator.py"):
        (run_dir / name).symlink_to(checkout.resolve() / name)
    (run_dir / "data").symlink_to(data_root.resolve())
    cmd = [sys.executable, "train.py", "--dataset=wcbench", f"--batch_size={B}", f"--block_size={T}",
           f"--gradient_accumulation_steps={ACCUM}", f"--max_iters={steps - 1}", "--eval_interval=1000000",
           "--eval_iters=1", "--log_interval=1", "--always_save_checkpoint=False", "--compile=True",
           "--dtype=bfloat16", "--bias=True", "--dropout=0.0", "--wandb_log=False", "--out_dir=out"]
    stdout, memory = run_logged(cmd, run_dir, work / f"nanogpt-{tag}.log")
    ms = {int(m.group(1)) + 1: float(m.group(2)) for m in map(NANOGPT_LINE.match, stdout.splitlines()) if m}
    rates = [TOKENS_PER_STEP / (ms[s] / 1000) for s in sorted(ms) if s >= 6]  # iter k is step k + 1
    return {"tokens_per_s": statistics.median(rates), "steps": len(rates), "memory_gib": memory}


def run_webcorpus(shards: Path, work: Path, steps: int, flags: list[str], tag: str) -> dict:
    out = work / f"webcorpus-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    preset = ["--preset", "gpt2-124m"] if "--preset" not in flags else []
    cmd = [sys.executable, "-m", "webcorpus.trainer", "train", "--data", str(shards), "--out", str(out),
           *preset, "--steps", str(steps), "--eval-every", "1000000", "--eval-tokens", str(B * T),
           "--checkpoint-every", "0", "--vocab-size", str(VOCAB), "--device", "cuda", *flags]
    _, memory = run_logged(cmd, REPO, work / f"webcorpus-{tag}.log")
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rates = [line["tokens_per_s"] for line in lines if line.get("tokens_per_s") and line["step"] >= 6]
    return {"tokens_per_s": statistics.median(rates), "steps": len(rates), "memory_gib": memory}


def gpu_and_flops() -> tuple[str, float | None, float]:
    import torch

    from webcorpus.trainer.devices import cuda_peak_flops
    from webcorpus.trainer.model import GPT, GPTConfig

    name = torch.cuda.get_device_name(0)
    flops_per_token = GPT(GPTConfig(vocab_size=VOCAB, seq_len=T, bias=True)).flops_per_token()
    return name, cuda_peak_flops(0), flops_per_token


def throughput(args) -> None:
    work = Path(args.work)
    shards, nano_data = make_tokens(work, args.steps)
    name, peak, flops_per_token = gpu_and_flops()
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        sys.exit(f"unknown variant(s) {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    results: dict[str, list[dict]] = {"nanoGPT": [], **{v: [] for v in variants}}
    for r in range(args.rounds):
        results["nanoGPT"].append(run_nanogpt(Path(args.nanogpt), nano_data, work, args.steps, f"r{r}"))
        print(f"round {r + 1}: nanoGPT {results['nanoGPT'][-1]['tokens_per_s']:,.0f} tok/s", flush=True)
        for v in variants:
            try:
                results[v].append(run_webcorpus(shards, work, args.steps, VARIANTS[v], f"{v}-r{r}"))
            except RuntimeError as error:  # e.g. out of memory at batch 64: report it, go on
                results[v].append({"error": str(error).splitlines()[0]})
            shown = results[v][-1].get("tokens_per_s")
            print(f"round {r + 1}: webcorpus {v} " + (f"{shown:,.0f} tok/s" if shown else "failed"), flush=True)
    commit = subprocess.run(["git", "-C", args.nanogpt, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    import torch

    print(f"\nGPU: {name} (dense bf16 peak {peak / 1e12:.0f} TFLOP/s)" if peak else f"\nGPU: {name} (peak unknown)")
    print(f"torch {torch.__version__}, nanoGPT {commit}, GPT-2 124M, {TOKENS_PER_STEP:,} tokens/step, "
          f"median of steps 6-{args.steps}, {args.rounds} round(s)\n")
    print("| trainer | tokens/s | MFU | peak memory (GiB) | / nanoGPT |")
    print("|---|---:|---:|---:|---:|")
    ref = statistics.median(r["tokens_per_s"] for r in results["nanoGPT"])
    for label, runs in results.items():
        ok = [r for r in runs if "tokens_per_s" in r]
        if not ok:
            print(f"| {label} | failed: {runs[0]['error']} | | | |")
            continue
        rate = statistics.median(r["tokens_per_s"] for r in ok)
        memory = [r["memory_gib"] for r in ok if r["memory_gib"] is not None]
        mfu = f"{100 * flops_per_token * rate / peak:.1f}%" if peak else "-"
        mem = f"{max(memory):.1f}" if memory else "-"
        shown = "nanoGPT train.py" if label == "nanoGPT" else f"webcorpus {label}"
        print(f"| {shown} | {rate:,.0f} | {mfu} | {mem} | {rate / ref:.3f} |")
    (work / "results.json").write_text(json.dumps({"gpu": name, "peak": peak, "results": results}, indent=2))


def time_to_loss(args) -> None:
    work = Path(args.work)
    times = {}
    for preset in ("gpt2-124m", "gpt2-124m-speedrun"):
        out = work / f"ttl-{preset}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "webcorpus.trainer", "train", "--data", args.data, "--out", str(out),
               "--preset", preset, "--eval-every", "125", "--log-every", "1", "--checkpoint-every", "0",
               "--target-val-loss", str(args.time_to_loss)]
        run_logged(cmd, REPO, work / f"ttl-{preset}.log")
        lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        vals = [line for line in lines if "val_loss" in line]
        reached = vals[-1]["val_loss"] <= args.time_to_loss
        seconds = sum(line.get("ms_per_step", 0.0) for line in lines) / 1000
        times[preset] = seconds if reached else None
        print(f"{preset}: {'reached' if reached else 'did not reach'} {args.time_to_loss} at step "
              f"{vals[-1]['step']} (val {vals[-1]['val_loss']:.4f}) after {seconds / 60:.1f} min of training")
    if all(times.values()):
        print(f"speedrun / gpt2-124m time to {args.time_to_loss}: {times['gpt2-124m'] / times['gpt2-124m-speedrun']:.2f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--nanogpt", help="path of a nanoGPT checkout (git clone https://github.com/karpathy/nanoGPT)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default="default,no-chunked-loss,flash-attention,batch-64")
    parser.add_argument("--work", default="gpu-bench", help="scratch folder (tokens, runs, logs, results.json)")
    parser.add_argument("--time-to-loss", type=float, default=None, help="train both GPT-2 presets to this val loss")
    parser.add_argument("--data", help="llm.c shards of real text, for --time-to-loss")
    args = parser.parse_args()
    if args.time_to_loss is not None:
        if not args.data:
            parser.error("--time-to-loss needs --data (real text: random tokens never reach a target)")
        return time_to_loss(args)
    if not args.nanogpt or not (Path(args.nanogpt) / "train.py").is_file():
        parser.error("--nanogpt must be a nanoGPT checkout: git clone https://github.com/karpathy/nanoGPT PATH")
    throughput(args)


if __name__ == "__main__":
    main()

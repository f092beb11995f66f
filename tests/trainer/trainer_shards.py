"""Test helpers: llm.c shards written straight from the format's description, and token streams.

The writer here is independent of webcorpus.trainer.data.write_shard on purpose, so the
reader is checked against the format, not against our own writer.
"""
from __future__ import annotations

import os
import subprocess
import sys
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


#: the tiny model and schedule the trainer tests train on the CPU
TINY = dict(n_layer=2, n_head=2, n_embd=32, seq_len=32, batch_size=8, lr=3e-3, warmup_steps=5,
            eval_tokens=2048, device="cpu")


def metrics(run):
    """The metrics.jsonl lines of a run folder."""
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def write_llmc_shard(path, tokens, magic=20240520, version=1, dtype="<u2", n_tokens=None):
    """256 little-endian int32 header (magic, version, token count, zeros) then the tokens."""
    tokens = np.asarray(tokens)
    header = np.zeros(256, dtype="<i4")
    header[0], header[1] = magic, version
    header[2] = len(tokens) if n_tokens is None else n_tokens
    Path(path).write_bytes(header.tobytes() + tokens.astype(dtype).tobytes())
    return Path(path)


def markov_stream(n_tokens, vocab=64, seed=0, stay=0.9, separator=0, doc_len=(30, 120)):
    """Documents of a low-entropy Markov chain: token t is followed by (5 t + 3) mod vocab with
    probability ``stay``; each document starts with the separator. A model that learns the
    successor table drops from ln(vocab) to about 0.75 nats."""
    rng = np.random.default_rng(seed)
    out = np.empty(n_tokens, dtype=np.int64)
    i, left, current = 0, 0, 1
    while i < n_tokens:
        if left == 0:
            out[i], left, current = separator, int(rng.integers(*doc_len)), int(rng.integers(1, vocab))
        else:
            if rng.random() < stay:
                current = (5 * current + 3) % vocab
            else:
                current = int(rng.integers(1, vocab))
            current = current or 1  # keep the separator for document starts
            out[i] = current
            left -= 1
        i += 1
    return out


def make_dataset(folder, train_tokens=40_000, val_tokens=8_000, train_shards=2, **kw):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stream = markov_stream(train_tokens + val_tokens, **kw)
    for i, part in enumerate(np.array_split(stream[:train_tokens], train_shards)):
        write_llmc_shard(folder / f"syn_train_{i:03d}.bin", part)
    write_llmc_shard(folder / "syn_val_000.bin", stream[train_tokens:])
    return folder


def run_module(*args, env_extra=None, timeout=300):
    """Run ``python -m ...`` from the repository root with webcorpus importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)

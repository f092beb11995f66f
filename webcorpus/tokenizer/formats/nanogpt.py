"""nanoGPT: headerless uint16 ``train.bin`` and ``val.bin``, and ``meta.pkl``.

nanoGPT's train.py memory-maps each file as ``np.uint16`` and reads
``meta['vocab_size']`` from meta.pkl. There is one file per split, so shard
boundaries do not show here: the file is the split's shards concatenated.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


class NanoGptWriter:
    def __init__(self, directory: Path, vocab_size: int):
        if vocab_size > 2**16:
            raise ValueError(f"nanoGPT stores uint16 tokens; vocabulary of {vocab_size:,} is too large")
        self.directory = Path(directory)
        self.vocab_size = vocab_size
        self._files: dict[str, object] = {}
        self._split = ""
        self.counts: dict[str, int] = {}

    def open_shard(self, split: str, index: int) -> None:
        if split not in self._files:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._files[split] = open(self.directory / f"{split}.bin", "wb")
            self.counts[split] = 0
        self._split = split

    def write(self, tokens: np.ndarray, lengths: np.ndarray) -> None:
        self._files[self._split].write(tokens.astype("<u2", copy=False).tobytes())
        self.counts[self._split] += len(tokens)

    def close_shard(self) -> None:
        pass

    def finish(self, extra_meta: dict | None = None) -> dict:
        for f in self._files.values():
            f.close()
        meta = {"vocab_size": self.vocab_size, **(extra_meta or {})}
        with open(self.directory / "meta.pkl", "wb") as f:
            pickle.dump(meta, f)
        return {"dtype": "uint16", "files": sorted(f"{s}.bin" for s in self._files) + ["meta.pkl"], "tokens": dict(self.counts)}

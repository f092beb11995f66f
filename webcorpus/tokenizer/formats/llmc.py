"""llm.c / modded-nanogpt shards: a 256 x int32 header, then the tokens.

The header's layout and magic numbers are defined once, in :mod:`webcorpus.llmc_header`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from webcorpus.llmc_header import HEADER_BYTES, LAYOUTS, MAGIC, MAX_TOKENS, header
from webcorpus.tokenizer.formats import llmc_dtype, shard_name


class LlmcWriter:
    def __init__(self, directory: Path, prefix: str, vocab_size: int):
        self.directory = Path(directory)
        self.prefix = prefix
        self.dtype = llmc_dtype(vocab_size)
        self.paths: list[str] = []
        self._file = None
        self._count = 0

    def open_shard(self, split: str, index: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path = self.directory / f"{shard_name(self.prefix, split, index)}.bin"
        self._file = open(self._path, "wb")
        self._file.write(header(self.dtype, 0).tobytes())  # count patched on close
        self._count = 0

    def write(self, tokens: np.ndarray, lengths: np.ndarray) -> None:
        self._file.write(tokens.astype(np.dtype(self.dtype).newbyteorder("<"), copy=False).tobytes())
        self._count += len(tokens)

    def close_shard(self) -> None:
        if self._count > MAX_TOKENS:
            raise ValueError(f"llm.c shard {self._path} would hold {self._count:,} tokens; its header allows {MAX_TOKENS:,}")
        self._file.seek(0)
        self._file.write(header(self.dtype, self._count).tobytes())
        self._file.close()
        self.paths.append(str(self._path))

    def finish(self) -> dict:
        magic = MAGIC[np.dtype(self.dtype).newbyteorder("<")]
        return {"dtype": np.dtype(self.dtype).name, "magic": magic, "version": LAYOUTS[magic][0], "files": [os.path.basename(p) for p in self.paths]}


def read(path: str | os.PathLike) -> np.ndarray:
    """Read a shard the way llm.c does: check magic and version, check the file size against the count."""
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(HEADER_BYTES), dtype="<i4")
    version, dtype = LAYOUTS.get(int(head[0]), (None, None))
    if dtype is None or version != head[1]:
        raise ValueError(f"{path}: bad magic {head[0]} or version {head[1]}")
    count = int(head[2])
    expected = HEADER_BYTES + count * dtype.itemsize
    if os.path.getsize(path) != expected:
        raise ValueError(f"{path}: {os.path.getsize(path)} bytes, header says {expected}")
    return np.memmap(path, dtype=dtype, mode="r", offset=HEADER_BYTES, shape=(count,))

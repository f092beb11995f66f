"""llm.c / modded-nanogpt shards: a 256 x int32 header, then the tokens.

Header: ``[0]`` magic, ``[1]`` version, ``[2]`` token count, the rest zero.
magic 20240520 / version 1 / uint16 tokens for vocabularies up to 65,536 (what
llm.c's C loader and modded-nanogpt accept); magic 20240801 / version 7 /
uint32 tokens above that (llm.c's Llama 3 layout). Sources: docs/formats.md.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from webcorpus.tokenizer.formats import llmc_dtype, shard_name

HEADER_INTS = 256
MAGIC = {np.uint16: 20240520, np.uint32: 20240801}
VERSION = {np.uint16: 1, np.uint32: 7}
MAX_TOKENS = 2**31 - 1  # the count is an int32


def header(dtype, count: int) -> np.ndarray:
    values = np.zeros(HEADER_INTS, dtype="<i4")
    values[0], values[1], values[2] = MAGIC[dtype], VERSION[dtype], count
    return values


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
        return {"dtype": np.dtype(self.dtype).name, "magic": MAGIC[self.dtype], "version": VERSION[self.dtype], "files": [os.path.basename(p) for p in self.paths]}


def read(path: str | os.PathLike) -> np.ndarray:
    """Read a shard the way llm.c does: check magic and version, check the file size against the count."""
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(HEADER_INTS * 4), dtype="<i4")
    dtype = {20240520: np.uint16, 20240801: np.uint32}.get(int(head[0]))
    if dtype is None or VERSION[dtype] != head[1]:
        raise ValueError(f"{path}: bad magic {head[0]} or version {head[1]}")
    count = int(head[2])
    expected = HEADER_INTS * 4 + count * np.dtype(dtype).itemsize
    if os.path.getsize(path) != expected:
        raise ValueError(f"{path}: {os.path.getsize(path)} bytes, header says {expected}")
    return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r", offset=HEADER_INTS * 4, shape=(count,))

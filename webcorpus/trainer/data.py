"""Reading llm.c-format token shards, and a loader that ranks share without overlap.

The data contract (the files llm.c's ``train_gpt2.py`` and nanoGPT's fineweb scripts use):

- a folder with ``NAME_train_*.bin`` and ``NAME_val_*.bin``, read in sorted name order;
- each file starts with 256 little-endian int32s (1024 bytes): ``header[0]`` the magic number,
  ``header[1]`` the version, ``header[2]`` the number of tokens; the tokens follow;
- magic 20240520 with version 1 means uint16 tokens, magic 20240801 with version 7 uint32 tokens;
- the file size must be exactly 1024 + tokens * bytes-per-token.

The pipeline's ``tokenize`` stage writes the shards to ``OUTPUT/tokens/llmc/`` and its tokenizer
to ``OUTPUT/tokenizer/``, so ``DATA`` may be the shard folder itself or a folder holding ``llmc/``.
The tokenizer folder is ``DATA/../tokenizer`` (or ``DATA/../../tokenizer`` when DATA is the
``llmc`` folder). Its ``card.json`` gives ``vocab_size`` and the separator token (the first of
``separator_token``, ``eot_token``, ``eos_id``, ``bos_id``); without a card the vocabulary is the
largest token id in the data plus one.
"""
from __future__ import annotations

import bisect
import json
import os
from pathlib import Path

import numpy as np

from webcorpus import llmc_header
from webcorpus.llmc_header import HEADER_BYTES, HEADER_INTS, LAYOUTS as FORMATS  # magic -> (version, token dtype)

SEPARATOR_KEYS = ("separator_token", "eot_token", "eos_id", "bos_id")


class ShardError(ValueError):
    """A shard file does not follow the llm.c format; the message names the file."""


def read_header(path: str | os.PathLike) -> tuple[np.dtype, int]:
    """Check a shard's header against its size; return (token dtype, token count)."""
    size = os.path.getsize(path)
    if size < HEADER_BYTES:
        raise ShardError(f"{path}: {size} bytes, shorter than the {HEADER_BYTES}-byte llm.c header")
    header = np.fromfile(path, dtype="<i4", count=HEADER_INTS)
    magic, version, n_tokens = int(header[0]), int(header[1]), int(header[2])
    if magic not in FORMATS:
        raise ShardError(
            f"{path}: bad magic number {magic}; an llm.c shard starts with 20240520 (uint16 tokens) "
            f"or 20240801 (uint32 tokens)"
        )
    expected_version, dtype = FORMATS[magic]
    if version != expected_version:
        raise ShardError(f"{path}: version {version} with magic {magic}; expected version {expected_version}")
    expected = HEADER_BYTES + n_tokens * dtype.itemsize
    if n_tokens < 0 or size != expected:
        raise ShardError(
            f"{path}: header says {n_tokens} tokens ({expected} bytes) but the file has {size} bytes; "
            f"it is truncated or corrupt"
        )
    return dtype, n_tokens


def open_shard(path: str | os.PathLike) -> np.ndarray:
    """The tokens of a shard as a read-only memory map, after checking its header."""
    dtype, n_tokens = read_header(path)
    if n_tokens == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=HEADER_BYTES, shape=(n_tokens,))


def write_shard(path: str | os.PathLike, tokens) -> None:
    """Write tokens as an llm.c shard: uint16 when every id fits, else uint32."""
    tokens = np.asarray(tokens)
    dtype = np.dtype("<u4" if tokens.size > 0 and int(tokens.max()) >= 1 << 16 else "<u2")
    with open(path, "wb") as f:
        f.write(llmc_header.header(dtype, tokens.size).tobytes())
        f.write(tokens.astype(dtype).tobytes())


def find_shards(data: str | os.PathLike, split: str) -> list[Path]:
    """The ``*_{split}_*.bin`` files of DATA, or of DATA/llmc, in sorted order."""
    for folder in (Path(data), Path(data) / "llmc"):
        paths = sorted(folder.glob(f"*_{split}_*.bin"))
        if paths:
            return paths
    raise FileNotFoundError(f"no {split} shards (*_{split}_*.bin) in {data} or {Path(data) / 'llmc'}")


def tokenizer_folder(data: str | os.PathLike) -> Path | None:
    here = Path(data).resolve()
    candidates = [here.parent / "tokenizer"]
    if here.name == "llmc":  # OUTPUT/tokens/llmc -> OUTPUT/tokenizer
        candidates.append(here.parent.parent / "tokenizer")
    return next((folder for folder in candidates if folder.is_dir()), None)


def tokenizer_card(data: str | os.PathLike) -> dict | None:
    folder = tokenizer_folder(data)
    card = folder / "card.json" if folder else None
    return json.loads(card.read_text()) if card and card.is_file() else None


def vocab_size_of(data: str | os.PathLike) -> int:
    """``vocab_size`` of the tokenizer card, else the largest token id of all shards plus one."""
    card = tokenizer_card(data)
    if card and card.get("vocab_size"):
        return int(card["vocab_size"])
    largest = 0
    for path in find_shards(data, "train") + find_shards(data, "val"):
        tokens = open_shard(path)
        if tokens.size:
            largest = max(largest, int(tokens.max()))
    return largest + 1


def separator_of(data: str | os.PathLike) -> int:
    card = tokenizer_card(data) or {}
    for key in SEPARATOR_KEYS:
        if card.get(key) is not None:
            return int(card[key])
    return 0


class TokenLoader:
    """Batches ``(x, y)`` of shape (batch_size, seq_len) from the shards of one split.

    The shards are cut into chunks of ``batch_size`` rows of ``seq_len + 1`` tokens. A rank's
    k-th batch is global chunk ``k * world_size + rank``, so the ranks together read the chunks
    in order, each its own, and a single rank accumulating ``world_size`` micro-batches reads
    exactly what ``world_size`` ranks read in one step. After the last chunk, reading wraps
    around. The position is one integer (``state_dict``), identical on all ranks.

    Rows are contiguous by default. With ``separator`` set, every row starts at a separator
    token instead; the tail of a document longer than a row is skipped.
    """

    def __init__(self, paths, batch_size: int, seq_len: int, rank: int = 0, world_size: int = 1,
                 separator: int | None = None):
        self.paths = [Path(p) for p in paths]
        self.batch_size, self.seq_len = batch_size, seq_len
        self.rank, self.world_size = rank, world_size
        self.separator = separator
        self.shards = [open_shard(p) for p in self.paths]
        self._starts_cache: tuple[int, np.ndarray] | None = None
        counts = [self._rows(i) // batch_size for i in range(len(self.shards))]
        self.chunk_offsets = np.concatenate([[0], np.cumsum(counts)]).tolist()
        self.total_chunks = self.chunk_offsets[-1]
        if self.total_chunks < world_size:
            raise ValueError(
                f"{len(self.paths)} shard(s) starting with {self.paths[0]} hold {self.total_chunks} "
                f"batches of {batch_size} x {seq_len + 1} tokens; {world_size} rank(s) need at least one each"
            )
        self.k = 0

    def _row_starts(self, shard: int) -> np.ndarray:
        if self._starts_cache is not None and self._starts_cache[0] == shard:
            return self._starts_cache[1]
        tokens, T = self.shards[shard], self.seq_len
        if self.separator is None:
            starts = np.arange(0, max(len(tokens) - T, 0), T)
        else:
            picked, next_free = [], 0
            for p in np.flatnonzero(tokens == self.separator).tolist():
                if p + T + 1 > len(tokens):
                    break
                if p >= next_free:
                    picked.append(p)
                    next_free = p + T
            starts = np.array(picked, dtype=np.int64)
        self._starts_cache = (shard, starts)
        return starts

    def _rows(self, shard: int) -> int:
        if self.separator is None:  # no need to scan: rows of T tokens plus one target
            return max(len(self.shards[shard]) - 1, 0) // self.seq_len
        return len(self._row_starts(shard))

    def next_batch(self):
        """The next (x, y) pair as int64 torch tensors on the CPU."""
        import torch

        g = (self.k * self.world_size + self.rank) % self.total_chunks
        self.k += 1
        shard = bisect.bisect_right(self.chunk_offsets, g) - 1
        chunk = g - self.chunk_offsets[shard]
        tokens, B, T = self.shards[shard], self.batch_size, self.seq_len
        if self.separator is None:
            start = chunk * B * T
            buf = np.asarray(tokens[start : start + B * T + 1], dtype=np.int64)
            x, y = buf[:-1].reshape(B, T), buf[1:].reshape(B, T)
        else:
            starts = self._row_starts(shard)[chunk * B : (chunk + 1) * B]
            rows = np.stack([np.asarray(tokens[s : s + T + 1], dtype=np.int64) for s in starts])
            x, y = rows[:, :-1], rows[:, 1:]
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))

    def reset(self) -> None:
        self.k = 0

    def state_dict(self) -> dict:
        return {"k": self.k}

    def load_state_dict(self, state: dict) -> None:
        self.k = int(state["k"])

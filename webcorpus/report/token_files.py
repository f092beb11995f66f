"""Token shards on disk: which layout a file is, its header, and its tokens (for the report and `inspect`).

The writers and the byte layouts live in :mod:`webcorpus.tokenizer.formats`
(sources in docs/formats.md); this module only reads, and tells the three
layouts apart from the file alone: an llm.c shard starts with its magic
number, a Megatron ``.bin`` has an ``.idx`` beside it, and a nanoGPT
``train.bin``/``val.bin`` has neither (its ``meta.pkl`` sits beside it).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from webcorpus.llmc_header import HEADER_BYTES, HEADER_INTS, LAYOUTS



@dataclass
class TokenShard:
    """One token file: its layout, header fields and tokens (memory-mapped, not read)."""

    path: Path
    layout: str  # "llmc", "megatron" or "nanogpt"
    header: dict = field(default_factory=dict)
    tokens: np.ndarray | None = None
    #: token count of each document, where the layout records it (Megatron's .idx)
    document_lengths: np.ndarray | None = None

    @property
    def token_count(self) -> int:
        return 0 if self.tokens is None else int(len(self.tokens))


def open_token_shard(path: str | Path) -> TokenShard:
    """Recognise and open an llm.c, Megatron (``.bin`` or ``.idx``) or nanoGPT token file."""
    path = Path(path)
    if path.suffix == ".idx":
        path = path.with_suffix(".bin")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such token file")
    if path.with_suffix(".idx").is_file():
        return _open_megatron(path)
    magic = _llmc_magic(path)
    if magic in LAYOUTS:
        return _open_llmc(path)
    if (path.parent / "meta.pkl").is_file() or path.name in ("train.bin", "val.bin"):
        return _open_nanogpt(path)
    raise ValueError(
        f"{path}: not a token shard webcorpus knows (no llm.c magic, no Megatron .idx beside it, no nanoGPT meta.pkl)"
    )


def _llmc_magic(path: Path) -> int | None:
    with open(path, "rb") as f:
        head = f.read(4)
    return int(np.frombuffer(head, "<i4")[0]) if len(head) == 4 else None


def _open_llmc(path: Path) -> TokenShard:
    header = np.fromfile(path, dtype="<i4", count=HEADER_INTS)
    magic, version, count = int(header[0]), int(header[1]), int(header[2])
    expected_version, dtype = LAYOUTS[magic]
    if version != expected_version:
        raise ValueError(f"{path}: llm.c magic {magic} needs version {expected_version}, header says {version}")
    itemsize = np.dtype(dtype).itemsize
    size = path.stat().st_size
    expected = HEADER_BYTES + count * itemsize
    if size != expected:
        raise ValueError(f"{path}: {size:,} bytes, but its header says {count:,} tokens ({expected:,} bytes)")
    tokens = np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r", offset=HEADER_BYTES, shape=(count,)) if count else np.empty(0, dtype)
    head = {"magic": magic, "version": version, "token_count": count, "dtype": np.dtype(dtype).name, "header_bytes": HEADER_BYTES}
    return TokenShard(path, "llmc", head, tokens)


def _open_megatron(path: Path) -> TokenShard:
    from webcorpus.tokenizer.formats.megatron import read_index

    index = read_index(str(path.with_suffix(".idx")))
    dtype = np.dtype(index["dtype"]).newbyteorder("<")
    size = path.stat().st_size
    if size % dtype.itemsize:
        raise ValueError(f"{path}: {size:,} bytes is not a whole number of {dtype.name} tokens")
    total = int(index["lengths"].sum())
    if total * dtype.itemsize != size:
        raise ValueError(f"{path}: {size // dtype.itemsize:,} tokens, but its .idx lists {total:,}")
    tokens = np.memmap(path, dtype=dtype, mode="r") if size else np.empty(0, dtype)
    head = {
        "index": path.with_suffix(".idx").name,
        "version": int(index["version"]),
        "dtype": np.dtype(index["dtype"]).name,
        "sequences": int(len(index["lengths"])),
        "document_index_entries": int(len(index["document_indices"])),
        "token_count": total,
    }
    return TokenShard(path, "megatron", head, tokens, document_lengths=np.asarray(index["lengths"]))


def _open_nanogpt(path: Path) -> TokenShard:
    size = path.stat().st_size
    if size % 2:
        raise ValueError(f"{path}: {size:,} bytes is not a whole number of uint16 tokens (nanoGPT's layout)")
    head = {"dtype": "uint16", "token_count": size // 2}
    meta = path.parent / "meta.pkl"
    if meta.is_file():
        with open(meta, "rb") as f:
            loaded = pickle.load(f)  # a file this project wrote; nanoGPT reads it the same way
        head["meta.pkl"] = {k: v for k, v in loaded.items() if isinstance(v, (int, float, str))}
    tokens = np.memmap(path, dtype="<u2", mode="r") if size else np.empty(0, np.uint16)
    return TokenShard(path, "nanogpt", head, tokens)


def find_tokenizer_model(path: str | Path) -> Path | None:
    """The sentencepiece model of the run a token file belongs to: OUTPUT/tokenizer/*.model above it."""
    for folder in Path(path).resolve().parents:
        candidates = sorted((folder / "tokenizer").glob("*.model")) if (folder / "tokenizer").is_dir() else []
        if candidates:
            return candidates[0]
    return None


def split_of(path: Path) -> str:
    """'train' or 'val' from a shard's file name (llm.c/Megatron NAME_val_000000, nanoGPT val.bin)."""
    name = path.stem
    if name == "val" or "_val_" in name:
        return "val"
    if name == "train" or "_train_" in name:
        return "train"
    return "?"

"""Megatron-LM indexed datasets: a ``.bin`` of raw tokens and an ``.idx`` in the MMIDIDX version 1 layout.

``.idx``, little-endian: the 9 bytes ``MMIDIDX\\x00\\x00``; version ``<Q`` = 1;
dtype code ``<B`` (8 = uint16, 4 = int32); sequence count ``<Q``; document
count ``<Q`` (the length of the document index array, sequences + 1 here);
then int32 sequence lengths, int64 byte offsets of each sequence in ``.bin``,
and int64 document indices (0, then the sequence index ending each document).
One sequence per document. Sources: docs/formats.md.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from webcorpus.tokenizer.formats import megatron_dtype, shard_name

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES = {np.dtype(np.uint8): 1, np.dtype(np.int8): 2, np.dtype(np.int16): 3, np.dtype(np.int32): 4,
               np.dtype(np.int64): 5, np.dtype(np.float64): 6, np.dtype(np.float32): 7, np.dtype(np.uint16): 8}


class MegatronWriter:
    def __init__(self, directory: Path, prefix: str, vocab_size: int):
        self.directory = Path(directory)
        self.prefix = prefix
        self.dtype = np.dtype(megatron_dtype(vocab_size))
        self.prefixes: list[str] = []

    def open_shard(self, split: str, index: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._prefix = self.directory / shard_name(self.prefix, split, index)
        self._bin = open(self._prefix.with_suffix(".bin"), "wb")
        self._lengths: list[np.ndarray] = []

    def write(self, tokens: np.ndarray, lengths: np.ndarray) -> None:
        self._bin.write(tokens.astype(self.dtype.newbyteorder("<"), copy=False).tobytes())
        self._lengths.append(np.asarray(lengths, dtype=np.int64))

    def close_shard(self) -> None:
        self._bin.close()
        lengths = np.concatenate(self._lengths) if self._lengths else np.empty(0, np.int64)
        if len(lengths) and lengths.max() > np.iinfo(np.int32).max:
            raise ValueError("a Megatron sequence is longer than int32 allows")
        pointers = np.zeros(len(lengths), dtype="<i8")
        np.cumsum(lengths[:-1] * self.dtype.itemsize, out=pointers[1:])
        documents = np.arange(len(lengths) + 1, dtype="<i8")  # one sequence per document
        with open(self._prefix.with_suffix(".idx"), "wb") as f:
            f.write(MAGIC)
            f.write(struct.pack("<Q", VERSION))
            f.write(struct.pack("<B", DTYPE_CODES[self.dtype]))
            f.write(struct.pack("<Q", len(lengths)))
            f.write(struct.pack("<Q", len(documents)))
            f.write(lengths.astype("<i4").tobytes())
            f.write(pointers.tobytes())
            f.write(documents.tobytes())
        self.prefixes.append(self._prefix.name)

    def finish(self) -> dict:
        return {"dtype": self.dtype.name, "prefixes": list(self.prefixes)}


def read_index(path: str) -> dict:
    """Parse an ``.idx`` the way Megatron's ``_IndexReader`` does: header fields, then the three arrays."""
    data = Path(path).read_bytes()
    if data[:9] != MAGIC:
        raise ValueError(f"{path}: not an MMIDIDX index")
    (version,) = struct.unpack_from("<Q", data, 9)
    (code,) = struct.unpack_from("<B", data, 17)
    sequences, documents = struct.unpack_from("<QQ", data, 18)
    offset = 34
    lengths = np.frombuffer(data, "<i4", sequences, offset)
    pointers = np.frombuffer(data, "<i8", sequences, offset + lengths.nbytes)
    doc_index = np.frombuffer(data, "<i8", documents, offset + lengths.nbytes + pointers.nbytes)
    dtype = {v: k for k, v in DTYPE_CODES.items()}[code]
    end = offset + lengths.nbytes + pointers.nbytes + doc_index.nbytes
    return {"version": version, "dtype": dtype, "lengths": lengths, "pointers": pointers, "document_indices": doc_index, "trailing_bytes": len(data) - end}

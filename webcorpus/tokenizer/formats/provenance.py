"""The provenance sidecar: where each document's tokens are, and which document they are.

``tokens/provenance.parquet`` has one row per document (per piece, for the rare
document longer than a shard): ``split``, ``shard`` (the number in the shard's
file name: llm.c ``NAME_{split}_{shard:06d}.bin``, the Megatron pair of the
same name), ``start`` and ``length`` (token positions inside that shard's
tokens, header excluded; the range begins with the separator),
``split_offset`` (the same range's start in nanoGPT's ``{split}.bin``),
``piece``, ``id`` and ``url``.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("split", pa.string()),
        ("shard", pa.int32()),
        ("start", pa.int64()),
        ("length", pa.int64()),
        ("split_offset", pa.int64()),
        ("piece", pa.int32()),
        ("id", pa.string()),
        ("url", pa.string()),
    ]
)


class ProvenanceWriter:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd")
        self.rows = 0

    def add(self, split, shard, starts, lengths, split_offsets, ids, urls, pieces) -> None:
        n = len(lengths)
        table = pa.table(
            {
                "split": pa.array([split] * n, pa.string()),
                "shard": pa.array([shard] * n, pa.int32()),
                "start": pa.array(starts, pa.int64()),
                "length": pa.array(lengths, pa.int64()),
                "split_offset": pa.array(split_offsets, pa.int64()),
                "piece": pa.array(pieces, pa.int32()),
                "id": pa.array(ids, pa.string()),
                "url": pa.array(urls, pa.string()),
            },
            schema=SCHEMA,
        )
        self._writer.write_table(table)
        self.rows += n

    def close(self) -> None:
        self._writer.close()

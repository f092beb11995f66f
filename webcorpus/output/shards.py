"""Parquet shard writing: zstd, bounded shard size, atomic by rename.

A shard is written under a temporary name that carries the writer's pid and
renamed into place only when complete, so a killed run never leaves a shard
that looks finished.
"""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_ROWS_PER_SHARD = 50_000
DEFAULT_BYTES_PER_SHARD = 512 * 1024 * 1024


class ShardWriter:
    """Write batches into ``{prefix}.{part:05d}.parquet`` files in ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike,
        prefix: str,
        rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
        bytes_per_shard: int = DEFAULT_BYTES_PER_SHARD,
    ):
        self.directory = Path(directory)
        self.prefix = prefix
        self.rows_per_shard = rows_per_shard
        self.bytes_per_shard = bytes_per_shard
        self.paths: list[str] = []
        self.rows_written = 0
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None
        self._final: Path | None = None
        self._rows = 0
        self._bytes = 0
        self._schema: pa.Schema | None = None
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, batch: pa.Table) -> None:
        if batch.num_rows == 0:
            if self._schema is None:
                self._schema = batch.schema
            return
        if self._schema is not None and not batch.schema.equals(self._schema):
            batch = _conform(batch, self._schema)
        start = 0
        while start < batch.num_rows:
            if self._writer is None:
                self._open(batch.schema)
            room = self.rows_per_shard - self._rows
            piece = batch.slice(start, room)
            self._writer.write_table(piece)
            self._rows += piece.num_rows
            self._bytes += piece.nbytes
            self.rows_written += piece.num_rows
            start += piece.num_rows
            if self._rows >= self.rows_per_shard or self._bytes >= self.bytes_per_shard:
                self._close_shard()

    def _open(self, schema: pa.Schema) -> None:
        self._schema = self._schema or schema
        part = len(self.paths)
        self._final = self.directory / f"{self.prefix}.{part:05d}.parquet"
        self._tmp = self.directory / f".{self.prefix}.{part:05d}.parquet.tmp-{os.getpid()}"
        self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="zstd")
        self._rows = 0
        self._bytes = 0

    def _close_shard(self) -> None:
        assert self._writer is not None and self._tmp is not None and self._final is not None
        self._writer.close()
        os.replace(self._tmp, self._final)
        self.paths.append(str(self._final))
        self._writer = None

    def close(self) -> list[str]:
        if self._writer is not None:
            self._close_shard()
        return self.paths

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()


def _conform(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a batch to the shard's schema (a column of all nulls may have come out typed ``null``)."""
    columns = []
    for field in schema:
        if field.name in batch.column_names:
            columns.append(batch.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(batch.num_rows, field.type))
    return pa.table(columns, schema=schema)


def remove_shards(directory: str | os.PathLike, prefix: str) -> None:
    """Delete the shards (finished or temporary) of one task before it runs again."""
    directory = Path(directory)
    if not directory.exists():
        return
    for path in directory.iterdir():
        name = path.name
        if name.startswith(f"{prefix}.") or name.startswith(f".{prefix}."):
            if name.endswith(".parquet") or ".parquet.tmp-" in name:
                path.unlink(missing_ok=True)


def list_shards(directory: str | os.PathLike) -> list[str]:
    directory = Path(directory)
    if not directory.exists():
        return []
    return sorted(str(p) for p in directory.glob("*.parquet") if not p.name.startswith("."))

"""Parquet shard writing: zstd, bounded shard size, atomic by rename.

A shard is written under a temporary name that carries the writer's pid and
renamed into place only when complete, so a killed run never leaves a shard
that looks finished.

Batches of one writer normally share a schema. When a later batch brings a
column the shard does not have (JSON lines whose fields vary), or a type the
shard's cannot hold (an int column that turns float), the open shard is closed
and the next one is written with the widened schema: nothing is dropped, and
each shard file stays self-consistent. Read such a folder file by file or with
a unified schema (``pyarrow.unify_schemas``).
"""
from __future__ import annotations

import json
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
            widened = widen(self._schema, batch.schema)
            if not widened.equals(self._schema):
                if self._writer is not None:
                    self._close_shard()
                self._schema = widened
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


def widen(schema: pa.Schema, other: pa.Schema) -> pa.Schema:
    """``schema`` with the columns ``other`` adds and the types both need (int and float -> float,
    null -> anything); a column whose types cannot be reconciled becomes text (JSON, as the JSON-lines
    reader does within one batch)."""
    fields = {field.name: field for field in schema}
    for field in other:
        current = fields.get(field.name)
        if current is None:
            fields[field.name] = field
            continue
        try:
            fields[field.name] = pa.unify_schemas([pa.schema([current]), pa.schema([field])], promote_options="permissive").field(0)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            fields[field.name] = pa.field(field.name, pa.string())
    return pa.schema(list(fields.values()), metadata=schema.metadata)


def _conform(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a batch to the shard's schema: absent columns as nulls, values cast (or as JSON text)."""
    columns = []
    for field in schema:
        if field.name not in batch.column_names:
            columns.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(field.name)
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            if field.type != pa.string():
                raise
            values = [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
                      for v in column.to_pylist()]
            columns.append(pa.array(values, pa.string()))
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

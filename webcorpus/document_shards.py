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

With ``group_rows`` the files do not depend on how the rows arrived: rows are held until
``group_rows`` are there (or :data:`GROUP_BYTES` of values), then written as one contiguous row
group, so the same rows in the same order give the same files (names and bytes) whatever the
batches were. A file task writes that way: a large file read as byte ranges and joined again
(:mod:`webcorpus.pipeline.splits`) gives the files of one task reading it whole. A shard is cut
after ``rows_per_shard`` rows or once its values pass ``bytes_per_shard`` (:func:`value_bytes`,
a measure of the values alone, so the cut does not depend on how Arrow laid out the buffers).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DEFAULT_ROWS_PER_SHARD = 50_000
DEFAULT_BYTES_PER_SHARD = 512 * 1024 * 1024
GROUP_BYTES = 16 << 20  # with group_rows: a row group is also written once its values reach this (bounds memory,
# as the readers' 16 MiB batches do)


class ShardWriter:
    """Write batches into ``{prefix}.{part:05d}.parquet`` files in ``directory``.

    ``group_rows`` (None: one row group per write) makes the files a function of the rows alone
    (see the module's docstring); ``rows_written`` and the paths are final after :meth:`close`.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        prefix: str,
        rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
        bytes_per_shard: int = DEFAULT_BYTES_PER_SHARD,
        group_rows: int | None = None,
    ):
        self.directory = Path(directory)
        self.prefix = prefix
        self.rows_per_shard = rows_per_shard
        self.bytes_per_shard = bytes_per_shard
        self.group_rows = max(1, group_rows) if group_rows else None
        self._held: list[tuple[pa.Table, np.ndarray]] = []  # rows waiting for their row group, with their sizes
        self._held_rows = 0
        self._held_bytes = 0
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
                self._release_held()
                if self._writer is not None:
                    self._close_shard()
                self._schema = widened
            batch = _conform(batch, self._schema)
        self._schema = self._schema or batch.schema  # held rows and those after them share one schema
        sizes = value_bytes(batch)
        if self.group_rows is None:
            self._write_group(batch, sizes)
            return
        self._held.append((batch, sizes))
        self._held_rows += batch.num_rows
        self._held_bytes += int(sizes.sum())
        while self._held_rows >= self.group_rows or self._held_bytes >= GROUP_BYTES:
            self._release_group()

    def _release_group(self) -> None:
        """Write the first row group of the held rows: ``group_rows`` rows, fewer when their values
        reach GROUP_BYTES first, all of them when fewer are held (at the end)."""
        table = pa.concat_tables([t for t, _ in self._held])  # no copy: only the group written is made contiguous
        sizes = np.concatenate([s for _, s in self._held])
        n = min(self.group_rows, table.num_rows)
        over = np.flatnonzero(np.cumsum(sizes[:n]) >= GROUP_BYTES)
        if len(over):
            n = int(over[0]) + 1
        self._write_group(table.slice(0, n).combine_chunks(), sizes[:n])
        rest = table.num_rows - n
        self._held = [(table.slice(n), sizes[n:])] if rest else []
        self._held_rows = rest
        self._held_bytes = int(sizes[n:].sum())

    def _release_held(self) -> None:
        while self._held_rows:
            self._release_group()

    def _write_group(self, batch: pa.Table, sizes: np.ndarray) -> None:
        start = 0
        while start < batch.num_rows:
            if self._writer is None:
                self._open(batch.schema)
            room = self.rows_per_shard - self._rows
            piece = batch.slice(start, room)
            self._writer.write_table(piece)
            self._rows += piece.num_rows
            self._bytes += int(sizes[start:start + piece.num_rows].sum())
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
        self._release_held()
        if self._writer is not None:
            self._close_shard()
        return self.paths

    def abort(self) -> None:
        self._held, self._held_rows, self._held_bytes = [], 0, 0
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()


def value_bytes(table: pa.Table) -> np.ndarray:
    """Bytes of each row's values: the lengths of its strings and binaries plus the width of its
    fixed-size values (nested and null columns count nothing). Depends on the values alone, not on
    chunks, slices or validity buffers."""
    sizes = np.zeros(table.num_rows, dtype=np.int64)
    for field, column in zip(table.schema, table.columns):
        kind = field.type
        if pa.types.is_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_string(kind) \
                or pa.types.is_large_binary(kind):
            sizes += pc.fill_null(pc.binary_length(column), 0).to_numpy().astype(np.int64)
        else:
            sizes += _width(kind)
    return sizes


def _width(kind: pa.DataType) -> int:
    """Bytes of one value of a fixed-size type; 0 for the others (nested, null, bool)."""
    try:
        return kind.bit_width // 8
    except ValueError:  # not a fixed-width type
        return 0


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


def remove_shards(directory: str | os.PathLike, prefix: str, exact: bool = False) -> None:
    """Delete the shards (finished or temporary) of one task before it runs again. Every name that
    begins ``prefix.`` goes (a whole file's task id also removes its byte ranges' shards); with
    ``exact``, only ``prefix``'s own series ``prefix.NNNNN.parquet``."""
    directory = Path(directory)
    if not directory.exists():
        return
    own = re.compile(rf"\.?{re.escape(prefix)}\.\d{{5,}}\.parquet(\.tmp-\d+)?")
    for path in directory.iterdir():
        name = path.name
        if exact:
            if own.fullmatch(name):
                path.unlink(missing_ok=True)
        elif name.startswith(f"{prefix}.") or name.startswith(f".{prefix}."):
            if name.endswith(".parquet") or ".parquet.tmp-" in name:
                path.unlink(missing_ok=True)


def list_shards(directory: str | os.PathLike) -> list[str]:
    directory = Path(directory)
    if not directory.exists():
        return []
    return sorted(str(p) for p in directory.glob("*.parquet") if not p.name.startswith("."))

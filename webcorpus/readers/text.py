"""Documents that are already text: Parquet files and JSON lines (plain or gzipped).

Each row or line is a document with at least ``text``; ``id`` and ``url`` are optional,
every other column is kept after the base columns. The base columns are filled in the
same way as for crawl files: ``source`` is the input as given, ``offset`` the row number
(Parquet) or the byte offset of the line (JSON lines; in the decompressed bytes when
gzipped), and a missing or null ``id`` becomes ``stable_id(source, offset)``. ``html`` and
``charset`` are null unless the input has them. A JSON line that does not parse is
reported with its offset and skipped.
"""
from __future__ import annotations

import json
import re
from typing import BinaryIO, Iterator

import pyarrow as pa

from ..documents import BASE_SCHEMA, ID, OFFSET, SOURCE, TEXT, stable_id
from .report import ReadReport
from .stream import ByteStream

_LINE_END = re.compile(rb"\n")


def conform(table: pa.Table, source: str, offsets: list[int]) -> pa.Table:
    """Give a table of text documents the base columns (in BASE_SCHEMA order) and keep the rest."""
    n = table.num_rows
    columns, fields = [], []
    for field in BASE_SCHEMA:
        # Documents written by an earlier step keep the crawl file and offset they came from.
        kept = field.name in (SOURCE, OFFSET) and field.name in table.column_names and table.column(field.name).null_count == 0
        if field.name == SOURCE and not kept:
            column = pa.array([source] * n, pa.string())
        elif field.name == OFFSET and not kept:
            column = pa.array(offsets, pa.int64())
        elif field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
            if field.name == ID and column.null_count:
                ids = column.to_pylist()
                column = pa.array([i if i is not None else stable_id(source, o) for i, o in zip(ids, offsets)],
                                  pa.string())
        elif field.name == ID:
            column = pa.array([stable_id(source, o) for o in offsets], pa.string())
        else:
            column = pa.nulls(n, field.type)
        columns.append(column)
        fields.append(field)
    for name in table.column_names:
        if name not in BASE_SCHEMA.names:
            columns.append(table.column(name))
            fields.append(table.schema.field(name))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def parquet_documents(fileobj: BinaryIO, source: str, report: ReadReport, batch_size: int) -> Iterator[pa.Table]:
    """Batches of a Parquet file of documents."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(fileobj)
    if TEXT not in parquet.schema_arrow.names:
        report.error(0, f"Parquet file has no '{TEXT}' column (columns: {', '.join(parquet.schema_arrow.names)})")
        return
    row = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        n = batch.num_rows
        report.records["text"] += n
        yield conform(pa.Table.from_batches([batch]), source, list(range(row, row + n)))
        row += n


def jsonl_documents(stream: ByteStream, source: str, report: ReadReport, batch_size: int) -> Iterator[pa.Table]:
    """Batches of a JSON-lines file of documents (one JSON object per line)."""
    rows: list[dict] = []
    offsets: list[int] = []
    pos = stream.pos
    while True:
        pos = stream.skip_blank(pos)
        if stream.at_eof(pos):
            break
        m = stream.search(_LINE_END, pos)
        end = m.start() + stream.base if m is not None else stream.end
        line = stream.get(pos, end)
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get(TEXT), str):
                raise ValueError(f"not an object with a string '{TEXT}'")
        except ValueError as exc:
            report.error(pos, f"bad JSON line at offset {pos}: {exc}")
        else:
            report.records["text"] += 1
            rows.append(row)
            offsets.append(pos)
            if len(rows) >= batch_size:
                yield _table(rows, offsets, source)
                rows, offsets = [], []
        stream.pos = pos = end + 1
    if rows:
        yield _table(rows, offsets, source)


def _table(rows: list[dict], offsets: list[int], source: str) -> pa.Table:
    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Values of mixed types in a field: that field (not a base one) is carried as JSON text.
        base = set(BASE_SCHEMA.names)
        columns = {}
        for name in dict.fromkeys(key for row in rows for key in row):
            values = [row.get(name) for row in rows]
            try:
                columns[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                if name in base:
                    raise
                columns[name] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string())
        table = pa.table(columns)
    return conform(table, source, offsets)

"""The document batch: what travels between readers, stages and writers.

Documents move in batches as ``pyarrow.Table``. Every batch has at least the
columns of :data:`BASE_SCHEMA`; stages add their own (``language``,
``language_score``, ...). ``id`` is stable across runs, worker counts and
executors: the WARC-Record-ID when the record has one, otherwise a hash of the
source and the byte offset (never a position in a list).
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

import pyarrow as pa

ID = "id"
URL = "url"
HTML = "html"
TEXT = "text"
DATE = "date"
SOURCE = "source"
OFFSET = "offset"
CHARSET = "charset"

BASE_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(URL, pa.string()),
        pa.field(DATE, pa.string()),  # ISO 8601 UTC, e.g. 2024-02-21T11:04:01Z; null if the crawl's date is unreadable
        pa.field(SOURCE, pa.string()),
        pa.field(OFFSET, pa.int64()),
        pa.field(CHARSET, pa.string()),
        pa.field(HTML, pa.string()),
        pa.field(TEXT, pa.string()),
    ]
)


def stable_id(source: str, offset: int) -> str:
    """Id for a record that carries none of its own: a hash of where it lives."""
    digest = hashlib.sha1(f"{source}\0{offset}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha1:{digest[:32]}"


def from_rows(rows: Iterable[Mapping[str, Any]], schema: pa.Schema = BASE_SCHEMA) -> pa.Table:
    """Build a batch from dicts; missing base columns are filled with nulls."""
    rows = list(rows)
    columns = {field.name: [row.get(field.name) for row in rows] for field in schema}
    extra = sorted({key for row in rows for key in row} - set(schema.names))
    table = pa.table(columns, schema=schema)
    for name in extra:
        table = table.append_column(name, pa.array([row.get(name) for row in rows]))
    return table


def empty(schema: pa.Schema = BASE_SCHEMA) -> pa.Table:
    return schema.empty_table()


def text_column(batch: pa.Table) -> str:
    """The column a text stage should read: ``text`` when it holds values, else ``html``."""
    if TEXT in batch.column_names and batch.column(TEXT).null_count < batch.num_rows:
        return TEXT
    if HTML in batch.column_names:
        return HTML
    raise KeyError("batch has neither a 'text' nor an 'html' column")

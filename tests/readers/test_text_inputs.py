"""Parquet and JSON-lines inputs of documents (made here from the text of a real WET record)."""
from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.documents import BASE_SCHEMA, stable_id

from .helpers import data_file, read_all


def _real_text() -> str:
    table, _ = read_all(data_file("cc-whirlwind/whirlwind.warc.wet.gz"))
    return table.column("text")[0].as_py()


def test_parquet_documents_keep_their_columns(tmp_path):
    text = _real_text()
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({
        "id": ["a", None, "c"],
        "text": [text, text[:100], text[100:]],
        "url": ["https://an.wikipedia.org/wiki/Escopete", None, None],
        "language": ["an", "an", "an"],
    }), path)
    table, report = read_all(str(path), batch_size=2)
    assert table.num_rows == 3 and report.records["text"] == 3 and not report.errors
    assert table.schema.names[: len(BASE_SCHEMA)] == BASE_SCHEMA.names and "language" in table.schema.names
    assert table.column("id").to_pylist() == ["a", stable_id(str(path), 1), "c"]
    assert table.column("offset").to_pylist() == [0, 1, 2]
    assert table.column("source").to_pylist() == [str(path)] * 3
    assert table.column("html").null_count == 3 and table.column("text")[0].as_py() == text


def test_parquet_without_text_is_an_error(tmp_path):
    path = tmp_path / "notext.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), path)
    table, report = read_all(str(path))
    assert table is None and "no 'text' column" in report.errors[0]["error"]


def test_jsonl_and_jsonl_gz(tmp_path):
    text = _real_text()
    lines = [json.dumps({"id": "x1", "text": text, "url": "https://an.wikipedia.org/wiki/Escopete", "score": 1}),
             "{not json",
             json.dumps({"text": "segunda linia", "score": 2})]
    data = ("\n".join(lines) + "\n").encode()
    for name, payload in (("docs.jsonl", data), ("docs.jsonl.gz", gzip.compress(data))):
        path = tmp_path / name
        path.write_bytes(payload)
        table, report = read_all(str(path))
        assert table.num_rows == 2, name
        assert [e["offset"] for e in report.errors] == [len(lines[0]) + 1]  # the bad line, reported by offset
        second_offset = len(lines[0]) + len(lines[1]) + 2
        assert table.column("offset").to_pylist() == [0, second_offset]
        assert table.column("id").to_pylist() == ["x1", stable_id(str(path), second_offset)]
        assert table.column("score").to_pylist() == [1, 2]
        assert table.column("text")[0].as_py() == text

"""ShardWriter with ``group_rows``: the files depend on the rows alone, not on the batches they came in."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq

from webcorpus.document_shards import ShardWriter, value_bytes

from tests.readers.helpers import data_file, read_all


def write(folder: Path, table, cuts: list[int], **options) -> dict[str, str]:
    """Write ``table`` cut into batches at ``cuts``; sha256 of every file by name."""
    writer = ShardWriter(folder, "docs", **options)
    for start, end in zip([0] + cuts, cuts + [table.num_rows]):
        writer.write(table.slice(start, end - start))
    assert writer.close() and writer.rows_written == table.num_rows
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_the_same_rows_in_other_batches_give_the_same_files(tmp_path):
    table, _ = read_all(data_file("aut-example/warc/example.warc.gz"))
    assert table.num_rows > 90
    options = {"group_rows": 20, "rows_per_shard": 50}
    one = write(tmp_path / "a", table, [], **options)
    ragged = write(tmp_path / "b", table, [1, 2, 3, 25, 26, 49, 50, 51, 80], **options)
    singles = write(tmp_path / "c", table, list(range(1, table.num_rows)), **options)
    assert one == ragged == singles and len(one) == -(-table.num_rows // 50)
    shard = pq.ParquetFile(tmp_path / "b" / "docs.00000.parquet")
    assert [shard.metadata.row_group(i).num_rows for i in range(shard.metadata.num_row_groups)] == [20, 20, 10]
    assert pq.read_table(tmp_path / "b" / "docs.00001.parquet").equals(table.slice(50, 50))


def test_without_group_rows_each_write_is_a_row_group(tmp_path):
    table, _ = read_all(data_file("aut-example/warc/example.warc.gz"))
    write(tmp_path, table, [10, 30])
    shard = pq.ParquetFile(tmp_path / "docs.00000.parquet")
    assert [shard.metadata.row_group(i).num_rows for i in range(3)] == [10, 20, table.num_rows - 30]


def test_value_bytes_count_the_values_not_the_buffers(tmp_path):
    table, _ = read_all(data_file("aut-example/warc/example.warc.gz"))
    sliced = table.slice(5, 20)
    html = [len(v.encode()) if v is not None else 0 for v in sliced.column("html").to_pylist()]
    sizes = value_bytes(sliced)
    assert list(value_bytes(sliced.combine_chunks())) == list(sizes)
    assert all(size >= h + 8 for size, h in zip(sizes, html))  # the page's bytes and the 8-byte offset at least

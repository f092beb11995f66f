"""One number style: the formatter itself, and one line of each surface that prints through it."""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from webcorpus import numbers
from webcorpus.pipeline.summary import summary_lines
from webcorpus.report.inspect import inspect_lines


@pytest.mark.parametrize("value, shown", [(0, "0"), (7, "7"), (1234, "1,234"), (1_234_567, "1,234,567"), (12.6, "13")])
def test_count(value, shown):
    assert numbers.count(value) == shown


@pytest.mark.parametrize("value, shown", [
    (0, "0 B"), (812, "812 B"), (999, "999 B"), (1000, "1.0 KB"), (1500, "1.5 KB"), (23_400_000, "23.4 MB"),
    (999_960, "1.0 MB"), (1_200_000_000, "1.2 GB"), (3.5e12, "3.5 TB"),
])
def test_size(value, shown):
    assert numbers.size(value) == shown


def test_share_percent_rate_duration_decimal_compact():
    assert numbers.share(1, 8) == "12.5%" and numbers.share(2, 3) == "66.7%" and numbers.share(0, 5) == "0.0%"
    assert numbers.share(3, 0) == "n/a"
    assert numbers.percent(0.123) == "12.3%"
    assert numbers.rate(12_345, 10) == "1,234 docs/s" and numbers.rate(5, 10) == "0.5 docs/s"
    assert numbers.rate(23_400_000, 1, "B") == "23.4 MB/s" and numbers.rate(3, 0) == "0.0 docs/s"
    assert [numbers.duration(s) for s in (0.04, 12.34, 59.94, 125, 3725)] == ["0.0 s", "12.3 s", "59.9 s", "2 min 05 s", "1 h 02 min"]
    assert numbers.decimal(3.14159) == "3.1416" and numbers.decimal(1234.5, 1) == "1,234.5"
    assert [numbers.compact(v) for v in (0, 0.25, 0.05, 950, 1200, 35_000, 2e6, 100_000)] == [
        "0", "0.25", "0.05", "950", "1.2K", "35K", "2M", "100K"]


STATS = {
    "run": {"input_files": 2, "seconds": 125.2},
    "reader": {"records": {"html": 12_345, "other": 55}, "error_count": 0, "charset_replaced": 0},
    "stages": [{"name": "gopher_quality", "documents_in": 12_345, "documents_out": 9_876, "seconds": 3.21,
                "dropped": {"gopher_quality:too_few_words": 2_469}, "counters": {}}],
    "documents": {"read": 12_345, "written": 9_876, "shards": ["a.parquet"]},
    "tasks": {"finished": 2, "resumed": 0, "failed": []},
}


def test_cli_summary_lines():
    lines = summary_lines(STATS)
    assert lines[0] == "read 2 file(s): 12,345 HTML documents of 12,400 records (html 12,345, other 55)"
    assert re.fullmatch(r"gopher_quality\s+12,345\s+9,876\s+20\.0%\s+3\.2 s\s+gopher_quality:too_few_words 2,469", lines[2])
    assert lines[-1].startswith("wrote 9,876 documents (80.0% of those read) in 1 shard(s);") and lines[-1].endswith("; 2 min 05 s")


def test_progress_plain_line(caplog):
    from webcorpus.pipeline.progress import Progress

    progress = Progress(2, "step 1/2 extract", unit="file")
    with caplog.at_level("INFO", logger="webcorpus"):
        progress.task_done("crawl.warc.gz: 12,345 read, 9,876 written", documents=9_876)
    assert re.search(r"\[1/2\] crawl\.warc\.gz: 12,345 read, 9,876 written \| 9,876 docs, [\d,]+ docs/s", caplog.text)


def test_inspect_line(tmp_path):
    path = tmp_path / "shard.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x" * 1_500, "y"], "language_score": [0.91234, 0.5],
                             "dup_count": [12_000, 1]}), path)
    lines = list(inspect_lines(path, n=1, chars=10))
    size = numbers.size(path.stat().st_size)
    assert lines[0] == f"{path}: 2 document(s), {size}; columns: id, text, language_score, dup_count"
    assert "  language_score: 0.9123" in lines and "  dup_count: 12,000" in lines
    assert "  text (1,500 characters):" in lines

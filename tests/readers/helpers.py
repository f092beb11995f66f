"""Shared helpers for reader tests: where the real crawl files are, and a read-all helper."""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from webcorpus.readers import ReadReport, read_documents

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("WEBCORPUS_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()
WARC_DATA = SHARED_DATA / "warc"


def data_file(relative: str) -> str:
    path = WARC_DATA / relative
    if not path.exists():
        pytest.fail(f"real test data not found: {path} (set WEBCORPUS_SHARED_DATA)")
    return str(path)


def read_all(source: str, batch_size: int = 1000) -> tuple[pa.Table | None, ReadReport]:
    """Every batch of one file concatenated (None if no documents), and its report."""
    report = ReadReport(source)
    batches = list(read_documents(source, report, batch_size=batch_size))
    table = pa.concat_tables(batches) if batches else None
    return table, report

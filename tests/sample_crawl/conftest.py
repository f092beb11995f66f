"""One sample crawl per test session, parsed once with warcio."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from webcorpus.sample_crawl import MANIFEST, generate_sample_crawl


@dataclass
class Record:
    file: str
    type: str
    headers: dict
    status: int | None
    http: dict
    body: bytes


@dataclass
class Sample:
    directory: Path
    paths: list[str]
    manifest: dict
    records: list[Record]

    def html_pages(self):
        """(record, manifest entry) for every HTML page with status 200."""
        pages = {p["url"]: p for p in self.manifest["html_pages"]}
        for record in self.records:
            if record.type == "response" and record.headers["WARC-Target-URI"] in pages:
                yield record, pages[record.headers["WARC-Target-URI"]]


def read_records(paths) -> list[Record]:
    records = []
    for path in paths:
        with open(path, "rb") as stream:
            for rec in ArchiveIterator(stream):
                http = dict(rec.http_headers.headers) if rec.http_headers else {}
                status = int(rec.http_headers.get_statuscode()) if rec.http_headers and rec.rec_type != "request" else None
                records.append(Record(Path(path).name, rec.rec_type, dict(rec.rec_headers.headers), status, http,
                                      rec.content_stream().read()))
    return records


@pytest.fixture(scope="session")
def read_warc():
    """The parser the tests use, for crawls they write themselves."""
    return read_records


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Sample:
    directory = tmp_path_factory.mktemp("sample-crawl")
    paths = generate_sample_crawl(directory, seed=0, pages=300)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    return Sample(directory, paths, manifest, read_records(paths))

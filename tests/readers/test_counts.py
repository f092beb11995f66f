"""Record counts against independent counts: header lines counted by hand, and a plain warcio loop."""
from __future__ import annotations

import gzip
import re
import zlib
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from .helpers import data_file, read_all

RESPONSE_KINDS = ("html", "non_html", "non_200", "non_http", "dns")


def _decompress_all(path: str) -> bytes:
    data = open(path, "rb").read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _warc_types(path: str) -> Counter:
    """WARC-Type of every record, by scanning each header block (independent of the reader)."""
    text = _decompress_all(path)
    counts = Counter()
    for m in re.finditer(rb"(?:^|\n)WARC/\d\.\d+\r?\n(.*?)\r?\n\r?\n", text, re.S):
        t = re.search(rb"(?im)^WARC-Type:\s*(\S+)", m.group(1))
        counts[t.group(1).decode().lower()] += 1
    return counts


@pytest.mark.parametrize(
    "name",
    [
        "aut-example/warc/example.warc.gz",
        "ipwb-samples/sample-1.warc.gz",
        "pywb-sample/iana.warc.gz",
        "resiliparse-tests/warcfile.warc.gz",
        "dolma-wget-sample/sample-0000.warc.gz",
        "ukwa-discovery/gov.uk-revisit-warcs/BL-20140325121225068-00000-32090~opera~8443.warc.gz",
        "pywarc-sample/sample.warc.gz",
        "copycat-cc-arc-sample/clueweb-09-sample/en0000/00.warc.gz",
    ],
)
def test_warc_record_counts_match_header_scan(name):
    path = data_file(name)
    expected = _warc_types(path)
    _, report = read_all(path)
    assert not report.errors
    assert sum(report.records[k] for k in RESPONSE_KINDS) == expected["response"]
    for kind in ("request", "metadata", "revisit", "warcinfo", "resource"):
        assert report.records[kind] == expected[kind], kind


def _warcio_html_200(path: str) -> set[str]:
    """URLs of HTML 200 responses as a plain warcio loop sees them."""
    urls = set()
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            mime = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            if record.http_headers.get_statuscode() == "200" and mime in ("text/html", "application/xhtml+xml"):
                urls.add(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


@pytest.mark.parametrize(
    "name",
    [
        "aut-example/warc/example.warc.gz",
        "ipwb-samples/sample-1.warc.gz",
        "pywb-sample/iana.warc.gz",
        "resiliparse-tests/warcfile.warc.gz",
        "dolma-wget-sample/sample-0001.warc.gz",
        "node-warc/parseMe.warc.gz",
    ],
)
def test_html_documents_match_a_warcio_loop(name):
    path = data_file(name)
    table, report = read_all(path)
    expected = _warcio_html_200(path)
    assert set(table.column("url").to_pylist()) == expected
    assert table.num_rows == report.records["html"]


def test_documented_counts_of_the_aut_crawl():
    # SOURCE.md: 299 response / 261 request / 261 metadata records, 94 HTML pages with HTTP 200
    table, report = read_all(data_file("aut-example/warc/example.warc.gz"))
    assert sum(report.records[k] for k in RESPONSE_KINDS) == 299
    assert report.records["request"] == 261 and report.records["metadata"] == 261
    assert table.num_rows == 94 and report.records["dns"] > 0


def test_common_crawl_2008_arc_files_read_fully():
    # SOURCE.md: 146 records (139 text/html, 6 PDF; 131 HTTP 200) and 9 records (8 HTML); warcio rejects them
    table, report = read_all(data_file("copycat-cc-arc-sample/cc-arc-sample/small-sample-1213893279526_0.arc"))
    records = report.records
    assert sum(records.values()) == 146 and not report.errors
    assert records["html"] + records["non_200"] == 139
    assert records["non_html"] == 6
    assert table.num_rows == records["html"] == 131 - 6
    assert all(u.startswith("http") for u in table.column("url").to_pylist())
    table2, report2 = read_all(data_file("copycat-cc-arc-sample/cc-arc-sample/small-sample-1262850551027_8.arc"))
    assert sum(report2.records.values()) == 9 and table2.num_rows == 8


def test_clueweb09_warc_0_18_reads_every_response():
    # warcio stops after the warcinfo record of these files; SOURCE.md counts 100 responses
    table, report = read_all(data_file("pywarc-sample/sample.warc.gz"))
    assert table.num_rows == 100 and not report.errors
    assert table.column("id").to_pylist()[0].startswith("<urn:uuid:")
    # ClueWeb09 writes impossible dates (day 67): they become null rather than a wrong date
    assert table.column("date").null_count == table.num_rows


def test_ids_are_unique_and_offsets_point_at_records():
    path = data_file("resiliparse-tests/warcfile.warc.gz")
    table, _ = read_all(path)
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == len(ids)
    raw = open(path, "rb").read()
    for offset, record_id in zip(table.column("offset").to_pylist(), ids):
        member = zlib.decompressobj(31).decompress(raw[offset:])  # a gzip member starts exactly there
        assert member.startswith(b"WARC/1.0") and record_id.encode() in member[:2000]

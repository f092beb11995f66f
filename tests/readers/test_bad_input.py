"""Every file under shared/data/warc goes through; broken records are reported with file and offset."""
from __future__ import annotations

import gzip
import os
import zlib

import pytest

from webcorpus.documents import BASE_SCHEMA

from .helpers import WARC_DATA, data_file, read_all

ALL_FILES = sorted(
    str(p.relative_to(WARC_DATA))
    for p in WARC_DATA.rglob("*")
    if p.is_file() and p.name not in ("SOURCE.md", "LICENSE")
) if WARC_DATA.is_dir() else []


def test_the_shared_data_is_there():
    assert len(ALL_FILES) > 100


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_file_reads_without_raising(name):
    path = data_file(name)
    table, report = read_all(path, batch_size=7)
    size = os.path.getsize(path)
    for error in report.errors:
        assert error["source"] == path
        assert isinstance(error["offset"], int) and 0 <= error["offset"] < size, error
        assert error["error"]
    assert report.records["error"] + report.records["too_large"] == len(report.errors)  # each listed once
    if table is not None:
        assert table.schema.equals(BASE_SCHEMA)
        assert table.column("id").null_count == 0
        assert set(table.column("source").to_pylist()) == {path}
        assert table.num_rows == report.records["html"] + report.records["text"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("resiliparse-tests/clipped.warc.gz", "truncated gzip member"),
        ("cdxwriter-edgecases/negative_content_length.arc.gz", "bad length"),
        ("warcio-tests/bad.arc", "bad length"),
        ("pywb-sample/example.warc", "no WARC record"),
        ("resiliparse-tests/warcfile.warc.lz4", "lz4"),
        ("aut-example/arc/badexample.arc.gz", "not an ARC header"),
    ],
)
def test_broken_files_report_what_is_wrong(name, message):
    _, report = read_all(data_file(name))
    assert any(message in e["error"] for e in report.errors), report.errors


def test_records_after_a_negative_length_are_kept():
    # the bad record is at offset 399; the robots.txt record after it must still be read
    _, report = read_all(data_file("cdxwriter-edgecases/negative_content_length.arc.gz"))
    assert [e["offset"] for e in report.errors] == [399]
    assert report.records["non_http"] == 1 and report.records["non_200"] == 1


def test_empty_gzip_members_are_skipped_silently():
    table, report = read_all(data_file("cdxwriter-edgecases/empty-gzips.warc.gz"))
    assert not report.errors and table.num_rows == 1


def test_a_too_large_record_is_counted_not_held_and_named():
    table, report = read_all(data_file("cdxwriter-edgecases/giant_html.warc.gz"))  # a 431 MB page
    assert table is None and report.records["too_large"] == 1
    [error] = report.errors  # every dropped record is named, with its file and offset
    assert error["offset"] == 0 and "over the limit of 67108864 bytes" in error["error"]


def _members(raw: bytes) -> list[int]:
    """Offsets of the gzip members of a file, found by decompressing member by member."""
    offsets, pos = [], 0
    while pos < len(raw):
        offsets.append(pos)
        d = zlib.decompressobj(31)
        d.decompress(raw[pos:])
        pos = len(raw) - len(d.unused_data)
    return offsets


def test_a_corrupt_member_loses_only_its_record(tmp_path):
    # a real Common Crawl file with the deflate data of one response member overwritten
    raw = open(data_file("resiliparse-tests/warcfile.warc.gz"), "rb").read()
    intact, _ = read_all(data_file("resiliparse-tests/warcfile.warc.gz"))
    offsets = intact.column("offset").to_pylist()
    victim = offsets[7]
    damaged = bytearray(raw)
    damaged[victim + 30 : victim + 230] = b"\xff" * 200
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(damaged))
    table, report = read_all(str(path))
    assert [e["offset"] for e in report.errors] == [victim]
    assert "corrupt gzip member" in report.errors[0]["error"]
    kept = set(table.column("offset").to_pylist())
    assert kept == set(offsets) - {victim}  # every record before and after it survives


def test_garbage_between_members_is_skipped(tmp_path):
    raw = open(data_file("resiliparse-tests/warcfile.warc.gz"), "rb").read()
    members = _members(raw)
    cut = members[len(members) // 2]
    path = tmp_path / "garbage.warc.gz"
    path.write_bytes(raw[:cut] + b"this is not gzip at all" + raw[cut:])
    table, report = read_all(str(path))
    assert len(report.errors) == 1 and report.errors[0]["offset"] == cut
    assert table.num_rows == 16


def test_a_file_truncated_mid_record_keeps_everything_before(tmp_path):
    raw = open(data_file("resiliparse-tests/warcfile.warc.gz"), "rb").read()
    intact, _ = read_all(data_file("resiliparse-tests/warcfile.warc.gz"))
    last = intact.column("offset").to_pylist()[-1]
    path = tmp_path / "truncated.warc.gz"
    path.write_bytes(raw[: last + 300])
    table, report = read_all(str(path))
    assert len(report.errors) == 1 and report.errors[0]["offset"] == last
    assert table.column("offset").to_pylist()[:15] == intact.column("offset").to_pylist()[:15]


def test_a_plain_warc_with_a_bad_length_resyncs_to_the_next_record(tmp_path):
    text = gzip.decompress(open(data_file("resiliparse-tests/warcfile.warc.gz"), "rb").read())
    first_response = text.index(b"WARC-Type: response")
    length_at = text.index(b"Content-Length: ", first_response) + len(b"Content-Length: ")
    end = text.index(b"\r\n", length_at)
    path = tmp_path / "bad-length.warc"
    path.write_bytes(text[:length_at] + b"-5" + text[end:])
    table, report = read_all(str(path))
    assert len(report.errors) == 1 and "bad Content-Length" in report.errors[0]["error"]
    assert table.num_rows == 15  # only the record with the broken length is lost


def test_a_file_that_cannot_be_opened_raises_so_its_task_is_retried(tmp_path):
    """Not bad input but an unavailable one (missing, network down): the task fails and a re-run retries it."""
    from webcorpus.readers.read import InputUnavailable

    with pytest.raises(InputUnavailable, match="cannot open .*nope.warc.gz"):
        read_all(str(tmp_path / "nope.warc.gz"))

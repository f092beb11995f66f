"""Byte ranges of real crawl files: every record read by exactly one range, whatever the split."""
from __future__ import annotations

import os
import zlib
from collections import Counter

import pyarrow as pa
import pytest

from webcorpus.readers import ReadReport, read_documents
from webcorpus.readers.ranges import byte_ranges, first_record_member, splittable

from tests.readers.helpers import data_file, read_all

PER_RECORD = [  # gzipped per record: WARC, ARC, WET
    "aut-example/warc/example.warc.gz",
    "aut-example/arc/example.arc.gz",
    "pywb-sample/iana.warc.gz",
    "ipwb-samples/sample-1.warc.gz",
    "aut-example/warc/example.pdf.warc.gz",  # holds 1f 8b 08 inside compressed data, at 747,587
    "cc-whirlwind/whirlwind.warc.wet.gz",
]


def member_starts(path: str) -> list[int]:
    """The gzip members of a file, found by inflating it from the start (independent of the code under test)."""
    data = open(path, "rb").read()
    starts, position = [], 0
    while position < len(data):
        inflater = zlib.decompressobj(31)
        starts.append(position)
        inflater.decompress(data[position:])
        assert inflater.eof
        position = len(data) - len(inflater.unused_data)
    return starts


def read_ranges(source: str, ranges: list[tuple[int, int]]) -> tuple[pa.Table | None, Counter, list, list]:
    """Every range read on its own, concatenated: documents, record counts, errors, seams."""
    batches, records, errors, seams = [], Counter(), [], []
    for piece in ranges:
        report = ReadReport(source)
        batches += list(read_documents(source, report, byte_range=piece))
        records.update(report.records)
        errors += report.errors
        seams.append(report.seam)
    return (pa.concat_tables(batches) if batches else None), records, errors, seams


def cuts(size: int) -> list[list[tuple[int, int]]]:
    """Ways to cut a file: 2 to 5 equal ranges, and ranges of odd sizes that start anywhere."""
    return [byte_ranges(size, -(-size // parts)) for parts in (2, 3, 5)] + [byte_ranges(size, 65_537), byte_ranges(size, 1_001)]


@pytest.mark.parametrize("name", PER_RECORD)
def test_every_split_reads_each_record_once(name):
    source = data_file(name)
    whole, report = read_all(source)
    assert whole is not None and whole.num_rows > 0
    for ranges in cuts(os.path.getsize(source)):
        table, records, errors, seams = read_ranges(source, ranges)
        assert table.equals(whole), (name, len(ranges))
        assert records == report.records and errors == report.errors
        owned = [s for s in seams if s.first is not None]
        assert all(a.stop == b.first for a, b in zip(owned, owned[1:])) and owned[-1].stop is None


def test_a_range_starting_inside_a_member_begins_at_the_next_member():
    source = data_file("pywb-sample/iana.warc.gz")
    starts = member_starts(source)
    member, following = starts[10], starts[11]
    with open(source, "rb") as raw:
        assert first_record_member(raw, member + 7, os.path.getsize(source)) == following
        assert first_record_member(raw, member + 7, following) is None  # no member starts in the range
    report = ReadReport(source)
    table = pa.concat_tables(read_documents(source, report, byte_range=(member + 7, os.path.getsize(source))))
    assert report.seam.first == following and min(table.column("offset").to_pylist()) >= following
    empty = ReadReport(source)
    assert list(read_documents(source, empty, byte_range=(member + 7, following))) == [] and not empty.records


def test_gzip_magic_inside_compressed_data_is_not_taken_for_a_member():
    source = data_file("aut-example/warc/example.pdf.warc.gz")
    inside = 747_587  # 1f 8b 08 in the middle of a member's deflate data
    starts = member_starts(source)
    assert inside not in starts and open(source, "rb").read()[inside : inside + 3] == b"\x1f\x8b\x08"
    following = next(s for s in starts if s > inside)
    with open(source, "rb") as raw:
        assert first_record_member(raw, inside, os.path.getsize(source)) == following
    whole, report = read_all(source)
    size = os.path.getsize(source)
    table, records, errors, _ = read_ranges(source, [(0, inside), (inside, size)])
    assert table.equals(whole) and records == report.records and errors == report.errors == []


def corrupted(tmp_path, source: str, position: int, length: int = 64) -> str:
    data = bytearray(open(source, "rb").read())
    data[position : position + length] = bytes(length)
    path = tmp_path / os.path.basename(source)
    path.write_bytes(bytes(data))
    return str(path)


def test_a_corrupt_member_across_a_boundary_is_reported_once_with_its_offset(tmp_path):
    real = data_file("aut-example/warc/example.warc.gz")
    starts = member_starts(real)
    # the longest member: it crosses the boundary set in its middle; corrupt it after the boundary
    member, end = max(zip(starts, starts[1:]), key=lambda pair: pair[1] - pair[0])
    boundary = (member + end) // 2
    source = corrupted(tmp_path, real, boundary + (end - boundary) // 2)
    whole, report = read_all(source)
    size = os.path.getsize(source)
    table, records, errors, _ = read_ranges(source, [(0, boundary), (boundary, size)])
    corrupt = [e for e in errors if "corrupt gzip member" in e["error"]]
    assert [(e["source"], e["offset"]) for e in corrupt] == [(source, member)]
    assert errors == report.errors and records == report.records and table.equals(whole)


def test_a_broken_member_starting_just_after_a_boundary_is_reported_once(tmp_path):
    real = data_file("aut-example/warc/example.warc.gz")
    starts = member_starts(real)
    member = starts[len(starts) // 2]
    source = corrupted(tmp_path, real, member, 16)  # its gzip header and first deflate bytes are gone
    whole, report = read_all(source)
    assert [e["offset"] for e in report.errors] == [member]
    size = os.path.getsize(source)
    for boundary in (member - 5, member, member + 3):
        table, records, errors, _ = read_ranges(source, [(0, boundary), (boundary, size)])
        assert errors == report.errors and records == report.records and table.equals(whole), boundary


@pytest.mark.parametrize("name, expected", [
    ("aut-example/warc/example.warc.gz", True),
    ("aut-example/arc/example.arc.gz", True),
    ("cdxwriter-edgecases/giant_html.warc.gz", False),  # the whole file is one gzip member
    ("jwarc-cc/cc.warc.gz", False),  # one member too
    ("resiliparse-tests/warcfile.warc", False),  # not compressed
])
def test_only_chains_of_record_members_are_split(name, expected):
    with open(data_file(name), "rb") as raw:
        assert splittable(raw) is expected


@pytest.mark.parametrize("chunk", [1 << 12, 1 << 16])
def test_every_record_gets_its_own_members_offset_when_a_record_spans_chunks(chunk):
    """A record larger than the stream's chunk makes ``ensure`` gather several chunks at once; the
    members met in the later ones must still map to their own file offsets (they once all took the
    offset of the last member seen, on both whole and range reads). Chunks of 4 and 64 KiB on a real
    WARC make the records span them, as 1 MiB chunks do with Common Crawl's larger pages."""
    from webcorpus.readers.stream import ByteStream
    from webcorpus.readers.warc import iter_warc

    source = data_file("aut-example/warc/example.warc.gz")
    with open(source, "rb") as raw:
        stream = ByteStream(raw, ReadReport(source), gzipped=True, chunk_size=chunk)
        offsets = [record.offset for record in iter_warc(stream, ReadReport(source))]
    assert offsets == member_starts(source)  # one record per member, in order

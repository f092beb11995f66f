"""WARC records from a :class:`~webcorpus.readers.stream.ByteStream`, leniently.

A record is a ``WARC/x.y`` line, header lines, a blank line, ``Content-Length`` bytes of
block, and (by the standard) two CRLFs. Real files bend this: ClueWeb09's WARC/0.18 ends
header lines with LF and omits the trailing CRLFs, wget writes ``<...>`` around target
URIs, lengths are negative or point past the end, gzip members are cut. So:

* header lines may end in LF or CRLF; any blank lines between records are skipped;
* a record whose header is unreadable or whose length is missing or negative is
  reported and skipped, and reading resumes at the next ``WARC/`` line;
* a record cut short (end of file, or a broken gzip member inside it) keeps the bytes it
  has (as Common Crawl keeps pages truncated at 1 MiB), is reported, and reading resumes
  where the readable bytes resume;
* a block over 64 MiB is skipped without holding it in memory (``problem="too_large"``);
* bytes between a record's end and the next ``WARC/`` line are reported once.
"""
from __future__ import annotations

import re
from typing import Iterator

from .report import ReadReport
from .stream import ByteStream, take_reported_block

MAX_HEADER = 1 << 16
_HEADER_END = re.compile(rb"\n\r*\n")
_NEXT_RECORD = re.compile(rb"(?:^|\n)(WARC/\d)")


class WarcRecord:
    """One record: where it starts, its headers (lower-case names) and its block."""

    __slots__ = ("offset", "inner", "headers", "block", "problem")

    def __init__(self, offset: int, inner: int, headers: dict[str, str], block: memoryview | None,
                 problem: str | None = None):
        self.offset = offset  # compressed offset of the gzip member holding the record (file offset if plain)
        self.inner = inner  # bytes into that member (0 for one record per member)
        self.headers = headers
        self.block = block  # a view into the stream's buffer; None when too large to hold
        self.problem = problem  # None, "too_large", "cut" (broken gzip member inside) or "eof" (file ends inside)

    @property
    def type(self) -> str:
        return self.headers.get("warc-type", "").strip().lower()


def parse_headers(head: bytes) -> dict[str, str]:
    """Header lines (after the version line) as a dict; UTF-8 with a Latin-1 fallback."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    headers = {}
    for line in text.split("\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def iter_warc(stream: ByteStream, report: ReadReport) -> Iterator[WarcRecord]:
    """Every readable record of the stream, in order; problems go to ``report``."""
    for pos, offset, inner in stream.record_starts():
        stream.ensure(pos + 5)
        if stream.get(pos, pos + 5) != b"WARC/":
            nxt = _resync(stream, pos)
            skipped = (nxt if nxt is not None else stream.end) - pos
            report.error(offset, f"no WARC record at offset {offset} (+{inner}): skipped {skipped} bytes "
                                 "to the next 'WARC/' line")
            if nxt is None:
                return
            continue
        m = stream.search(_HEADER_END, pos, MAX_HEADER)
        if m is None:
            cut = stream.break_within(pos, stream.end + 1)
            if cut is not None:  # cut off by a broken gzip member, already reported
                stream.pos = cut
                continue
            report.error(offset, f"WARC header at offset {offset} has no end (blank line)")
            if _resync(stream, pos) is None:
                return
            continue
        head_end = m.start() + stream.base
        block_start = m.end() + stream.base
        headers = parse_headers(stream.get(pos, head_end))
        length = headers.get("content-length", "")
        try:
            size = int(length)
        except ValueError:
            size = -1
        if size < 0:
            report.error(offset, f"bad Content-Length {length!r} in WARC record at offset {offset}")
            if _resync(stream, pos) is None:
                return
            continue
        block, problem = take_reported_block(stream, report, "WARC", offset, pos, block_start, size)
        yield WarcRecord(offset, inner, headers, block, problem)
        if problem == "eof":
            return


def _resync(stream: ByteStream, pos: int) -> int | None:
    """Absolute position of the next ``WARC/`` line after ``pos`` (None: none left)."""
    return stream.resync(_NEXT_RECORD, pos + 1)

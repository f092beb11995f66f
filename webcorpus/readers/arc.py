"""ARC records (the Internet Archive's format before WARC, and Common Crawl's in 2008-2012).

An ARC file is a ``filedesc://`` header record followed by records, each a header line
``URL IP DATE MIME LENGTH`` (version 1; version 2 adds fields after MIME) and ``LENGTH``
bytes, usually a full HTTP response. Real files bend this, so the header line is read
from both ends: the length is the last field, the date is the first field that looks
like one right after one that looks like an IP address (``None`` and ``-`` allowed), and
the URL is everything before it, spaces included. MIME fields with spaces, 10/15/18-digit
or hex dates, empty MIME fields and Common Crawl's non-standard version block all read.

A line that is not a header, or a missing or negative length, is reported and reading
resumes at the next line that looks like an ARC header. A record cut short keeps the
bytes it has and is reported; a block over 64 MiB is skipped (``too_large``).
"""
from __future__ import annotations

import re
from typing import Iterator

from .report import ReadReport
from .stream import ByteStream, take_reported_block

MAX_LINE = 1 << 14
_LINE_END = re.compile(rb"\n")
_NEXT_HEADER = re.compile(rb"\n((?:https?|ftp|dns|filedesc|rtsp|mms|gopher):[^\s]* [^\n]* -?\d+\r?\n)")
_IP = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}|None|-|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*")
_DATE = re.compile(r"\d{4,}\w*|null|[0-9a-f]{8,}", re.I)


class ArcRecord:
    """One ARC record: where it starts, its header line fields and its data."""

    __slots__ = ("offset", "inner", "url", "date", "mime", "block", "problem")

    def __init__(self, offset: int, inner: int, url: str, date: str, mime: str, block: memoryview | None,
                 problem: str | None = None):
        self.offset = offset
        self.inner = inner
        self.url = url
        self.date = date
        self.mime = mime
        self.block = block  # a view into the stream's buffer; None when too large to hold
        self.problem = problem  # as for WARC records: None, "too_large", "cut" or "eof"


def parse_header_line(line: bytes) -> tuple[str, str, str, int] | None:
    """``(url, date, mime, length)`` from an ARC header line; None if it is not one."""
    text = _text(line.rstrip(b"\r"))
    parts = text.split(" ")
    if len(parts) < 3:
        return None
    try:
        length = int(parts[-1])
    except ValueError:
        return None
    fields = parts[:-1]
    for k in range(2, len(fields)):
        if _DATE.fullmatch(fields[k]) and _IP.fullmatch(fields[k - 1]):
            mime = fields[k + 1] if k + 1 < len(fields) else ""
            return " ".join(fields[: k - 1]), fields[k], mime.rstrip(";"), length
    # fields out of their usual places (e.g. date and IP swapped): take them by position
    return fields[0], fields[2] if len(fields) > 2 else "", fields[3] if len(fields) > 3 else "", length


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def iter_arc(stream: ByteStream, report: ReadReport) -> Iterator[ArcRecord]:
    """Every readable record of the stream, in order; problems go to ``report``."""
    for pos, offset, inner in stream.record_starts():
        m = stream.search(_LINE_END, pos, MAX_LINE)
        line_end = m.start() + stream.base if m is not None else min(stream.end, pos + MAX_LINE)
        line = stream.get(pos, line_end)
        fields = parse_header_line(line)
        cut = stream.break_within(pos, line_end + 1)
        if cut is not None:  # cut off by a broken gzip member, already reported
            stream.pos = cut
            continue
        if fields is None or fields[3] < 0:
            shown = line[:120].decode("latin-1")
            why = "bad length in ARC header" if fields is not None else "not an ARC header line"
            nxt = _resync(stream, pos)
            report.error(offset, f"{why} at offset {offset}: {shown!r}")
            if nxt is None:
                return
            continue
        url, date, mime, size = fields
        block, problem = take_reported_block(stream, report, "ARC", offset, pos, line_end + 1, size, "length")
        yield ArcRecord(offset, inner, url, date, mime, block, problem)
        if problem == "eof":
            return


def _resync(stream: ByteStream, pos: int) -> int | None:
    """Absolute position of the next line that looks like an ARC header, at or after ``pos`` (None: none left)."""
    return stream.resync(_NEXT_HEADER, pos)

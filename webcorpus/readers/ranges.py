"""Byte ranges of one large crawl file, each read as a task of its own.

A crawl file gzipped per record (Common Crawl's WARC, WET and ARC files) is a chain of gzip
members. Cut into ranges ``[start, end)`` of its compressed bytes, the file is shared out by
one rule: **a range owns every record whose gzip member starts in it.** A range's reader seeks
to ``start``, takes the first *record member* at or after it (:func:`first_record_member`),
and reads on member by member until the first record member that starts at or after ``end``
(:class:`~webcorpus.readers.stream.ByteStream` with ``stop=end``), so consecutive ranges meet at
the same member and every record is read exactly once, whatever the split.

A *record member* is a gzip header whose data inflates to the start of a record (a ``WARC/``
line or an ARC header line): the same test on the same bytes in both readers. The gzip magic
``1f 8b 08`` inside compressed data fails it (its "header" does not inflate to a record). What
can pass it by chance is a whole gzipped record stored verbatim inside another member (a crawled
``.warc.gz`` kept in a deflate stored block): each range's task therefore reports where it began
and where it stopped (:class:`Seam`), and the runner reads a file whose seams disagree again
as one task (``pipeline/splits.py``).

Plain files and a file gzipped as one member are not split (:func:`splittable`).
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
RECORD_START = re.compile(rb"WARC/\d|[A-Za-z][A-Za-z0-9+.-]*:\S* \d")  # a WARC version line, or an ARC header line
MEMBER_MAGIC = GZIP_MAGIC + b"\x08"  # gzip id and the deflate method byte, the only one in use
PROBE = 4096  # compressed bytes a record member's test reads: a gzip header and enough deflate for a record line
_SCAN = 1 << 20  # compressed bytes read at once while looking for a record member
_FIRST_MEMBER_LIMIT = 8 << 20  # a first member not ended within this many bytes: the file is one member


@dataclass(frozen=True)
class Seam:
    """Where a range's reader began (the first record member it owned; None: it owned none) and where
    it stopped (the first record member at or after its end; None: the end of the file)."""

    first: int | None
    stop: int | None


def opens_record(window: bytes) -> bool:
    """True if ``window`` (compressed bytes) starts a gzip member whose data starts a crawl record."""
    if not window.startswith(MEMBER_MAGIC):
        return False
    inflater = zlib.decompressobj(31)
    try:
        head = inflater.decompress(window, 64)
    except zlib.error:
        return False
    head = head.lstrip(b"\r\n")
    return len(head) >= 5 and RECORD_START.match(head) is not None


def first_record_member(raw: BinaryIO, start: int, end: int) -> int | None:
    """The offset of the first record member starting in ``[start, end)`` of the seekable ``raw``."""
    position = start
    while position < end:
        raw.seek(position)
        data = raw.read(min(_SCAN, end - position) + PROBE)
        if not data:
            return None
        limit = min(len(data), _SCAN, end - position)  # candidates start in this piece; PROBE bytes follow it
        reach = limit + len(MEMBER_MAGIC) - 1  # find() wants the whole magic inside its bounds
        found = data.find(MEMBER_MAGIC, 0, reach)
        while found >= 0:
            if opens_record(data[found : found + PROBE]):
                return position + found
            found = data.find(MEMBER_MAGIC, found + 1, reach)
        position += limit
    return None


def byte_ranges(size: int, split_bytes: int) -> list[tuple[int, int]]:
    """``[start, end)`` pieces covering ``size`` bytes: as few as keep each within ``split_bytes``, of
    equal length (the last up to a few bytes shorter), so that a file just over the limit becomes two
    halves rather than a full task and a sliver."""
    if split_bytes <= 0 or size <= split_bytes:
        return [(0, size)]
    count = -(-size // split_bytes)
    step = -(-size // count)
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def splittable(raw: BinaryIO) -> bool:
    """True if ``raw`` is a chain of gzip members holding crawl records: its first member opens a
    record and ends within a few MiB with another member after it. A plain file, a file gzipped
    as one member, and anything else are read as one task."""
    raw.seek(0)
    head = raw.read(PROBE)
    if not opens_record(head):
        return False
    inflater = zlib.decompressobj(31)
    seen = len(head)
    data = head
    while True:
        try:
            inflater.decompress(data, 1 << 16)
            while inflater.unconsumed_tail and not inflater.eof:  # bounded output: the member may be large
                inflater.decompress(inflater.unconsumed_tail, 1 << 16)
        except zlib.error:
            return False
        if inflater.eof:
            after = inflater.unused_data + raw.read(len(MEMBER_MAGIC))
            return after.startswith(MEMBER_MAGIC)
        if seen >= _FIRST_MEMBER_LIMIT:
            return False
        data = raw.read(1 << 16)
        if not data:
            return False
        seen += len(data)

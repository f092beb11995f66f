"""Tell an input's format from its first bytes, not its name.

Parquet starts with ``PAR1``; gzip with ``1f 8b`` (looked through, since ``.warc.gz``,
``.arc.gz`` and ``.jsonl.gz`` are all gzip); then ``WARC/`` means WARC (WET and WAT
are WARC too), ``filedesc://`` or a first line ``URL IP DATE MIME LENGTH`` means ARC,
and ``{`` means JSON lines. LZ4 and zstd frames are recognised only to say so.
"""
from __future__ import annotations

import re

from .arc import parse_header_line
from .stream import ByteStream

PARQUET_MAGIC = b"PAR1"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SNIFF = 1 << 16
_WARC_LINE = re.compile(rb"(?:^|\n)WARC/\d")


def container(head: bytes) -> str:
    """``parquet``, ``gzip``, ``lz4``, ``zstd``, ``empty`` or ``plain`` from the raw first bytes."""
    if not head:
        return "empty"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(LZ4_MAGIC):
        return "lz4"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "plain"


def content_format(stream: ByteStream) -> str:
    """``warc``, ``arc``, ``jsonl``, ``empty`` or ``unknown`` from the first decompressed bytes."""
    start = stream.skip_blank(stream.pos)
    stream.ensure(start + 4096)
    head = stream.get(start, start + 4096)
    if not head:
        return "empty"
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc:"):
        return "arc"
    if head[:1] == b"{":
        return "jsonl"
    line = head.split(b"\n", 1)[0]
    if parse_header_line(line) is not None and re.match(rb"[a-z][a-z0-9+.\-]*:", line, re.I):
        return "arc"
    # damaged start: a WARC line further on still makes it a WARC file to resync into
    stream.ensure(start + SNIFF)
    if _WARC_LINE.search(stream.get(start, start + SNIFF)):
        return "warc"
    return "unknown"

"""``read_documents``: any supported input file to batches of documents.

The file is opened through fsspec (a local path or any fsspec URL), its format is told
from its bytes (:mod:`webcorpus.readers.detect`), and the matching reader runs. What it
saw goes to the :class:`~webcorpus.readers.report.ReadReport`: records by kind,
replaced charsets, and every error with its offset. An error the readers did not expect
is reported too, and ends that file after the batches already read; the caller never
sees an exception from a bad file. A file that cannot be opened at all (missing, network
down) is not bad input but an unavailable one: :class:`InputUnavailable` is raised, so
that its task fails and a re-run retries it.
"""
from __future__ import annotations

import io
import logging
from typing import BinaryIO, Iterator

import pyarrow as pa

from .crawl import arc_documents, warc_documents
from .detect import container, content_format
from .ranges import Seam, first_record_member
from .report import ReadReport
from .stream import MAX_BLOCK, ByteStream
from .text import jsonl_documents, parquet_documents

log = logging.getLogger(__name__)


class InputUnavailable(OSError):
    """An input file that could not be opened; nothing of it was read."""


def open_source(source: str) -> BinaryIO:
    """Open a local path or fsspec URL for reading bytes, streaming for HTTP(S)."""
    import fsspec

    if source.startswith(("http://", "https://")):
        # read front to back in one GET: no range requests, so any static server will do
        return fsspec.open(source, "rb", block_size=0).open()
    return fsspec.open(source, "rb").open()


def read_documents(source: str, report: ReadReport, batch_size: int = 1000,
                   max_record_bytes: int = MAX_BLOCK, byte_range: tuple[int, int] | None = None) -> Iterator[pa.Table]:
    """Batches (``pyarrow.Table`` of BASE_SCHEMA, plus extra columns for text inputs) of one file.

    Formats: WARC (plain or gzip, WARC/0.18 to 1.1), WET, ARC (plain or gzip), Parquet
    and JSON lines of documents. See ``docs/readers.md`` for what is kept and counted.
    A record whose block, or whose page once decoded, is over ``max_record_bytes`` is skipped
    without being held in memory, counted ``too_large`` and listed with its offset.

    With ``byte_range=(start, end)`` only the records whose gzip member starts in ``[start, end)``
    are read (:mod:`webcorpus.readers.ranges`; offsets, ids and errors stay those of the whole
    file), and ``report.seam`` says where reading began and stopped.
    """
    try:
        raw = open_source(source)
    except Exception as exc:  # missing file, refused connection, unknown protocol
        raise InputUnavailable(f"cannot open {source}: {type(exc).__name__}: {exc}") from exc
    stream = None
    start, stop = 0, None
    try:
        if byte_range is not None:
            start, stop = byte_range[0], byte_range[1]
            # the first range starts where the file does, as an unsplit read, whatever is there
            first = 0 if start == 0 else first_record_member(raw, start, stop)
            report.seam = Seam(first, None)
            if first is None:  # no record's member starts in this range: another range reads it
                return
            raw.seek(start := first)
        head = raw.read(4)
        kind = container(head)
        if kind == "parquet":
            yield from parquet_documents(_seekable(raw, head), source, report, batch_size)
            return
        if kind in ("lz4", "zstd"):
            report.error(0, f"{kind}-compressed file: not supported, decompress it first")
            return
        if kind == "empty":
            return
        stream = ByteStream(_Prefixed(head, raw), report, gzipped=kind == "gzip", start=start, stop=stop)
        stream.max_block = max_record_bytes
        fmt = content_format(stream)
        if fmt == "warc":
            yield from warc_documents(stream, source, report, batch_size)
        elif fmt == "arc":
            yield from arc_documents(stream, source, report, batch_size)
        elif fmt == "jsonl":
            yield from jsonl_documents(stream, source, report, batch_size)
        elif fmt == "unknown":
            shown = stream.get(stream.pos, stream.pos + 40)
            report.error(0, f"unrecognised format: not WARC, ARC, Parquet or JSON lines (starts {shown!r})")
    except Exception as exc:  # a reader bug must not take the run down: report it with where it happened
        offset = stream.origin(stream.pos)[0] if stream is not None else None
        log.exception("reading %s failed at offset %s", source, offset)
        report.error(offset, f"reader failed: {type(exc).__name__}: {exc}")
    finally:
        if byte_range is not None and report.seam is not None and report.seam.first is not None and stream is not None:
            report.seam = Seam(report.seam.first, stream.stopped_at)
        raw.close()


def _seekable(raw: BinaryIO, head: bytes) -> BinaryIO:
    """Parquet needs random access: rewind a seekable file, buffer a stream in memory."""
    if getattr(raw, "seekable", lambda: False)():
        raw.seek(0)
        return raw
    return io.BytesIO(head + raw.read())


class _Prefixed(io.RawIOBase):
    """A file whose first bytes were already read for format detection."""

    def __init__(self, head: bytes, raw: BinaryIO):
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            if size is None or size < 0:
                return head + self._raw.read()
            return head + self._raw.read(max(0, size - len(head)))
        return self._raw.read(size)


def read_batches(input, batch_size: int = 1000) -> Iterator[pa.Table]:
    """Batches of documents from crawl or text files, for trying stages in Python.

    ``input`` is what a pipeline's ``input`` takes: a path, a glob, a URL, or a list of them.
    Files are read in sorted order; bad records are skipped and counted as in a run (what was
    counted is not returned here: a run's stats.json has it).
    """
    from .inputs import expand_inputs

    for source in expand_inputs(input):
        yield from read_documents(source, ReadReport(source), batch_size)

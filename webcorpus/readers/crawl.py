"""Documents from WARC, WET and ARC records, counted by kind.

Record kinds counted in ``report.records``:

* kept: ``html`` (an HTML response, see :mod:`webcorpus.readers.pages`) and ``text``
  (a WET ``conversion`` record: ``text`` filled, ``html`` null, charset ``utf-8``);
* not kept: ``non_html``, ``non_200``, ``non_http``, ``dns``, and the WARC types
  ``warcinfo`` (also an ARC's ``filedesc://`` header), ``request``, ``metadata``,
  ``revisit``, ``resource``, ``continuation`` and any other type by its name, and
  ``too_large`` (a block, or a page once its encodings are undone, over the limit ``max_record_bytes``,
  64 MiB by default: skipped without holding it, and listed in the errors with its offset).
"""
from __future__ import annotations

from typing import Iterator

import pyarrow as pa

from .arc import iter_arc
from .batches import Batcher, record_id
from .dates import arc_date, warc_date
from .pages import html_page
from .report import ReadReport
from .stream import ByteStream
from .warc import iter_warc


def warc_documents(stream: ByteStream, source: str, report: ReadReport, batch_size: int) -> Iterator[pa.Table]:
    """Batches of the HTML responses and WET conversions of a WARC stream."""
    return _batches(_warc_rows(stream, source, report), source, batch_size)


def arc_documents(stream: ByteStream, source: str, report: ReadReport, batch_size: int) -> Iterator[pa.Table]:
    """Batches of the HTML responses of an ARC stream."""
    return _batches(_arc_rows(stream, source, report), source, batch_size)


def _batches(rows: Iterator[tuple], source: str, batch_size: int) -> Iterator[pa.Table]:
    """Rows ``(id, url, date, offset, charset, html, text)`` as tables of ``batch_size`` documents."""
    batcher = Batcher(source, batch_size)
    for row in rows:
        table = batcher.add(*row)
        if table is not None:
            yield table
    table = batcher.flush()
    if table is not None:
        yield table


def _page(block, offset: int, report: ReadReport, stream: ByteStream) -> tuple[bytes, str] | None:
    """``(html, charset)`` of an HTTP response block that holds an HTML page; every response is counted
    in ``report.records`` by its kind (``html``, ``non_html``, ``non_200``, ...)."""
    kind, html, charset = html_page(block, report, offset, stream.max_block)
    if kind is None:
        return None
    report.records[kind] += 1
    return None if html is None else (html, charset)


def _warc_rows(stream: ByteStream, source: str, report: ReadReport) -> Iterator[tuple]:
    records = report.records
    for record in iter_warc(stream, report):
        headers = record.headers
        kind = headers.get("warc-type", "").strip().lower() or "unknown"
        url = headers.get("warc-target-uri", "").strip("<> ") or None
        if record.block is None:  # too large: counted and reported by the record parser
            continue
        if kind == "response":
            if url is not None and url.startswith("dns:"):
                records["dns"] += 1
                continue
            page = _page(record.block, record.offset, report, stream)
            if page is None:
                continue
            (html, charset), text = page, None
        elif kind == "conversion":
            records["text"] += 1
            html, charset = None, "utf-8"
            text = bytes(record.block)
            if not text.isascii():  # WET text is UTF-8; anything else is replaced, never passed on invalid
                text = text.decode("utf-8", errors="replace").encode("utf-8")
        else:
            records[kind] += 1
            continue
        id_ = headers.get("warc-record-id") or record_id(source, record.offset, record.inner)
        yield id_, url, warc_date(headers.get("warc-date")), record.offset, charset, html, text


def _arc_rows(stream: ByteStream, source: str, report: ReadReport) -> Iterator[tuple]:
    records = report.records
    for record in iter_arc(stream, report):
        url = record.url
        if record.block is None:  # too large: counted and reported by the record parser
            continue
        if url.startswith("filedesc:"):
            records["warcinfo"] += 1
            continue
        if url.startswith("dns:"):
            records["dns"] += 1
            continue
        page = _page(record.block, record.offset, report, stream)
        if page is None:
            continue
        html, charset = page
        yield record_id(source, record.offset, record.inner), url, arc_date(record.date), record.offset, charset, html, None

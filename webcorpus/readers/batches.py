"""Collect documents column by column and hand them out as Arrow batches of BASE_SCHEMA.

``html`` and ``text`` arrive as UTF-8 bytes and go into Arrow without a Python ``str``
in between: the values are joined into one buffer and the string array is built over it
(offsets computed here), which is one copy instead of a decode, an encode and a copy.
"""
from __future__ import annotations

from array import array
from itertools import accumulate

import pyarrow as pa

from ..documents import BASE_SCHEMA, stable_id

# also flush when this much text is held: bounds memory, keeps int32 offsets safe, and stays under
# glibc's largest mmap threshold so batch buffers are reused rather than faulted in afresh each time
MAX_BATCH_BYTES = 16 << 20


def record_id(source: str, offset: int, inner: int) -> str:
    """Id for a record without a WARC-Record-ID: hash of source and offset.

    Records that share a gzip member (a whole file gzipped as one member) share its
    offset, so their position inside the member is folded into the source part.
    """
    return stable_id(source if inner == 0 else f"{source}#{inner}", offset)


def utf8_array(values: list[bytes | None]) -> pa.Array:
    """A string array over UTF-8 byte values (None for null), validated by Arrow."""
    n = len(values)
    present = [v is not None for v in values]
    if not any(present):
        return pa.nulls(n, pa.string())
    parts = values if all(present) else [v if v is not None else b"" for v in values]
    offsets = array("i", [0])
    offsets.extend(accumulate(len(v) for v in parts))
    validity = None if all(present) else pa.array(present, pa.bool_()).buffers()[1]
    data = pa.py_buffer(b"".join(parts))
    result = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), data, validity)
    result.validate()  # structure only: every value was UTF-8-checked when it was decoded
    return result


class Batcher:
    """Column lists for one batch; :meth:`add` returns a table when ``batch_size`` rows
    (or :data:`MAX_BATCH_BYTES` of text) are held."""

    def __init__(self, source: str, batch_size: int):
        self.source = source
        self.batch_size = max(1, batch_size)
        self._reset()

    def _reset(self) -> None:
        self.ids: list = []
        self.urls: list = []
        self.dates: list = []
        self.offsets: list = []
        self.charsets: list = []
        self.htmls: list = []
        self.texts: list = []
        self.nbytes = 0

    def add(self, id_, url, date, offset, charset, html: bytes | None, text: bytes | None) -> pa.Table | None:
        self.ids.append(id_)
        self.urls.append(url)
        self.dates.append(date)
        self.offsets.append(offset)
        self.charsets.append(charset)
        self.htmls.append(html)
        self.texts.append(text)
        self.nbytes += len(html or b"") + len(text or b"")
        if len(self.ids) >= self.batch_size or self.nbytes >= MAX_BATCH_BYTES:
            return self.flush()
        return None

    def flush(self) -> pa.Table | None:
        """The documents collected so far as a table (None if there are none)."""
        n = len(self.ids)
        if n == 0:
            return None
        table = pa.Table.from_arrays(
            [
                pa.array(self.ids, pa.string()),
                pa.array(self.urls, pa.string()),
                pa.array(self.dates, pa.string()),
                pa.array([self.source] * n, pa.string()),
                pa.array(self.offsets, pa.int64()),
                pa.array(self.charsets, pa.string()),
                utf8_array(self.htmls),
                utf8_array(self.texts),
            ],
            schema=BASE_SCHEMA,
        )
        self._reset()
        return table

"""Collect documents column by column and hand them out as Arrow batches of BASE_SCHEMA."""
from __future__ import annotations

import pyarrow as pa

from ..documents import BASE_SCHEMA, stable_id


def record_id(source: str, offset: int, inner: int) -> str:
    """Id for a record without a WARC-Record-ID: hash of source and offset.

    Records that share a gzip member (a whole file gzipped as one member) share its
    offset, so their position inside the member is folded into the source part.
    """
    return stable_id(source if inner == 0 else f"{source}#{inner}", offset)


class Batcher:
    """Column lists for one batch; :meth:`add` returns a table each time ``batch_size`` is reached."""

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

    def add(self, id_, url, date, offset, charset, html, text) -> pa.Table | None:
        self.ids.append(id_)
        self.urls.append(url)
        self.dates.append(date)
        self.offsets.append(offset)
        self.charsets.append(charset)
        self.htmls.append(html)
        self.texts.append(text)
        if len(self.ids) >= self.batch_size:
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
                pa.array(self.htmls, pa.string()),
                pa.array(self.texts, pa.string()),
            ],
            schema=BASE_SCHEMA,
        )
        self._reset()
        return table

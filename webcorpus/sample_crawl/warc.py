"""Write the sample's WARC files reproducibly.

warcio's writer stamps each record with a random ``WARC-Record-ID`` and the
current time; :class:`SampleWarcWriter` takes both from the caller instead. The
gzip members need no option: warcio compresses each record with
``zlib.compressobj(wbits=MAX_WBITS + 16)``, whose gzip header always carries
mtime 0 and no file name, so the same records give the same bytes.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from io import BytesIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Fixed namespace: record ids are uuid5(namespace, "<seed>/<n>"), stable for a seed.
_ID_NAMESPACE = uuid.UUID("6f1c2b7e-5d0a-4c8e-9a43-2b1f0e7d9c55")
USER_AGENT = "webcorpus-sample-bot/0.1 (+https://crawler.example/bot)"
_REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found"}


def warc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fetch:
    """One HTTP exchange to record: the request and the response it got."""

    url: str
    moment: datetime
    status: int
    content_type: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)  # extra response headers
    accept_language: str = "en"


class SampleWarcWriter:
    """A gzipped WARC file whose record ids and dates come from the caller, not from the clock."""

    def __init__(self, stream, filename: str, seed: int, counter):
        self.writer = WARCWriter(stream, gzip=True)
        self.filename, self.seed, self.counter = filename, seed, counter
        self.warcinfo_id = None
        self.counts: dict[str, int] = {}

    def _id(self) -> str:
        return f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{self.seed}/{next(self.counter)}')}>"

    def _write(self, record) -> None:
        self.writer.write_record(record)
        kind = record.rec_headers.get_header("WARC-Type")
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def _headers(self, moment: datetime, **extra) -> dict:
        headers = {"WARC-Record-ID": self._id(), "WARC-Date": warc_date(moment)}
        if self.warcinfo_id:
            headers["WARC-Warcinfo-ID"] = self.warcinfo_id
        headers.update({key.replace("_", "-"): value for key, value in extra.items()})
        return headers

    def warcinfo(self, moment: datetime, fields: dict[str, str]) -> None:
        payload = "".join(f"{key}: {value}\r\n" for key, value in fields.items()).encode("utf-8")
        headers = self._headers(moment, WARC_Filename=self.filename)
        record = self.writer.create_warc_record("", "warcinfo", payload=BytesIO(payload), length=len(payload),
                                                warc_content_type="application/warc-fields",
                                                warc_headers_dict=headers)
        self.warcinfo_id = headers["WARC-Record-ID"]
        self._write(record)

    def _request(self, fetch: Fetch, concurrent_to: str):
        parts = urlsplit(fetch.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        http = StatusAndHeaders(f"GET {target} HTTP/1.1", [
            ("Host", parts.netloc), ("User-Agent", USER_AGENT),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Language", f"{fetch.accept_language},en;q=0.7"), ("Connection", "close"),
        ], is_http_request=True)
        return self.writer.create_warc_record(fetch.url, "request", http_headers=http,
                                              warc_headers_dict=self._headers(fetch.moment,
                                                                              WARC_Concurrent_To=concurrent_to))

    def _response_headers(self, fetch: Fetch) -> list[tuple[str, str]]:
        return [("Date", format_datetime(fetch.moment, usegmt=True)), ("Content-Type", fetch.content_type),
                ("Content-Length", str(len(fetch.body))), *fetch.headers]

    def exchange(self, fetch: Fetch) -> tuple[str, str]:
        """Write request then response; returns the response's record id and payload digest."""
        http = StatusAndHeaders(f"{fetch.status} {_REASONS[fetch.status]}", self._response_headers(fetch),
                                protocol="HTTP/1.1")
        response = self.writer.create_warc_record(fetch.url, "response", payload=BytesIO(fetch.body),
                                                  length=len(fetch.body), http_headers=http,
                                                  warc_headers_dict=self._headers(fetch.moment))
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        self._write(self._request(fetch, response_id))
        self._write(response)
        return response_id, response.rec_headers.get_header("WARC-Payload-Digest")

    def revisit(self, fetch: Fetch, digest: str, refers_to_date: datetime) -> str:
        """A re-fetch whose payload matched an earlier response: headers only, body by reference."""
        http = StatusAndHeaders("200 OK", self._response_headers(fetch), protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(fetch.url, digest, fetch.url, warc_date(refers_to_date),
                                                   http_headers=http,
                                                   warc_headers_dict=self._headers(fetch.moment))
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write(self._request(fetch, record_id))
        self._write(record)
        return record_id

    def metadata(self, url: str, moment: datetime, concurrent_to: str, fields: dict[str, str]) -> None:
        payload = "".join(f"{key}: {value}\r\n" for key, value in fields.items()).encode("utf-8")
        record = self.writer.create_warc_record(url, "metadata", payload=BytesIO(payload), length=len(payload),
                                                warc_content_type="application/warc-fields",
                                                warc_headers_dict=self._headers(moment,
                                                                                WARC_Concurrent_To=concurrent_to))
        self._write(record)

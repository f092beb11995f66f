"""Generated crawl files that lie or explode: a decompression bomb, a Content-Length past the end of the file."""
from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGE = b"<html><head><title>%s</title></head><body><p>%s is a page that a reader must keep.</p></body></html>"


def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, made without ever holding them (about size / 1000 bytes)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    parts.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


def _response(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]]) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def bomb_warc(path: Path, bomb: bytes, encoding: str = "gzip") -> Path:
    """good page, a page whose body decodes to far more than any limit, good page: one gzip member each."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        _response(writer, "http://example.com/before", PAGE % (b"before", b"before"), [])
        _response(writer, "http://example.com/bomb", bomb, [("Content-Encoding", encoding)])
        _response(writer, "http://example.com/after", PAGE % (b"after", b"after"), [])
    return path


def lying_length_warc(path: Path, gzipped: bool, claimed: int = 100 << 30) -> Path:
    """good page, a record claiming ``claimed`` bytes (far past the end of the file), good page."""
    records = []
    for url, body in (("http://example.com/before", PAGE % (b"before", b"before")),
                      ("http://example.com/liar", PAGE % (b"liar", b"liar")),
                      ("http://example.com/after", PAGE % (b"after", b"after"))):
        buffer = io.BytesIO()
        _response(WARCWriter(buffer, gzip=False), url, body, [])
        record = buffer.getvalue()
        if url.endswith("liar"):
            head, sep, rest = record.partition(b"\r\n\r\n")
            lines = [line if not line.lower().startswith(b"content-length:") else b"Content-Length: %d" % claimed
                     for line in head.split(b"\r\n")]
            record = b"\r\n".join(lines) + sep + rest
        records.append(gzip.compress(record) if gzipped else record)
    path.write_bytes(b"".join(records))
    return path

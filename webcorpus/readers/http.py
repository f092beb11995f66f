"""HTTP responses as stored in crawl records: status, headers, and the body with its encodings undone.

Crawlers store what they received, and not always consistently: Common Crawl's 2008 ARC
files keep ``Transfer-Encoding: chunked`` and ``Content-Encoding: gzip`` headers over
bodies that were already decoded, other crawlers store the bytes as sent. So every
decoding here is tried, and when the body plainly is not in the declared encoding it is
taken as stored. Only a body that claims an encoding, fails to decode, and does not look
like markup is a failure (:class:`BodyError`).
"""
from __future__ import annotations

import re
import zlib

_HEAD_END = re.compile(rb"\n\r*\n")
_CHUNK_SIZE = re.compile(rb"[ \t]*([0-9A-Fa-f]+)[^\r\n]*\r?\n")
MAX_HEAD = 1 << 16


MAX_DECODED = 64 << 20  # default bound on a decoded body: a decompression bomb stops here, not in memory


class BodyError(ValueError):
    """The body claims an encoding it cannot be decoded from."""


class BodyTooLarge(ValueError):
    """Undoing the body's encodings would exceed the limit (a decompression bomb, or a huge page)."""


class HttpResponse:
    """Status code, headers (lower-case names; the last value wins) and the raw body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int | None, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def mime(self) -> str:
        """The media type of Content-Type, lower-case, without parameters ('' if absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def decoded_body(self, limit: int = MAX_DECODED) -> bytes:
        """The body with Transfer-Encoding and Content-Encoding undone, never more than ``limit``
        bytes of it held: :class:`BodyTooLarge` as soon as a decoding would produce more."""
        body = self.body if isinstance(self.body, bytes) else bytes(self.body)
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            body = dechunk(body)  # never longer than its input
        encodings = [e.strip().lower() for e in self.headers.get("content-encoding", "").split(",")]
        for encoding in reversed(encodings):
            if encoding and encoding not in ("identity", "none"):
                body = decode_content(body, encoding, limit)
        if len(body) > limit:
            raise BodyTooLarge(f"body of {len(body)} bytes is over the limit of {limit} bytes")
        return body


def parse_response(block: bytes | memoryview) -> HttpResponse | None:
    """Parse an HTTP response message; None if the block does not start with ``HTTP/``.

    ``block`` may be a memoryview: the body then stays a view until :meth:`decoded_body`.
    """
    if block[:5] != b"HTTP/":
        return None
    m = _HEAD_END.search(block, 0, MAX_HEAD)
    if m is None:
        # headers only (or cut off): everything is head, the body is empty
        head, body = bytes(block[:MAX_HEAD]), b""
    else:
        head, body = bytes(block[: m.start()]), block[m.end() :]
    lines = head.split(b"\n")
    parts = lines[0].split(None, 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return HttpResponse(status, headers, body)


def dechunk(body: bytes) -> bytes:
    """Undo chunked transfer encoding; the body as stored if it is not validly chunked."""
    m = _CHUNK_SIZE.match(body)
    if m is None:
        return body  # stored already de-chunked
    out = []
    pos = 0
    while True:
        m = _CHUNK_SIZE.match(body, pos)
        if m is None:
            break  # missing last-chunk or trailers cut off: keep what was read
        size = int(m.group(1), 16)
        pos = m.end()
        if size == 0:
            break
        if pos + size > len(body):
            return body  # sizes do not fit the data: not really chunked, take it as stored
        out.append(body[pos : pos + size])
        pos += size
        if body.startswith(b"\r\n", pos):
            pos += 2
        elif body.startswith(b"\n", pos):
            pos += 1
        else:
            return body
    return b"".join(out)


def decode_content(body: bytes, encoding: str, limit: int = MAX_DECODED) -> bytes:
    """Undo one Content-Encoding (gzip, deflate, br); the body as stored if it is not encoded.

    At most ``limit`` bytes are ever produced: :class:`BodyTooLarge` when the decoded body is longer.
    """
    if not body:
        return body
    if encoding in ("gzip", "x-gzip"):
        if not body.startswith(b"\x1f\x8b"):
            return body  # stored decoded
        return _inflate(body, 47, encoding, limit)
    if encoding == "deflate":
        try:
            return _inflate(body, 15, encoding, limit)
        except BodyError:
            return _inflate(body, -15, encoding, limit, fallback=True)
    if encoding == "br":
        import brotli

        try:
            # output_buffer_limit: brotli stops growing its output there, whatever the input says
            out = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)
        except brotli.error as exc:
            if looks_like_markup(body):
                return body
            raise BodyError(f"cannot undo Content-Encoding br: {exc}") from None
        if len(out) > limit:
            raise BodyTooLarge(f"Content-Encoding br decodes to more than the limit of {limit} bytes")
        return out
    return body  # unknown coding (compress, ...): leave it to content sniffing


def _inflate(body: bytes, wbits: int, encoding: str, limit: int, fallback: bool = False) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)  # max_length: zlib stops there, memory stays bounded
    except zlib.error as exc:
        if looks_like_markup(body) and (fallback or encoding != "deflate"):
            return body
        raise BodyError(f"cannot undo Content-Encoding {encoding}: {exc}") from None
    if len(out) > limit:
        raise BodyTooLarge(f"Content-Encoding {encoding} decodes to more than the limit of {limit} bytes")
    return out  # a truncated stream still gives its readable prefix


def looks_like_markup(body: bytes) -> bool:
    """True if the bytes start like an HTML/XML document (after a BOM and blanks)."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] == b"<"


_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta)[\s>/]", re.I)


def sniff_html(body: bytes) -> bool:
    """Guess HTML when no Content-Type says what the body is: an HTML tag near the start."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] == b"<" and _HTML_SNIFF.search(head) is not None

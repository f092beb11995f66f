"""Turn an HTML body into text: which charset, in which order, and what happens when it does not fit.

Order: a byte-order mark; the charset of the HTTP Content-Type header; the page's own
``<meta charset=...>`` or ``<meta http-equiv="Content-Type" content="...; charset=...">``
(first 8 KiB); then detection: valid UTF-8 is taken as UTF-8 (cheap, and what a detector
would answer), else ``charset-normalizer`` guesses. Declared labels are mapped the way
browsers map them (WHATWG): ``iso-8859-1`` and ``ascii`` mean windows-1252, ``gb2312``
means GBK, and so on, because that is what the pages were written for.

The first candidate that decodes the bytes without error wins. If none does, the first
candidate is used with U+FFFD replacement characters and the page is reported as
replaced: it is kept, never dropped.
"""
from __future__ import annotations

import codecs
import re
from array import array

import pyarrow as pa

META_SCAN = 8192
DETECT_SCAN = 1 << 16

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)

# WHATWG encoding labels whose browser meaning differs from Python's codec of the same name
_WHATWG = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "ansi_x3.4-1968": "cp1252",
    "iso-8859-9": "cp1254", "iso8859-9": "cp1254", "latin5": "cp1254",
    "iso-8859-11": "cp874", "tis-620": "cp874",
    "gb2312": "gbk", "gb_2312-80": "gbk", "x-gbk": "gbk", "euc-cn": "gbk",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
    "big5": "big5hkscs",
    # a page that declares UTF-16 in ASCII-compatible bytes is not UTF-16
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",
    "unicode": "utf-8", "utf8": "utf-8",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def codec_name(label: str | None) -> str | None:
    """Python codec for an encoding label as browsers read it; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WHATWG.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, if any."""
    if not content_type or "charset" not in content_type.lower():
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in a meta tag near its start, if any."""
    m = _META_CHARSET.search(body, 0, META_SCAN)
    return m.group(1).decode("ascii") if m else None


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str, bool]:
    """Decode an HTML body: ``(text, charset used, replacement characters were needed)``.

    ``declared`` is the charset label of the HTTP header, if any.
    """
    utf8, charset, replaced = html_to_utf8(body, declared)
    return utf8.decode("utf-8"), charset, replaced


def html_to_utf8(body: bytes, declared: str | None = None) -> tuple[bytes, str, bool]:
    """As :func:`decode_html`, but the text comes back UTF-8 encoded.

    This is what the reader uses: a page already in valid UTF-8 (most of the web) or in
    pure ASCII is passed through as the same bytes, only validated, so the common case
    costs no decoding, no Python ``str`` and no re-encoding before it goes into Arrow.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _convert(body[len(bom) :], [name])
    candidates = []
    for label in (declared, meta_charset(body)):
        name = codec_name(label)
        if name and name not in candidates:
            candidates.append(name)
    if not candidates:
        if _is_utf8(body):
            return body, "utf-8", False
        candidates = [detect(body) or "utf-8"]
    return _convert(body, candidates)


def _is_utf8(body: bytes) -> bool:
    """Valid UTF-8? Checked by Arrow's SIMD validator over the bytes in place (no str is made)."""
    if body.isascii():
        return True
    offsets = pa.py_buffer(array("i", (0, len(body))))
    try:
        pa.StringArray.from_buffers(1, offsets, pa.py_buffer(body)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _ascii_compatible(name: str) -> bool:
    """True if pure-ASCII bytes mean the same text in this codec as in UTF-8."""
    return not name.startswith(("utf_16", "utf-16", "utf_32", "utf-32", "utf_7", "utf-7", "iso2022", "hz"))


def _convert(body: bytes, candidates: list[str]) -> tuple[bytes, str, bool]:
    ascii_only = body.isascii()
    for name in candidates:
        if ascii_only and _ascii_compatible(name):
            return body, name, False
        if name == "utf-8":
            if _is_utf8(body):
                return body, name, False
            continue
        try:
            return body.decode(name).encode("utf-8", errors="replace"), name, False
        except UnicodeDecodeError:
            continue
    name = candidates[0]  # nothing fits: the first choice, with replacement characters
    return body.decode(name, errors="replace").encode("utf-8", errors="replace"), name, True


def detect(body: bytes) -> str | None:
    """charset-normalizer's best guess for the bytes (None if it has none)."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:DETECT_SCAN]).best()
    return codec_name(best.encoding) if best is not None else None

"""Which crawl records become documents, and how their HTML is decoded.

A record becomes a document only if it is an HTTP response with status 200 whose
Content-Type is ``text/html`` or ``application/xhtml+xml``. When the response has no
Content-Type at all, the body is sniffed: it is HTML if it starts with markup and has an
HTML tag (``<!doctype html``, ``<html``, ``<head``, ``<body``, ``<title``, ``<meta``) in its
first KiB. Everything else is counted by kind (see :func:`classify`) and not kept.
"""
from __future__ import annotations

from .charset import header_charset, html_to_utf8
from .http import MAX_DECODED, BodyError, BodyTooLarge, parse_response, sniff_html
from .report import ReadReport

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def html_page(block: bytes, report: ReadReport, offset: int,
              limit: int = MAX_DECODED) -> tuple[str | None, bytes | None, str | None]:
    """``(kind, html as UTF-8 bytes, charset)`` for a stored HTTP response; html is None unless kind is ``html``.

    Kinds: ``html``, ``non_html``, ``non_200``, ``non_http`` (no HTTP status line), or None
    when the record was broken or over ``limit`` once decoded, and already reported.
    """
    response = parse_response(block)
    if response is None:
        return "non_http", None, None
    if response.status != 200:
        return "non_200", None, None
    mime = response.mime
    if mime and mime not in HTML_TYPES:
        return "non_html", None, None
    try:
        body = response.decoded_body(limit)
    except BodyError as exc:
        report.error(offset, f"{exc} (HTML response at offset {offset})")
        return None, None, None
    except BodyTooLarge as exc:
        report.error(offset, f"too large: {exc} (HTML response at offset {offset}); skipped", kind="too_large")
        return None, None, None
    if not mime and not sniff_html(body):
        return "non_html", None, None
    html, charset, replaced = html_to_utf8(body, header_charset(response.headers.get("content-type")))
    if replaced:
        report.charset_replaced += 1
    return "html", html, charset

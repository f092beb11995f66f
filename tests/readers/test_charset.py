"""Charset order (BOM, HTTP header, meta tag, detection) and replacement counting, on real pages."""
from __future__ import annotations

import re

from webcorpus.readers.charset import codec_name, decode_html, header_charset, meta_charset
from webcorpus.readers.http import parse_response
from webcorpus.readers.report import ReadReport
from webcorpus.readers.stream import ByteStream
from webcorpus.readers.warc import iter_warc

from .helpers import data_file, read_all


def _bodies(name: str) -> list[tuple[str, dict, bytes]]:
    """(url, HTTP headers, decoded body) of each HTML response of a real WARC."""
    path = data_file(name)
    report = ReadReport(path)
    out = []
    with open(path, "rb") as f:
        for record in iter_warc(ByteStream(f, report, gzipped=path.endswith(".gz")), report):
            if record.headers.get("warc-type") == "response":
                response = parse_response(record.block)
                if response is not None and response.mime == "text/html":
                    out.append((record.headers["warc-target-uri"], response.headers, response.decoded_body()))
    return out


def test_header_charset_wins_and_is_read_as_browsers_do():
    # an Alexa ARC from 2000 with "Content-Type: text/html; Charset=iso-8859-1": browsers read windows-1252
    table, _ = read_all(data_file("cdxwriter-edgecases/alexa_charset_in_header.arc.gz"))
    assert table.column("charset").to_pylist() == ["cp1252"]
    assert header_charset("text/html; Charset=iso-8859-1") == "iso-8859-1"
    assert codec_name("iso-8859-1") == "cp1252" and codec_name("gb2312") == "gbk" and codec_name("nonsense") is None


def test_meta_charset_is_used_when_the_header_has_none():
    # ClueWeb09: "Content-Type: text/html" only, <meta ... charset=windows-1252> in the page
    pages = _bodies("copycat-cc-arc-sample/clueweb-09-sample/en0000/00.warc.gz")
    url, headers, body = pages[0]
    assert header_charset(headers.get("content-type")) is None
    assert meta_charset(body) == "windows-1252"
    assert decode_html(body, None)[1] == "cp1252"


def test_header_and_meta_in_a_real_common_crawl_file():
    pages = _bodies("resiliparse-tests/warcfile.warc.gz")
    by_url = {url: (headers, body) for url, headers, body in pages}
    headers, body = by_url["http://01spb.ru/company/"]
    text, charset, replaced = decode_html(body, header_charset(headers["content-type"]))
    assert (charset, replaced) == ("cp1251", False) and re.search("[а-я]{4}", text)
    headers, body = by_url["http://037426.cn/"]  # header says gb2312: decoded as GBK, as browsers do
    text, charset, replaced = decode_html(body, header_charset(headers["content-type"]))
    assert charset == "gbk" and not replaced and re.search("[\u4e00-\u9fff]{4}", text)
    # a wrong header that cannot decode the bytes loses to the meta tag that can
    text, charset, replaced = decode_html(body, "utf-8")
    assert charset == "gbk" and not replaced


def test_detection_when_nothing_is_declared():
    # a real EUC-JP page with every declaration removed: valid UTF-8 fails, the detector finds a Japanese codec
    url, headers, body = _bodies("resiliparse-tests/clueweb-quirk.warc.gz")[0]
    undeclared = re.sub(rb"(?i)charset", b"xxxxxxx", body)
    assert meta_charset(undeclared) is None
    text, charset, replaced = decode_html(undeclared, None)
    assert charset.startswith("euc_j") and not replaced
    assert re.search("[\u3040-\u30ff]{2}", text)  # kana came out
    # valid UTF-8 without a declaration is taken as UTF-8 without asking the detector
    assert decode_html("<p>Grüße</p>".encode(), None) == ("<p>Grüße</p>", "utf-8", False)


def test_byte_order_mark_beats_declarations():
    body = "\ufeff<html><meta charset=windows-1252>Ünïcödé</html>".encode("utf-16-le")
    text, charset, replaced = decode_html(body, "iso-8859-1")
    assert charset == "utf-16-le" and "Ünïcödé" in text and not replaced


def test_pages_needing_replacement_are_kept_and_counted():
    # ClueWeb09 pages declaring UTF-8 with stray Latin bytes: kept, with U+FFFD, and counted
    table, report = read_all(data_file("pywarc-sample/sample.warc.gz"))
    assert table.num_rows == 100
    with_fffd = sum("\ufffd" in html for html in table.column("html").to_pylist())
    assert report.charset_replaced == with_fffd > 0


def test_no_replacement_in_a_clean_common_crawl_file():
    table, report = read_all(data_file("resiliparse-tests/warcfile.warc.gz"))
    assert report.charset_replaced == 0
    assert set(table.column("charset").to_pylist()) >= {"utf-8", "gbk", "cp1251", "cp1252"}

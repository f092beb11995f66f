"""Format detection, WARC vs ARC parity, WET, WAT, and transfer/content encodings on real files."""
from __future__ import annotations

import shutil

from warcio.archiveiterator import ArchiveIterator

from webcorpus.readers.dates import arc_date, warc_date
from webcorpus.readers.http import dechunk, parse_response

from .helpers import data_file, read_all


def test_the_aut_crawl_as_warc_and_as_arc_gives_the_same_pages():
    warc, warc_report = read_all(data_file("aut-example/warc/example.warc.gz"))
    arc, arc_report = read_all(data_file("aut-example/arc/example.arc.gz"))
    assert warc.num_rows == 94
    assert sorted(warc.column("url").to_pylist()) == sorted(arc.column("url").to_pylist())
    assert sorted(warc.column("html").to_pylist()) == sorted(arc.column("html").to_pylist())
    assert sorted(warc.column("date").to_pylist()) == sorted(arc.column("date").to_pylist())
    for kind in ("html", "non_html", "non_200", "dns"):
        assert warc_report.records[kind] == arc_report.records[kind], kind


def test_format_comes_from_the_bytes_not_the_name(tmp_path):
    renamed = tmp_path / "crawl.data"
    shutil.copy(data_file("aut-example/arc/example.arc.gz"), renamed)
    table, report = read_all(str(renamed))
    assert table.num_rows == 94 and not report.errors
    # a gzip file named .bad is still a WARC
    table, _ = read_all(data_file("pywb-sample/example-bad.warc.gz.bad"))
    assert table.num_rows == 1


def test_wet_conversion_records_become_text_documents():
    for name in ("cc-whirlwind/whirlwind.warc.wet", "cc-whirlwind/whirlwind.warc.wet.gz"):
        table, report = read_all(data_file(name))
        row = table.to_pylist()[0]
        assert table.num_rows == 1 and report.records == {"warcinfo": 1, "text": 1}
        assert row["url"] == "https://an.wikipedia.org/wiki/Escopete"
        assert row["html"] is None and "Escopete" in row["text"] and row["charset"] == "utf-8"
        assert row["id"].startswith("<urn:uuid:") and row["date"].endswith("Z")


def test_wat_has_no_documents_and_warc_has_the_page():
    table, report = read_all(data_file("cc-whirlwind/whirlwind.warc.wat.gz"))
    assert table is None and report.records["metadata"] == 1
    table, _ = read_all(data_file("cc-whirlwind/whirlwind.warc.gz"))
    assert table.column("url").to_pylist() == ["https://an.wikipedia.org/wiki/Escopete"]
    assert "<html" in table.column("html")[0].as_py().lower()


def _warcio_payloads(path: str) -> dict[str, bytes]:
    """URL -> HTML payload with encodings undone, as warcio decodes it."""
    out = {}
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type == "response" and record.http_headers is not None:
                if (record.http_headers.get_header("Content-Type") or "").startswith("text/html"):
                    if record.http_headers.get_statuscode() == "200":
                        out[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    return out


def test_brotli_gzip_and_identity_transfers_give_the_same_page():
    pages = []
    for kind in ("brotli", "gzip", "none"):
        path = data_file(f"ukwa-discovery/compression/transfer_compression_{kind}.warc.gz")
        raw = open(path, "rb").read()
        assert kind == "none" or f"Content-Encoding: {'br' if kind == 'brotli' else kind}".encode() in \
            __import__("gzip").decompress(raw)
        table, report = read_all(path)
        assert not report.errors
        pages.append(table.column("html")[0].as_py())
    assert pages[0] == pages[1] == pages[2] and "<html" in pages[0].lower()


def test_chunked_and_compressed_bodies_match_warcio():
    for name in ("dolma-wget-sample/sample-0000.warc.gz", "ipwb-samples/sample-1.warc.gz",
                 "node-warc/parseMe.warc.gz", "warcio-tests/example-iana.org-chunked.warc"):
        path = data_file(name)
        expected = _warcio_payloads(path)
        table, _ = read_all(path)
        got = dict(zip(table.column("url").to_pylist(), table.to_pylist()))
        assert expected and set(expected) <= set(got)
        for url, payload in expected.items():
            row = got[url]
            assert row["html"] == payload.decode(row["charset"], errors="replace"), url


def test_http_parsing_details():
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer:nginx\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    response = parse_response(raw)
    assert response.status == 200 and response.headers["server"] == "nginx"
    assert response.decoded_body() == b"hello world"
    assert dechunk(b"<html>not chunked</html>") == b"<html>not chunked</html>"
    assert dechunk(b"ff\r\nshort") == b"ff\r\nshort"  # sizes that do not fit: taken as stored
    assert parse_response(b"HTTP/1.0 302 \r\nLocation: x\r\n\r\n").status == 302
    assert parse_response(b"<html>") is None


def test_dates_are_normalised_to_utc():
    assert warc_date("2024-02-21T11:04:01Z") == "2024-02-21T11:04:01Z"
    assert warc_date("2019-11-18T12:56:03.352903Z") == "2019-11-18T12:56:03Z"
    assert warc_date("2009-01-13T10:05:10-0800") == "2009-01-13T18:05:10Z"
    assert warc_date("2009-03-65T08:43:19-0800") is None  # ClueWeb09
    assert warc_date("yesterday") is None and warc_date(None) is None
    assert arc_date("20080430204825") == "2008-04-30T20:48:25Z"
    assert arc_date("2016020900") == "2016-02-09T00:00:00Z"  # 10 digits: a Wayback-style prefix
    assert arc_date("200009180023002953") == "2000-09-18T00:23:00Z"  # 18 digits: first 14
    assert arc_date("a0d1fdddf3165d0447b1f7a285c61c1c9") is None and arc_date("null") is None


def test_odd_arc_dates_in_real_files():
    table, _ = read_all(data_file("cdxwriter-edgecases/hex_instead_of_date.arc.gz"))
    assert table.column("date").to_pylist() == [None]
    table, _ = read_all(data_file("cdxwriter-edgecases/alexa_charset_in_header.arc.gz"))
    assert table.column("date").to_pylist() == ["2000-08-24T01:51:05Z"]


def test_utf8_columns_with_nulls():
    from webcorpus.readers.batches import utf8_array

    column = utf8_array([b"<p>caf\xc3\xa9</p>", None, b"", "日本".encode()])
    assert column.to_pylist() == ["<p>café</p>", None, "", "日本"]
    assert utf8_array([None, None]).null_count == 2

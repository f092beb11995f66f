"""expand_inputs, list_crawl_files against a real HTTP server on 127.0.0.1, and reading over HTTP."""
from __future__ import annotations

import functools
import gzip
import http.server
import io
import threading

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from webcorpus.readers import expand_inputs, list_crawl_files

from .helpers import WARC_DATA, data_file, read_all

CRAWL = "CC-MAIN-2024-10"


def test_expand_inputs_globs_lists_and_dedupes():
    one = data_file("warcio-tests/example.warc.gz")
    found = expand_inputs(str(WARC_DATA / "warcio-tests" / "*.warc.gz"))
    assert one in found and found == sorted(found) and all(p.endswith(".warc.gz") for p in found)
    both = expand_inputs([one, one, str(WARC_DATA / "warcio-tests" / "example.w*")])
    assert both == sorted(set(both)) and both.count(one) == 1
    assert expand_inputs(str(WARC_DATA / "**" / "whirlwind.warc.wet")) == [data_file("cc-whirlwind/whirlwind.warc.wet")]
    assert expand_inputs("https://data.commoncrawl.org/x.warc.gz") == ["https://data.commoncrawl.org/x.warc.gz"]
    assert expand_inputs("file://" + one) == ["file://" + one]


def test_expand_inputs_names_what_matched_nothing():
    missing = str(WARC_DATA / "nowhere" / "*.warc.gz")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        expand_inputs([data_file("warcio-tests/example.warc.gz"), missing])
    with pytest.raises(FileNotFoundError):
        expand_inputs([])


def _page_warc() -> bytes:
    """A small gzipped WARC with one HTML response, using the text of a real page."""
    html = open(data_file("cc-whirlwind/whirlwind.warc"), "rb").read()
    start = html.index(b"<!DOCTYPE") if b"<!DOCTYPE" in html else html.index(b"<html")
    html = html[start : html.index(b"</html>", start) + 7]
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record("https://an.wikipedia.org/wiki/Escopete", "response",
                                       payload=io.BytesIO(html), http_headers=headers)
    writer.write_record(record)
    return out.getvalue()


@pytest.fixture
def cc_server(tmp_path):
    """A static HTTP server on 127.0.0.1 over a directory laid out like data.commoncrawl.org."""
    paths = [f"crawl-data/{CRAWL}/segments/1707947473347.0/warc/CC-MAIN-20240220211055-{i:05d}.warc.gz"
             for i in range(10)]
    listing = tmp_path / "crawl-data" / CRAWL / "warc.paths.gz"
    listing.parent.mkdir(parents=True)
    listing.write_bytes(gzip.compress(("\n".join(paths) + "\n").encode()))
    warc = _page_warc()
    for p in paths[:2]:
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_bytes(warc)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", paths
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_list_crawl_files_first_n_and_sample(cc_server):
    base, paths = cc_server
    assert list_crawl_files(CRAWL, base_url=base) == [base + p for p in paths]
    assert list_crawl_files(CRAWL, limit=3, base_url=base) == [base + p for p in paths[:3]]
    sample = list_crawl_files(CRAWL, sample=4, seed=7, base_url=base)
    assert len(sample) == 4 and set(sample) <= {base + p for p in paths}
    assert sample == list_crawl_files(CRAWL, sample=4, seed=7, base_url=base)  # deterministic
    assert sample == [base + p for p in paths if base + p in sample]  # kept in listing order
    with pytest.raises(FileNotFoundError, match="wet.paths.gz"):
        list_crawl_files(CRAWL, kind="wet", base_url=base)


def test_crawl_ids_are_checked():
    for bad in ("CC-MAIN-24-10", "cc-main-2024-10", "CC-MAIN-2024-10/../x", ""):
        with pytest.raises(ValueError, match="CC-MAIN-YYYY-WW"):
            list_crawl_files(bad)
    with pytest.raises(ValueError, match="kind"):
        list_crawl_files(CRAWL, kind="html")


def test_read_documents_over_http(cc_server):
    base, _ = cc_server
    url = list_crawl_files(CRAWL, limit=1, base_url=base)[0]
    table, report = read_all(url)
    assert not report.errors and table.num_rows == 1
    row = table.to_pylist()[0]
    assert row["source"] == url and row["url"] == "https://an.wikipedia.org/wiki/Escopete"
    assert "Escopete" in row["html"] and row["offset"] == 0

"""Write WARC files whose records wrap the real pages of ../shared/data/extract (only the wrapper is made).

Each response record carries one real page, as stored, behind ``HTTP/1.1 200 OK`` and
``Content-Type: text/html`` (and ``WARC-Identified-Payload-Type: text/html``, as Common Crawl writes), with a request record before it, one gzip member per record (as Common Crawl
does). Pages cycle in a fixed order; URLs are made up (``https://site-<n>.example/page/<i>.html``).
Generated at run time in a temporary folder; never committed.

    python benchmarks/warc_of_pages.py OUT_DIR --records 2000 --files 4
"""
from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

EXTRACT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "extract"


def real_pages() -> list[bytes]:
    """The HTML of every page under extract/, as stored (468 pages)."""
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(EXTRACT.glob("scrapinghub-aeb/html/*.html.gz"))]
    pages += [p.read_bytes() for p in sorted(EXTRACT.glob("readability-testpages/test-pages/*/source.html"))]
    pages += [p.read_bytes() for p in sorted(EXTRACT.glob("newspaper-fulltext/html/*.html"))]
    if not pages:
        raise SystemExit(f"no pages found under {EXTRACT.resolve()}")
    return pages


def write_warcs(out_dir: Path, records: int, files: int = 1, pages: list[bytes] | None = None) -> list[Path]:
    """``records`` responses spread evenly over ``files`` gzipped WARCs in ``out_dir`` (``pages``: default
    every page of real_pages()); their paths."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = pages if pages is not None else real_pages()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        path = out_dir / f"pages-{f:03d}.warc.gz"
        with open(path, "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for i in range(f, records, files):
                page = pages[i % len(pages)]
                host = f"site-{i % 97}.example"
                url = f"https://{host}/page/{i}.html"
                request = StatusAndHeaders(f"GET /page/{i}.html HTTP/1.1", [("Host", host)], is_http_request=True)
                writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(page)))],
                                           protocol="HTTP/1.1")
                # Common Crawl names the sniffed payload type in every response record; without it datatrove's
                # reader sniffs the bytes with libmagic and skips about a third of these real pages as not HTML.
                writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(page),
                                                              length=len(page), http_headers=headers,
                                                              warc_headers_dict={"WARC-Identified-Payload-Type": "text/html"}))
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--files", type=int, default=1)
    args = parser.parse_args()
    for path in write_warcs(args.out_dir, args.records, args.files):
        print(path)

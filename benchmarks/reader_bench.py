"""Reader throughput: ``read_documents`` against a plain warcio loop over the same gzipped WARC.

The WARC is made at run time in a temporary folder: the real HTML pages of
../shared/data/extract (scrapinghub-aeb, readability-testpages, newspaper-fulltext) wrapped
in WARC response records with warcio (one gzip member per record, a request record before
each response, as in Common Crawl), repeated under distinct URLs until ``--records``
responses. Only the wrapper is made; the pages stay real. Nothing is written into the repo.

Each contender runs in its own fresh process (so peak RSS is its own), ``--repeat`` times,
alternating; the best time of each is reported:

* ``warcio``: ``ArchiveIterator`` over the file, reading every record's full content
  (``content_stream().read()``: HTTP headers parsed, chunked/gzip undone).
* ``reader``: ``read_documents`` over the file: every record parsed, HTML responses
  decoded to text (charset from header/meta/detection) and built into Arrow batches;
  gzip inflated by ISA-L (``isal``) when installed.
* ``reader-zlib``: the same with ``isal`` hidden, so it inflates with zlib as warcio does.

    python benchmarks/reader_bench.py --records 2000 --repeat 5
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTRACT = (REPO / ".." / "shared" / "data" / "extract").resolve()


def real_pages() -> list[bytes]:
    """The HTML of every real page under shared/data/extract, as stored."""
    pages = []
    for path in sorted(EXTRACT.glob("scrapinghub-aeb/html/*.html.gz")):
        pages.append(gzip.decompress(path.read_bytes()))
    for path in sorted(EXTRACT.glob("readability-testpages/test-pages/*/source.html")):
        pages.append(path.read_bytes())
    for path in sorted(EXTRACT.glob("newspaper-fulltext/html/*.html")):
        pages.append(path.read_bytes())
    if not pages:
        sys.exit(f"no pages found under {EXTRACT}")
    return pages


def build_warc(path: Path, records: int) -> tuple[int, int]:
    """Write ``records`` HTML responses (plus their requests) to a gzipped WARC: (gzipped, raw) size."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = real_pages()
    raw = 0
    with open(path, "wb") as out:
        for i in range(records):
            page = pages[i % len(pages)]
            url = f"https://example-{i % 97}.org/page/{i}.html"
            request = StatusAndHeaders(f"GET /page/{i}.html HTTP/1.1", [("Host", f"example-{i % 97}.org")],
                                       is_http_request=True)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                  ("Content-Length", str(len(page)))], protocol="HTTP/1.1")
            for record in (
                dict(record_type="request", http_headers=request),
                dict(record_type="response", payload=io.BytesIO(page), length=len(page), http_headers=headers),
            ):
                plain = io.BytesIO()
                writer = WARCWriter(plain, gzip=False)
                writer.write_record(writer.create_warc_record(url, **record))
                # one gzip member per record at zlib's default level, as Common Crawl writes them
                out.write(gzip.compress(plain.getvalue(), compresslevel=6))
                raw += plain.tell()
    return path.stat().st_size, raw


def run_warcio(path: str) -> dict:
    from warcio.archiveiterator import ArchiveIterator

    records = payload = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            payload += len(record.content_stream().read())
            records += 1
    return {"records": records, "payload_bytes": payload}


def run_reader(path: str, isal: bool = True) -> dict:
    if not isal:
        sys.modules["isal"] = None  # the reader falls back to zlib, the inflater warcio uses
    sys.path.insert(0, str(REPO))
    from webcorpus.readers import ReadReport, read_documents

    report = ReadReport(path)
    documents = 0
    for batch in read_documents(path, report):
        documents += batch.num_rows
    return {"records": sum(report.records.values()), "documents": documents, "errors": len(report.errors)}


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include the parent's, kept across exec)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(which: str, path: str) -> None:
    start = time.perf_counter()
    result = run_warcio(path) if which == "warcio" else run_reader(path, isal=which == "reader")
    result["seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def measure(which: str, path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generated_warc(folder: Path, records: int) -> tuple[Path, int, int]:
    """The benchmark's WARC of ``records`` pages in ``folder``, described in one printed line:
    (path, gzipped size, raw size)."""
    path = folder / "bench.warc.gz"
    size, raw = build_warc(path, records)
    print(f"WARC: {records} responses + {records} requests, {size / 1e6:.1f} MB gzipped, "
          f"{raw / 1e6:.1f} MB raw; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    return path, size, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="HTML responses in the generated WARC")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each contender (best is reported)")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path, size, raw = generated_warc(Path(tmp), args.records)
        runs = {"warcio": [], "reader": [], "reader-zlib": []}
        for _ in range(args.repeat):
            for which in runs:
                runs[which].append(measure(which, str(path)))
        best = {which: min(r, key=lambda r: r["seconds"]) for which, r in runs.items()}
        print(f"{'':11} {'seconds':>8} {'records/s':>10} {'MB/s (gz)':>10} {'MB/s (raw)':>10} {'peak RSS MB':>12}")
        for which, r in best.items():
            s = r["seconds"]
            print(f"{which:11} {s:8.3f} {r['records'] / s:10.0f} {size / 1e6 / s:10.1f} {raw / 1e6 / s:10.1f} "
                  f"{r['peak_rss_mb']:12.0f}")
        print(f"reader documents: {best['reader']['documents']}, errors: {best['reader']['errors']}; "
              f"records seen: warcio {best['warcio']['records']}, reader {best['reader']['records']}")
        for which in ("reader", "reader-zlib"):
            overhead = best[which]["seconds"] / best["warcio"]["seconds"] - 1
            print(f"{which} overhead over the warcio loop: {overhead * 100:+.1f}%")


if __name__ == "__main__":
    main()

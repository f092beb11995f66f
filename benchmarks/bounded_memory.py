"""Peak memory of reading a decompression bomb and a huge page: webcorpus's reader vs warcio, same files.

Two generated gzipped WARCs (tests/faults/bombs.py makes them; nothing is downloaded), each
``good page, X, good page``:

* ``bomb``: X is an HTML response whose body is ``--bomb-gib`` GiB of zeros under ``Content-Encoding: gzip``
  (the file is about 1/1000 of that);
* ``huge page``: X is an HTML response of ``--page-gib`` GiB of markup, stored as is (no Content-Encoding).

Each reader runs in a fresh process that reads every record and its decoded body: webcorpus's
``read_documents`` (default ``max_record_bytes``, 64 MiB) and warcio's ``ArchiveIterator`` with
``content_stream().read()`` (warcio undoes Content-Encoding too, and has no limit). Reported per file and
reader: peak RSS (``ru_maxrss``), CPU seconds (user + system of that process), and the pages it gave.

    python benchmarks/bounded_memory.py --bomb-gib 2 --page-gib 1
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.faults.bombs import PAGE, bomb_warc, gzip_of_zeros  # noqa: E402

WEBCORPUS = """
import json, resource, sys
from webcorpus.readers import read_documents
from webcorpus.readers.report import ReadReport
report = ReadReport(sys.argv[1]); pages = 0
for batch in read_documents(sys.argv[1], report): pages += batch.num_rows
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"pages": pages, "too_large": report.records["too_large"], "peak_mib": usage.ru_maxrss / 1024,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""

WARCIO = """
import json, resource, sys
from warcio.archiveiterator import ArchiveIterator
pages = 0
with open(sys.argv[1], "rb") as f:
    for record in ArchiveIterator(f):
        if record.rec_type == "response":
            body = record.content_stream().read(); pages += 1
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"pages": pages, "peak_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def huge_page_warc(path: Path, size: int) -> Path:
    """good page, one HTML page of ``size`` bytes of markup (stored as is), good page; gzipped members."""
    import gzip

    from warcio.warcwriter import WARCWriter

    from tests.faults.bombs import _response

    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        _response(writer, "http://example.com/before", PAGE % (b"before", b"before"), [])
        out.flush()
        # the huge record is written as one gzip member, streamed, so the generator never holds it
        row = b"<p>" + b"a huge page of repeated markup " * 32 + b"</p>\n"
        body_size = size - size % len(row)
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % body_size
        header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.com/huge\r\n"
                  b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
                  b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n" % (len(http) + body_size))
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as member:
            member.write(header + http)
            chunk = row * ((1 << 20) // len(row))
            written = 0
            while written + len(chunk) <= body_size:
                member.write(chunk)
                written += len(chunk)
            while written < body_size:
                member.write(row)
                written += len(row)
            member.write(b"\r\n\r\n")
        _response(writer, "http://example.com/after", PAGE % (b"after", b"after"), [])
    return path


def measure(script: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bomb-gib", type=float, default=2.0)
    parser.add_argument("--page-gib", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = {
            f"bomb ({args.bomb_gib:g} GiB of zeros, gzip)": bomb_warc(Path(folder) / "bomb.warc.gz", gzip_of_zeros(int(args.bomb_gib * (1 << 30)))),
            f"huge page ({args.page_gib:g} GiB)": huge_page_warc(Path(folder) / "huge.warc.gz", int(args.page_gib * (1 << 30))),
        }
        print("| file | size | reader | pages | peak RSS MiB | CPU s |")
        print("|---|---:|---|---:|---:|---:|")
        for name, path in files.items():
            for reader, script in (("webcorpus", WEBCORPUS), ("warcio", WARCIO)):
                got = measure(script, path)
                if "failed" in got:
                    print(f"| {name} | {path.stat().st_size / 1e3:,.0f} kB | {reader} | failed: {got['failed']} | | |")
                    continue
                print(f"| {name} | {path.stat().st_size / 1e3:,.0f} kB | {reader} | {got['pages']} | {got['peak_mib']:.0f} | {got['cpu_s']:.1f} |")


if __name__ == "__main__":
    main()

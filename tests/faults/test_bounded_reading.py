"""Bounded reading: a decompression bomb, a huge or lying record cost one record, reported; never the file."""
from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import brotli
import pytest

from tests.conftest import REPO
from tests.faults.bombs import bomb_warc, gzip_of_zeros, lying_length_warc
from webcorpus.readers import read_documents
from webcorpus.readers.http import BodyTooLarge, decode_content
from webcorpus.readers.report import ReadReport

TWO_GIB = 2 << 30


def read(path: Path, **options) -> tuple[list[str], ReadReport]:
    report = ReadReport(str(path))
    urls = []
    for batch in read_documents(str(path), report, **options):
        urls += batch.column("url").to_pylist()
    return urls, report


@pytest.fixture(scope="module")
def two_gib_bomb(tmp_path_factory) -> Path:
    return bomb_warc(tmp_path_factory.mktemp("bomb") / "bomb.warc.gz", gzip_of_zeros(TWO_GIB))


def test_a_2_gib_gzip_bomb_is_skipped_reported_and_the_next_record_read_in_bounded_memory(two_gib_bomb):
    assert two_gib_bomb.stat().st_size < 4 << 20  # a small file...
    # ...read in a fresh process, so that its peak memory is the reader's alone
    script = (
        "import json, resource, sys\n"
        "from webcorpus.readers import read_documents\n"
        "from webcorpus.readers.report import ReadReport\n"
        "report = ReadReport(sys.argv[1]); urls = []\n"
        "for batch in read_documents(sys.argv[1], report): urls += batch.column('url').to_pylist()\n"
        # VmHWM: this process's own peak since exec. ru_maxrss also counts the parent's size at fork (Linux keeps
        # the old mm's high-water mark across exec), and the pytest process holding this test is large.
        "status = open('/proc/self/status').read() if sys.platform == 'linux' else ''\n"
        "hwm = [int(l.split()[1]) for l in status.splitlines() if l.startswith('VmHWM:')]\n"
        "print(json.dumps({'urls': urls, 'records': dict(report.records), 'errors': report.errors,\n"
        "                  'peak_kib': hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(two_gib_bomb)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["urls"] == ["http://example.com/before", "http://example.com/after"]
    assert seen["records"]["too_large"] == 1 and seen["records"]["html"] == 2
    [error] = seen["errors"]
    assert error["source"] == str(two_gib_bomb) and error["offset"] > 0 and "too large" in error["error"]
    assert seen["peak_kib"] < 1 << 20  # under 1 GiB; before the limit it was over 4 GiB


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_every_content_encoding_stops_at_the_limit(encoding):
    zeros = bytes(8 << 20)
    data = {"gzip": lambda b: zlib.compress(b, wbits=31), "deflate": zlib.compress, "br": brotli.compress}[encoding](zeros)
    assert decode_content(data, encoding, limit=8 << 20) == zeros
    with pytest.raises(BodyTooLarge):
        decode_content(data, encoding, limit=(8 << 20) - 1)


def test_the_limit_option_applies_to_decoded_pages(tmp_path):
    path = bomb_warc(tmp_path / "small-bomb.warc.gz", gzip_of_zeros(3 << 20))
    urls, report = read(path)  # 3 MiB is under the default limit: a page (of zeros), not a bomb
    assert "http://example.com/bomb" in urls and report.records["too_large"] == 0
    urls, report = read(path, max_record_bytes=1 << 20)
    assert urls == ["http://example.com/before", "http://example.com/after"]
    assert report.records["too_large"] == 1 and "limit of 1048576 bytes" in report.errors[0]["error"]


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_content_length_past_the_end_of_the_file_is_reported_with_file_and_offset(tmp_path, gzipped):
    path = lying_length_warc(tmp_path / ("liar.warc.gz" if gzipped else "liar.warc"), gzipped)
    urls, report = read(path)
    [error] = report.errors
    assert error["source"] == str(path) and error["offset"] > 0 and "Content-Length 107374182400" in error["error"]
    assert report.records["too_large"] == 1
    if gzipped:  # one record per gzip member: the length is a lie, and the record after it is kept
        assert urls == ["http://example.com/before", "http://example.com/after"]
        assert "reading resumes at the next record" in error["error"]
    else:  # a plain file has no member boundary to trust: what the length swallows is named, not kept
        assert urls == ["http://example.com/before"]
        assert "past the end of the file" in error["error"]

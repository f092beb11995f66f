"""The sample crawl as WARC: reproducible bytes, the records a reader must count, declared charsets."""
from __future__ import annotations

import re
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest

from webcorpus.sample_crawl import generate_sample_crawl


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    first = generate_sample_crawl(tmp_path / "a", seed=7, pages=120)
    generate_sample_crawl(tmp_path / "b", seed=7, pages=120)
    generate_sample_crawl(tmp_path / "c", seed=8, pages=120)
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert [Path(p).name for p in first] == ["sample-00000.warc.gz", "sample-00001.warc.gz"]
    assert set(a) == {"sample-00000.warc.gz", "sample-00001.warc.gz", "manifest.json"}
    assert a == b
    assert all(a[name] != c[name] for name in a)


def test_generating_again_leaves_the_files_as_they_are(tmp_path):
    """`make demo` twice: the second writes the same crawl, and the files keep their time, so the run resumes."""
    generate_sample_crawl(tmp_path / "a", seed=7, pages=120)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "a").iterdir()}
    generate_sample_crawl(tmp_path / "a", seed=7, pages=120)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "a").iterdir()} == stamps
    generate_sample_crawl(tmp_path / "a", seed=8, pages=120)  # other bytes: written
    assert all(p.stat().st_mtime_ns != stamps[p.name] for p in (tmp_path / "a").iterdir())


def test_every_gzip_member_has_mtime_zero(sample):
    data = Path(sample.paths[0]).read_bytes()
    members = 0
    while data:
        assert data[:3] == b"\x1f\x8b\x08" and data[4:8] == b"\0\0\0\0"  # magic, deflate, MTIME = 0
        decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
        decompressor.decompress(data)
        data = decompressor.unused_data
        members += 1
    assert members == sum(sample.manifest["files"]["sample-00000.warc.gz"]["records"].values())


def test_record_counts_by_type_match_the_manifest(sample):
    pages, files = sample.manifest["pages"], len(sample.paths)
    counted = Counter(r.type for r in sample.records)
    # every page and the four extra fetches (robots, png, 404, 301) have a request and a response;
    # the revisit also has its request; one warcinfo and one metadata record per file
    assert counted == {"warcinfo": files, "metadata": files, "response": pages + 4,
                       "request": pages + 5, "revisit": 1}
    assert counted == sample.manifest["records"]
    for name, info in sample.manifest["files"].items():
        assert Counter(r.type for r in sample.records if r.file == name) == info["records"]
    assert sample.records[0].type == "warcinfo"
    assert [r for r in sample.records if r.type == "warcinfo"][1].file == "sample-00001.warc.gz"


def test_record_ids_dates_and_request_links(sample):
    ids = [r.headers["WARC-Record-ID"] for r in sample.records]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", i) for i in ids)
    assert all(r.headers["WARC-Date"].startswith("2024-") for r in sample.records)
    by_id = {r.headers["WARC-Record-ID"]: r for r in sample.records}
    for request in (r for r in sample.records if r.type == "request"):
        target = by_id[request.headers["WARC-Concurrent-To"]]
        assert target.type in ("response", "revisit")
        assert target.headers["WARC-Target-URI"] == request.headers["WARC-Target-URI"]
    for record in sample.records:
        if record.type in ("response", "revisit"):
            assert record.http["Date"].endswith("2024 " + record.headers["WARC-Date"][11:19] + " GMT")


def test_non_html_404_redirect_and_revisit(sample):
    other = sample.manifest["other_records"]
    responses = {r.headers["WARC-Target-URI"]: r for r in sample.records if r.type == "response"}
    statuses = Counter(r.status for r in responses.values())
    assert statuses == {200: sample.manifest["pages"] + 2, 404: 1, 301: 1}

    png = responses[other["image"]]
    assert png.http["Content-Type"] == "image/png" and png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.body.endswith(b"IEND\xaeB`\x82")
    robots = responses[other["robots"]]
    assert robots.http["Content-Type"] == "text/plain" and b"User-agent: *" in robots.body
    assert responses[other["not_found"]].status == 404
    redirect = responses[other["redirect"]["url"]]
    assert redirect.status == 301 and redirect.http["Location"] == other["redirect"]["location"]
    assert other["redirect"]["location"] in responses

    revisit = next(r for r in sample.records if r.type == "revisit")
    original = responses[other["revisit"]["url"]]
    assert revisit.headers["WARC-Target-URI"] == other["revisit"]["url"]
    assert revisit.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
    assert revisit.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
    assert revisit.body == b""


def _meta_charset(html: str) -> str | None:
    match = re.search(r'<meta charset="([^"]+)">|<meta http-equiv="Content-Type" content="text/html; charset=([^"]+)">',
                      html[:1000])
    return (match.group(1) or match.group(2)) if match else None


def test_charsets_decode_as_declared(sample):
    seen = Counter()
    for record, page in sample.html_pages():
        content_type = record.http["Content-Type"]
        header = content_type.split("charset=")[1] if "charset=" in content_type else None
        html = record.body.decode(page["charset"])  # strict: the bytes are in the declared charset
        meta = _meta_charset(html)
        declared = {"header": header is not None, "meta": meta is not None}
        assert page["declared_in"] == ("+".join(k for k, v in declared.items() if v) or "none")
        assert {header, meta} - {None} <= {page["charset"]}
        assert f'<html lang="{page["language"]}">' in html
        if page["charset"] != "utf-8" and any(ord(ch) > 127 for ch in html):
            with pytest.raises(UnicodeDecodeError):
                record.body.decode("utf-8")  # really encoded in the legacy charset, not utf-8 relabelled
        seen[page["charset"], page["declared_in"]] += 1
    assert seen[("utf-8", "header+meta")] > sample.manifest["pages"] / 2
    for expected in [("windows-1252", "header"), ("iso-8859-1", "header+meta"), ("iso-8859-1", "meta"),
                     ("utf-8", "meta"), ("utf-8", "none"), ("Shift_JIS", "header+meta"), ("GB2312", "meta"),
                     ("windows-1251", "header")]:
        assert seen[expected] >= 1, expected


def test_command_line_writes_the_crawl(tmp_path, read_warc):
    result = subprocess.run([sys.executable, "-m", "webcorpus.sample_crawl", str(tmp_path / "out"), "--seed", "3",
                             "--pages", "40"], capture_output=True, text=True, check=True)
    assert "40 HTML pages" in result.stdout
    records = read_warc([tmp_path / "out" / "sample-00000.warc.gz"])
    assert sum(r.type == "response" and r.status == 200 and r.http["Content-Type"].startswith("text/html")
               for r in records) == 40
    assert not (tmp_path / "out" / "sample-00001.warc.gz").exists()


def test_too_few_pages_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 40 pages"):
        generate_sample_crawl(tmp_path, pages=10)

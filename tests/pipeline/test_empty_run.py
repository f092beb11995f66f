"""A run whose documents are all dropped says why: stats.json, the report and the console name the stage
that dropped them and its reasons; the steps after it are skipped, not run on nothing; exit 3."""
from __future__ import annotations

import io
import json

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.faults.helpers import run_cli


def one_page_warc(path, page: bytes):
    """A WARC with one response record holding ``page`` (a real page; only the wrapper is made)."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://www.lemonde.fr/a.html", "response", payload=io.BytesIO(page),
                                                      length=len(page), http_headers=headers))
    return path


def test_a_crawl_of_one_french_page_through_the_english_pipeline_says_where_it_went(tmp_path, shared_data):
    page = (shared_data / "extract" / "readability-testpages" / "test-pages" / "lemonde-1" / "source.html").read_bytes()
    crawl = one_page_warc(tmp_path / "fr.warc.gz", page)
    output = tmp_path / "out"
    done = run_cli("run", "main", "--input", str(crawl), "--output", str(output), "--report")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "ValueError" not in done.stderr
    assert "no document came out: 'language' dropped the most, 1 of 1 (language:fr 1)" in done.stderr
    assert "skipped for want of documents: dedup, dedup_paragraphs, pii, train_tokenizer, tokenize" in done.stderr
    assert "dedup: exact and URL duplicates" not in done.stderr  # no phase of dedup ran on no shards

    stats = json.loads((output / "stats.json").read_text())
    by_name = {s["name"]: s for s in stats["stages"]}
    assert list(by_name) == ["url_filter", "extract", "language", "gopher_repetition", "gopher_quality", "c4",
                             "fineweb_quality", "dedup", "dedup_paragraphs", "pii", "train_tokenizer", "tokenize"]
    assert by_name["language"]["dropped"] == {"language:fr": 1} and by_name["extract"]["documents_out"] == 1
    assert [n for n, s in by_name.items() if s.get("skipped")] == ["dedup", "dedup_paragraphs", "pii", "train_tokenizer", "tokenize"]
    assert stats["documents"] == {"read": 1, "written": 0, "shards": []}
    assert "skipped: no documents left" in (output / "report.html").read_text(encoding="utf-8")
    shown = run_cli("inspect", str(output))
    assert shown.returncode == 0 and "language:fr 1" in shown.stdout and "no document came out" in shown.stdout

    again = run_cli("run", "main", "--input", str(crawl), "--output", str(output))  # finished: nothing to do, same code
    assert again.returncode == 3 and "nothing to do" in again.stderr and "no document came out" in again.stderr

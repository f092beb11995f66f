"""extract on real pages (../shared/data/extract and warc): text, title, drops and their reasons,
and the guard rails: time limit, size limit, memory limit, crashes, a broken extractor."""
from __future__ import annotations

import gzip
import json
import os
import pickle
import time
from pathlib import Path

import pyarrow as pa
import pytest

from webcorpus.documents import from_rows
from webcorpus.readers import read_documents
from webcorpus.readers.charset import decode_html
from webcorpus.readers.report import ReadReport
from webcorpus.stages.extract import Extract, ExtractorError
from webcorpus.stages.registry import OptionError, build_stage

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
AEB_PAGE = "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856"
HANG, SPIN, BLOW_UP, DIE, FAIL = "<!--hang-->", "<!--spin-->", "<!--blow-up-->", "<!--die-->", "<!--fail-->"


# --- engine hooks, imported by name in the extractor's child process -------------------------------


def misbehaving_engine(html: str, url: str | None) -> str | None:
    """Extracts like resiliparse, except on pages carrying one of the markers above."""
    if HANG in html:
        while True:  # stands in for an engine blocked on a lock or the network: no CPU used
            time.sleep(0.05)
    if SPIN in html:
        while True:  # stands in for a page that keeps lxml busy forever
            pass
    if BLOW_UP in html:
        hog = [bytearray(64 << 20) for _ in range(1000)]  # 64 GB: far above max_memory_mb
        return str(len(hog))
    if DIE in html:
        os._exit(3)
    if FAIL in html:
        raise ValueError("this page is cursed")
    from webcorpus.stages.extract.engines import make_engine

    return make_engine("resiliparse")(html, url)


def always_failing_engine(html: str, url: str | None) -> str | None:
    raise KeyError("selector table is empty")


def needs_missing_module(html: str, url: str | None) -> str | None:
    import webcorpus_no_such_module  # noqa: F401


def hook(function) -> str:
    return f"{__name__}:{function.__name__}"


# --- real pages ---------------------------------------------------------------------------------


def real_pages() -> list[dict]:
    """Three pages with known article text: one per extraction dataset, in three languages' worth of scripts."""
    extract = DATA / "extract"
    aeb = gzip.decompress((extract / "scrapinghub-aeb" / "html" / f"{AEB_PAGE}.html.gz").read_bytes())
    aeb_truth = json.loads((extract / "scrapinghub-aeb" / "ground-truth.json").read_text())[AEB_PAGE]
    readability = (extract / "readability-testpages" / "test-pages" / "001" / "source.html").read_bytes()
    chinese = (extract / "newspaper-fulltext" / "html" / "chinese_article.html").read_bytes()
    return [
        {"id": "aeb", "url": aeb_truth["url"], "html": decode_html(aeb)[0]},
        {"id": "readability-001", "url": "http://fakehost/code/", "html": decode_html(readability)[0]},
        {"id": "newspaper-chinese", "url": None, "html": decode_html(chinese)[0]},
    ]


EXPECTED_SENTENCES = {
    "aeb": "Now we spend money over and over on virtual perks.",
    "readability-001": "The idea behind code coverage is to record which parts of your code",
    "newspaper-chinese": "梁振英此前承认早在去年参选行政长官之前就已知悉其住宅的违建问题",
}


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pages() -> pa.Table:
    return from_rows(real_pages())


@pytest.mark.parametrize("engine", ["blocks", "trafilatura", "resiliparse", "hybrid"])
def test_engines_extract_ground_truth_sentences_and_titles(pages, engine):
    stage = build_stage("extract", {"engine": engine})
    out = stage(pages)
    assert out.column("id").to_pylist() == ["aeb", "readability-001", "newspaper-chinese"]
    texts = dict(zip(out.column("id").to_pylist(), out.column("text").to_pylist()))
    for doc_id, sentence in EXPECTED_SENTENCES.items():
        assert sentence in one_line(texts[doc_id]), (engine, doc_id)
    # main content only: the navigation of the readability page is not in the text
    assert "Nicolas Perriault's homepage" not in texts["readability-001"] or engine == "trafilatura"
    titles = out.column("title").to_pylist()
    assert titles[1] == "Get your Frontend JavaScript Code Covered | Code | Nicolas Perriault"
    assert out.column("html").null_count == 3  # html is released once extracted (keep_html: false)


def test_in_process_and_sandboxed_give_the_same_text(pages):
    sandboxed = Extract(engine="resiliparse")(pages)
    in_process = Extract(engine="resiliparse", timeout=None)(pages)
    assert sandboxed.column("text").to_pylist() == in_process.column("text").to_pylist()


def test_real_crawl_through_reader(shared_data):
    """The genuine CC excerpt (16 pages, many languages) keeps its pages; an empty page and a no-html record are dropped with reasons."""
    path = str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz")
    crawl = pa.concat_tables(read_documents(path, ReadReport(path)))
    extra = from_rows([
        {"id": "empty", "url": "http://e.example/", "html": "<html><head><script>var a=1;</script></head><body> </body></html>"},
        {"id": "nohtml", "url": "http://n.example/", "html": None},
    ]).select(crawl.column_names)
    stage = Extract(engine="resiliparse")
    output = stage.apply(pa.concat_tables([crawl, extra.cast(crawl.schema)]))
    assert output.kept.num_rows == 16
    texts = output.kept.column("text").to_pylist()
    assert all(t.strip() == t and t for t in texts)
    assert sum(len(t) > 200 for t in texts) >= 12  # a few spam pages only have a line or two of text
    assert dict(zip(output.dropped.column("id").to_pylist(), output.dropped.column("drop_reason").to_pylist())) == {
        "empty": "extract:empty", "nohtml": "extract:no_html"}
    assert stage.stats.dropped == {"extract:empty": 1, "extract:no_html": 1}
    wiki = str(shared_data / "warc" / "cc-whirlwind" / "whirlwind.warc.gz")
    text = Extract(engine="hybrid")(pa.concat_tables(read_documents(wiki, ReadReport(wiki)))).column("text")[0].as_py()
    assert "Iste articlo ye en proceso de cambio" in text


def test_busy_and_blocked_pages_are_killed_counted_and_the_run_goes_on(pages):
    """A page spinning on the CPU is killed at ``timeout`` CPU-seconds (extract:timeout); one blocked without
    using CPU is killed after ``stall_timeout`` wall seconds (extract:stalled), under its own reason."""
    rows = real_pages()
    spun = dict(rows[1], id="spin-1", html=rows[1]["html"] + SPIN)
    hung = dict(rows[2], id="hang-1", html=HANG + rows[2]["html"])
    spun2 = dict(rows[2], id="spin-2", html=SPIN + rows[2]["html"])
    batch = from_rows([rows[0], spun, rows[1], hung, spun2, rows[2]])
    stage = Extract(engine=hook(misbehaving_engine), timeout=0.5, stall_timeout=2.0)
    output = stage.apply(batch)
    assert output.kept.column("id").to_pylist() == ["aeb", "readability-001", "newspaper-chinese"]
    texts = output.kept.column("text").to_pylist()
    assert EXPECTED_SENTENCES["newspaper-chinese"] in one_line(texts[2])  # results stay with their documents
    assert dict(zip(output.dropped.column("id").to_pylist(), output.dropped.column("drop_reason").to_pylist())) == {
        "spin-1": "extract:timeout", "hang-1": "extract:stalled", "spin-2": "extract:timeout"}
    counters = stage.stats.counters
    assert counters["timeouts"] == 2 and counters["stalls"] == 1 and counters["restarts"] == 3
    assert stage(from_rows([rows[0]])).num_rows == 1  # the restarted extractor keeps working


def test_size_memory_crash_and_error_are_dropped_with_reasons():
    rows = real_pages()
    nested = "<html><body>" + "<div>" * 300_000 + "deep" + "</div>" * 300_000 + "</body></html>"
    batch = from_rows([
        rows[0],
        {"id": "too-large", "url": None, "html": nested},
        dict(rows[1], id="blow-up", html=BLOW_UP + rows[1]["html"]),
        dict(rows[1], id="die", html=DIE + rows[1]["html"]),
        dict(rows[1], id="fail", html=FAIL + rows[1]["html"]),
        rows[2],
    ])
    stage = build_stage("extract", {"engine": hook(misbehaving_engine), "max_html_bytes": 1_000_000, "max_memory_mb": 1024})
    output = stage.apply(batch)
    assert output.kept.column("id").to_pylist() == ["aeb", "newspaper-chinese"]
    assert dict(zip(output.dropped.column("id").to_pylist(), output.dropped.column("drop_reason").to_pylist())) == {
        "too-large": "extract:too_large",
        "blow-up": "extract:error:MemoryError",
        "die": "extract:crashed",
        "fail": "extract:error:ValueError",
    }
    assert stage.stats.counters["too_large"] == 1 and stage.stats.counters["crashes"] == 1


def test_extractor_that_cannot_start_raises_with_its_cause():
    stage = Extract(engine="webcorpus_no_such_module:extract")
    with pytest.raises(ExtractorError, match="ModuleNotFoundError: No module named 'webcorpus_no_such_module'"):
        stage(from_rows(real_pages()[:1]))


def test_import_error_while_extracting_raises_at_once_with_traceback():
    stage = Extract(engine=hook(needs_missing_module))
    with pytest.raises(ExtractorError, match="webcorpus_no_such_module") as error:
        stage(from_rows(real_pages()))
    assert "Traceback" in str(error.value)


def test_extractor_failing_on_every_page_raises_instead_of_dropping_silently():
    rows = [dict(real_pages()[1], id=str(i)) for i in range(30)]
    stage = Extract(engine=hook(always_failing_engine), timeout=None)
    with pytest.raises(ExtractorError, match="selector table is empty") as error:
        stage(from_rows(rows))
    assert "the first 20 documents all failed with extract:error:KeyError" in str(error.value)


def test_options_are_validated_and_the_stage_pickles():
    with pytest.raises(OptionError) as error:
        build_stage("extract", {"engine": "readability"})
    assert error.value.option == "engine"
    with pytest.raises(OptionError) as error:
        build_stage("extract", {"favor_precision": True, "favor_recall": True})
    assert error.value.option == "favor_recall"
    with pytest.raises(OptionError) as error:
        build_stage("extract", {"timeout": 0})
    assert error.value.option == "timeout"
    stage = build_stage("extract", {"engine": "hybrid", "favor_precision": True})
    assert stage.requires == {"trafilatura": "trafilatura", "resiliparse": "resiliparse"}
    copy = pickle.loads(pickle.dumps(stage))
    assert copy.engine == "hybrid" and copy.favor_precision and "_sandbox" not in copy.__dict__

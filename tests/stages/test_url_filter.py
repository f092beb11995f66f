"""url_filter on the real Common Crawl excerpt of resiliparse's tests, with UT1-layout lists built in tmp."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from webcorpus.documents import from_rows
from webcorpus.readers import read_documents
from webcorpus.readers.report import ReadReport
from webcorpus.stages.registry import OptionError, build_stage, describe_stages
from webcorpus.stages.url_filter import UrlFilter

CC_EXCERPT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "warc" / "resiliparse-tests" / "warcfile.warc.gz"


@pytest.fixture(scope="module")
def crawl():
    batches = list(read_documents(str(CC_EXCERPT), ReadReport(str(CC_EXCERPT))))
    return batches[0] if len(batches) == 1 else __import__("pyarrow").concat_tables(batches)


@pytest.fixture
def ut1(tmp_path: Path) -> Path:
    """A small blacklist in UT1's layout: one folder per category with ``domains`` and ``urls``."""
    root = tmp_path / "blacklists"
    (root / "adult").mkdir(parents=True)
    (root / "adult" / "domains").write_text("01spb.ru\n# a comment\n06.live-radsport.ch\n\nexample-never-seen.org\n")
    (root / "adult" / "urls").write_text("0755krk.com/76104/list_4_1.html\n")
    (root / "gambling").mkdir()
    (root / "gambling" / "domains").write_text("jxtdw.com\n")
    (root / "gambling" / "urls").write_text("www.0900-hovenier.nl/gelderland\n")
    (root / "README").write_text("not a category\n")
    return root


def drops(stage: UrlFilter, batch) -> dict[str, str]:
    output = stage.apply(batch)
    if output.dropped is None:
        return {}
    return dict(zip(output.dropped.column("url").to_pylist(), output.dropped.column("drop_reason").to_pylist()))


def test_ut1_lists_drop_by_domain_subdomain_and_url_with_category(crawl, ut1):
    stage = build_stage("url_filter", {"blocklists": [str(ut1)]})
    dropped = drops(stage, crawl)
    assert dropped == {
        "http://01spb.ru/company/": "url_filter:domain:adult",
        "http://06.live-radsport.ch/fahrerstatistik_801/Anthony_Ravard.html": "url_filter:subdomain:adult",
        "http://06.live-radsport.ch/tippspiel/stats_140_petzi.html": "url_filter:subdomain:adult",
        "http://0755krk.com/76104/list_4_1.html": "url_filter:url:adult",
        "http://0760.jxtdw.com/area/sanxiang/": "url_filter:domain:gambling",
        "http://0900-hovenier.nl/gelderland/oosterbeek/": "url_filter:url:gambling",  # prefix entry, www. ignored
    }
    stats = stage.stats
    assert stats.documents_in == 16 and stats.documents_out == 10
    assert stats.dropped["url_filter:subdomain:adult"] == 2


def test_subdomain_entry_does_not_block_its_parent_domain(ut1):
    stage = UrlFilter(blocklists=[str(ut1)])
    stage.setup()
    assert stage.reason("http://www.live-radsport.ch/") is None
    assert stage.reason("https://x.06.live-radsport.ch:8080/a") == "url_filter:subdomain:adult"
    assert stage.reason("http://0755krk.com/76104/list_4_1.html?page=2") is None  # exact URL, not its variants


def test_categories_select_folders_and_unknown_category_is_rejected(crawl, ut1):
    stage = build_stage("url_filter", {"blocklists": [str(ut1)], "categories": ["gambling"]})
    assert set(drops(stage, crawl).values()) == {"url_filter:domain:gambling", "url_filter:url:gambling"}
    with pytest.raises(OptionError) as error:
        build_stage("url_filter", {"blocklists": [str(ut1)], "categories": ["weapons"]})
    assert error.value.option == "categories" and "weapons" in str(error.value)


def test_plain_file_and_single_category_folder(crawl, tmp_path, ut1):
    plain = tmp_path / "my-spam.txt"
    plain.write_text("psb556.com\nhttp://037426.cn/\n")
    stage = build_stage("url_filter", {"blocklists": [str(plain), str(ut1 / "gambling")]})
    assert drops(stage, crawl) == {
        "http://035.psb556.com/24/i/u_1090813/article.html": "url_filter:domain:my-spam",
        "http://037426.cn/": "url_filter:url:my-spam",
        "http://0760.jxtdw.com/area/sanxiang/": "url_filter:domain:gambling",
        "http://0900-hovenier.nl/gelderland/oosterbeek/": "url_filter:url:gambling",
    }


def test_hard_and_soft_words(crawl, tmp_path):
    words = tmp_path / "hard.txt"
    words.write_text("vod\n")
    stage = build_stage(
        "url_filter",
        {"hard_words_file": str(words), "soft_words": ["index", "php", "detail"], "soft_word_threshold": 3},
    )
    assert drops(stage, crawl) == {
        "http://05925.net/index.php/vod/type/id/53.html": "url_filter:hard_word",
        "http://0513mt.com/index.php/art/detail/id/8884.html": "url_filter:soft_words",
    }
    stage.setup()
    assert stage.reason("http://example.com/index.php") is None  # two soft words stay under the threshold of 3
    assert stage.reason("http://example.com/vodka") is None  # words are whole URL tokens, not substrings


def test_allow_domains_override_lists(ut1):
    stage = UrlFilter(blocklists=[str(ut1)], allow_domains=["01spb.ru"])
    stage.setup()
    assert stage.reason("http://01spb.ru/company/") is None
    assert stage.reason("http://jxtdw.com/") == "url_filter:domain:gambling"


def test_missing_url_policy():
    batch = from_rows([{"id": "a", "url": None}, {"id": "b", "url": "http://ok.example/"}])
    assert UrlFilter()(batch).num_rows == 2
    strict = UrlFilter(keep_missing_url=False)
    assert strict(batch).column("id").to_pylist() == ["b"]
    assert strict.stats.dropped == {"url_filter:no_url": 1}


def test_options_are_validated_at_construction(tmp_path):
    with pytest.raises(OptionError) as error:
        build_stage("url_filter", {"blocklists": [str(tmp_path / "nope")]})
    assert error.value.option == "blocklists"
    with pytest.raises(OptionError) as error:
        build_stage("url_filter", {"hard_words_file": str(tmp_path / "nope.txt")})
    assert error.value.option == "hard_words_file"
    with pytest.raises(OptionError):
        build_stage("url_filter", {"soft_word_threshold": 0})
    listed = {s["name"]: s for s in describe_stages()}["url_filter"]
    assert {"blocklists", "categories", "hard_words", "soft_words", "soft_word_threshold"} <= {o["name"] for o in listed["options"]}


def test_many_entries_and_pickling(tmp_path):
    big = tmp_path / "big" / "spam"
    big.mkdir(parents=True)
    (big / "domains").write_text("".join(f"site{i}.example{i % 7}.com\n" for i in range(200_000)))
    stage = pickle.loads(pickle.dumps(UrlFilter(blocklists=[str(big.parent)])))
    stage.setup()
    assert stage.reason("https://www.site199999.example2.com/x") == "url_filter:subdomain:spam"
    assert stage.reason("https://site199999.example5.com/x") is None
    assert stage.reason("https://example6.com/") is None


def test_lists_compile_once_into_a_cached_index_and_recompile_when_a_list_changes(crawl, ut1, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("WEBCORPUS_CACHE_DIR", str(cache))
    first = build_stage("url_filter", {"blocklists": [str(ut1)]})
    assert len(drops(first, crawl)) == 6
    compiled = list((cache / "blocklists").glob("*.arrow"))
    assert len(compiled) == 1
    stamp = compiled[0].stat().st_mtime_ns
    second = build_stage("url_filter", {"blocklists": [str(ut1)]})
    assert drops(second, crawl) == drops(first, crawl)
    assert [p.stat().st_mtime_ns for p in (cache / "blocklists").glob("*.arrow")] == [stamp]  # opened, not rebuilt
    # A list edited in place is a different index: the new entry blocks, the removed one no longer does.
    (ut1 / "gambling" / "domains").write_text("01spb.ru\n")
    (ut1 / "adult" / "domains").write_text("06.live-radsport.ch\n")
    third = build_stage("url_filter", {"blocklists": [str(ut1)], "categories": ["gambling"]})
    assert drops(third, crawl) == {
        "http://01spb.ru/company/": "url_filter:domain:gambling",
        "http://0900-hovenier.nl/gelderland/oosterbeek/": "url_filter:url:gambling",
    }
    assert len(list((cache / "blocklists").glob("*.arrow"))) == 2


def test_first_list_wins_for_an_entry_in_several_and_the_index_is_exact(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBCORPUS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "lists"
    for category, entries in (("ads", "shared-list.com\nads-list.com\n"), ("malware", "SHARED-list.com.\nhttp://bad-list.com/x/\n")):
        (root / category).mkdir(parents=True)
        (root / category / "domains").write_text(entries)
    (root / "malware" / "urls").write_text("www.bad-list.com/x/y\n")
    stage = build_stage("url_filter", {"blocklists": [str(root)]})
    stage.setup()
    assert stage.reason("http://www.shared-list.com/") == "url_filter:domain:ads"  # ads is listed first
    assert stage.reason("http://shared-list.com/") == "url_filter:domain:ads"
    assert stage.reason("http://bad-list.com/x/page") == "url_filter:url:malware"  # a URL line in a domains file
    assert stage.reason("http://bad-list.com/x") == "url_filter:url:malware"
    assert stage.reason("http://bad-list.com/") is None
    assert stage.reason("http://bad-list.com/x/y/z") == "url_filter:url:malware"
    # Keys that share a hash bucket are confirmed by their string: a near miss is never a hit.
    assert stage.reasons_of(["http://shared-list.co/", "http://hared-list.com/", "http://ads-list.com.au/"]) == [None, None, None]


def test_an_unwritable_cache_still_filters(crawl, ut1, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("WEBCORPUS_CACHE_DIR", str(blocker))
    stage = build_stage("url_filter", {"blocklists": [str(ut1)]})
    assert len(drops(stage, crawl)) == 6

"""What the sample pages say: languages, planted duplicates, low-quality pages and PII, checked
against manifest.json by reading the WARC files back."""
from __future__ import annotations

import html
import ipaddress
import itertools
import re
from collections import Counter

import pytest

from webcorpus.sample_crawl.phrases import PHRASEBOOKS

SCRIPTS = {"ru": r"[\u0400-\u04ff]", "zh": r"[\u4e00-\u9fff]", "ja": r"[\u3040-\u30ff]"}


def _main_text(sample, record, page) -> str:
    """The page's own paragraphs: bare <p> elements, minus the known boilerplate ones."""
    document = record.body.decode(page["charset"])
    boilerplate = set(sample.manifest["boilerplate"][page["language"]])
    paragraphs = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", document, re.S)]
    return "\n".join(p for p in paragraphs if p not in boilerplate)


def _shingles(text: str, language: str) -> set:
    tokens = list(re.sub(r"\s", "", text)) if language in ("zh", "ja") else text.lower().split()
    return {tuple(tokens[i:i + 5]) for i in range(len(tokens) - 4)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def texts(sample):
    return {page["url"]: (page, _main_text(sample, record, page)) for record, page in sample.html_pages()}


def test_languages_match_the_manifest(sample, texts):
    languages = sample.manifest["languages"]
    assert set(languages) == {"en", "de", "fr", "es", "ru", "zh", "ja"}
    assert languages["en"] > sum(languages.values()) / 2
    assert Counter(page["language"] for page, _ in texts.values()) == languages
    assert sum(languages.values()) == sample.manifest["pages"] == len(texts)
    for page, text in texts.values():
        if page["language"] in SCRIPTS:
            assert len(re.findall(SCRIPTS[page["language"]], text)) > 100, page["url"]
        elif page["kind"] != "low_quality":
            assert re.fullmatch(r"[\x00-\x7f]*", text) is None or page["language"] == "en"
    stop_words = {"en": " the ", "de": " hat ", "fr": " a ", "es": " el "}
    for code, word in stop_words.items():
        articles = [t for p, t in texts.values() if p["language"] == code and p["kind"] == "article"]
        assert articles and all(word in t for t in articles)


def test_articles_are_long_and_wrapped_in_boilerplate(sample, texts):
    for record, page in sample.html_pages():
        document = record.body.decode(page["charset"])
        book = PHRASEBOOKS[page["language"]]
        assert html.escape(book.chrome["cookie"]) in document and "&copy; 2024" in document
        if page["kind"] == "article":
            words = len(texts[page["url"]][1]) / 3 if page["language"] in ("zh", "ja") else len(texts[page["url"]][1].split())
            assert words >= 100, page["url"]


def test_exact_duplicates_have_identical_payloads(sample):
    digests = {r.headers["WARC-Target-URI"]: r.headers["WARC-Payload-Digest"]
               for r in sample.records if r.type == "response"}
    clusters = sample.manifest["exact_duplicate_clusters"]
    assert len(clusters) >= 2
    for urls in clusters.values():
        assert len(urls) == 2 and urls[0] != urls[1]
        assert digests[urls[0]] == digests[urls[1]]
    assert len(set(digests.values())) == len(digests) - len(clusters)  # no other page repeats a payload


def test_near_duplicates_resemble_their_original_and_nothing_else(sample, texts):
    clusters = sample.manifest["near_duplicate_clusters"]
    assert len(clusters) >= 3 and len({texts[c["original"]][0]["language"] for c in clusters.values()}) >= 3
    documents = {page["url"]: record.body.decode(page["charset"]) for record, page in sample.html_pages()}
    shingles = {url: _shingles(text, page["language"]) for url, (page, text) in texts.items()
                if page["kind"] != "low_quality"}
    for cluster in clusters.values():
        original_page, original_text = texts[cluster["original"]]
        for copy in cluster["copies"]:
            page, text = texts[copy["url"]]
            assert page["site"] != original_page["site"] and text != original_text
            assert _jaccard(shingles[copy["url"]], shingles[cluster["original"]]) >= 0.6
            if "syndication_note" in copy["edits"]:
                book = PHRASEBOOKS[page["language"]]
                source = next(site.name for site in book.sites if site.host == original_page["site"])
                note = book.chrome["syndication"].format(site=source)
                assert html.escape(note) in documents[copy["url"]]
    # unrelated pages of one language stay far apart, so a dedup stage has a clear margin
    cluster_of = {url: page["cluster"] for url, (page, _) in texts.items()}
    for a, b in itertools.combinations(shingles, 2):
        if texts[a][0]["language"] == texts[b][0]["language"] and not (cluster_of[a] and cluster_of[a] == cluster_of[b]):
            assert _jaccard(shingles[a], shingles[b]) < 0.45, (a, b)


def test_low_quality_pages_of_every_kind(sample, texts):
    low = sample.manifest["low_quality"]
    assert set(low) == {"link_list", "keyword_spam", "very_short", "placeholder_filler", "repeated_lines"}
    for kind, urls in low.items():
        assert urls
        for url in urls:
            page, text = texts[url]
            assert page["kind"] == "low_quality" and page["low_quality"] == kind
            words = text.split()
            if kind == "keyword_spam":
                assert len(words) > 300 and len(set(words)) < 25
            elif kind == "very_short":
                assert len(words) < 5
            elif kind in ("placeholder_filler", "repeated_lines"):
                lines = text.splitlines()
                assert len(lines) > 5 and len(set(lines)) == 1
            else:
                record = next(r for r, p in sample.html_pages() if p["url"] == url)
                assert record.body.count(b"<li><a href=") > 30 and len(words) < 20


from webcorpus.sample_crawl.pii import EMAIL_DOMAINS  # noqa: E402

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV6 = re.compile(r"2a02:c7f:[0-9a-f:]+")


def test_pii_is_planted_where_the_manifest_says_and_nowhere_else(sample, texts):
    pii = sample.manifest["pii"]
    assert len(pii) >= 10
    kinds = Counter(kind for values in pii.values() for kind in values)
    assert set(kinds) == {"email", "phone", "ipv4", "ipv6"}
    phones = [phone for values in pii.values() for phone in values.get("phone", [])]
    assert any(p.startswith("+1 ") for p in phones) and any(p.startswith("+44 ") for p in phones)
    assert any(p.startswith("(") for p in phones)
    for url, values in pii.items():
        text = texts[url][1]
        for value in itertools.chain(*values.values()):
            assert value in text
        for email in values.get("email", []):
            assert email.split("@")[1] in EMAIL_DOMAINS
        for phone in values.get("phone", []):
            assert re.search(r"555[ -]01\d\d$|7946 0\d\d\d$", phone), phone
        for address in values.get("ipv4", []):
            assert ipaddress.ip_address(address) in ipaddress.ip_network("81.2.69.0/24")
        for address in values.get("ipv6", []):
            assert ipaddress.ip_address(address) in ipaddress.ip_network("2a02:c7f::/32")
    languages = {texts[url][0]["language"] for url in pii}
    assert "en" in languages and len(languages) >= 2
    # the converse: no page carries an address that the manifest does not list
    for url, (page, text) in texts.items():
        assert sorted(EMAIL.findall(text)) == sorted(pii.get(url, {}).get("email", []))
        assert sorted(IPV6.findall(text)) == sorted(pii.get(url, {}).get("ipv6", []))

"""Decide what the sample crawl contains: articles per language, planted
near-duplicates, exact duplicates, low-quality pages, PII and charsets.

Everything is drawn from one ``random.Random(seed)``, in a fixed order, so a
seed fully determines the plan.
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import text
from .phrases import PHRASEBOOKS, Site, Topic
from .pii import pii_sentence
from .templates import LAYOUTS

MIN_PAGES = 40
# Share of articles per language; English takes the rest.
LANGUAGE_SHARES = {"de": 0.10, "fr": 0.08, "es": 0.08, "ru": 0.05, "zh": 0.035, "ja": 0.035}
LOW_QUALITY_KINDS = ("link_list", "keyword_spam", "very_short", "placeholder_filler", "repeated_lines")
_CLUSTER_LANGUAGES = ("en", "de", "en", "fr", "en", "es", "en", "en")
_COPY_EDITS = (("changed_sentence", "syndication_note"), ("reordered_paragraphs", "changed_sentence"),
               ("reordered_paragraphs", "syndication_note"))
MIRROR = Site("Content Mirror", "mirror.copycat-archive.example", "")


@dataclass
class Page:
    """One HTML page of the sample, before it is rendered."""

    url: str
    language: str
    site: Site
    kind: str  # article | near_duplicate | exact_duplicate | low_quality
    title: str
    sentences: list[list[str]]  # paragraphs of sentences
    layout: int
    author: str = ""
    published: str = ""
    topic: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    charset: str = "utf-8"
    declared_in: str = "header+meta"  # header | meta | header+meta | none
    cluster: str | None = None
    edits: list[str] = field(default_factory=list)
    low_quality: str | None = None
    copy_of: str | None = None
    planted: dict[str, list[str]] = field(default_factory=dict)


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words[:7])


class Planner:
    def __init__(self, pages: int, rng: random.Random):
        if pages < MIN_PAGES:
            raise ValueError(f"the sample needs at least {MIN_PAGES} pages, got {pages}")
        self.total, self.rng = pages, rng
        self.serial = 0
        self.pages: list[Page] = []

    def _url(self, site: Site, title: str, published: date, section: str) -> str:
        self.serial += 1
        slug = _slug(title)
        name = f"{slug}-{self.serial:04d}" if slug else f"{self.serial:05d}"
        return f"https://{site.host}/{section}/{published:%Y/%m}/{name}.html"

    def _article(self, language: str, site: Site | None = None, topic: Topic | None = None) -> Page:
        book, rng = PHRASEBOOKS[language], self.rng
        site = site or rng.choice(book.sites)
        topic = topic or rng.choice(book.topics)
        writer = text.ArticleWriter(book, topic, rng)
        title = writer.title()
        sentences = [[writer.sentence() for _ in range(rng.randint(3, 5))] for _ in range(rng.randint(4, 7))]
        for paragraph in sentences:  # an occasional stock remark, as real reporting has
            if rng.random() < 0.3:
                paragraph[rng.randrange(len(paragraph))] = writer.remarks.draw()
        published = date(2024, 1, 2) + timedelta(days=rng.randrange(60))
        return Page(url=self._url(site, title, published, topic.name), language=language, site=site,
                    kind="article", title=title, sentences=sentences, layout=rng.randrange(LAYOUTS),
                    author=rng.choice(book.authors), published=published.isoformat(), topic=topic.name)

    def plan(self) -> list[Page]:
        rng, n = self.rng, self.total
        n_low = max(len(LOW_QUALITY_KINDS), round(n * 0.06))
        n_exact = max(2, round(n * 0.02))
        n_clusters = max(2, round(n * 0.03))
        copies = [2 + (i % 2) for i in range(n_clusters)]
        n_articles = n - n_low - n_exact - sum(copies)
        per_language = {code: max(2, round(share * n_articles)) for code, share in LANGUAGE_SHARES.items()}
        per_language = {"en": n_articles - sum(per_language.values()), **per_language}

        articles = [self._article(code) for code, count in per_language.items() for _ in range(count)]
        self._plant_pii(articles, max(3, round(n * 0.06)))
        clusters = self._near_duplicates(articles, copies)
        exact = self._exact_duplicates(articles, n_exact, exclude={p.url for c in clusters for p in c})
        low = [self._low_quality(LOW_QUALITY_KINDS[i % len(LOW_QUALITY_KINDS)], articles) for i in range(n_low)]
        self.pages = articles + [p for c in clusters for p in c[1:]] + low
        self._assign_charsets()
        for copy in exact:  # byte-identical copies share the original's charset and declaration
            original = next(p for p in self.pages if p.url == copy.copy_of)
            copy.charset, copy.declared_in = original.charset, original.declared_in
        self.pages += exact
        assert len(self.pages) == n
        return self.pages

    def _plant_pii(self, articles: list[Page], count: int) -> None:
        eligible = [p for p in articles if PHRASEBOOKS[p.language].pii_frames]
        chosen = [p for p in eligible if p.language != "en"][:2]
        chosen += self.rng.sample([p for p in eligible if p.language == "en"], count - len(chosen))
        planted_so_far: dict[str, int] = {}
        for page in chosen:  # frames and phone formats taken in turn, so every kind and format appears
            frames = PHRASEBOOKS[page.language].pii_frames
            for _ in range(self.rng.choice((1, 1, 2))):
                k = planted_so_far[page.language] = planted_so_far.get(page.language, -1) + 1
                sentence, planted = pii_sentence(frames[k % len(frames)], self.rng, style=k)
                paragraph = page.sentences[self.rng.randrange(1, len(page.sentences))]
                paragraph.insert(self.rng.randrange(len(paragraph) + 1), sentence)
                for kind, values in planted.items():
                    page.planted.setdefault(kind, []).extend(values)

    def _near_duplicates(self, articles: list[Page], copies: list[int]) -> list[list[Page]]:
        rng, clusters, used = self.rng, [], set()
        for index, count in enumerate(copies):
            language = _CLUSTER_LANGUAGES[index % len(_CLUSTER_LANGUAGES)]
            original = rng.choice([p for p in articles if p.language == language and p.url not in used])
            used.add(original.url)
            cluster_id = f"nd-{index:03d}"
            original.cluster = cluster_id
            book = PHRASEBOOKS[language]
            others = [s for s in book.sites if s != original.site]
            rng.shuffle(others)
            members = [original]
            for j in range(count):
                site = others[j % len(others)]
                sentences = [list(p) for p in original.sentences]
                edits = list(_COPY_EDITS[j % len(_COPY_EDITS)])
                note = ""
                if "changed_sentence" in edits:
                    topic = next(t for t in book.topics if t.name == original.topic)
                    p = rng.randrange(len(sentences))
                    planted = [v for values in original.planted.values() for v in values]
                    candidates = [i for i, s in enumerate(sentences[p]) if not any(v in s for v in planted)]
                    sentences[p][rng.choice(candidates)] = text.ArticleWriter(book, topic, rng).sentence()
                if "reordered_paragraphs" in edits:
                    i = rng.randrange(len(sentences) - 1)
                    sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
                if "syndication_note" in edits:
                    note = book.chrome["syndication"].format(site=original.site.name)
                copy = Page(url=self._url(site, original.title, date.fromisoformat(original.published), original.topic),
                            language=language, site=site, kind="near_duplicate", title=original.title,
                            sentences=sentences, layout=rng.randrange(LAYOUTS), author=original.author,
                            published=original.published, topic=original.topic, note=note, cluster=cluster_id,
                            edits=["different_site_chrome", *edits], copy_of=original.url,
                            planted=original.planted)
                members.append(copy)
            clusters.append(members)
        return clusters

    def _exact_duplicates(self, articles: list[Page], count: int, exclude: set[str]) -> list[Page]:
        originals = self.rng.sample([p for p in articles if p.url not in exclude], count)
        copies = []
        for index, original in enumerate(originals):
            cluster_id = f"ex-{index:03d}"
            original.cluster = cluster_id
            if index % 2 == 0:
                url, site = original.url + "?utm_source=newsletter&utm_medium=email", original.site
            else:
                url, site = original.url.replace(original.site.host, MIRROR.host, 1), MIRROR
            copies.append(Page(url=url, language=original.language, site=site, kind="exact_duplicate",
                               title=original.title, sentences=original.sentences, layout=original.layout,
                               cluster=cluster_id, copy_of=original.url, planted=original.planted))
        return copies

    def _low_quality(self, kind: str, articles: list[Page]) -> Page:
        rng, book = self.rng, PHRASEBOOKS["en"]
        site = rng.choice(book.sites)
        links, sentences, title = [], [], ""
        if kind == "link_list":
            title = "Archive"
            links = [(p.title, p.url) for p in articles if p.language == "en"][:30]
            months = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December")
            links += [(f"Archive: {month} 2023", f"/archive/2023/{i + 1:02d}/") for i, month in enumerate(months)]
            links += [(f"Tag: {tag}", f"/tag/{tag}/") for tag in ("local", "food", "science", "travel", "weather",
                                                                  "events", "schools", "transport", "opinion")]
        elif kind == "keyword_spam":
            title = "Cheap Hotels Best Deals Cheap Flights Online Booking Discount"
            sentences = [[text.keyword_spam(rng)] for _ in range(3)]
        elif kind == "very_short":
            title = "Photo gallery"
            sentences = [[rng.choice(text.VERY_SHORT)]]
        elif kind == "placeholder_filler":
            title = "Untitled draft"
            sentences = [[p] for p in text.placeholder_filler(rng)]
        else:
            title = "Special offer"
            sentences = [[line] for line in text.repeated_lines(rng)]
        self.serial += 1
        url = f"https://{site.host}/p/{kind.replace('_', '-')}-{self.serial:04d}.html"
        return Page(url=url, language="en", site=site, kind="low_quality", title=title, sentences=sentences,
                    layout=rng.randrange(LAYOUTS), links=links, low_quality=kind)

    def _assign_charsets(self) -> None:
        """Mostly utf-8 declared twice; legacy charsets on some pages; a few declared once or not at all."""
        rng = self.rng
        for language, charset, declared_in in (("ja", "Shift_JIS", "header+meta"), ("zh", "GB2312", "meta"),
                                               ("ru", "windows-1251", "header")):
            page = next(p for p in self.pages if p.language == language and p.kind == "article")
            page.charset, page.declared_in = charset, declared_in
        latin = [p for p in self.pages if p.language in ("en", "de", "fr", "es")]
        rng.shuffle(latin)
        latin.sort(key=lambda p: p.language == "en")  # legacy charsets first on accented text
        q = len(latin)
        quotas = [("windows-1252", "header", max(1, math.ceil(q * 0.06))),
                  ("iso-8859-1", "header+meta", max(1, math.ceil(q * 0.03))),
                  ("iso-8859-1", "meta", 1), ("windows-1252", "header", 2)]
        position = 0
        for charset, declared_in, count in quotas:
            for page in latin[position:position + count]:
                page.charset, page.declared_in = charset, declared_in
            position += count
        tail = latin[position:]
        for page in tail[-max(1, math.ceil(q * 0.08)):]:
            page.charset, page.declared_in = "utf-8", "meta"
        tail[0].charset, tail[0].declared_in = "utf-8", "none"

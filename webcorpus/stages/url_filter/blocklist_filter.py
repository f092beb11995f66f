"""The ``url_filter`` stage: drop documents by domain, subdomain, exact URL and banned words in the URL.

The lists are compiled once into a memory-mapped index (:mod:`webcorpus.stages.url_filter.index`), which a
worker opens in milliseconds whatever its size; a batch's candidate keys are looked up together. A host is
walked label by label from itself up to its registered domain (``a.b.example.co.uk`` → ``b.example.co.uk``
→ ``example.co.uk``), a URL is looked up as is and at each ``/`` of its path (the prefix rule of
squidGuard, which the UT1 lists are written for), and the words of a URL are its lower-case alphanumeric
runs looked up in a set. No regular expression per entry.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Sequence
from urllib.parse import urlsplit

import pyarrow as pa

from webcorpus.documents import URL
from webcorpus.stages.base import Filter
from webcorpus.stages.base import OptionError
from webcorpus.stages.url_filter.index import DOMAIN, URL as URL_KEY, BlocklistIndex

_WORD = re.compile(r"[^\W_]+")


class UrlFilter(Filter):
    """Drop documents whose URL is on a blocklist or contains banned words.

    ``blocklists`` names UT1-layout folders (``<category>/domains`` and ``<category>/urls`` files; the
    folder of one category works too) or plain files with one domain or URL per line (``#`` starts a
    comment; an entry with a ``/`` is a URL). A domain entry blocks the domain and all its subdomains.
    Drop reasons: ``url_filter:domain:<list>``, ``url_filter:subdomain:<list>``, ``url_filter:url:<list>``
    (``<list>`` is the UT1 category or the plain file's name), ``url_filter:hard_word``,
    ``url_filter:soft_words`` and ``url_filter:no_url``.
    """

    name = "url_filter"
    requires = {"tldextract": "tldextract"}

    def __init__(
        self,
        blocklists: Annotated[list[str], "UT1-layout folders or plain one-per-line files of domains and URLs"] = [],
        categories: Annotated[list[str] | None, "UT1 categories to use (e.g. [adult, gambling]); null: all"] = None,
        hard_words: Annotated[list[str], "words that drop a document when they appear in its URL"] = [],
        hard_words_file: Annotated[str | None, "file of hard words, one per line"] = None,
        soft_words: Annotated[list[str], "words that drop a document when soft_word_threshold of them appear"] = [],
        soft_words_file: Annotated[str | None, "file of soft words, one per line"] = None,
        soft_word_threshold: Annotated[int, "distinct soft words in a URL that drop it"] = 2,
        allow_domains: Annotated[list[str], "domains (and their subdomains) never blocked by the lists"] = [],
        keep_missing_url: Annotated[bool, "keep documents without a URL (default: drop as url_filter:no_url)"] = True,
    ):
        for path in blocklists:
            if not Path(path).exists():
                raise OptionError("blocklists", f"blocklists: {path} does not exist")
        for option, path in (("hard_words_file", hard_words_file), ("soft_words_file", soft_words_file)):
            if path is not None and not Path(path).is_file():
                raise OptionError(option, f"{option}: {path} is not a file")
        if soft_word_threshold < 1:
            raise OptionError("soft_word_threshold", f"soft_word_threshold must be at least 1, got {soft_word_threshold}")
        if categories is not None:
            available = {name for path in blocklists for name, _ in _list_files(Path(path))}
            unknown = sorted(set(categories) - available)
            if unknown:
                raise OptionError("categories", f"categories: {', '.join(unknown)} not found in blocklists (have: {', '.join(sorted(available))})")
        self.blocklists = [str(p) for p in blocklists]
        self.categories = list(categories) if categories is not None else None
        self.hard_words, self.hard_words_file = [w.lower() for w in hard_words], hard_words_file
        self.soft_words, self.soft_words_file = [w.lower() for w in soft_words], soft_words_file
        self.soft_word_threshold = soft_word_threshold
        self.allow_domains = [d.lower().strip(".") for d in allow_domains]
        self.keep_missing_url = keep_missing_url

    def files_read(self) -> list[str]:
        return [*self.blocklists, *(p for p in (self.hard_words_file, self.soft_words_file) if p is not None)]

    def setup(self) -> None:
        import tldextract

        files = [(name, file) for path in self.blocklists for name, file in _list_files(Path(path))
                 if self.categories is None or name in self.categories]
        self._index = BlocklistIndex.open(files) if files else None
        self._allow = set(self.allow_domains)
        self._hard = set(self.hard_words) | _read_words(self.hard_words_file)
        self._soft = set(self.soft_words) | _read_words(self.soft_words_file)
        extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled suffix list, no network
        self._registered = functools.lru_cache(maxsize=1 << 16)(lambda host: extractor(host).top_domain_under_public_suffix or host)

    def reasons(self, batch: pa.Table) -> Sequence[str | None]:
        urls = batch.column(URL).to_pylist() if URL in batch.column_names else [None] * batch.num_rows
        return self.reasons_of(urls)

    def reason(self, url: str | None) -> str | None:
        """Why ``url`` is blocked, or None."""
        return self.reasons_of([url])[0]

    def reasons_of(self, urls: Sequence[str | None]) -> list[str | None]:
        """Why each URL is blocked, or None; the lists are searched once for the whole sequence."""
        if "_index" not in self.__dict__:
            self._ensure_setup()
        # Per URL, its candidate keys in the order they are tried: host suffixes up to the registered
        # domain, then the URL and its path prefixes. The first key found in a list decides.
        candidates: list[list[str]] = []
        registered: list[str | None] = []
        for url in urls:
            keys, domain = self._candidates(url) if url else ([], None)
            candidates.append(keys)
            registered.append(domain)
        flat = [key for keys in candidates for key in keys]
        hits = iter(self._index.lookup(flat) if self._index is not None and flat else [-1] * len(flat))
        out: list[str | None] = []
        for url, keys, domain in zip(urls, candidates, registered):
            why = None
            for key, hit in zip(keys, hits):
                if hit >= 0 and why is None:
                    list_name = self._index.lists[hit]
                    if key[0] == DOMAIN:
                        why = f"url_filter:{'domain' if key[2:] == domain else 'subdomain'}:{list_name}"
                    else:
                        why = f"url_filter:url:{list_name}"
            if not url:
                why = None if self.keep_missing_url else "url_filter:no_url"
            elif why is None and (self._hard or self._soft):
                why = self._word_reason(url)
            out.append(why)
        return out

    def _candidates(self, url: str) -> tuple[list[str], str | None]:
        if self._index is None:
            return [], None
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").strip(".")
        except ValueError:
            return [], None
        if not host or self._allowed(host):
            return [], None
        keys: list[str] = []
        registered = None
        if self._index.has_domains:
            registered = self._registered(host)
            for suffix in _suffixes(host):
                keys.append(f"{DOMAIN}\t{suffix}")
                if suffix == registered:
                    break
        if self._index.has_urls:
            path = parts.path.rstrip("/")
            if parts.query:
                path = f"{path}?{parts.query}"
            host = host[4:] if host.startswith("www.") else host
            candidate = host + path
            while True:
                keys.append(f"{URL_KEY}\t{candidate}")
                cut = candidate.rfind("/")
                if cut <= len(host) - 1:
                    break
                candidate = candidate[:cut]
        return keys, registered

    def _allowed(self, host: str) -> bool:
        return bool(self._allow) and any(suffix in self._allow for suffix in _suffixes(host))

    def _word_reason(self, url: str) -> str | None:
        words = set(_WORD.findall(url.lower()))
        if words & self._hard:
            return "url_filter:hard_word"
        if len(words & self._soft) >= self.soft_word_threshold:
            return "url_filter:soft_words"
        return None


def _suffixes(host: str):
    """``a.b.c`` → ``a.b.c``, ``b.c``, ``c``."""
    yield host
    start = host.find(".")
    while start != -1:
        yield host[start + 1:]
        start = host.find(".", start + 1)


def _list_files(path: Path) -> list[tuple[str, Path]]:
    """(list name, file) for a UT1 root, a UT1 category folder, or a plain file."""
    if path.is_file():
        return [(path.stem, path)]
    own = [f for f in (path / "domains", path / "urls") if f.is_file()]
    if own:
        return [(path.name, f) for f in own]
    found = []
    for category in sorted(p for p in path.iterdir() if p.is_dir()):
        found += [(category.name, f) for f in (category / "domains", category / "urls") if f.is_file()]
    return found


def _read_words(path: str | None) -> set[str]:
    if path is None:
        return set()
    with open(path, encoding="utf-8") as lines:
        return {w.strip().lower() for w in lines if w.strip() and not w.startswith("#")}

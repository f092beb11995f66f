"""The ``url_filter`` stage: drop documents by domain, subdomain, exact URL and banned words in the URL.

Lists are read in ``setup()`` (once per worker) into plain sets and dicts, so a lookup costs a handful of
hash probes whatever their size: a host is walked label by label from itself up to its registered domain
(``a.b.example.co.uk`` → ``b.example.co.uk`` → ``example.co.uk``), a URL is looked up as is and at each
``/`` of its path (the prefix rule of squidGuard, which the UT1 lists are written for), and the words of a
URL are its lower-case alphanumeric runs looked up in a set. No regular expression per entry.
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
from webcorpus.stages.registry import OptionError

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

    def setup(self) -> None:
        import tldextract

        self._domains: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        for path in self.blocklists:
            for list_name, file in _list_files(Path(path)):
                if self.categories is not None and list_name not in self.categories:
                    continue
                _load_entries(file, list_name, self._domains, self._urls)
        self._allow = set(self.allow_domains)
        self._hard = set(self.hard_words) | _read_words(self.hard_words_file)
        self._soft = set(self.soft_words) | _read_words(self.soft_words_file)
        extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled suffix list, no network
        self._registered = functools.lru_cache(maxsize=1 << 16)(lambda host: extractor(host).top_domain_under_public_suffix or host)

    def reasons(self, batch: pa.Table) -> Sequence[str | None]:
        urls = batch.column(URL).to_pylist() if URL in batch.column_names else [None] * batch.num_rows
        return [self.reason(url) for url in urls]

    def reason(self, url: str | None) -> str | None:
        """Why ``url`` is blocked, or None."""
        if not url:
            return None if self.keep_missing_url else "url_filter:no_url"
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").strip(".")
        except ValueError:
            host, parts = "", None
        if host and (self._domains or self._urls) and not self._allowed(host):
            why = self._host_reason(host) or self._url_reason(host, parts)
            if why:
                return why
        if self._hard or self._soft:
            return self._word_reason(url)
        return None

    def _allowed(self, host: str) -> bool:
        return bool(self._allow) and any(suffix in self._allow for suffix in _suffixes(host))

    def _host_reason(self, host: str) -> str | None:
        if not self._domains:
            return None
        registered = self._registered(host)
        for suffix in _suffixes(host):
            list_name = self._domains.get(suffix)
            if list_name is not None:
                return f"url_filter:{'domain' if suffix == registered else 'subdomain'}:{list_name}"
            if suffix == registered:
                return None
        return None

    def _url_reason(self, host: str, parts) -> str | None:
        if not self._urls or parts is None:
            return None
        path = parts.path.rstrip("/")
        if parts.query:
            path = f"{path}?{parts.query}"
        host = host[4:] if host.startswith("www.") else host
        candidate = host + path
        while True:
            list_name = self._urls.get(candidate)
            if list_name is not None:
                return f"url_filter:url:{list_name}"
            cut = candidate.rfind("/")
            if cut <= len(host) - 1:
                return None
            candidate = candidate[:cut]

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


def _load_entries(file: Path, list_name: str, domains: dict, urls: dict) -> None:
    with open(file, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            entry = line.split("#", 1)[0].strip().lower()
            if not entry:
                continue
            if "://" in entry:
                entry = entry.split("://", 1)[1]
            if "/" in entry:
                entry = entry.rstrip("/")
                entry = entry[4:] if entry.startswith("www.") else entry
                urls.setdefault(entry, list_name)
            else:
                domains.setdefault(entry.strip("."), list_name)


def _read_words(path: str | None) -> set[str]:
    if path is None:
        return set()
    with open(path, encoding="utf-8") as lines:
        return {w.strip().lower() for w in lines if w.strip() and not w.startswith("#")}

"""Common Crawl's own file lists: ``crawl-data/{crawl}/{kind}.paths.gz`` to full URLs."""
from __future__ import annotations

import gzip
import random
import re

CRAWL_ID = re.compile(r"CC-MAIN-\d{4}-\d{2}")
KINDS = ("warc", "wet", "wat", "segment", "robotstxt", "non200responses", "cc-index", "cc-index-table")


def list_crawl_files(
    crawl_id: str,
    kind: str = "warc",
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    base_url: str = "https://data.commoncrawl.org/",
) -> list[str]:
    """Full URLs of a crawl's files of one kind, from its ``{kind}.paths.gz`` listing.

    ``limit`` keeps the first N paths in the listing's order; ``sample`` keeps N paths
    drawn at random with ``seed`` (the same seed gives the same files, in listing order).
    ``crawl_id`` looks like ``CC-MAIN-2024-10``; ``base_url`` may be any fsspec URL or path
    laid out like Common Crawl's tree (a mirror, a local copy, a test server).
    """
    if not isinstance(crawl_id, str) or not CRAWL_ID.fullmatch(crawl_id):
        raise ValueError(f"crawl id {crawl_id!r} is not of the form CC-MAIN-YYYY-WW (e.g. CC-MAIN-2024-10)")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
    if limit is not None and sample is not None:
        raise ValueError("give either limit or sample, not both")
    for name, value in (("limit", limit), ("sample", sample)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    base = base_url if base_url.endswith("/") else base_url + "/"
    listing = f"{base}crawl-data/{crawl_id}/{kind}.paths.gz"
    paths = _read_listing(listing)
    if limit is not None:
        paths = paths[:limit]
    elif sample is not None and sample < len(paths):
        chosen = sorted(random.Random(seed).sample(range(len(paths)), sample))
        paths = [paths[i] for i in chosen]
    return [base + p.lstrip("/") for p in paths]


def _read_listing(url: str) -> list[str]:
    import fsspec

    kwargs = {"block_size": 0} if url.startswith(("http://", "https://")) else {}
    try:
        with fsspec.open(url, "rb", **kwargs) as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no listing at {url} (is the crawl id right?)") from None
    text = gzip.decompress(data).decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]

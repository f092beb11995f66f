"""Exact duplicates: the same text, or the same URL.

Cheap keys computed in the signature pass: a 64-bit BLAKE2b of the text
bytes and of the normalised URL. Their groups never need a signature
comparison; and every copy of a text but one (the smallest id hash, an
order-free choice) is left out of the LSH buckets, so a page copied a
thousand times does not fill a bucket with a thousand identical signatures.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import numpy as np

#: reasons recorded on a removed document
EXACT, URL, NEAR = "exact_duplicate", "url_duplicate", "near_duplicate"
KIND_CODES = {EXACT: 1, URL: 2, NEAR: 3}
EDGE = np.dtype([("a", "<u8"), ("b", "<u8")])


def hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def normalize_url(url: str | None) -> str | None:
    """The URL as a duplicate key: scheme dropped, host lowercased, fragment and trailing ``/`` removed."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.netloc:
        return url
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc.lower()}{path}{query}"


def url_key(url: str | None) -> int:
    """64-bit key of a URL, 0 for none."""
    normalized = normalize_url(url)
    return hash64(normalized) if normalized else 0


def group_edges(records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining every member of a group of equal keys to its first member (smallest id hash),
    and the handles of those other members."""
    records = records[np.lexsort((records["doc"], records["key"]))]
    keys = records["key"]
    same = keys[1:] == keys[:-1]
    others = np.flatnonzero(same) + 1
    run_start = np.where(np.concatenate([[True], ~same]), np.arange(len(keys)), 0) if len(keys) else keys
    first = np.maximum.accumulate(run_start)[others] if len(others) else others
    edges = np.empty(len(others), EDGE)
    edges["a"] = records["handle"][first]
    edges["b"] = records["handle"][others]
    return edges, records["handle"][others]

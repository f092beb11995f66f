"""From LSH buckets to clusters: candidate pairs, exact Jaccard confirmation, keep rule (components: phases.py).

* :func:`candidate_pairs`: documents sharing a band key. A bucket of up to
  ``ALL_PAIRS_MAX`` members yields all its pairs; a larger one (templated
  pages) yields each member with the bucket's first member and with its
  predecessor, in id-hash order, so the pairs do not depend on input order.
* :func:`confirm`: a candidate joins a cluster only if the exact Jaccard of the
  two shingle sets reaches the threshold. Pairs whose documents are already
  joined are skipped; this changes no component, only saves work.
* :func:`keep_order`: the deterministic keep rule.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from webcorpus.dedup.exact import EDGE

ALL_PAIRS_MAX = 16


def candidate_pairs(records: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Unique ``(a, b)`` handle pairs from the buckets ``records[starts[i]:ends[i]]`` (sorted by key, doc)."""
    handles = records["handle"]
    sizes = ends - starts
    pieces = []
    pair_buckets = sizes == 2
    if pair_buckets.any():
        pieces.append((handles[starts[pair_buckets]], handles[starts[pair_buckets] + 1]))
    for start, end in zip(starts[(sizes > 2) & (sizes <= ALL_PAIRS_MAX)], ends[(sizes > 2) & (sizes <= ALL_PAIRS_MAX)]):
        i, j = np.triu_indices(end - start, 1)
        pieces.append((handles[start + i], handles[start + j]))
    for start, end in zip(starts[sizes > ALL_PAIRS_MAX], ends[sizes > ALL_PAIRS_MAX]):
        members = handles[start:end]
        pieces.append((np.full(len(members) - 1, members[0]), members[1:]))
        pieces.append((members[1:-1], members[2:]))
    if not pieces:
        return np.zeros(0, EDGE)
    a = np.concatenate([p[0] for p in pieces])
    b = np.concatenate([p[1] for p in pieces])
    pairs = np.empty(len(a), EDGE)
    pairs["a"], pairs["b"] = np.minimum(a, b), np.maximum(a, b)
    return np.unique(pairs)


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard of two sorted sets of unique shingle hashes."""
    if not len(x) or not len(y):
        return 0.0
    both = len(np.intersect1d(x, y, assume_unique=True))
    return both / (len(x) + len(y) - both)


def confirm(
    pairs: np.ndarray, shingles_of: Callable[[int], np.ndarray], threshold: float
) -> tuple[np.ndarray, int]:
    """The pairs whose exact Jaccard reaches ``threshold``, and the number of comparisons made."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent.get(x, x)
        return root

    kept = []
    compared = 0
    for a, b in zip(pairs["a"].tolist(), pairs["b"].tolist()):
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        set_a, set_b = shingles_of(a), shingles_of(b)
        small, large = sorted((len(set_a), len(set_b)))
        if large == 0 or small / large < threshold:  # Jaccard <= |small| / |large|
            continue
        compared += 1
        if jaccard(set_a, set_b) >= threshold:
            parent[max(root_a, root_b)] = min(root_a, root_b)
            kept.append((a, b))
    edges = np.array(kept, dtype=np.uint64).reshape(-1, 2)
    out = np.empty(len(edges), EDGE)
    out["a"], out["b"] = edges[:, 0], edges[:, 1]
    return out, compared


KEEP_RULES = ("earliest_date", "longest", "first_id")


def keep_order(rule: str, ids: list[str], dates: list[str | None], lengths: list[int]) -> list[int]:
    """Positions ordered best-first by the keep rule; ties (and only ties) are broken by id.

    * ``earliest_date``: the oldest crawl date first (no date counts as newest),
    * ``longest``: the most characters of text first,
    * ``first_id``: the smallest id.
    """
    if rule == "earliest_date":
        key = lambda i: (dates[i] is None, dates[i] or "", ids[i])  # noqa: E731
    elif rule == "longest":
        key = lambda i: (-lengths[i], ids[i])  # noqa: E731
    elif rule == "first_id":
        key = lambda i: ids[i]  # noqa: E731
    else:
        raise ValueError(f"keep must be one of {', '.join(KEEP_RULES)}, got {rule!r}")
    return sorted(range(len(ids)), key=key)

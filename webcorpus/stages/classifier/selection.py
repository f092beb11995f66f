"""``keep_fraction``: the top share of the whole run by score, the same whatever the worker count.

Documents are ranked by score, highest first; equal scores are ordered by a 64-bit hash of the
document id (lowest first), so the order is total and depends on nothing but the documents. The
share is of the documents that have a score (a document without text has none and is dropped
under any threshold); ``round(fraction x scored)`` documents are kept, half rounding up. The
cut-off is the (score, id hash) of the last document kept; each shard then keeps exactly the
documents that rank at or above it. The driver holds 12 bytes per scored document while it
ranks them (a float32 score and a uint64 hash): about 1.2 GB for 100 million documents.
"""
from __future__ import annotations

import math

import numpy as np

from webcorpus.tokenizer.training_sample import id_hashes

#: salt of the id hash that breaks ties between equal scores
TIE_SALT = "quality-ties"


def tie_hashes(ids: list[str]) -> np.ndarray:
    return id_hashes(ids, TIE_SALT)


def cutoff(scores: np.ndarray, hashes: np.ndarray, fraction: float) -> tuple[float, int] | None:
    """(score, id hash) of the last document of the top ``fraction`` of the scored documents; None
    when that share rounds to no document at all."""
    scored = ~np.isnan(scores)
    keep = math.floor(fraction * int(scored.sum()) + 0.5)
    if keep == 0:
        return None
    scores, hashes = scores[scored], hashes[scored]
    order = np.lexsort((hashes, -scores))  # the last key sorts first: score descending, then hash ascending
    last = order[keep - 1]
    return float(scores[last]), int(hashes[last])


def kept(scores: np.ndarray, hashes: np.ndarray, cut: tuple[float, int] | None) -> np.ndarray:
    """Which documents rank at or above ``cut`` (none when ``cut`` is None; never a document without a score)."""
    if cut is None:
        return np.zeros(len(scores), dtype=bool)
    score, hash_ = np.float32(cut[0]), np.uint64(cut[1])
    return (scores > score) | ((scores == score) & (hashes <= hash_))

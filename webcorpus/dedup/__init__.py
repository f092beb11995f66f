"""Near-duplicate removal: exact and URL duplicates, then MinHash LSH with exact Jaccard confirmation.

Modules: :mod:`shingles` (normalise, hash word n-grams for a batch),
:mod:`minhash` (batch signatures, band keys, LSH parameters), :mod:`bands`
(keyed records partitioned on disk), :mod:`exact` (content and URL keys),
:mod:`clusters` (candidate pairs, confirmation, keep rule),
:mod:`phases` (the resumable tasks), :mod:`stage` (the ``dedup`` stage),
:mod:`api` (:func:`deduplicate`).
"""
from webcorpus.dedup.api import DedupResult, deduplicate

__all__ = ["DedupResult", "deduplicate"]

"""MinHash signatures for a whole batch, with datasketch's permutation family.

The permutations are datasketch's ``affine32`` scheme, taken from a
``datasketch.MinHash`` of the same ``num_perm`` and ``seed``: each 32-bit
shingle hash is pre-mixed with the MurmurHash3 32-bit finaliser and permuted
as ``a * h + b mod 2**32``. A signature here equals the ``hashvalues`` of a
datasketch MinHash fed the same shingle hashes (the tests check it); only the
evaluation differs: all shingles of a batch go through one matrix operation
per chunk and a segmented minimum, instead of one Python call per shingle.

Bands and rows come from datasketch's own LSH parameter search (the integral of
false positive and false negative probability around the threshold).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from webcorpus.dedup.shingles import Shingles, fmix64, murmur_finaliser

EMPTY = np.uint32(0xFFFFFFFF)  # the value of every row of a signature with no shingle
_CHUNK_CELLS = 1 << 20  # permutations x shingles evaluated at once (4 MiB of uint32)


@lru_cache(maxsize=None)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


def fmix32(values: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finaliser (datasketch's pre-mix of the affine32 scheme)."""
    return murmur_finaliser(values, np.uint32, (16, 13, 16), (0x85EBCA6B, 0xC2B2AE35))


def signatures(shingles: Shingles, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """A ``(documents, num_perm)`` uint32 matrix; documents without shingles get all :data:`EMPTY`."""
    a, b = permutations(num_perm, seed)
    counts = shingles.counts
    n_docs = len(counts)
    out = np.full((n_docs, num_perm), EMPTY, dtype=np.uint32)
    premixed = fmix32(shingles.hashes)
    rows_per_chunk = max(1, _CHUNK_CELLS // num_perm)
    doc = 0
    while doc < n_docs:
        # take whole documents until the chunk is full (at least one document)
        start = shingles.offsets[doc]
        last = int(np.searchsorted(shingles.offsets, start + rows_per_chunk, side="right")) - 1
        last = min(max(last, doc + 1), n_docs)
        stop = shingles.offsets[last]
        if stop > start:
            # permutations along rows, shingles along columns: the segmented minimum
            # then runs over contiguous memory
            values = np.multiply.outer(a, premixed[start:stop])
            values += b[:, None]
            present = np.flatnonzero(counts[doc:last])
            bounds = (shingles.offsets[doc:last] - start)[present]
            out[doc + present] = np.minimum.reduceat(values, bounds, axis=1).T
        doc = last
    return out


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A ``(documents, bands)`` uint64 matrix: one well-mixed key per band of ``rows`` values.

    Two documents share a key of band ``i`` exactly when their ``rows`` values
    in that band are equal (up to a 64-bit collision, which the exact Jaccard
    confirmation or the cluster phase tolerates).
    """
    if bands * rows > sigs.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds num_perm = {sigs.shape[1]}")
    wide = sigs[:, : bands * rows].astype(np.uint64).reshape(len(sigs), bands, rows)
    keys = np.zeros((len(sigs), bands), dtype=np.uint64)
    for j in range(rows):
        keys = fmix64(keys ^ wide[:, :, j] ^ np.uint64((j + 1) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF))
    return fmix64(keys ^ np.arange(bands, dtype=np.uint64)[None, :])


@lru_cache(maxsize=None)
def lsh_parameters(threshold: float, num_perm: int, false_negative_weight: float) -> tuple[int, int]:
    """``(bands, rows)`` from datasketch's LSH parameter search.

    With exact Jaccard confirmation a false candidate only costs one set
    comparison, so the stage weights false negatives heavily (recall); without
    confirmation it uses datasketch's balanced default.
    """
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 1.0 - false_negative_weight, false_negative_weight)

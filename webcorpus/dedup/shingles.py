"""Text normalisation and word n-gram shingles, hashed for a whole batch at once.

Normalisation is Unicode NFKC, lowercase, punctuation and symbols to spaces,
every decimal digit to ``0``; words are the whitespace-separated pieces of the
result. None of these steps can join two whitespace-separated tokens, so the
batch is split on whitespace first, its distinct tokens are normalised once
each (Arrow C++ kernels over a vocabulary far smaller than the text), and a
token that normalises to several words (``"end.Next"``) expands to them.
Distinct words are hashed with a polynomial hash computed by prefix sums over
the vocabulary's bytes, and ``n`` consecutive word hashes are mixed into one
shingle hash: no Python call per word or per shingle.

A document with at least one word but fewer than ``n`` words has exactly one
shingle (all its words), so short documents still have a signature; a
document with no word has no shingle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_PUNCTUATION = r"[\p{P}\p{S}]+"
_DIGIT = r"\p{Nd}"
_BASE = np.uint64(0x100000001B3)  # odd, so invertible mod 2**64
_BASE_INV = np.uint64(pow(int(_BASE), -1, 1 << 64))
# odd multipliers, one per position in a shingle (n may be up to len(_POSITION))
_POSITION = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)
MAX_NGRAM = len(_POSITION)


def murmur_finaliser(values: np.ndarray, word: type, shifts: tuple[int, int, int], multipliers: tuple[int, int]) -> np.ndarray:
    """MurmurHash3's finaliser on ``word`` integers (``np.uint32`` or ``np.uint64``), element-wise:
    xor-shift, multiply, xor-shift, multiply, xor-shift, with that width's shifts and odd multipliers."""
    first, second, third = (word(shift) for shift in shifts)
    values = values ^ (values >> first)
    values = values * word(multipliers[0])
    values = values ^ (values >> second)
    values = values * word(multipliers[1])
    return values ^ (values >> third)


def fmix64(values: np.ndarray) -> np.ndarray:
    """The MurmurHash3 64-bit finaliser: an avalanching bijection, applied element-wise."""
    return murmur_finaliser(values, np.uint64, (33, 33, 33), (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53))


def normalize(texts: pa.Array | list) -> pa.Array:
    """NFKC, lowercase, punctuation and symbols to spaces, digits to ``0``, for each string."""
    array = pa.array(texts, pa.string()) if not isinstance(texts, (pa.Array, pa.ChunkedArray)) else texts
    array = pc.fill_null(array, "")
    array = pc.utf8_normalize(array, "NFKC")
    array = pc.utf8_lower(array)
    array = pc.replace_substring_regex(array, _PUNCTUATION, " ")
    return pc.replace_substring_regex(array, _DIGIT, "0")


def normalized_words(texts: pa.Array | list) -> list[list[str]]:
    """The normalised words of each text, as Python lists (a plain reference for tests and benchmarks)."""
    return [text.split() for text in normalize(texts).to_pylist()]


@dataclass
class Shingles:
    """Hashed shingles of a batch: ``hashes[offsets[i]:offsets[i+1]]`` belong to document ``i``.

    Within a document the hashes are sorted and unique (a set), so they serve
    both the MinHash signature and the exact Jaccard confirmation.
    """

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len = documents + 1

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def _string_hashes(strings: pa.Array) -> np.ndarray:
    """64-bit hashes of every string of an Arrow string array, from one prefix sum over its bytes."""
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=n + 1, offset=strings.offset * 4)
    offsets = offsets.astype(np.int64)
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets -= offsets[0]
    # h(s) = sum_j c_j * BASE**(pos_j - start): prefix[end] - prefix[start], shifted back by BASE**-start
    powers = np.full(len(data) + 1, _BASE, dtype=np.uint64)
    powers[0] = 1
    powers = np.cumprod(powers, dtype=np.uint64)
    inverse = np.full(len(data) + 1, _BASE_INV, dtype=np.uint64)
    inverse[0] = 1
    inverse = np.cumprod(inverse, dtype=np.uint64)
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum((data + np.uint64(1)) * powers[:-1], dtype=np.uint64, out=prefix[1:])
    starts, ends = offsets[:-1], offsets[1:]
    raw = (prefix[ends] - prefix[starts]) * inverse[starts]
    return fmix64(raw ^ (ends - starts).astype(np.uint64))


def _as_array(texts) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        return texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if isinstance(texts, pa.Array):
        return texts
    return pa.array(texts, pa.string())


def word_hashes(texts: pa.Array | list) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the normalised words of each text, and per-text word offsets."""
    tokens = pc.utf8_split_whitespace(pc.fill_null(_as_array(texts), ""))
    token_offsets = np.asarray(tokens.offsets, dtype=np.int64)
    token_offsets = token_offsets - token_offsets[0]
    flat = tokens.flatten()
    if len(flat) == 0:
        return np.zeros(0, np.uint64), token_offsets
    encoded = pc.dictionary_encode(flat)
    token_ids = encoded.indices.to_numpy()
    # normalise each distinct token once; it becomes 0, 1 or several words
    pieces = pc.utf8_split_whitespace(normalize(encoded.dictionary))
    piece_words = pieces.flatten()
    piece_hashes = _string_hashes(piece_words)
    piece_bounds = np.asarray(pieces.offsets, dtype=np.int64)
    piece_bounds = piece_bounds - piece_bounds[0]
    nonempty = pc.binary_length(piece_words).to_numpy(zero_copy_only=False) > 0
    if not nonempty.all():  # Arrow yields "" around leading/trailing whitespace: drop it
        kept_before = np.zeros(len(nonempty) + 1, dtype=np.int64)
        np.cumsum(nonempty, out=kept_before[1:])
        piece_hashes = piece_hashes[nonempty]
        piece_bounds = kept_before[piece_bounds]
    piece_start, piece_counts = piece_bounds[:-1], np.diff(piece_bounds)
    # expand tokens into words: token t contributes piece_counts[id] words starting at piece_start[id]
    counts = piece_counts[token_ids]
    total = int(counts.sum())
    first_word = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=first_word[1:])
    owner = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(total) - first_word[owner]
    words = piece_hashes[piece_start[token_ids][owner] + within]
    return words, first_word[token_offsets]


def shingle(texts: pa.Array | list, n: int = 5) -> Shingles:
    """Hashed word ``n``-gram sets (uint32) of every text of a batch."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"ngram must be between 1 and {MAX_NGRAM}, got {n}")
    words, word_offsets = word_hashes(texts)
    n_docs = len(word_offsets) - 1
    lengths = np.diff(word_offsets)
    n_words = len(words)
    # mix[i] = sum_k words[i + k] * P_k over the whole batch; only windows inside one document are kept
    mixed = words * _POSITION[0]
    for k in range(1, n):
        mixed[: n_words - k] += words[k:] * _POSITION[k]
    doc_of_word = np.repeat(np.arange(n_docs, dtype=np.uint64), lengths)
    inside = np.arange(n_words) <= np.repeat(word_offsets[1:] - n, lengths)
    doc_of, mixed = doc_of_word[inside], mixed[inside]
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):  # one shingle of all the words of a document shorter than n words
        extra = np.zeros(len(short), dtype=np.uint64)
        for k in range(n - 1):
            has = lengths[short] > k
            extra[has] += words[word_offsets[short[has]] + k] * _POSITION[k]
        doc_of = np.concatenate([doc_of, short.astype(np.uint64)])
        mixed = np.concatenate([mixed, extra])
    hashed = fmix64(mixed) >> np.uint64(32)
    # sort and deduplicate within each document: key = doc << 32 | hash
    keys = (doc_of << np.uint64(32)) | hashed
    keys.sort()
    if len(keys) > 1:
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=n_docs)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Shingles((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets)

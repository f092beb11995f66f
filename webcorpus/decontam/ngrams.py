"""Words and word n-grams as decontamination sees them, hashed to 64 bits.

A *word* is GPT-3's gram: "a lowercase, whitespace delimited word with no punctuation" (Brown et al.
2020, appendix C). The text is lower-cased, every character of the Unicode punctuation (``P*``) and
symbol (``S*``) categories is deleted (in Arrow, by RE2) (``don't`` -> ``dont``, as datatrove's ``simplify_text`` deletes
its punctuation set), and what is left is split on whitespace; a token that was all punctuation is no
word. Unlike datatrove we do not fold diacritics or map digits to ``0``: ``2019`` and ``2020`` differ.

Hashes: a word is BLAKE2b-64 of its UTF-8; a window of ``k`` words is a polynomial of its words'
hashes modulo 2**64 (odd multiplier), plus ``k``, through the splitmix64 finaliser. The same function
hashes the items' n-grams (when the index is built) and the documents' (when they are checked), so
the two meet only when the words are equal, up to a 64-bit collision.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: the polynomial loses no bits
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_WORD_CACHE_LIMIT = 1 << 20  # words whose hash a process keeps (cleared when full: bounded memory)


#: deleted from the lower-cased text: every character of the Unicode P* and S* categories (RE2's tables)
PUNCTUATION = r"[\p{P}\p{S}]+"


def _normalized(texts: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_lower(texts), PUNCTUATION, "")


def words(text: str | None) -> list[str]:
    """The words of ``text`` (see the module's docstring)."""
    flat, _ = batch_words(pa.array([text or ""], pa.string()))
    return flat.to_pylist()


def normalize(text: str | None) -> str:
    """The words of ``text`` joined by single spaces."""
    return " ".join(words(text))


def word_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` with each one's start and end in ``text`` (for cutting spans out).

    Token by token: the same words as :func:`words` (lower-casing and deleting punctuation never make
    or remove whitespace), and the hashes are recomputed from these, so cuts never rest on the other.
    """
    tokens = list(re.finditer(r"\S+", text))
    normalized = _normalized(pa.array([t.group() for t in tokens], pa.string())).to_pylist() if tokens else []
    found, starts, ends = [], [], []
    for token, word in zip(tokens, normalized):
        if word:
            found.append(word)
            starts.append(token.start())
            ends.append(token.end())
    return found, starts, ends


class WordHasher:
    """64-bit hashes of words, with a bounded cache of the words seen (most words of a corpus repeat)."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def hashes(self, flat_words: pa.Array) -> np.ndarray:
        """The hash of every word of an Arrow string array, in order."""
        if len(flat_words) == 0:
            return np.zeros(0, np.uint64)
        encoded = pc.dictionary_encode(flat_words)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        unique = encoded.dictionary.to_pylist()
        if len(self._cache) + len(unique) > _WORD_CACHE_LIMIT:
            self._cache.clear()
        cache = self._cache
        values = np.fromiter((cache[w] if w in cache else cache.setdefault(w, word_hash(w)) for w in unique),
                             np.uint64, len(unique))
        return values[encoded.indices.to_numpy(zero_copy_only=False)]

    def of_list(self, word_list: list[str]) -> np.ndarray:
        return self.hashes(pa.array(word_list, pa.string()))


def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def window_hashes(hashes: np.ndarray, k: int) -> np.ndarray:
    """The hash of every window of ``k`` consecutive words of one text's word ``hashes``."""
    found = next(batch_windows(hashes, np.array([0, len(hashes)]), [k]), None)
    return found[1] if found is not None else np.zeros(0, np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the result depends on every bit of ``x``."""
    x = x ^ (x >> np.uint64(30))
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


def batch_words(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The words of every text of a batch, flat, and the offsets where each text's words start (len + 1).

    All in Arrow (lower-casing, RE2 deleting punctuation, splitting on Unicode whitespace): about 20x
    faster than Python's ``re`` with a class of every punctuation and symbol character.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    split = pc.utf8_split_whitespace(_normalized(texts))
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split)
    nonempty = pc.not_equal(flat, "")  # leading or trailing whitespace splits off an empty string
    flat, parents = flat.filter(nonempty), parents.filter(nonempty)
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.bincount(parents.to_numpy(zero_copy_only=False), minlength=len(texts)), out=offsets[1:])
    return flat, offsets


def batch_windows(word_hashes: np.ndarray, offsets: np.ndarray, lengths: list[int]):
    """Per length ``k`` of ``lengths`` (ascending): the hashes of the batch's ``k``-word windows that lie
    inside one text, and each window's first word position. One pass builds every length's polynomial
    from the one before (a window of ``k`` words is that of ``k - 1`` words times the multiplier plus
    the next word), so extra lengths cost little."""
    if not len(word_hashes) or not lengths:
        return
    text_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    wanted = set(lengths)
    acc = word_hashes.copy()
    with np.errstate(over="ignore"):
        for k in range(1, max(lengths) + 1):
            if k > 1:
                if len(acc) <= 1:
                    return
                acc = acc[:-1] * _MULTIPLIER + word_hashes[k - 1:]
            if k in wanted:
                starts = np.flatnonzero(text_of[:len(acc)] == text_of[k - 1:])
                yield k, _mix(acc[starts] + np.uint64(k)), starts

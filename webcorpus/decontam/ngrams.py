"""Words and word n-grams as decontamination sees them, hashed to 64 bits.

A *word* is GPT-3's gram: "a lowercase, whitespace delimited word with no punctuation" (Brown et al.
2020, appendix C). The text is lower-cased, every character of the Unicode punctuation (``P*``) and
symbol (``S*``) categories is deleted (``don't`` -> ``dont``, as datatrove's ``simplify_text`` deletes
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
import sys
import unicodedata
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: the polynomial loses no bits
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_WORD_CACHE_LIMIT = 1 << 20  # words whose hash a process keeps (cleared when full: bounded memory)


@lru_cache(maxsize=1)
def _punctuation() -> re.Pattern:
    """Every code point of the P* and S* categories, as one character class (built once per process)."""
    ranges, start, previous = [], None, None
    for point in range(sys.maxunicode + 1):
        if unicodedata.category(chr(point))[0] in "PS":
            if start is None:
                start = point
            elif point != previous + 1:
                ranges.append((start, previous))
                start = point
            previous = point
    ranges.append((start, previous))
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{body}]+")


def words(text: str | None) -> list[str]:
    """The words of ``text`` (see the module's docstring)."""
    if not text:
        return []
    return _punctuation().sub("", text.lower()).split()


def normalize(text: str | None) -> str:
    """The words of ``text`` joined by single spaces."""
    return " ".join(words(text))


def word_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` with each one's start and end in ``text`` (for cutting spans out).

    Token by token: the same words as :func:`words` (lower-casing and deleting punctuation never make
    or remove whitespace), and the hashes are recomputed from these, so cuts never rest on the other.
    """
    strip = _punctuation()
    found, starts, ends = [], [], []
    for match in re.finditer(r"\S+", text):
        word = strip.sub("", match.group().lower())
        if word:
            found.append(word)
            starts.append(match.start())
            ends.append(match.end())
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
    """The hash of every window of ``k`` consecutive words of ``hashes`` (``len - k + 1`` of them)."""
    count = len(hashes) - k + 1
    if count <= 0:
        return np.zeros(0, np.uint64)
    with np.errstate(over="ignore"):
        acc = hashes[:count].copy()
        for j in range(1, k):
            acc *= _MULTIPLIER
            acc += hashes[j:j + count]
        acc += np.uint64(k)
        return _mix(acc)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the result depends on every bit of ``x``."""
    x = x ^ (x >> np.uint64(30))
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


def batch_words(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The words of every text of a batch, flat, and the offsets where each text's words start (len + 1)."""
    normalized = pa.array([normalize(t) for t in texts.to_pylist()], pa.large_string())
    split = pc.split_pattern(normalized, " ")
    flat = pc.list_flatten(split)
    flat = flat.filter(pc.not_equal(flat, ""))  # a text without words splits into [""]; no word is empty
    lengths = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
    lengths -= pc.equal(normalized, "").to_numpy(zero_copy_only=False).astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return flat, offsets


def batch_windows(word_hashes: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the ``k``-word windows that lie inside one text, and the window's first word position."""
    all_windows = window_hashes(word_hashes, k)
    if len(all_windows) == 0:
        return all_windows, np.zeros(0, np.int64)
    starts = np.arange(len(all_windows), dtype=np.int64)
    text_of = np.searchsorted(offsets, starts, side="right") - 1
    inside = starts + k <= offsets[text_of + 1]
    return all_windows[inside], starts[inside]

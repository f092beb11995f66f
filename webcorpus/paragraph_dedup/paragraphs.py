"""Paragraphs of a batch: the lines of ``text``, their normalised keys, and the text with some lines removed.

A paragraph is one line of a document's ``text`` (split on ``"\\n"`` only, so line numbers are
the same in Arrow and in Python). Its key is the 64-bit BLAKE2b of its normalised form: Unicode
NFKC, lowercase, every run of punctuation, symbols and whitespace (Unicode separators too) one
space, trimmed. Case,
whitespace and punctuation do not count; letters and digits do ("Page 1 of 3" and "Page 2 of 3"
are different paragraphs). Its words are the space-separated pieces of that form.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from webcorpus.dedup.exact import hash64

LINE = "\n"
#: punctuation, symbols, Unicode separators and ASCII whitespace (RE2's ``\s`` is ASCII only)
_NOT_A_WORD = r"[\p{P}\p{S}\p{Z}\t\n\v\f\r]+"


def normalize(lines: pa.Array) -> pa.Array:
    """The normalised form of each line (see the module's docstring); null becomes empty."""
    lines = pc.utf8_lower(pc.utf8_normalize(pc.fill_null(lines, ""), "NFKC"))
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(lines, _NOT_A_WORD, " "))


@dataclass
class Paragraphs:
    """The paragraphs of a batch long enough to compare: document ``doc[i]``'s line ``line[i]`` has key ``key[i]``."""

    doc: np.ndarray  # int64, the row in the batch
    line: np.ndarray  # uint32, the line number in the document
    key: np.ndarray  # uint64
    short: int  # non-empty lines with fewer than min_words words: left alone


def paragraphs(texts: pa.Array | pa.ChunkedArray, min_words: int) -> Paragraphs:
    """The paragraphs of every text of a batch that have at least ``min_words`` normalised words."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    split = pc.split_pattern(pc.fill_null(texts, ""), LINE)
    offsets = np.asarray(split.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    lines = normalize(split.flatten())
    filled = pc.binary_length(lines).to_numpy(zero_copy_only=False) > 0
    words = pc.count_substring(lines, " ").to_numpy(zero_copy_only=False) + 1
    long_enough = np.flatnonzero(filled & (words >= min_words))
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))[long_enough]
    keys = np.fromiter((hash64(s) for s in lines.take(pa.array(long_enough)).to_pylist()), np.uint64, len(long_enough))
    return Paragraphs(owner, (long_enough - offsets[owner]).astype(np.uint32), keys, int(filled.sum()) - len(long_enough))


def without_lines(text: str, removed: list[int]) -> tuple[str, int]:
    """``text`` without the lines numbered ``removed``, and how many characters those lines held.

    Removed lines with only blank lines between them go as one block, with those blank lines.
    A block sits between two runs of blank lines (either may be empty); once it is gone they
    would meet, so one of them goes too: the shorter (the later on a tie) when text is left on
    both sides, else the one on the side where text is left, so a paragraph break stays one
    break and the text does not gain blank lines at its start or end. Every other line, blank or
    not, is left as it was.
    """
    lines = text.split(LINE)
    blank = [not line.strip() for line in lines]
    characters = sum(len(lines[i]) for i in set(removed))
    blocks: list[list[int]] = []
    for i in sorted(set(removed)):
        if blocks and all(blank[blocks[-1][1] + 1 : i]):
            blocks[-1][1] = i
        else:
            blocks.append([i, i])
    gone: set[int] = set()
    for first, last in blocks:
        gone.update(range(first, last + 1))
        before, after = first, last + 1  # the blank runs: [before, first) and [last + 1, after)
        while before > 0 and blank[before - 1]:
            before -= 1
        while after < len(lines) and blank[after]:
            after += 1
        text_before, text_after = before > 0, after < len(lines)
        earlier, later = range(before, first), range(last + 1, after)
        if text_before and text_after:
            gone.update(earlier if len(earlier) < len(later) else later)
        elif text_after:  # the block opened the text: blank lines the text began with stay
            gone.update(later)
        elif text_before:  # it closed the text: blank lines the text ended with stay
            gone.update(earlier)
        else:
            gone.update([*earlier, *later])
    return LINE.join(line for i, line in enumerate(lines) if i not in gone), characters

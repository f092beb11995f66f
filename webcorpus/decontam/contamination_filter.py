"""The per-batch half of ``decontaminate``: check documents against the built index.

A document is contaminated when one of its n-grams (or the whole word sequence of a short item) is in
the index. It is blamed on the item whose window starts first in it (ties: the item listed first).

``action: drop`` drops it with the reason ``decontaminate:<eval set>:<item id>``. ``action:
remove_span`` applies GPT-3's rule instead (Brown et al. 2020, appendix C): every matching window is
cut out with ``window`` characters on each side, which splits the text into pieces; pieces shorter
than ``min_piece`` characters are discarded, and a document left with more than ``max_pieces``
pieces, or with none, is dropped with the same reason. The pieces that stay are joined by a newline.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
import pyarrow as pa

from webcorpus.decontam.index import NgramIndex
from webcorpus.decontam.ngrams import WordHasher, batch_words, word_spans
from webcorpus.stages.base import Filter, Verdict

REASON = "decontaminate"
ITEM_PREFIX = "item:"  # counter per item hit: ``item:<set>:<id>`` documents
_OPEN: dict[tuple, NgramIndex] = {}  # per process: every task of a worker maps the index once


class ContaminationFilter(Filter):
    """Drop (or cut) documents that share an n-gram with an item of the eval sets in ``index_dir``."""

    name = "decontaminate"

    def __init__(self, index_dir: str, action: str = "drop", window: int = 200, min_piece: int = 200,
                 max_pieces: int = 10):
        self.index_dir = str(index_dir)
        self.action = action
        self.window = window
        self.min_piece = min_piece
        self.max_pieces = max_pieces

    def setup(self) -> None:
        meta = os.stat(os.path.join(self.index_dir, "meta.json"))
        key = (self.index_dir, meta.st_ino, meta.st_mtime_ns)  # an index built again is opened again
        if key not in _OPEN:
            _OPEN.clear()
            _OPEN[key] = NgramIndex(self.index_dir)
        self._index = _OPEN[key]
        self._hasher = WordHasher()

    def verdict(self, batch: pa.Table) -> Verdict:
        texts = batch.column("text")
        blamed = self.first_hits(texts)
        reasons: list[str | None] = [None] * batch.num_rows
        for ref in blamed.values():
            self.count(f"{ITEM_PREFIX}{':'.join(self._index.item(ref))}")
        if self.action == "drop":
            for row, ref in blamed.items():
                reasons[row] = self._reason(ref)
            return Verdict(reasons)
        new_texts = texts.to_pylist()
        for row, ref in blamed.items():
            cut = self.cut(new_texts[row])
            if cut is None:
                reasons[row] = self._reason(ref)
            else:
                self.count("documents_cut")
                self.count(f"cut:{self._index.item(ref)[0]}")
                new_texts[row] = cut
        columns = {"text": pa.array(new_texts, batch.schema.field("text").type)} if blamed else {}
        return Verdict(reasons, columns)

    def _reason(self, ref: int) -> str:
        return f"{REASON}:{':'.join(self._index.item(ref))}"

    def first_hits(self, texts: pa.ChunkedArray | pa.Array) -> dict[int, int]:
        """Row -> ref of the item blamed, for each contaminated row."""
        flat, offsets = batch_words(texts)
        word_hashes = self._hasher.hashes(flat)
        hit_starts, hit_refs = [], []
        for _, windows, starts in self._index.windows_of(word_hashes, offsets):
            refs = self._index.lookup(windows)
            hit = refs >= 0
            hit_starts.append(starts[hit])
            hit_refs.append(refs[hit])
        if not hit_starts:
            return {}
        starts, refs = np.concatenate(hit_starts), np.concatenate(hit_refs)
        order = np.lexsort((refs, starts))  # by word position (each row's words are contiguous), then item
        starts, refs = starts[order], refs[order]
        rows = np.searchsorted(offsets, starts, side="right") - 1
        first = np.ones(len(rows), bool)
        first[1:] = rows[1:] != rows[:-1]
        return dict(zip(rows[first].tolist(), refs[first].tolist()))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The character spans of every matching window of ``text``, in order, merged."""
        found, starts, ends = word_spans(text)
        word_hashes = self._hasher.of_list(found)
        spans = []
        for length, windows, firsts in self._index.windows_of(word_hashes, np.array([0, len(found)])):
            refs = self._index.lookup(windows)
            for first in firsts[refs >= 0].tolist():
                spans.append((starts[first], ends[first + length - 1]))
        return _merge(sorted(spans))

    def cut(self, text: str) -> str | None:
        """``text`` without its matching spans and their windows (module docstring), or None to drop it."""
        spans = self.spans(text)
        if not spans:  # the batch's words said contaminated, its tokens do not: a case rule of the text
            return text
        self.count("spans_removed", len(spans))
        widened = _merge([(max(0, a - self.window), min(len(text), b + self.window)) for a, b in spans])
        pieces, at = [], 0
        for a, b in widened:
            pieces.append(text[at:a])
            at = b
        pieces.append(text[at:])
        kept = [p.strip() for p in pieces if len(p.strip()) >= self.min_piece]
        if not kept or len(kept) > self.max_pieces:
            return None
        self.count("characters_removed", len(text) - sum(len(p) for p in kept))
        return "\n".join(kept)


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged

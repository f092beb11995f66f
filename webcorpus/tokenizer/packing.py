"""Cut a split's token stream into shards of at most ``shard_tokens`` tokens.

Documents are packed whole: a shard closes when the next document would not
fit. A document longer than a whole shard is cut into pieces of
``shard_tokens`` (``piece`` 0, 1, ... in the provenance); only then does a
document span shards. Every writer sees the same shard boundaries, so the
formats agree token for token.
"""
from __future__ import annotations

import numpy as np


class Packer:
    def __init__(self, writers: list, provenance, split: str, first_index: int, shard_tokens: int):
        self.writers = writers
        self.provenance = provenance
        self.split = split
        self.index = first_index
        self.shard_tokens = shard_tokens
        self.fill = 0  # tokens in the open shard
        self.offset = 0  # tokens of this split written so far
        self.is_open = False
        self.shards = 0
        self.pieces_split = 0

    def add(self, tokens: np.ndarray, lengths: np.ndarray, ids: list, urls: list) -> None:
        lengths = np.asarray(lengths, dtype=np.int64)
        pieces = np.zeros(len(lengths), dtype=np.int64)
        if len(lengths) and lengths.max() > self.shard_tokens:
            lengths, pieces, order = _cut_long(lengths, self.shard_tokens)
            self.pieces_split += int((pieces == 1).sum())  # documents cut, not pieces
            ids = [ids[i] for i in order]
            urls = [urls[i] for i in order]
        ends = np.cumsum(lengths)
        first = 0
        while first < len(lengths):
            done = int(ends[first - 1]) if first else 0
            count = int(np.searchsorted(ends, done + self.shard_tokens - self.fill, side="right")) - first
            if count == 0:
                self._close()  # the next piece does not fit: it starts a fresh shard
                continue
            last = first + count
            self._emit(tokens[done : int(ends[last - 1])], lengths[first:last], ids[first:last], urls[first:last], pieces[first:last])
            first = last

    def _emit(self, tokens, lengths, ids, urls, pieces) -> None:
        if not self.is_open:
            for w in self.writers:
                w.open_shard(self.split, self.index)
            self.is_open = True
        for w in self.writers:
            w.write(tokens, lengths)
        starts = self.fill + np.cumsum(lengths) - lengths
        self.provenance.add(self.split, self.index, starts, lengths, self.offset - self.fill + starts, ids, urls, pieces)
        self.fill += len(tokens)
        self.offset += len(tokens)

    def _close(self) -> None:
        if self.is_open:
            for w in self.writers:
                w.close_shard()
            self.is_open = False
            self.index += 1
            self.shards += 1
        self.fill = 0

    def finish(self) -> int:
        """Close the last shard; return the index the next split's shards start at."""
        self._close()
        return self.index


def _cut_long(lengths: np.ndarray, limit: int):
    counts = (lengths + limit - 1) // limit
    order = np.repeat(np.arange(len(lengths)), counts)
    pieces = np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts)
    cut = np.full(len(order), limit, dtype=np.int64)
    last = np.cumsum(counts) - 1
    cut[last] = lengths - (counts - 1) * limit
    return cut, pieces, order.tolist()

"""Each corpus split into what it trains on and what every model is evaluated on.

A document's place is decided by a salted hash of its ``id`` (the WARC-Record-ID, the same in
every output of the same crawl), so the split never depends on file order or worker count, and a
page held out of one corpus is held out of every corpus that has it:

* ``hash < val_fraction``: held out, never trained on. From each corpus's held-out documents
  (lowest hashes first, at most ``2 * shared_val_bytes`` of them) the **shared validation set**
  takes the same number of *tokens* of the shared tokenizer from every corpus (``shared_share`` of
  the smallest pool's tokens); the rest is the corpus's **own validation** split.
* otherwise: training text, unless the same text (exact, after stripping) is in any evaluation
  set, which catches the same page under another id.

Training documents stream shard by shard in an order shuffled by the shards' names, and within a
shard by hash, so a corpus larger than the token budget contributes an unbiased-by-position
sample while memory holds one shard at a time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.documents import ID, TEXT
from webcorpus.tokenizer.training_sample import id_hashes

SALT = "ablate"
_SPACE = 2**64


@dataclass
class Split:
    """One corpus: its shards, its held-out documents and the facts the report shows."""

    name: str
    shards: list[Path]
    documents: int = 0
    bytes: int = 0
    heldout: list[tuple[int, str, str]] = field(default_factory=list)  # (hash, id, text), lowest hash first
    heldout_documents: int = 0
    lowest_hash: int | None = None  # the lowest id hash of a document with text: what val_fraction must exceed
    heldout_tokens: list[int] = field(default_factory=list)  # tokens of each held-out document, separator included
    shared: list[tuple[int, str, str]] = field(default_factory=list)
    shared_tokens: int = 0
    own_val: list[tuple[int, str, str]] = field(default_factory=list)
    train_documents: int = 0  # before excluding texts that are also evaluation texts
    train_bytes: int = 0


def document_shards(path: str | Path) -> list[Path]:
    """The Parquet shards of a pipeline OUTPUT folder (``documents/``) or of a folder of shards."""
    path = Path(path)
    for folder in (path / "documents", path):
        shards = sorted(folder.glob("*.parquet"))
        if shards:
            return shards
    raise FileNotFoundError(f"no documents: neither {path / 'documents'} nor {path} holds *.parquet shards")


def text_key(text: str) -> bytes:
    """Exact-text identity of a document (surrounding whitespace ignored)."""
    return hashlib.blake2b(text.strip().encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _shard_order(shards: list[Path], seed: int) -> list[Path]:
    keys = id_hashes([s.name for s in shards], f"{SALT}{seed}s")
    return [shards[i] for i in np.argsort(keys, kind="stable")]


def _read(shard: Path) -> tuple[list[str], list[str], np.ndarray]:
    """ids, texts and UTF-8 text sizes (0 for a missing text) of one shard."""
    table = pq.read_table(shard, columns=[ID, TEXT])
    sizes = pc.fill_null(pc.binary_length(table.column(TEXT)), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return table.column(ID).to_pylist(), table.column(TEXT).to_pylist(), sizes


def scan(name: str, path: str | Path, val_fraction: float, keep_bytes: int, seed: int) -> Split:
    """Count a corpus and keep its lowest-hash held-out documents up to ``keep_bytes`` of text."""
    split = Split(name, document_shards(path))
    limit = np.uint64(min(int(val_fraction * _SPACE), _SPACE - 1))
    kept: list[tuple[int, str, str]] = []
    salt = f"{SALT}{seed}"
    for shard in split.shards:
        ids, texts, sizes = _read(shard)
        hashes = id_hashes(ids, salt)
        usable = sizes > 0
        held = usable & (hashes < limit)
        split.documents += int(usable.sum())
        split.bytes += int(sizes[usable].sum())
        split.heldout_documents += int(held.sum())
        split.train_documents += int((usable & ~held).sum())
        split.train_bytes += int(sizes[usable & ~held].sum())
        if usable.any():
            low = int(hashes[usable].min())
            split.lowest_hash = low if split.lowest_hash is None else min(split.lowest_hash, low)
        kept += [(int(hashes[i]), ids[i], texts[i]) for i in np.flatnonzero(held)]
        kept = _bottom_by_bytes(kept, keep_bytes)
    split.heldout = kept
    return split


def _bottom_by_bytes(docs: list[tuple[int, str, str]], budget: int) -> list[tuple[int, str, str]]:
    docs = sorted(docs)
    out, total = [], 0
    for doc in docs:
        size = len(doc[2].encode("utf-8", "surrogatepass"))
        if out and total + size > budget:
            break
        out.append(doc)
        total += size
    return out


def nbytes(docs) -> int:
    return sum(len(d[2].encode("utf-8", "surrogatepass")) for d in docs)


def fraction_needed(split: Split, documents: int = 2) -> float:
    """The smallest ``val_fraction`` (rounded up to 2 significant digits) that holds out at least
    ``documents`` of this corpus's documents (its lowest hash when only that one is known)."""
    import math

    low = split.lowest_hash if split.lowest_hash is not None else _SPACE - 1
    needed = min((low + 1) / _SPACE * documents, 0.99)
    scale = 10 ** (1 - math.floor(math.log10(needed)))
    return math.ceil(needed * scale) / scale


def fill(sizes: list[int], budget: int) -> list[int]:
    """Indices of the items taken in order while they fit in ``budget``: an item that does not fit is
    skipped (a smaller one after it may still fit), not the end of the filling."""
    taken, total = [], 0
    for i, size in enumerate(sizes):
        if total + size <= budget:
            taken.append(i)
            total += size
    return taken


def equal_parts(sizes: list[list[int]], budget: int) -> list[list[int]]:
    """For each pool (item sizes in its order), the items to take so that every pool gives about the same:
    each pool first takes what :func:`fill` takes of ``budget``; the smallest of these totals is the
    common size, and a pool above it gives back items, latest first, while what it gives back stays
    within its excess. So every pool gives at least the common size and less than that plus its smallest
    item taken (documents are never cut); the pool that sets the size gives exactly it."""
    parts = [fill(pool, budget) for pool in sizes]
    common = min(sum(pool[i] for i in part) for pool, part in zip(sizes, parts))
    equal = []
    for pool, part in zip(sizes, parts):
        excess = sum(pool[i] for i in part) - common
        dropped = set()
        for i in reversed(part):
            if 0 < pool[i] <= excess:
                dropped.add(i)
                excess -= pool[i]
        equal.append([i for i in part if i not in dropped])
    return equal


def assign_validation(splits: list[Split], shared_share: float) -> int:
    """Fill every split's shared part (equal tokens from each corpus: ``heldout_tokens`` must be set)
    and its own validation; return the common size of a part in tokens (each gives at least that, and
    less than that plus one of its documents: :func:`equal_parts`)."""
    budget = min(int(shared_share * sum(s.heldout_tokens)) for s in splits)
    for s, part in zip(splits, equal_parts([s.heldout_tokens for s in splits], budget)):
        s.shared = [s.heldout[i] for i in part]
        s.shared_tokens = sum(s.heldout_tokens[i] for i in part)
    shared_ids = {d[1] for s in splits for d in s.shared}
    shared_texts = {text_key(d[2]) for s in splits for d in s.shared}
    for s in splits:
        mine = {d[1] for d in s.shared}
        s.own_val = [d for d in s.heldout if d[1] not in mine and d[1] not in shared_ids
                     and text_key(d[2]) not in shared_texts]
    return min(s.shared_tokens for s in splits)  # the common size: what the corpus that sets it gives


def shared_documents(splits: list[Split]) -> list[tuple[int, str, str]]:
    """The shared validation set: every corpus's part, each document once, in hash order (so any
    prefix of it, such as the trainer's in-training evaluation, mixes all parts)."""
    seen, out = set(), []
    for doc in sorted(d for s in splits for d in s.shared):
        if doc[1] not in seen:
            seen.add(doc[1])
            out.append(doc)
    return out


def in_several_parts(splits: list[Split]) -> int:
    """Shared documents drawn from more than one corpus (the same page in several outputs)."""
    from collections import Counter

    counts = Counter(d[1] for s in splits for d in s.shared)
    return sum(1 for n in counts.values() if n > 1)


def train_documents(split: Split, val_fraction: float, excluded_texts: set[bytes], seed: int) -> Iterator[tuple[str, str]]:
    """(id, text) of every training document of a corpus, in the deterministic streaming order."""
    limit = np.uint64(min(int(val_fraction * _SPACE), _SPACE - 1))
    salt = f"{SALT}{seed}"
    for shard in _shard_order(split.shards, seed):
        ids, texts, sizes = _read(shard)
        hashes = id_hashes(ids, salt)
        for i in np.argsort(hashes, kind="stable"):
            if sizes[i] > 0 and hashes[i] >= limit and text_key(texts[i]) not in excluded_texts:
                yield ids[i], texts[i]


def reference_documents(folder: str | Path) -> list[tuple[str, str]]:
    """(file name, text) of every ``.txt`` / ``.md`` file of a folder, sorted by name: one document each."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    if not files:
        raise FileNotFoundError(f"references: no .txt or .md files in {folder}")
    return [(str(p.relative_to(folder)), p.read_text(encoding="utf-8")) for p in files if p.read_text(encoding="utf-8").strip()]

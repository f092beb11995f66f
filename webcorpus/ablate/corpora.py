"""Each corpus split into what it trains on and what every model is evaluated on.

A document's place is decided by a salted hash of its ``id`` (the WARC-Record-ID, the same in
every output of the same crawl), so the split never depends on file order or worker count, and a
page held out of one corpus is held out of every corpus that has it:

* ``hash < val_fraction``: held out, never trained on. From each corpus's held-out documents
  (lowest hashes first) the **shared validation set** takes the same number of bytes from every
  corpus (``shared_share`` of the smallest pool, at most ``shared_val_bytes``); the rest is the
  corpus's **own validation** split.
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
    shared: list[tuple[int, str, str]] = field(default_factory=list)
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


def assign_validation(splits: list[Split], shared_share: float, shared_val_bytes: int) -> int:
    """Fill every split's shared part (equal bytes from each corpus) and own validation; return the
    per-corpus byte budget of the shared part."""
    budget = min(int(shared_share * nbytes(s.heldout)) for s in splits)
    budget = min(budget, shared_val_bytes)
    for s in splits:
        s.shared = _bottom_by_bytes(s.heldout, budget) if s.heldout else []
    shared_ids = {d[1] for s in splits for d in s.shared}
    shared_texts = {text_key(d[2]) for s in splits for d in s.shared}
    for s in splits:
        mine = {d[1] for d in s.shared}
        s.own_val = [d for d in s.heldout if d[1] not in mine and d[1] not in shared_ids
                     and text_key(d[2]) not in shared_texts]
    return budget


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

"""A deterministic sample of documents, bounded in bytes.

Every document gets a 64-bit priority: a hash of the seed and its ``id``. The
sample is the documents of lowest priority whose texts fit in the byte budget,
so it depends only on the set of documents, never on shard order or worker
count. A fixed slice of the hash space (:data:`HELDOUT_SHARE`) is kept apart as
a held-out pool, sampled the same way, for measuring bytes per token.

Memory stays bounded: each shard contributes only the candidates that could
still be selected (its own lowest priorities up to the budget), and shards are
merged in chunks, truncating the running selection to the budget each time.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.documents import ID, TEXT

#: Share of the hash space whose documents form the held-out pool, never trained on.
HELDOUT_SHARE = 1 / 32
_HELDOUT_LIMIT = int(HELDOUT_SHARE * 2**64)
#: Shards whose candidates are merged at once; bounds the memory of the merge.
MERGE_CHUNK = 64


def id_hash(doc_id: str, salt: str) -> int:
    """A 64-bit hash of a document id, stable across processes and Python versions."""
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8, person=salt.encode()[:16])
    return int.from_bytes(digest.digest(), "little")


def id_hashes(ids: list[str], salt: str) -> np.ndarray:
    return np.fromiter((id_hash(i, salt) for i in ids), dtype=np.uint64, count=len(ids))


@dataclass
class Thresholds:
    """Highest admitted priority in each pool (-1: the pool admits nothing)."""

    train: int
    heldout: int


def _bottom_by_budget(priorities: np.ndarray, sizes: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """The lowest priorities, in order, whose sizes add up to at most ``budget``."""
    order = np.argsort(priorities, kind="stable")
    priorities, sizes = priorities[order], sizes[order]
    keep = int(np.searchsorted(np.cumsum(sizes), budget, side="right"))
    return priorities[:keep], sizes[:keep]


def _read(path: str, columns: list[str]):
    return pq.read_table(path, columns=columns)


def shard_candidates(args: tuple[str, str, int, int]) -> tuple[tuple, tuple]:
    """Per shard: (priorities, sizes) of train and held-out candidates that fit each budget."""
    path, salt, train_budget, heldout_budget = args
    table = _read(path, [ID, TEXT])
    sizes = pc.fill_null(pc.binary_length(table.column(TEXT)), 0).to_numpy().astype(np.int64)
    priorities = id_hashes(table.column(ID).to_pylist(), salt)
    usable = sizes > 0
    held = priorities < np.uint64(_HELDOUT_LIMIT)
    train = _bottom_by_budget(priorities[usable & ~held], sizes[usable & ~held], train_budget)
    heldout = _bottom_by_budget(priorities[usable & held], sizes[usable & held], heldout_budget)
    return train, heldout


def thresholds(ctx_map, paths: list[str], salt: str, train_budget: int, heldout_budget: int) -> Thresholds:
    """Find the priority cut-offs of both pools with the executor's parallel map."""
    pools = {"train": (np.empty(0, np.uint64), np.empty(0, np.int64)), "heldout": (np.empty(0, np.uint64), np.empty(0, np.int64))}
    budgets = {"train": train_budget, "heldout": heldout_budget}
    for start in range(0, len(paths), MERGE_CHUNK):
        chunk = paths[start : start + MERGE_CHUNK]
        results = ctx_map(shard_candidates, [(p, salt, train_budget, heldout_budget) for p in chunk])
        for pool, index in (("train", 0), ("heldout", 1)):
            priorities = np.concatenate([pools[pool][0]] + [r[index][0] for r in results])
            sizes = np.concatenate([pools[pool][1]] + [r[index][1] for r in results])
            pools[pool] = _bottom_by_budget(priorities, sizes, budgets[pool])
    last = {pool: int(p[-1]) if len(p) else -1 for pool, (p, _) in pools.items()}
    return Thresholds(train=last["train"], heldout=last["heldout"])


def write_shard_sample(args: tuple[str, str, Thresholds, str, int]) -> tuple[str, int, str, int]:
    """Write one shard's selected texts: training lines to ``out.train.txt``, held-out documents to ``out.heldout.bin``.

    Training text goes one line per sentencepiece "sentence" (lines longer than
    ``max_line_bytes`` are cut at a character boundary). Held-out documents are
    stored whole, each as a 4-byte length and its UTF-8 bytes, so newlines survive.
    """
    path, salt, limits, out_prefix, max_line_bytes = args
    table = _read(path, [ID, TEXT])
    priorities = id_hashes(table.column(ID).to_pylist(), salt)
    held = priorities < np.uint64(_HELDOUT_LIMIT)
    chosen = np.where(held, priorities <= np.uint64(max(limits.heldout, 0)), priorities <= np.uint64(max(limits.train, 0)))
    chosen &= np.where(held, limits.heldout >= 0, limits.train >= 0)
    table = table.filter(pa.array(chosen))
    texts = table.column(TEXT).to_pylist()
    priorities = priorities[chosen]
    train_path, heldout_path = Path(out_prefix + ".train.txt"), Path(out_prefix + ".heldout.bin")
    train_bytes = heldout_bytes = 0
    with open(train_path, "w", encoding="utf-8", errors="surrogatepass", newline="\n") as train, open(heldout_path, "wb") as heldout:
        for text, priority in zip(texts, priorities.tolist()):
            if not text:
                continue
            if priority < _HELDOUT_LIMIT:
                data = text.encode("utf-8", "surrogatepass")
                heldout.write(len(data).to_bytes(4, "little") + data)
                heldout_bytes += len(data)
            else:
                for line in text.splitlines():
                    for piece in _cut(line, max_line_bytes):
                        train.write(piece + "\n")
                train_bytes += len(text.encode("utf-8", "surrogatepass"))
    return str(train_path), train_bytes, str(heldout_path), heldout_bytes


def _cut(line: str, max_bytes: int) -> list[str]:
    if not line.strip():
        return []
    if len(line) * 4 <= max_bytes or len(line.encode("utf-8", "surrogatepass")) <= max_bytes:
        return [line]
    pieces, step = [], max_bytes // 4  # 4 bytes is the longest UTF-8 character
    for start in range(0, len(line), step):
        pieces.append(line[start : start + step])
    return pieces


def read_heldout(path: str) -> list[str]:
    """The documents stored by :func:`write_shard_sample` in a ``.heldout.bin`` file."""
    data = Path(path).read_bytes()
    docs, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "little")
        docs.append(data[pos + 4 : pos + 4 + size].decode("utf-8", "surrogatepass"))
        pos += 4 + size
    return docs

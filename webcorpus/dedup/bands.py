"""Keyed records partitioned to disk: the band keys (and exact keys) of every document.

A record is ``(key, doc, handle)``: ``key`` a 64-bit band or content key,
``doc`` the 64-bit hash of the document id (orders members the same way
whatever the input order), ``handle`` where the document lives
(``shard << 32 | row``). The signature task of shard ``s`` writes
``{kind}/{p:03d}/{s:05d}.npy`` for every partition ``p = key % partitions``;
the task of partition ``p`` later reads ``{kind}/{p:03d}/*.npy`` and nothing
else, so its memory is one partition of one kind, whatever the corpus size.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from webcorpus.storage.nodes import local_folder

RECORD = np.dtype([("key", "<u8"), ("doc", "<u8"), ("handle", "<u8")])


def handles(shard: int, rows: np.ndarray) -> np.ndarray:
    return (np.uint64(shard) << np.uint64(32)) | rows.astype(np.uint64)


def split_handles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(shard, row)`` arrays from handles."""
    return (values >> np.uint64(32)).astype(np.int64), (values & np.uint64(0xFFFFFFFF)).astype(np.int64)


def save_npy(path: Path, array: np.ndarray) -> None:
    """Write an ``.npy`` atomically (temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def write_partitioned(root: Path, kind: str, shard: int, records: np.ndarray, partitions: int) -> None:
    """Split ``records`` by ``key % partitions`` into one file per partition (empty ones included)."""
    part = (records["key"] % np.uint64(partitions)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    for p in range(partitions):
        save_npy(root / kind / f"{p:03d}" / f"{shard:05d}.npy", records[order[bounds[p] : bounds[p + 1]]])


def read_partition(root: Path, kind: str, partition: int) -> np.ndarray:
    """Every record of one partition, from all shards."""
    folder = local_folder(root / kind / f"{partition:03d}")
    parts = [np.load(path) for path in sorted(folder.glob("*.npy"))] if folder.exists() else []
    return np.concatenate(parts) if parts else np.zeros(0, RECORD)


def buckets(records: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records sorted by ``(key, doc)``, with the start and end of every run of two or more equal keys."""
    records = records[np.lexsort((records["doc"], records["key"]))]
    if len(records) < 2:
        return records, np.zeros(0, np.int64), np.zeros(0, np.int64)
    change = np.flatnonzero(records["key"][1:] != records["key"][:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(records)]])
    many = ends - starts >= 2
    return records, starts[many], ends[many]

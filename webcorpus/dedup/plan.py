"""The plan of a dedup run and how its tasks commit: what every phase task receives.

A :class:`Plan` is picklable, so it travels to any worker; a task's result is committed to the
plan's :class:`~webcorpus.ledger.Ledger` as ``{phase}.{index:05d}`` once its files are in place.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.ledger import Ledger


#: documents per partition when ``partitions`` is not set: a run of 320,000 documents or more gets 16 (the
#: default before it was sized to the input), a small one fewer, down to 1
DOCUMENTS_PER_PARTITION = 20_000
MAX_SIZED_PARTITIONS = 16
#: up to this many documents every task runs in this process, one after the other: starting a pool of worker
#: processes (each importing numpy, scipy and pyarrow) costs about a second per phase, more than the work
INLINE_DOCUMENTS = 5_000


def partitions_for(documents: int, asked: int | None) -> int:
    """The partitions of a run of ``documents``: ``asked`` when set, else one per DOCUMENTS_PER_PARTITION
    (1 to MAX_SIZED_PARTITIONS). A function of the input alone, never of the workers: the output stays
    the same for any worker count (and for any partition count: they only bound a task's memory)."""
    if asked is not None:
        return asked
    return max(1, min(MAX_SIZED_PARTITIONS, -(-documents // DOCUMENTS_PER_PARTITION)))


def count_documents(shards) -> int:
    """Rows of Parquet shards, from their footers."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in shards)


@dataclass(frozen=True)
class Plan:
    """Everything a task needs; picklable, so it travels to any worker."""

    inputs: tuple[str, ...]
    work: str
    output_dir: str
    removed_dir: str | None
    threshold: float
    ngram: int
    num_perm: int
    bands: int
    rows: int
    seed: int
    confirm: bool
    exact: bool
    url: bool
    keep: str
    partitions: int
    batch_size: int
    ledger: Ledger = field(default=None, compare=False)  # where tasks commit; in the fingerprint's stead
    inline: bool = field(default=False, compare=False)  # run every task in this process (a small run)
    counters: dict = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return Path(self.work)


def task_name(phase: str, index: int) -> str:
    return f"{phase}.{index:05d}"


def finish(plan: Plan, phase: str, index: int, result: dict) -> dict:
    """Commit a finished task's result (last, when its files are in place) and return it."""
    return plan.ledger.commit(task_name(phase, index), result)


def read_result(plan: Plan, phase: str, index: int) -> dict | None:
    """A committed task's result, or None when it has not finished."""
    return plan.ledger.read(task_name(phase, index))


def write_parquet(table: pa.Table, path: Path) -> None:
    """A scratch Parquet file written whole or not at all (temp name, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)

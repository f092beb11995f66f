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

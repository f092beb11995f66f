"""The plan of a paragraph-dedup run: what every phase task receives, and the records it passes on.

A :class:`Plan` is picklable, so it travels to any worker; a task commits its result to the plan's
ledger as ``{phase}.{index:05d}`` once its files are in place (:func:`webcorpus.dedup.plan.finish`,
the same protocol as near-dedup's).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from webcorpus.ledger import Ledger

#: one paragraph of one document: its key, the document's id hash, where the document lives
#: (``shard << 32 | row``, as near-dedup's handles) and its line number in the text
PARAGRAPH = np.dtype([("key", "<u8"), ("doc", "<u8"), ("handle", "<u8"), ("line", "<u4")])
#: a paragraph to remove from a document of one shard
REMOVAL = np.dtype([("row", "<u4"), ("line", "<u4")])
#: the reason a document left too short is dropped with
TOO_SHORT = "dedup_paragraphs:too_short"
#: where the side outputs go in the run folder
SIDE_FOLDER = "dedup_paragraphs"


@dataclass(frozen=True)
class Plan:
    """Everything a task needs; picklable, so it travels to any worker."""

    inputs: tuple[str, ...]
    work: str
    output_dir: str
    dropped_dir: str | None
    min_words: int
    min_document_words: int
    top: int
    partitions: int
    batch_size: int
    inline: bool = False  # a small run: the phases' tasks run in the driver's process
    ledger: Ledger = field(default=None, compare=False)  # where tasks commit; in the fingerprint's stead

    @property
    def root(self) -> Path:
        return Path(self.work)

    @property
    def top_file(self) -> Path:
        """The most repeated paragraphs, chosen after ``decide``: the ``apply`` tasks fetch their texts."""
        return self.root / "top.json"

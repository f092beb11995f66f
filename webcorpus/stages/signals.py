"""A filter's signals: the values its rules compare with thresholds, as histograms with the thresholds.

A thresholded filter declares one :class:`Signal` per measured value (``words``, ``line_punct_ratio``,
``top_2gram_ratio``, ...): its bins and the option thresholds that drop a document. While it decides,
the filter notes the value of each signal it computed for a document; the base :class:`Filter` bins
the values of a batch into :class:`SignalHistogram` counts in the stage's ``StageStats``. Counts add up
across tasks, so ``stats.json`` holds the same histograms whatever the worker count, and the report
draws them with the threshold lines (what a person needs to tune a filter).

A filter computes a signal only for the documents that reach it: a document an earlier rule dropped,
or one without text, is not measured. The histogram's counts plus ``not measured`` (in the report)
are the documents the filter saw.

Bins are given by their left edges: bin ``i`` holds values from ``bins[i]`` up to ``bins[i + 1]``, the
first bin also what lies below it, the last one everything from its edge up. Every threshold is made
a bin edge, so the documents on either side of it can be read off the counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

#: How a threshold drops: a document whose value ``v`` satisfies ``v <op> threshold`` is dropped.
DROPS = ("<", "<=", ">", ">=")

#: Shares in [0, 1], in steps of 0.05 (the last bin: 0.95 and up).
SHARE_BINS = tuple(round(0.05 * i, 2) for i in range(20))
#: Counts (words, sentences) on a 1-2-3-5 scale up to a million.
COUNT_BINS = (0, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000,
              50_000, 100_000, 200_000, 500_000, 1_000_000)
#: Mean word lengths in characters, in steps of half a character up to 15.
LENGTH_BINS = tuple(0.5 * i for i in range(31))
#: Sizes in bytes on a 1-2-5 scale from 1 KB to 100 MB (decimal units, as webcorpus.numbers writes them).
SIZE_BINS = (0,) + tuple(m * 10 ** e for e in range(3, 9) for m in (1, 2, 5))


@dataclass(frozen=True)
class Threshold:
    """One threshold of a signal: the option that sets it, its value, and the comparison that drops."""

    option: str
    value: float
    drops: str  # one of DROPS

    def to_dict(self) -> dict:
        return {"option": self.option, "value": self.value, "drops": self.drops}


@dataclass(frozen=True)
class Signal:
    """A value a filter measures per document and compares with one or more thresholds."""

    name: str
    description: str
    bins: tuple[float, ...]
    thresholds: tuple[Threshold, ...] = ()

    @classmethod
    def of(cls, name: str, description: str, bins: Iterable[float], *thresholds: Threshold | None) -> "Signal":
        """A signal whose bins are ``bins`` with every threshold added as an edge (``None`` thresholds are left out)."""
        kept = tuple(t for t in thresholds if t is not None)
        for t in kept:
            if t.drops not in DROPS:
                raise ValueError(f"threshold {t.option}: drops must be one of {DROPS}, got {t.drops!r}")
        edges = sorted({float(b) for b in bins} | {float(t.value) for t in kept})
        return cls(name, description, tuple(edges), kept)


@dataclass
class SignalHistogram:
    """Counts of a signal's values per bin, with its thresholds; adds up across batches and tasks."""

    description: str
    bins: list[float]
    counts: list[int]
    thresholds: list[dict] = field(default_factory=list)

    @classmethod
    def empty(cls, signal: Signal) -> "SignalHistogram":
        return cls(signal.description, list(signal.bins), [0] * len(signal.bins), [t.to_dict() for t in signal.thresholds])

    def add(self, values: Sequence[float]) -> None:
        """Count ``values`` into their bins."""
        if not len(values):
            return
        index = np.searchsorted(np.asarray(self.bins), np.asarray(values, dtype=np.float64), side="right") - 1
        counts = np.bincount(np.clip(index, 0, len(self.bins) - 1), minlength=len(self.bins))
        self.counts = [a + int(b) for a, b in zip(self.counts, counts)]

    @property
    def measured(self) -> int:
        return sum(self.counts)

    def merge(self, other: "SignalHistogram") -> None:
        if other.bins != self.bins or other.thresholds != self.thresholds:
            raise ValueError("cannot add histograms of one signal with different bins or thresholds")
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]

    def to_dict(self) -> dict:
        return {"description": self.description, "bins": self.bins, "counts": self.counts, "thresholds": self.thresholds}

    @classmethod
    def from_dict(cls, data: dict) -> "SignalHistogram":
        return cls(data["description"], list(data["bins"]), list(data["counts"]), list(data.get("thresholds", [])))


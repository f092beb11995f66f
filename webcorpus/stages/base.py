"""The stage contract: a stage takes a batch (an Arrow table) and returns a batch.

Three shapes cover every step of a pipeline:

* :class:`Stage` transforms a batch (adds or rewrites columns, may drop rows).
* :class:`Filter` says, per document, ``None`` (keep) or a reason string (drop);
  the base class applies the mask and counts the reasons, so accounting comes
  free with the contract.
* :class:`GlobalStage` needs every document of the run at once (near-dedup,
  tokenizer training, token shards); it runs as an explicit step between the
  per-file stages. See :mod:`webcorpus.stages.global_stage`.

All three share :class:`BaseStage`: a YAML name, options (the keyword arguments
of ``__init__``), the modules it needs, and one style of option error
(:class:`OptionError`, naming the option).

A stage object is built once from its options (cheap: no model loading) and is
then pickled to whichever worker runs it; :meth:`Stage.setup` loads the heavy
parts once per process, before the first batch.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from webcorpus.stages.requirements import MissingDependency, missing_dependencies
from webcorpus.stages.signals import Signal, SignalHistogram

REASON = "drop_reason"


@dataclass
class StageStats:
    """Documents in, out and dropped by reason, plus any counters the stage adds."""

    documents_in: int = 0
    documents_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    setup_seconds: float = 0.0  # loading models and the like, once per worker process; not in ``seconds``
    #: characters of ``text`` in the documents a stage lets out, by power-of-two bucket ("<=1024": n)
    text_lengths: Counter = field(default_factory=Counter)
    #: a thresholded filter's signals: name -> histogram of the values it measured, with the thresholds
    signals: dict[str, SignalHistogram] = field(default_factory=dict)
    #: what a global stage reports beyond counts, as JSON values (``dedup_paragraphs``: the most repeated paragraphs)
    details: dict = field(default_factory=dict)

    def merge(self, other: "StageStats") -> None:
        self.documents_in += other.documents_in
        self.documents_out += other.documents_out
        self.dropped.update(other.dropped)
        self.counters.update(other.counters)
        self.seconds += other.seconds
        self.setup_seconds += other.setup_seconds
        self.text_lengths.update(other.text_lengths)
        for name, histogram in other.signals.items():
            if name in self.signals:
                self.signals[name].merge(histogram)
            else:
                self.signals[name] = SignalHistogram.from_dict(histogram.to_dict())
        self.details.update(other.details)

    def record_signals(self, declared: Sequence[Signal], values: dict[str, Sequence[float]]) -> None:
        """Count a batch's measured ``values`` into the histograms of the ``declared`` signals (all of
        them exist after the first batch, in declared order, so every task lists them alike)."""
        for signal in declared:
            if signal.name not in self.signals:
                self.signals[signal.name] = SignalHistogram.empty(signal)
            self.signals[signal.name].add(values.get(signal.name, ()))
        unknown = set(values) - {s.name for s in declared}
        if unknown:
            raise ValueError(f"signals measured but not declared: {sorted(unknown)}")

    def to_dict(self) -> dict:
        signals = {"signals": {name: h.to_dict() for name, h in self.signals.items()}} if self.signals else {}
        details = {"details": self.details} if self.details else {}
        return {
            "documents_in": self.documents_in,
            "documents_out": self.documents_out,
            "dropped": dict(sorted(self.dropped.items())),
            "counters": dict(sorted(self.counters.items())),
            "seconds": round(self.seconds, 3),
            "setup_seconds": round(self.setup_seconds, 3),
            "text_lengths": dict(sorted(self.text_lengths.items(), key=lambda kv: _bucket_order(kv[0]))),
            **signals,
            **details,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "StageStats":
        return cls(
            documents_in=data.get("documents_in", 0),
            documents_out=data.get("documents_out", 0),
            dropped=Counter(data.get("dropped", {})),
            counters=Counter(data.get("counters", {})),
            seconds=data.get("seconds", 0.0),
            setup_seconds=data.get("setup_seconds", 0.0),
            text_lengths=Counter(data.get("text_lengths", {})),
            signals={name: SignalHistogram.from_dict(h) for name, h in data.get("signals", {}).items()},
            details=dict(data.get("details", {})),
        )


def _bucket_order(bucket: str) -> int:
    return int(bucket.lstrip("<="))


def length_buckets(batch: pa.Table) -> Counter:
    """Histogram of ``text`` lengths in characters, by power-of-two upper bound; empty if no text."""
    if "text" not in batch.column_names or batch.num_rows == 0:
        return Counter()
    lengths = pc.utf8_length(batch.column("text")).to_numpy(zero_copy_only=False)
    lengths = lengths[~np.isnan(lengths)] if lengths.dtype.kind == "f" else lengths
    if len(lengths) == 0:
        return Counter()
    exponents = np.ceil(np.log2(np.maximum(lengths.astype(np.float64), 1))).astype(int)
    values, counts = np.unique(exponents, return_counts=True)
    return Counter({f"<={2 ** int(v)}": int(c) for v, c in zip(values, counts)})


class OptionError(ValueError):
    """An option value that a stage rejects; ``option`` names it, ``choices`` lists valid values if few."""

    def __init__(self, option: str, message: str, choices: list[str] | None = None):
        super().__init__(message)
        self.option = option
        self.choices = choices or []


class OptionErrors(OptionError):
    """Several bad options of one stage; ``problems`` holds one :class:`OptionError` each."""

    def __init__(self, problems: list[OptionError]):
        super().__init__(problems[0].option, "; ".join(str(p) for p in problems), problems[0].choices)
        self.problems = problems


class BaseStage:
    """What every stage is: a YAML ``name``, options, the modules it needs and what one task needs."""

    name: ClassVar[str] = ""
    #: True for a stage that needs every document at once (:class:`GlobalStage`)
    is_global: ClassVar[bool] = False
    #: Python modules the stage imports in ``setup``, mapped to the pip package that provides them.
    requires: ClassVar[dict[str, str]] = {}
    #: What one task running this stage needs on a cluster, e.g. ``{"num_cpus": 1, "memory": 2 << 30}``
    #: (bytes). The Ray executor requests the largest ``num_cpus`` and the sum of ``memory`` of a step's stages.
    resources: ClassVar[dict[str, float]] = {}

    def options(self) -> dict:
        """The stage's options as set (its public attributes)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def files_read(self) -> list[str]:
        """Local files or folders whose contents decide this stage's output (a model, a list). The
        run's fingerprint holds a hash of each, so a file changed between a kill and a re-run is noticed."""
        return []

    def code_identity(self) -> str | None:
        """A key of user code that decides the output (None: the stage is the package's own code)."""
        return None

    def check_requirements(self) -> None:
        """Fail with the install line when a module the stage needs is absent (the runner checks every
        stage before work: :func:`webcorpus.stages.requirements.check_installed`; this is for a worker
        on another machine, and for a stage used from Python)."""
        missing = missing_dependencies(self)
        if missing:
            raise MissingDependency("; ".join(missing))

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({options})"


@dataclass
class StageOutput:
    kept: pa.Table
    dropped: pa.Table | None = None  # dropped rows with a ``drop_reason`` column, for an "excluded" side output


class Stage(BaseStage):
    """Base class of every per-batch stage.

    Subclasses set ``name`` (the YAML name), take their options as keyword
    arguments of ``__init__`` (annotated, with defaults: the registry reads them
    to validate YAML and to document the stage), and implement :meth:`process`.
    """

    def setup(self) -> None:
        """Load models and other heavy state. Called once per process before the first batch."""

    def process(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    # --- driven by executors; subclasses normally leave these alone -------------------------------

    @property
    def stats(self) -> StageStats:
        if "_stats" not in self.__dict__:
            self.__dict__["_stats"] = StageStats()
        return self.__dict__["_stats"]

    def pop_stats(self) -> StageStats:
        """Return the stats gathered since the last call and start afresh."""
        stats = self.stats
        self.__dict__["_stats"] = StageStats()
        return stats

    def count(self, counter: str, n: int = 1) -> None:
        """Add to a stage-specific counter (e.g. ``timeouts``); it lands in stats.json."""
        self.stats.counters[counter] += n

    def _ensure_setup(self) -> None:
        if not self.__dict__.get("_is_set_up"):
            start = time.perf_counter()
            self.check_requirements()
            self.setup()
            self.__dict__["_is_set_up"] = True
            self.stats.setup_seconds += time.perf_counter() - start

    def apply(self, batch: pa.Table) -> StageOutput:
        self._ensure_setup()
        start = time.perf_counter()
        output = self._apply(batch)
        stats = self.stats
        stats.seconds += time.perf_counter() - start
        stats.documents_in += batch.num_rows
        stats.documents_out += output.kept.num_rows
        stats.text_lengths.update(length_buckets(output.kept))
        if output.dropped is not None and output.dropped.num_rows:
            for reason, n in Counter(output.dropped.column(REASON).to_pylist()).items():
                stats.dropped[reason] += n
        elif batch.num_rows > output.kept.num_rows:
            stats.dropped[self.name or type(self).__name__] += batch.num_rows - output.kept.num_rows
        return output

    def _apply(self, batch: pa.Table) -> StageOutput:
        return StageOutput(self.process(batch))

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.apply(batch).kept

    def __getstate__(self) -> dict:
        # Ship options only: heavy state is rebuilt by setup() in the receiving process.
        state = dict(self.__dict__)
        for key in [k for k in state if k.startswith("_")]:
            del state[key]
        return state



@dataclass
class Verdict:
    """A filter's answer for one batch: a reason per row (``None`` keeps it) and the columns it adds
    (or replaces, e.g. a cleaned ``text``) on every row, kept and dropped alike, in this order."""

    reasons: Sequence[str | None]
    columns: dict[str, pa.Array] = field(default_factory=dict)
    #: dropped rows leave as they came in, without the added columns (extract keeps the page's HTML)
    dropped_as_read: bool = False
    #: values of the filter's declared signals (:meth:`Filter.signals`) for the documents it measured,
    #: in any order (they become histograms in the stage's stats, not columns)
    signals: dict[str, Sequence[float]] = field(default_factory=dict)

    def annotate(self, batch: pa.Table) -> pa.Table:
        for name, values in self.columns.items():
            if name in batch.column_names:
                batch = batch.set_column(batch.column_names.index(name), name, values)
            else:
                batch = batch.append_column(name, values)
        return batch


class Filter(Stage):
    """A stage that keeps or drops whole documents and says why.

    Implement :meth:`reasons` for a filter that adds nothing, or :meth:`verdict` for one that also
    adds columns (scores, a label, a cleaned text): both come from one call, so nothing is kept
    on the stage between two calls.
    """

    def reasons(self, batch: pa.Table) -> Sequence[str | None]:
        """One entry per row: ``None`` keeps the document, a string drops it with that reason."""
        raise NotImplementedError

    def verdict(self, batch: pa.Table) -> Verdict:
        """The reasons and the added columns for ``batch``. Default: :meth:`reasons`, no columns."""
        return Verdict(self.reasons(batch))

    def signals(self) -> list[Signal]:
        """The values this filter compares with thresholds, with their bins and thresholds as the
        options set them (:mod:`webcorpus.stages.signals`). A verdict's ``signals`` fills them."""
        return []

    def _declared_signals(self) -> list[Signal]:
        if "_signals" not in self.__dict__:  # built once per process: the options do not change
            self.__dict__["_signals"] = self.signals()
        return self.__dict__["_signals"]

    def _apply(self, batch: pa.Table) -> StageOutput:
        if batch.num_rows == 0:
            return StageOutput(batch)
        verdict = self.verdict(batch)
        declared = self._declared_signals()
        if declared or verdict.signals:
            self.stats.record_signals(declared, verdict.signals)
        reasons = list(verdict.reasons)
        if len(reasons) != batch.num_rows:
            raise ValueError(f"{type(self).__name__}.reasons returned {len(reasons)} entries for {batch.num_rows} rows")
        annotated = verdict.annotate(batch)
        keep = pa.array([r is None for r in reasons], pa.bool_())
        kept = annotated.filter(keep)
        if kept.num_rows == batch.num_rows:
            return StageOutput(kept)
        dropped = (batch if verdict.dropped_as_read else annotated).filter(pc.invert(keep))
        dropped = dropped.append_column(REASON, pa.array([r for r in reasons if r is not None], pa.string()))
        return StageOutput(kept, dropped)

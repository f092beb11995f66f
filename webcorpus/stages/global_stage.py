"""Global stages: work that needs every document of the run at once.

Near-dedup, tokenizer training and token shards cannot run one batch at a time.
They are explicit steps: the runner finishes every per-file task before them,
hands them the Parquet shards that reached them, and runs the per-file stages
that follow on whatever shards they return.
"""
from __future__ import annotations

import contextlib

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from webcorpus.ledger import Ledger, digest, input_identity
from webcorpus.stages.base import BaseStage, StageStats


@dataclass
class GlobalContext:
    """What a global stage gets from the runner."""

    inputs: list[str]  # the document shards that reach this stage, sorted
    output_dir: Path  # where to write document shards for the stages after this one
    work_dir: Path  # scratch that survives a restart, for resumable phases
    run_dir: Path  # the run's OUTPUT folder (tokenizer/, tokens/ live here)
    workers: int
    map: Callable[[Callable, Sequence[Any]], list]  # the executor's parallel map: ordered results
    stats: StageStats = field(default_factory=StageStats)
    progress: Callable[[Iterable, str], Iterable] = lambda items, desc: items
    #: where the stage commits its finished parts; the runner gives a fresh one when the inputs change
    ledger: Ledger | None = None
    #: the identity of ``inputs`` (names, sizes, times) as one key: resumable state holds for it only
    inputs_key: str = ""
    #: ``with ctx.timer("train_tokenizer: training"):`` shows elapsed time for work that cannot count itself
    timer: Callable[[str], Any] = lambda desc: contextlib.nullcontext()
    #: the plain name of the phase the next ``map`` runs ("dedup: clustering, round 2"); see :meth:`phase_map`
    phase: str | None = None
    #: where dropped documents go (``OUTPUT/excluded/``) when the run writes them, else None
    excluded_dir: Path | None = None
    #: every phase must go through ``map`` (each task then runs on any node and gets what it reads where it
    #: runs): set when the step's orchestration runs where the documents are not (the driver, on object storage)
    spread: bool = False
    #: rows of shards of the run, from their footers (where the shards are not on this machine: from the store)
    count_rows: Callable[[list], int] | None = None

    def phase_map(self, label: str, fn: Callable, items: Sequence[Any]) -> list:
        """``map`` under a plain name, which its progress bar shows instead of the function's name."""
        self.phase = label
        try:
            return self.map(fn, items)
        finally:
            self.phase = None

    def __post_init__(self) -> None:
        if self.ledger is None:  # a stage run outside a pipeline keeps its markers in its work folder
            self.ledger = Ledger(Path(self.work_dir) / "markers")
        if not self.inputs_key:
            self.inputs_key = digest([input_identity(p) for p in self.inputs])


def run_relative(value: Any, work: str | Path) -> Any:
    """``value`` (a plan's fields) with every path inside the run folder made relative to it (the run folder
    being two levels above the step's work folder ``work``): the key of a stage's resumable work must not
    depend on where the run folder lies, since a step resumed on another machine sees it elsewhere."""
    root = str(Path(work).parents[1])
    if isinstance(value, (str, Path)) and str(value).startswith(root + "/"):
        return str(value)[len(root) + 1:]
    if isinstance(value, (list, tuple)):
        return [run_relative(item, work) for item in value]
    if isinstance(value, dict):
        return {key: run_relative(item, work) for key, item in value.items()}
    return value


class GlobalStage(BaseStage):
    """Base class of a stage that runs as one step over all documents.

    Implement :meth:`run`: read ``ctx.inputs``, write new shards under
    ``ctx.output_dir`` (with :class:`webcorpus.document_shards.ShardWriter`) and
    return their paths, or return ``None`` to pass the documents through
    unchanged (a stage that only writes side outputs such as a tokenizer).
    """

    is_global = True
    #: its phase functions get what they read with ``storage.nodes.local``/``local_folder`` and it counts
    #: rows with ``ctx.count_rows``: on object storage its phases then run as node tasks on any node, and the
    #: step's orchestration on the driver, which keeps the step's ledger only
    spreads = False
    #: the folders of the run (beside documents/) the stage reads or writes, e.g. ``("tokenizer",)``: a node that
    #: runs the step on object storage pulls them, with the step's inputs and work folder
    run_folders: tuple[str, ...] = ()

    def run(self, ctx: GlobalContext) -> list[str] | None:
        raise NotImplementedError

    def execute(self, ctx: GlobalContext) -> list[str] | None:
        self.check_requirements()
        return self.run(ctx)

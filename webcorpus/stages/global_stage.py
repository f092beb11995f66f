"""Global stages: work that needs every document of the run at once.

Near-dedup, tokenizer training and token shards cannot run one batch at a time.
They are explicit phases: the runner finishes every per-file task before them,
hands them the Parquet shards that reached them, and runs the per-file stages
that follow on whatever shards they return.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Sequence

from webcorpus.stages.base import StageStats, check_requirements


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


class GlobalStage:
    """Base class of a stage that runs as one phase over all documents.

    Implement :meth:`run`: read ``ctx.inputs``, write new shards under
    ``ctx.output_dir`` (with :class:`webcorpus.output.shards.ShardWriter`) and
    return their paths, or return ``None`` to pass the documents through
    unchanged (a stage that only writes side outputs such as a tokenizer).
    """

    name: ClassVar[str] = ""
    is_global: ClassVar[bool] = True
    requires: ClassVar[dict[str, str]] = {}

    def run(self, ctx: GlobalContext) -> list[str] | None:
        raise NotImplementedError

    def execute(self, ctx: GlobalContext) -> list[str] | None:
        check_requirements(self)  # type: ignore[arg-type]
        return self.run(ctx)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if not k.startswith("_"))
        return f"{type(self).__name__}({options})"

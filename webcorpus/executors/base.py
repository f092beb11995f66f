"""The executor contract: what the runner asks of any place that runs tasks.

An executor knows nothing of what a stage does. It runs the file tasks of a per-batch step and offers
an ordered parallel ``map`` for the phases of global stages; ``local.LocalExecutor`` and
``ray.RayExecutor`` are the two implementations.
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

from webcorpus.pipeline.tasks import FileTask


class Executor(Protocol):
    name: str
    workers: int

    def run_tasks(
        self,
        tasks: Sequence[FileTask],
        stages: list,
        on_result: Callable[[dict], None],
        on_records: Callable[[int], None] | None = None,
    ) -> None:
        """Run every task with ``stages``; ``on_result`` gets each task's stats (or failure record) as it
        finishes, ``on_records`` running document counts where the executor can report them."""

    def map(self, fn: Callable, items: Sequence, on_done: Callable[[], None] | None = None) -> list:
        """``fn`` (a picklable top-level function) on every item in parallel; results in input order;
        ``on_done`` once per finished item."""

"""The executor contract: run a function over items, in parallel, and report each result or failure.

An executor knows nothing of tasks, stages or pipelines (nothing here imports ``webcorpus.pipeline``).
It offers two calls:

* :meth:`Executor.run` — ``fn(item, shipped, progress)`` for every item, where ``shipped`` is sent
  to each worker once (the stage objects of a step: models load once per worker) and ``progress``
  reports running counts; ``on_result(item, value)`` gets each item's return value, or a
  :class:`Failure` when it raised or its worker died. A failure does not stop the others.
* :meth:`Executor.map` — an ordered parallel map that raises on the first failure, for the phases
  of global stages (and for library calls such as :func:`webcorpus.dedup.deduplicate`).

``local.LocalExecutor`` and ``ray.RayExecutor`` implement it.
"""
from __future__ import annotations

import traceback as traceback_module
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

#: ``fn(item, shipped, progress)``: the unit of work of :meth:`Executor.run`
ItemFunction = Callable[[Any, Any, Callable[[int], None]], Any]


@dataclass
class Failure:
    """An item that did not finish: the error in one line, and the traceback where there is one."""

    error: str
    traceback: str = ""

    @classmethod
    def of(cls, exc: BaseException | str, with_traceback: bool = False) -> "Failure":
        """The one constructor of a failure: from an exception (``Type: message``) or a sentence."""
        if isinstance(exc, str):
            return cls(exc)
        return cls(f"{type(exc).__name__}: {exc}", traceback_module.format_exc() if with_traceback else "")


#: what a worker that died leaves of the items it held
WORKER_DIED = "worker process died (killed or crashed) while running this task"


def call_reporting_failure(fn: ItemFunction, item, shipped, progress: Callable[[int], None]):
    """``fn(item, shipped, progress)``, or a :class:`Failure` (with traceback) if it raised an Exception."""
    try:
        return fn(item, shipped, progress)
    except Exception as exc:
        return Failure.of(exc, with_traceback=True)


def no_progress(records: int) -> None:
    """The ``progress`` of an executor that cannot stream running counts."""


class Executor(Protocol):
    name: str
    workers: int

    def run(
        self,
        fn: ItemFunction,
        items: Sequence,
        shipped: Any,
        on_result: Callable[[Any, Any], None],
        on_progress: Callable[[int], None] | None = None,
        needs: Sequence = (),
    ) -> None:
        """``fn(item, shipped, progress)`` for every item; ``on_result(item, value or Failure)`` as each
        finishes; ``on_progress`` gets running counts where the executor can stream them. ``needs``:
        objects whose ``resources`` attribute says what one call needs on a cluster."""

    def map(self, fn: Callable, items: Sequence, on_done: Callable[[], None] | None = None) -> list:
        """``fn`` (a picklable top-level function) on every item in parallel; results in input order;
        ``on_done`` once per finished item."""

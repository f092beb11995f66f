"""The local executor: a pool of worker processes on this machine.

It knows nothing of what a stage does. It runs file tasks (the stage objects
are shipped to each worker once, when the worker starts) and, for global
stages, a parallel ordered ``map``. With ``workers=1`` everything runs in this
process, which is also the easiest way to debug a stage.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence

from webcorpus.pipeline.tasks import FileTask, safe_run_file_task

_worker_stages: list | None = None
_worker_queue = None


def _init_worker(stages: list | None, progress_queue) -> None:
    global _worker_stages, _worker_queue
    _worker_stages, _worker_queue = stages, progress_queue
    parent = os.getppid()

    def exit_with_parent() -> None:  # a killed driver must not leave workers writing behind it
        import time

        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True).start()


def _run_in_worker(task: FileTask) -> dict:
    sent = 0

    def progress(records: int) -> None:
        nonlocal sent
        if _worker_queue is not None:
            _worker_queue.put(records - sent)
            sent = records

    return safe_run_file_task(task, _worker_stages or [], progress)


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self._context = mp.get_context("spawn")

    def run_tasks(
        self,
        tasks: Sequence[FileTask],
        stages: list,
        on_result: Callable[[dict], None],
        on_records: Callable[[int], None] | None = None,
    ) -> None:
        """Run every task; ``on_result`` gets each task's stats (or failure record) as it finishes."""
        if not tasks:
            return
        if self.workers == 1:
            for task in tasks:
                sent = 0

                def progress(records: int) -> None:
                    nonlocal sent
                    if on_records:
                        on_records(records - sent)
                    sent = records

                on_result(safe_run_file_task(task, stages, progress))
            return
        progress_queue = self._context.Queue()
        stop = threading.Event()
        drainer = threading.Thread(target=_drain, args=(progress_queue, on_records, stop), daemon=True)
        drainer.start()
        try:
            self._run_pool(list(tasks), stages, progress_queue, on_result)
        finally:
            stop.set()
            drainer.join(timeout=5)

    def _run_pool(self, tasks: list[FileTask], stages: list, progress_queue, on_result) -> None:
        pending = list(reversed(tasks))
        while pending:
            pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(pending)),
                mp_context=self._context,
                initializer=_init_worker,
                initargs=(stages, progress_queue),
            )
            in_flight: dict = {}
            try:
                while pending or in_flight:
                    while pending and len(in_flight) < self.workers * 2:
                        task = pending.pop()
                        in_flight[pool.submit(_run_in_worker, task)] = task
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        result = future.result()  # a dead worker raises BrokenProcessPool here
                        del in_flight[future]
                        on_result(result)
            except BrokenProcessPool:
                # A worker died (killed, out of memory, crashed in native code). The tasks it may
                # have held are reported as failed; the rest go on in a fresh pool.
                for future, task in in_flight.items():
                    if future.done() and not future.exception():
                        on_result(future.result())
                    else:
                        on_result(
                            {
                                "task": task.task_id,
                                "source": task.source,
                                "failed": True,
                                "error": "worker process died (killed or crashed) while running this task",
                            }
                        )
                in_flight.clear()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                _terminate(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def map(self, fn: Callable, items: Sequence, on_done: Callable[[], None] | None = None) -> list:
        """Apply a picklable top-level ``fn`` to every item in parallel; results in input order.

        ``on_done`` is called once per finished item (in completion order), for progress.
        """
        items = list(items)
        if self.workers == 1 or len(items) <= 1:
            results = []
            for item in items:
                results.append(fn(item))
                if on_done:
                    on_done()
            return results
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(None, None),
        ) as pool:
            futures = [pool.submit(fn, item) for item in items]
            if on_done:
                for future in as_completed(futures):
                    future.result()
                    on_done()
            return [future.result() for future in futures]


def _drain(progress_queue, on_records, stop: threading.Event) -> None:
    while not stop.is_set() or not progress_queue.empty():
        try:
            n = progress_queue.get(timeout=0.2)
        except (queue.Empty, EOFError, OSError):
            continue
        if on_records:
            on_records(n)


def _terminate(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except Exception:
            pass

"""The local executor: a pool of worker processes on this machine.

It runs a function over items (what is shipped — a step's stage objects — goes to each worker
once, when the worker starts) and offers the ordered parallel ``map``. With ``workers=1``
everything runs in this process, which is also the easiest way to debug a stage.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

from webcorpus.executors.base import WORKER_DIED, Failure, ItemFunction, call_reporting_failure

_worker_shipped: Any = None
_worker_queue = None


def _init_worker(shipped, progress_queue) -> None:
    global _worker_shipped, _worker_queue
    _worker_shipped, _worker_queue = shipped, progress_queue
    parent = os.getppid()

    def exit_with_parent() -> None:  # a killed driver must not leave workers writing behind it
        import time

        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True).start()


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Worker processes started inside never see SIGINT: it is blocked in this thread meanwhile, and a child
    inherits the blocked mask (Python leaves it so). Ctrl-C reaches the terminal's whole process group, and a
    worker that took it, importing or idle, would print its own KeyboardInterrupt traceback; the driver alone
    answers it, with one line, and stops the workers. A Ctrl-C that comes meanwhile waits, then interrupts."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _CountSender:
    """Turns a call's running total into the increments the driver adds up."""

    def __init__(self, send: Callable[[int], None] | None):
        self.send, self.sent = send, 0

    def __call__(self, records: int) -> None:
        if self.send is not None:
            self.send(records - self.sent)
        self.sent = records


def _run_in_worker(fn: ItemFunction, item):
    send = _worker_queue.put if _worker_queue is not None else None
    return call_reporting_failure(fn, item, _worker_shipped, _CountSender(send))


class LocalExecutor:
    """Runs items in a pool of ``workers`` spawned processes (or in this process with one worker)."""

    name = "local"

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))
        self._context = mp.get_context("spawn")

    def run(
        self,
        fn: ItemFunction,
        items: Sequence,
        shipped: Any,
        on_result: Callable[[Any, Any], None],
        on_progress: Callable[[int], None] | None = None,
        needs: Sequence = (),
    ) -> None:
        """``fn(item, shipped, progress)`` on every item; ``on_result(item, value or Failure)`` as each finishes."""
        if not items:
            return
        if self.workers == 1:
            for item in items:
                on_result(item, call_reporting_failure(fn, item, shipped, _CountSender(on_progress)))
            return
        progress_queue = self._context.Queue()
        stop = threading.Event()
        drainer = threading.Thread(target=_drain, args=(progress_queue, on_progress, stop), daemon=True)
        drainer.start()
        try:
            self._run_pool(fn, list(items), shipped, progress_queue, on_result)
        finally:
            stop.set()
            drainer.join(timeout=5)

    def _run_pool(self, fn: ItemFunction, items: list, shipped, progress_queue, on_result) -> None:
        pending = list(reversed(items))
        while pending:
            pool = ProcessPoolExecutor(
                max_workers=min(self.workers, len(pending)),
                mp_context=self._context,
                initializer=_init_worker,
                initargs=(shipped, progress_queue),
            )
            in_flight: dict = {}
            try:
                while pending or in_flight:
                    while pending and len(in_flight) < self.workers * 2:
                        item = pending.pop()
                        with _workers_ignore_ctrl_c():  # a submit may start a worker
                            in_flight[pool.submit(_run_in_worker, fn, item)] = item
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        result = future.result()  # a dead worker raises BrokenProcessPool here
                        on_result(in_flight.pop(future), result)
            except BrokenProcessPool:
                # A worker died (killed, out of memory, crashed in native code). The items it may
                # have held are reported as failed; the rest go on in a fresh pool.
                for future, item in in_flight.items():
                    if future.done() and not future.exception():
                        on_result(item, future.result())
                    else:
                        on_result(item, Failure.of(WORKER_DIED))
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
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(None, None),
        )
        try:
            with _workers_ignore_ctrl_c():  # the submits start the workers
                futures = [pool.submit(fn, item) for item in items]
            if on_done:
                for future in as_completed(futures):
                    future.result()
                    on_done()
            return [future.result() for future in futures]
        except BaseException:  # interrupted or failed: stop the workers now rather than wait for their items
            pool.shutdown(wait=False, cancel_futures=True)
            _terminate(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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

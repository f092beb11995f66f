"""Progress of a phase: a bar on a terminal, plain log lines otherwise, nothing with ``quiet``."""
from __future__ import annotations

import logging
import sys
import threading
import time

log = logging.getLogger("webcorpus")
LINE_INTERVAL = 10.0  # seconds between plain progress lines of a long phase


class Progress:
    """Counts finished tasks and documents; shows files, documents, documents/s and ETA."""

    def __init__(self, total: int, desc: str, quiet: bool = False, unit: str = "file"):
        self.total = total
        self.desc = desc
        self.quiet = quiet
        self._streamed_documents = 0  # running counts sent by workers while their tasks go on
        self._finished_documents = 0  # counts of finished tasks (may arrive before the running ones)
        self.done = 0
        self.start = time.perf_counter()
        self._last_line = self.start
        self._lock = threading.Lock()
        self._bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, file=sys.stderr)

    @property
    def documents(self) -> int:
        return max(self._streamed_documents, self._finished_documents)

    def records(self, n: int) -> None:
        with self._lock:
            self._streamed_documents += n
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.refresh()

    def task_done(self, line: str, documents: int = 0) -> None:
        """One task finished; ``line`` (its counts) goes to the log, and the bar moves.

        ``documents`` (the task's count) keeps the total right even when the workers' running
        counts arrive after the task's result.
        """
        with self._lock:
            self.done += 1
            self._finished_documents += documents
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.update(1)
        log.info("[%d/%d] %s | %s", self.done, self.total, line, self._postfix())

    def advance(self, n: int = 1) -> None:
        """Count ``n`` finished items of a phase that has no per-task log line (logged every ~10%)."""
        with self._lock:
            before = self.done
            self.done += n
            if self._bar is not None:
                self._bar.update(n)
            elif not self.quiet and self.total:
                now = time.perf_counter()
                finished = self.done >= self.total
                next_tenth = self.done * 10 // self.total > before * 10 // self.total
                # Plain lines: the end of the phase, and every further tenth at most every 10 seconds.
                if finished or (next_tenth and now - self._last_line >= LINE_INTERVAL):
                    self._last_line = now
                    log.info("%s: %d/%d (%.0f%%) in %.1fs", self.desc, self.done, self.total,
                             100 * self.done / self.total, now - self.start)

    @property
    def active(self) -> bool:
        """True while a bar owns the terminal (console log lines would tear it)."""
        return self._bar is not None

    def _postfix(self) -> str:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return f"{self.documents:,} docs, {self.documents / elapsed:,.0f} docs/s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class BarSafeHandler(logging.StreamHandler):
    """Console log lines printed above a running progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:
            self.handleError(record)


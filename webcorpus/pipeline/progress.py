"""Progress of a phase: a bar on a terminal, plain log lines otherwise, nothing with ``quiet``."""
from __future__ import annotations

import logging
import sys
import threading
import time

log = logging.getLogger("webcorpus")


class Progress:
    """Counts finished tasks and documents; shows files, documents, documents/s and ETA."""

    def __init__(self, total: int, desc: str, quiet: bool = False, unit: str = "file"):
        self.total = total
        self.desc = desc
        self.quiet = quiet
        self.documents = 0
        self.done = 0
        self.start = time.perf_counter()
        self._lock = threading.Lock()
        self._bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, file=sys.stderr)

    def records(self, n: int) -> None:
        with self._lock:
            self.documents += n
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.refresh()

    def task_done(self, line: str) -> None:
        """One task finished; ``line`` (its counts) goes to the log, and the bar moves."""
        with self._lock:
            self.done += 1
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._bar.update(1)
        log.info("[%d/%d] %s | %s", self.done, self.total, line, self._postfix())

    def advance(self, n: int = 1) -> None:
        """Count ``n`` finished items of a phase that has no per-task log line."""
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)

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

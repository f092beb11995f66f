"""Progress people can read: one bar per step or global phase on a terminal, plain lines otherwise.

* A bar's label is short and plain ("step 1/5 extract +6", "dedup: clustering, round 2") so that at 80
  columns the percentage, the rate and the ETA still show.
* A per-batch step counts what it can measure inside files: bytes of crawl files (workers report
  how far they have read), documents of the shards between steps (their footers give the total).
* :class:`Timer` shows a phase that cannot count (training the tokenizer) as elapsed time.
* Not a terminal: no bars, but plain log lines: per task, and every tenth of a phase at most every
  10 seconds. ``quiet``: nothing.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

log = logging.getLogger("webcorpus")
LINE_INTERVAL = 10.0  # seconds between plain progress lines of a long phase
NOTE = 25  # step-level lines (a step starts, is resumed, is skipped): shown above the bars on a terminal
logging.addLevelName(NOTE, "NOTE")
WIDTH = 80
LABEL_WIDTH = 28
BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {rate_fmt} eta {remaining}{postfix}"


def step_label(number: int, steps: int, names: list[str]) -> str:
    """``step 2/5 dedup``; a step of many stages shows its first and how many follow (``extract +6``)."""
    head = f"step {number + 1}/{steps} "
    joined = ", ".join(names) or "read"
    if len(head) + len(joined) <= LABEL_WIDTH:
        return head + joined
    return head + (f"{names[0]} +{len(names) - 1}" if len(names) > 1 else names[0][: LABEL_WIDTH - len(head)])


def _terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """Progress of one step or phase: a bar on a terminal; plain log lines otherwise.

    ``unit``: ``"B"`` (bytes of crawl files read), ``"doc"`` or ``"file"``/``"task"`` (whole items).
    ``records(n)`` adds what workers measured while their tasks run (bytes or documents, in
    ``unit``); ``task_done`` ends a task (``size``: its whole share of the total); ``advance`` counts
    finished items of a phase.
    """

    def __init__(self, total: int, desc: str, quiet: bool = False, unit: str = "file", files: int | None = None,
                 stream=None):
        self.total = total
        self.desc = desc
        self.quiet = quiet
        self.unit = unit
        self.files = files  # tasks of a step whose bar counts bytes or documents
        self.done = 0  # finished tasks (or items)
        self.documents = 0
        self._measured = 0  # running amount the workers reported, in ``unit``
        self._finished = 0  # whole shares of finished tasks, in ``unit``
        self.start = time.perf_counter()
        self._last_line = self.start
        self._lock = threading.Lock()
        self._bar = None
        stream = stream or sys.stderr
        if not quiet and _terminal(stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "B", file=stream,
                             ncols=min(_columns(stream), 100), nrows=_rows(), bar_format=BAR_FORMAT,
                             mininterval=0.5)
            self._postfix()

    def records(self, n: int) -> None:
        with self._lock:
            self._measured += n
            self._move()

    def task_done(self, line: str, documents: int = 0, size: int = 0) -> None:
        """One task finished; ``line`` (its counts) goes to the log, and the bar moves."""
        with self._lock:
            self.done += 1
            self.documents += documents
            self._finished += size if self.files is not None else 1
            self._move()
        log.info("[%d/%d] %s | %s", self.done, self.files or self.total, line, self._rate())

    def advance(self, n: int = 1) -> None:
        """Count ``n`` finished items of a phase that has no per-task log line (logged every ~10%)."""
        with self._lock:
            before = self.done
            self.done += n
            self._finished += n
            if self._bar is not None:
                self._move()
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

    def _move(self) -> None:
        if self._bar is None:
            return
        position = min(max(self._measured, self._finished), self.total)
        if position > self._bar.n:
            self._postfix()
            self._bar.update(position - self._bar.n)

    def _postfix(self) -> None:
        if self.files is not None:
            self._bar.set_postfix_str(f"{self.done}/{self.files} files", refresh=False)

    def _rate(self) -> str:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return f"{self.documents:,} docs, {self.documents / elapsed:,.0f} docs/s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Timer:
    """A phase that cannot count its work (sentencepiece training): elapsed time on a terminal, a start
    line, a line every minute, and an end line in the log."""

    def __init__(self, desc: str, quiet: bool = False, stream=None):
        self.desc, self.quiet, self.stream = desc, quiet, stream or sys.stderr
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        if self.quiet:
            return self
        log.log(NOTE, "%s: started", self.desc)
        self._thread = threading.Thread(target=self._tick, daemon=True)
        self._thread.start()
        return self

    def _tick(self) -> None:
        terminal = _terminal(self.stream)
        last_line = self.start
        while not self._stop.wait(1.0):
            now = time.perf_counter()
            if terminal:
                self.stream.write(f"\r{self.desc}: {_clock(now - self.start)} elapsed")
                self.stream.flush()
            elif now - last_line >= 60:
                last_line = now
                log.info("%s: still running, %s elapsed", self.desc, _clock(now - self.start))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            if _terminal(self.stream):
                self.stream.write("\r" + " " * min(_columns(self.stream), WIDTH) + "\r")
            log.log(NOTE, "%s: done in %s", self.desc, _clock(time.perf_counter() - self.start))


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _columns(stream) -> int:
    import shutil

    return shutil.get_terminal_size((WIDTH, 24)).columns or WIDTH


def _rows() -> int:
    """Terminal height; tqdm hides bars below it, and some terminals (a pty with no size) report 0."""
    import shutil

    return max(shutil.get_terminal_size((WIDTH, 24)).lines, 24)


class BarSafeHandler(logging.StreamHandler):
    """Console log lines printed above a running progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:
            self.handleError(record)

"""Progress of one training run of an ablation: a bar on a terminal, plain lines elsewhere.

The trainer writes a record per logged step to ``RUN/metrics.jsonl``; a thread reads what was
added twice a second, so the trainer knows nothing of the display. On a terminal the bar shows the
steps, the rate and the time left (in the package's style, :mod:`webcorpus.pipeline.progress`),
with the latest loss and tokens per second; elsewhere a line per tenth of the steps, at most one
every :data:`LINE_INTERVAL` seconds, and the last step. ``quiet``: nothing.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from webcorpus import numbers
from webcorpus.pipeline.progress import BAR_FORMAT, LINE_INTERVAL, _bar_class, _terminal

POLL_SECONDS = 0.5


class RunProgress:
    """``with RunProgress(...)`` around ``train(config)`` of one run."""

    def __init__(self, metrics: Path, name: str, steps: int, log, quiet: bool = False, stream=None):
        self.metrics, self.name, self.steps, self.log, self.quiet = metrics, name, steps, log, quiet
        self.stream = stream or sys.stderr
        self.step, self.loss, self.tokens_per_s = 0, None, None
        self._offset, self._last_line, self._last_tenth = 0, 0.0, -1
        self._stop = threading.Event()
        self._bar = None
        self._thread = None

    def __enter__(self) -> "RunProgress":
        if self.quiet:
            return self
        if _terminal(self.stream):
            self._bar = _bar_class()(total=self.steps, desc=self.name[:24], unit="step", file=self.stream,
                                     bar_format=BAR_FORMAT, mininterval=0.5, leave=True)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._read()
        if self._bar is not None:
            self._bar.close()
        elif exc[0] is None and self._last_tenth < 10:
            self._line()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read()

    def _read(self) -> None:
        """Take in the records added since the last read (the file starts afresh when a run starts)."""
        try:
            size = self.metrics.stat().st_size
        except FileNotFoundError:
            return
        if size < self._offset:
            self._offset = 0
        with open(self.metrics, "rb") as f:
            f.seek(self._offset)
            chunk = f.read(size - self._offset)
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            if line.strip():
                self._record(json.loads(line))

    def _record(self, record: dict) -> None:
        if "train_loss" not in record:
            return
        self.step, self.loss, self.tokens_per_s = record["step"], record["train_loss"], record["tokens_per_s"]
        if self._bar is not None:
            self._bar.set_postfix_str(f"loss {self.loss:.3f}, {numbers.count(round(self.tokens_per_s))} tok/s", refresh=False)
            self._bar.update(self.step - self._bar.n)
            return
        tenth = self.step * 10 // max(self.steps, 1)
        now = time.perf_counter()
        if tenth > self._last_tenth and (now - self._last_line >= LINE_INTERVAL or self.step == self.steps):
            self._last_tenth, self._last_line = tenth, now
            self._line()

    def _line(self) -> None:
        if self.loss is not None:
            self.log(f"ablate: {self.name}: step {numbers.count(self.step)}/{numbers.count(self.steps)}, loss {self.loss:.4f}, "
                     f"{numbers.count(round(self.tokens_per_s))} tokens/s")

"""The run's log: run.log in the driver's folder, and the console (one line per event; tracebacks in the file only)."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from webcorpus.pipeline.progress import NOTE, BarSafeHandler

FILE_ONLY = {"file_only": True}  # ``extra=`` of a log record that goes to run.log only (tracebacks)


class RunLogHandler(logging.FileHandler):
    """run.log; a line it cannot write (a full disk) is lost quietly: the console still has the one line,
    and logging's own traceback on stderr would bury it."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(output: Path, quiet: bool) -> list[logging.Handler]:
    logger = logging.getLogger("webcorpus")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    (output / "logs").mkdir(parents=True, exist_ok=True)
    file_handler = RunLogHandler(output / "logs" / "run.log", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = BarSafeHandler(sys.stderr) if sys.stderr.isatty() else logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s" if quiet else "%(message)s"))
    console.addFilter(lambda record: not getattr(record, "file_only", False))
    # With a progress bar on the terminal, only warnings interrupt it; quiet shows errors only.
    console.setLevel(logging.ERROR if quiet else NOTE if sys.stderr.isatty() else logging.INFO)
    logger.addHandler(file_handler)
    logger.addHandler(console)
    return [file_handler, console]


def close_logging(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        logging.getLogger("webcorpus").removeHandler(handler)
        try:
            handler.close()
        except OSError:  # its last lines could not be flushed (a full disk): already said on the console
            pass

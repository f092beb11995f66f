"""Per-document functions that tests name in pipeline YAML as `python: {function: ...}`."""
from __future__ import annotations

import os
import time

from webcorpus import Drop, Stage


def slow(doc):
    """Sleep a little per document, so that a test can kill a run in the middle."""
    time.sleep(float(os.environ.get("WEBCORPUS_TEST_SLOW", "0.02")))
    return doc


def keep_even_offsets(doc):
    return doc if doc["offset"] % 2 == 0 else Drop("odd_offset")


def url_length(doc):
    doc["url_length"] = len(doc["url"] or "")
    return doc


def explode_on_first(doc):
    if doc["offset"] == 0:
        raise ValueError("boom")
    return doc


def pause_once(doc, marker: str, seconds: float = 60.0):
    """The first time any worker gets here, leave its pid in ``marker`` and stall, so a test can kill it."""
    import pathlib

    path = pathlib.Path(marker)
    try:
        with open(path, "x") as handle:
            handle.write(str(os.getpid()))
    except FileExistsError:
        return doc
    time.sleep(seconds)
    return doc


class Explode(Stage):
    """A stage whose every batch raises: its tasks fail."""

    name = "explode"

    def process(self, batch):
        raise ValueError("boom")

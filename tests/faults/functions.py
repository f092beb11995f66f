"""Per-document functions the fault-injection pipelines name as `python: {function: ...}`."""
from __future__ import annotations

import os

from tests.pipeline.helpers import pause_once


def stall_once(doc):
    """Stall the first document seen (pid left in $WEBCORPUS_TEST_PAUSE), so a test can act mid-run."""
    return pause_once(doc, os.environ["WEBCORPUS_TEST_PAUSE"], float(os.environ.get("WEBCORPUS_TEST_PAUSE_SECONDS", "60")))

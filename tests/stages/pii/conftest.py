"""Real texts for the PII tests, read from ../shared/data (never copied into the repository)."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
EXTRACT = DATA / "extract"

#: Real texts that hold real contact data (reviewed by hand): not clean controls.
from benchmarks.pii_corpus import KNOWN_PII, real_texts as _real_texts  # noqa: E402  (one loader for tests and benchmarks)


def real_texts() -> dict[str, str]:
    """Article texts of the extraction data sets, keyed by data set and file."""
    if not EXTRACT.is_dir():
        pytest.skip(f"real data not found at {EXTRACT}")
    return _real_texts()


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    return real_texts()


@pytest.fixture(scope="session")
def clean_texts(texts) -> dict[str, str]:
    return {k: v for k, v in texts.items() if k not in KNOWN_PII}


@pytest.fixture(scope="session")
def scrub():
    """A tag-mode stage, set up once for the session (presidio's setup takes a few seconds)."""
    from webcorpus.stages.pii.scrub import PiiScrub

    stage = PiiScrub(spans_column=True)
    stage._ensure_setup()
    return stage

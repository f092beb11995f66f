"""Shared test fixtures: where the real data lives."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Compiled blocklists and other caches go to a folder of this test session, not the user's ~/.cache.
os.environ.setdefault("WEBCORPUS_CACHE_DIR", tempfile.mkdtemp(prefix="webcorpus-test-cache-"))
SHARED_DATA = Path(os.environ.get("WEBCORPUS_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test data not found at {SHARED_DATA} (set WEBCORPUS_SHARED_DATA)")
    return SHARED_DATA

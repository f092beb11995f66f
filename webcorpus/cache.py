"""Where webcorpus keeps what it can rebuild on this machine (blocklist indexes, the ledger folders of runs
on object storage): one folder, chosen the same way for every user of it."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$WEBCORPUS_CACHE_DIR``, else ``$XDG_CACHE_HOME/webcorpus``, else ``~/.cache/webcorpus``."""
    if os.environ.get("WEBCORPUS_CACHE_DIR"):
        return Path(os.environ["WEBCORPUS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "webcorpus"

"""The ledger: the one place that records finished work, so that a re-run skips it.

Every resumable piece of work — a file task, a global step, a dedup phase task, a tokenizer
encoding job — ends by *committing* a marker: a small JSON record under a ledger's folder,
written last, after every file the work produced is in place. A reader trusts only committed
markers; whatever has no marker is redone from its start (and first clears what a killed attempt
left, by its own rule). Two questions recur and have one answer each here:

* "is this input the same?" — :func:`input_identity` (name, size, modification time);
* "do I hold a finished result for these inputs and options?" — :func:`digest` of them, kept in
  the marker, compared on read (:meth:`Ledger.read` with ``expect``).

What comes next builds on these two calls only: on object storage (fsspec; no rename there) a
commit becomes "write the payload, then put the marker as one object", and :func:`commit_json` is
the single function to change; a lock on the run folder (a lease with an owner and a heartbeat)
is one more marker with an expiry, taken before the first commit. See docs/architecture.md.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MARKER_SUFFIX = ".done"


def input_identity(source: str, portable: bool = False) -> list:
    """What tells one version of an input from another: ``[name, size, mtime_ns]``.

    ``portable`` drops the time (``[name, size]``): the identity of a run's own shards, which
    must not change when the run folder is copied or read by another machine. A remote input
    (``https://``, ``s3://``) is known by its name alone: it is not stat-ed.
    """
    name = os.path.basename(source.rstrip("/"))
    path = source[len("file://"):] if source.startswith("file://") else source
    if "://" in path:
        return [name]
    try:
        stat = os.stat(path)
    except OSError:
        return [name]
    return [name, stat.st_size] if portable else [name, stat.st_size, stat.st_mtime_ns]


def digest(*parts: Any) -> str:
    """A short, stable key of JSON-able parts (options, identities): equal parts, equal key."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_digest(path: str | os.PathLike) -> str:
    """SHA-1 of a file's bytes, read in 1 MiB blocks: the identity of a model or tokenizer file."""
    sha = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def commit_json(path: str | os.PathLike, data: Any, indent: int | None = 1) -> None:
    """Write ``data`` as JSON so that a reader sees the whole file or none of it (temp name, rename).

    The one primitive behind every marker and every run-level JSON file; on object storage it is a
    single put of the whole object.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=indent, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


class Ledger:
    """Markers of finished work under one folder; picklable (a path), so workers commit their own.

    ``name`` may hold slashes (``"step-0/crawl.warc.gz-1a2b"``, ``"near.00003"``); the marker is
    ``ROOT/<name>.done``.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = str(root)

    def marker(self, name: str) -> Path:
        return Path(self.root) / f"{name}{MARKER_SUFFIX}"

    def read(self, name: str, expect: dict | None = None) -> dict | None:
        """The committed record of ``name``; None when absent, unreadable, or when a field named
        in ``expect`` differs (the work was done for other inputs or options)."""
        try:
            record = json.loads(self.marker(name).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if expect and any(record.get(key) != value for key, value in expect.items()):
            return None
        return record

    def commit(self, name: str, record: dict) -> dict:
        """Record ``name`` as finished. Call it last, when every output of the work is in place."""
        commit_json(self.marker(name), record)
        return record

    def forget(self, prefix: str = "") -> None:
        """Drop the markers whose names start with ``prefix`` (all of them by default): that work
        will be redone. Only marker files are removed; outputs belong to whoever wrote them."""
        root = Path(self.root)
        if not root.is_dir():
            return
        for path in root.rglob(f"*{MARKER_SUFFIX}"):
            if path.relative_to(root).as_posix().startswith(prefix):
                path.unlink(missing_ok=True)

    def child(self, name: str) -> "Ledger":
        """The ledger of a part of this work (its markers under ``ROOT/name/``)."""
        return Ledger(Path(self.root) / name)

    def __repr__(self) -> str:
        return f"Ledger({self.root!r})"

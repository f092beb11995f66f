"""A local folder published to an object store in commit order, and parts of the store pulled back.

Object stores have no rename and no directories, and every part of the pipeline writes its files
with "temporary name, then rename" and commits a marker last (docs/architecture.md). So code that
writes a run folder on object storage writes a local folder with the run's layout (by the same code
as a local run) and a :class:`Mirror` publishes it in commit order:

1. delete the remote markers (``*.done``) and ``stats.json`` that changed or vanished locally, so
   that no remote marker ever vouches for a payload that is about to change;
2. put ``run.json`` (the folder's owner) if it changed; delete payloads that vanished locally;
3. put every new or changed payload file (shards, dedup work, tokenizer, token shards, logs);
4. put the new markers; last, ``stats.json`` (the run is complete).

Two kinds of folder use it (``run_folder.py``): the driver's *ledger folder* (run.json, markers,
logs, stats.json: never a document) and a task's *workspace* on whichever machine runs it (the
parts of the run the task reads, pulled by prefix, and what it writes). A mirror deletes only what it
pulled or put itself and saw vanish: what other machines put is never touched.

Each put is one whole object, so a reader sees an object whole or not at all; at any moment the
store holds a state that a killed local run could have left, and the pipeline's own rules (trust
only committed markers, clear what an attempt left) resume from it. Markers are listed before
payloads on every sync: a marker seen locally was committed after its payloads were in place.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from webcorpus.ledger import LEASE_SUFFIX, MARKER_SUFFIX
from webcorpus.storage.store import ObjectStore

FINAL = "stats.json"  # written last: the run is complete
OWNER = "run.json"  # the config the folder was made with


def is_temporary(relative: str) -> bool:
    """Files still being written (``.name.tmp-PID``, ``.tokens.building/``, ``*.tmp``) are never published,
    nor a lease: the store's ``run.lease`` is the store's own lock, the local folder's is this machine's."""
    return (any(part.startswith(".") for part in relative.split("/")) or relative.endswith(".tmp")
            or relative.endswith(LEASE_SUFFIX) or relative.endswith(LEASE_SUFFIX + ".takeover"))


def is_commit(relative: str) -> bool:
    return relative.endswith(MARKER_SUFFIX) or relative == FINAL


class Mirror:
    """``folder`` (local) published to ``store`` in commit order; ``pull`` brings parts of the store in."""

    def __init__(self, store: ObjectStore, folder: str | os.PathLike, interval: float | None = None):
        self.store = store
        self.folder = Path(folder)
        # the least seconds between two syncs asked for with ``soon=True`` (after each task)
        self.interval = float(os.environ.get("WEBCORPUS_PUBLISH_SECONDS", 5)) if interval is None else interval
        self.published: dict[str, tuple[int, int]] = {}  # relative path -> local (size, mtime_ns) it was put from
        self.put_names: set[str] = set()  # the relative paths this mirror put
        self._last_sync = 0.0

    def pull(self, prefixes: list[str], skip=lambda relative: False) -> int:
        """Bring every object under ``prefixes`` (relative names; a name of one object works too) into the
        folder, except temporaries and those ``skip`` names; returns how many."""
        count = 0
        for prefix in dict.fromkeys(p.strip("/") for p in prefixes):
            for relative in sorted(self.store.listing(prefix)):
                if relative != prefix and not relative.startswith(prefix + "/") and prefix:
                    continue  # "steps/step-1" must not bring in "steps/step-10"
                if is_temporary(relative) or skip(relative) or relative in self.published:
                    continue
                target = self.folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                self.store.get_file(relative, target)
                self.adopt(relative)
                count += 1
        return count

    def fetch(self, relatives: list[str]) -> int:
        """Bring the named objects in (no listing: one get each); a name the store lacks is skipped."""
        count = 0
        for relative in dict.fromkeys(relatives):
            if relative in self.published:
                continue
            target = self.folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.store.get_file(relative, target)
            except FileNotFoundError:
                continue
            self.adopt(relative)
            count += 1
        return count

    def adopt(self, relative: str) -> None:
        """Record a local file as already in the store as it is (pulled, or put by the worker that made it)."""
        self.published[relative] = _signature(self.folder / relative)

    def sync(self, soon: bool = False) -> None:
        """Publish what changed locally, in commit order (see the module's docstring).

        ``soon=True`` (after each task) skips the sync when the last one was under ``interval``
        seconds ago: markers reach the store a little later, and a kill then costs only a redo.
        """
        if soon and time.monotonic() - self._last_sync < self.interval:
            return
        commits = self._scan(commit=True)  # markers first: their payloads are in place before them
        payloads = self._scan(commit=False)
        current = {**payloads, **commits}
        stale_commits = [r for r in self.published if is_commit(r) and current.get(r) != self.published[r]]
        if FINAL in stale_commits:  # first, alone: the run is no longer complete
            self._delete([FINAL])
        self._delete(sorted(r for r in stale_commits if r != FINAL))
        if OWNER in payloads and payloads[OWNER] != self.published.get(OWNER):
            self._put(OWNER, payloads[OWNER])
        self._delete(sorted(r for r in self.published if not is_commit(r) and r not in current))
        for relative, signature in sorted(payloads.items()):
            if self.published.get(relative) != signature:
                self._put(relative, signature)
        for relative, signature in sorted(commits.items(), key=lambda item: item[0] == FINAL):
            if self.published.get(relative) != signature:
                self._put(relative, signature)
        self._last_sync = time.monotonic()

    def _scan(self, commit: bool) -> dict[str, tuple[int, int]]:
        found = {}
        for directory, _subdirs, files in os.walk(self.folder):
            for name in files:
                path = Path(directory) / name
                relative = path.relative_to(self.folder).as_posix()
                if is_temporary(relative) or is_commit(relative) != commit:
                    continue
                try:
                    found[relative] = _signature(path)
                except FileNotFoundError:  # removed while we looked: the next sync sees it gone
                    continue
        return found

    def _put(self, relative: str, signature: tuple[int, int]) -> None:
        try:
            self.store.put_file(self.folder / relative, relative)
        except FileNotFoundError:  # replaced or removed locally since the scan: the next sync has it
            return
        self.published[relative] = signature
        self.put_names.add(relative)

    def _delete(self, relatives: list[str]) -> None:
        self.store.delete(relatives)
        for relative in relatives:
            self.published.pop(relative, None)

    def __repr__(self) -> str:
        return f"Mirror({self.store.url!r}, {str(self.folder)!r})"


def _signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns)

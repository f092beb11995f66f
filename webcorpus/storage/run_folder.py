"""The run folder behind one contract, on local disk or on object storage: what the runner talks to.

A run has two kinds of place:

* the **driver's folder** (:attr:`RunFolder.path`): where the driver reads and writes the ledger
  (``run.json``, ``markers/``, ``logs/``, ``stats.json``). On local disk it is the run folder itself;
  on object storage it is a small *ledger folder* on the driver's machine (``staging_folder``),
  published to the store in commit order (:meth:`RunFolder.sync`) and pulled back on a re-run by
  listing the markers. It never holds a document: document shards, global stages' work folders, the
  tokenizer and token shards are written by tasks, wherever they run.
* a **place** (:class:`Place`) for each task: the run folder as the machine running the task sees
  it. On local disk it is the run folder itself, and a task writes in place. On object storage it
  is a scratch folder of that machine with the run's layout, into which the task's reads are pulled
  (by prefix, or by name); the task runs the same code as on local disk, then what it wrote is put
  into the store in commit order (payloads, then markers) and the scratch is removed.

:meth:`RunFolder.node_task` wraps a task function ``fn(place, item, shipped, progress)`` so that any
executor can run it on any node (``nodes.py``). The same code runs on local disk, where the wrapping
costs nothing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable

from webcorpus.cache import cache_dir
from webcorpus.ledger import MARKER_SUFFIX, Ledger
from webcorpus.storage.mirror import Mirror
from webcorpus.storage.nodes import NodeTask, Place, node_id
from webcorpus.storage.store import ObjectStore
from webcorpus.storage.urls import is_remote, local_path

#: what the driver pulls of a run on object storage when it starts (with the steps' own markers): never a document
LEDGER_PARTS = ("run.json", "stats.json", "logs")


def staging_folder(url: str) -> Path:
    """The driver's ledger folder of a run on ``url``, one per URL (a re-run replaces its own):
    ``$WEBCORPUS_STAGING``, else ``staging/`` in the cache folder."""
    base = os.environ.get("WEBCORPUS_STAGING") or cache_dir() / "staging"
    return Path(base) / hashlib.sha1(url.rstrip("/").encode()).hexdigest()[:16]


class RunFolder:
    """Where a run lives (:attr:`url`) and the driver's folder of it (:attr:`path`)."""

    remote = False

    def __init__(self, path: Path, url: str):
        self.path, self.url = path, url

    @staticmethod
    def open(output: str) -> "RunFolder":
        """The run folder of an ``--output``: a local folder, or a URL (checked by the caller first)."""
        if is_remote(output):
            return ObjectRunFolder(output)
        path = Path(local_path(str(output))).absolute()
        return RunFolder(path, str(path))

    def node_task(self, fn: Callable) -> NodeTask:
        return NodeTask(fn, None, str(self.path))

    def place(self, executor) -> Place:
        """The driver's own place: on local disk the run folder, where work the driver runs writes in place."""
        return Place(self.path, node_id(), executor=executor)

    def start(self) -> None:
        """Before the run reads its ledger: on object storage, pull it."""

    def sync(self, soon: bool = False) -> None:
        """Publish what the driver committed (on object storage; nothing to do on local disk)."""

    def adopt(self, path: str | os.PathLike) -> None:
        """A file of the driver's folder that a worker already put into the store as it is now."""

    def delete(self, name: str) -> int:
        """Remove a folder or file of the run (``steps``, ``stats.json``): how many bytes it held."""
        target = self.path / name
        if target.is_file():
            size = target.stat().st_size
            target.unlink()
            return size
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) if target.is_dir() else 0
        shutil.rmtree(target, ignore_errors=True)
        return size

    def add_task_counts(self, storage: dict) -> None:
        """What a task cost the store (nothing on local disk)."""

    def listing(self, folder: str) -> list[str]:
        """The names of the files under ``folder`` (relative to the run folder)."""
        target = self.path / folder
        if not target.is_dir():
            return []
        return sorted(p.relative_to(self.path).as_posix() for p in target.rglob("*") if p.is_file())

    def remove(self, relatives: list[str]) -> None:
        for relative in relatives:
            (self.path / relative).unlink(missing_ok=True)

    def counts(self) -> dict:
        return {}

    def marker_names(self) -> list[str]:
        """Every committed marker's name (relative to ``markers/``, ``.done`` included)."""
        root = self.path / "markers"
        return sorted(p.relative_to(root).as_posix() for p in root.rglob(f"*{MARKER_SUFFIX}")) if root.is_dir() else []

    def forget_markers(self, prefix: str) -> None:
        """Forget the markers whose names (relative to ``markers/``) start with ``prefix``: that work is redone."""
        Ledger(self.path / "markers").forget(prefix)

    def open_step(self, number: int) -> None:
        """Before a per-batch step: its task markers where the driver reads them (on object storage, pulled)."""

    def close_step(self, number: int) -> None:
        """After a per-batch step: the driver's disk no longer holds its task markers (on object storage)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class ObjectRunFolder(RunFolder):
    """A run on object storage: the driver keeps the ledger in a small local folder, tasks keep the data."""

    remote = True

    def __init__(self, url: str, staging: str | os.PathLike | None = None):
        url = url.rstrip("/")
        super().__init__(Path(staging) if staging else staging_folder(url), url)
        self.store = ObjectStore(url)
        self.mirror = Mirror(self.store, self.path)
        self.tasks: dict = {}  # storage counts the tasks reported, added up
        self._markers: dict[str, int] = {}  # the store's markers when the run started, and those of closed steps

    def node_task(self, fn: Callable) -> NodeTask:
        return NodeTask(fn, self.url, None)

    def place(self, executor) -> Place:
        """The driver's place on object storage: its ledger folder, where a global step whose phases are node
        tasks keeps the step's ledger (never a document: ``executor`` spreads the phases over the nodes)."""
        return Place(self.path, node_id(), self.store, self.mirror, executor)

    def start(self) -> None:
        """A fresh ledger folder with the ledger the store holds: run.json, stats.json, the log and the steps'
        own markers (``markers/step-N.done``); a per-batch step's task markers come when the step starts
        (:meth:`open_step`), and never a document."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self.mirror.published.clear()
        self.mirror.pull(list(LEDGER_PARTS))
        self._markers = self.store.listing("markers")
        self.mirror.fetch([name for name in self._markers if name.count("/") == 1])

    def marker_names(self) -> list[str]:
        return sorted({name[len("markers/"):] for name in self._markers} | set(super().marker_names()))

    def forget_markers(self, prefix: str) -> None:
        gone = [name for name in self._markers if name[len("markers/"):].startswith(prefix) and name.endswith(MARKER_SUFFIX)]
        self.store.delete(gone)
        for name in gone:
            self.mirror.published.pop(name, None)
        self._markers = {k: v for k, v in self._markers.items() if k not in gone}
        super().forget_markers(prefix)

    def open_step(self, number: int) -> None:
        prefix = f"markers/step-{number}/"
        self.mirror.fetch([name for name in self._markers if name.startswith(prefix) and name.count("/") == 2])

    def close_step(self, number: int) -> None:
        """The step's task markers leave the driver's disk (the store keeps them): what it holds stays one
        step's ledger, whatever the number of steps."""
        self.sync()
        folder = self.path / "markers" / f"step-{number}"
        for path in folder.glob(f"*{MARKER_SUFFIX}") if folder.is_dir() else []:
            relative = path.relative_to(self.path).as_posix()
            self._markers[relative] = path.stat().st_size
            self.mirror.published.pop(relative, None)
            path.unlink()

    def sync(self, soon: bool = False) -> None:
        self.mirror.sync(soon)

    def adopt(self, path: str | os.PathLike) -> None:
        self.mirror.adopt(Path(path).relative_to(self.path).as_posix())

    def delete(self, name: str) -> int:
        found = self.store.listing(name)
        self.store.delete(sorted(found))
        for relative in found:
            self.mirror.published.pop(relative, None)
        super().delete(name)  # markers of a folder the driver holds too
        return sum(found.values())

    def listing(self, folder: str) -> list[str]:
        return sorted(self.store.listing(folder))

    def remove(self, relatives: list[str]) -> None:
        self.store.delete(relatives)

    def add_task_counts(self, storage: dict) -> None:
        for group, values in storage.items():
            for kind, value in values.items():
                key = (group, kind)
                self.tasks[key] = self.tasks.get(key, 0) + value

    def counts(self) -> dict:
        """The run's object-store traffic: the driver's (the ledger) and the tasks' added up."""
        total = {"requests": {}, "bytes": {}}
        for source in (self.store.counts(), {g: {k: v for (gg, k), v in self.tasks.items() if gg == g} for g in ("requests", "bytes")}):
            for group, values in source.items():
                for kind, value in values.items():
                    total[group][kind] = total[group].get(kind, 0) + value
        return {"driver": self.store.counts(), "total": total}

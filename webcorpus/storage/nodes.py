"""Node tasks: work that runs on whichever machine an executor picks, in a place of that machine.

:class:`NodeTask` wraps ``fn(place, item, shipped, progress)`` so that any executor can run it on any node;
the :class:`Place` it gets is the run folder as that machine sees it: on local disk the run folder itself;
on object storage a scratch folder with the run's layout, into which what the task reads is pulled (by
prefix or name, :class:`NodeItem`, or as it goes: :func:`local`, :func:`local_folder`), and from which
what it wrote is put into the store in commit order when it ends (then the scratch is removed). The
wrapped call returns a :class:`NodeResult`: the value, the node it ran on, what it cost the store, and
the markers it committed.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from webcorpus.storage.mirror import Mirror, is_commit
from webcorpus.storage.store import ObjectStore


#: the node of the node task a process was started by (its process pool's workers inherit it)
NODE_VARIABLE = "WEBCORPUS_NODE_ID"


def node_id() -> str:
    """The node this process runs on: a Ray worker's node, else the node its driver or node task said
    (``WEBCORPUS_NODE_ID``, inherited by the processes they start), else ``host:<name>``."""
    return _ray_worker_node() or os.environ.get(NODE_VARIABLE) or f"host:{socket.gethostname()}"


def _ray_worker_node() -> str | None:
    import sys

    ray = sys.modules.get("ray")
    if ray is None:
        return None
    try:
        if ray.is_initialized():
            context = ray.get_runtime_context()
            if context.worker.mode == ray.WORKER_MODE:
                return context.get_node_id()
    except Exception:  # noqa: BLE001 - an old Ray, or a process Ray half set up: not a worker then
        return None
    return None


def driver_node(executor) -> str:
    """The node the driver runs on, named as its executor's tasks will name theirs: the Ray node it joined,
    else ``host:<name>``."""
    import sys

    ray = sys.modules.get("ray")
    if executor is not None and executor.name == "ray" and ray is not None and ray.is_initialized():
        return ray.get_runtime_context().get_node_id()
    return f"host:{socket.gethostname()}"


@dataclass
class Place:
    """The run folder as one task on one machine sees it."""

    path: Path  # the run folder's layout, on this machine
    node: str
    store: ObjectStore | None = None  # None on local disk
    mirror: Mirror | None = None
    executor: Any = None  # where the task's own parallel work runs (a global step's phases)

    def publish(self) -> None:
        """Put what the task committed so far into the store (payloads, then markers); nothing on local disk."""
        if self.mirror is not None:
            self.mirror.sync()

    def url(self, relative: str) -> str:
        """Where a file of the run is read from without pulling it: its URL, or its local path."""
        return self.store.url_of(relative) if self.store else str(self.path / relative)

    def clear(self, folder: str, prefix: str) -> None:
        """Delete the objects ``folder/prefix.*`` a killed attempt left in the store (local disk: the task's
        own rule deletes them in place)."""
        if self.store is None:
            return
        names = [name for name in self.store.listing(folder) if name[len(folder) + 1:].startswith(prefix + ".")]
        self.store.delete(names)

    def counts(self) -> dict:
        return self.store.counts() if self.store else {}

    def rows(self, paths: list[str]) -> int:
        """Rows of Parquet shards of the run, from their footers: read here, or from the store where a
        shard is not on this machine (a footer read, never the shard)."""
        import pyarrow.parquet as pq

        total = 0
        for path in paths:
            if self.store is None or os.path.exists(path):
                total += pq.ParquetFile(path).metadata.num_rows
                continue
            self.store.requests["get"] += 1
            with self.store.fs.open(self.store.key(Path(path).relative_to(self.path).as_posix()), "rb") as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        return total

    def sizes(self, paths: list[str]) -> dict[str, int]:
        """``{path: bytes}`` of files of the run, here or in the store (one listing per folder)."""
        found, listed = {}, {}
        for path in paths:
            if self.store is None or os.path.exists(path):
                found[path] = os.path.getsize(path)
                continue
            relative = Path(path).relative_to(self.path).as_posix()
            folder = relative.rsplit("/", 1)[0]
            if folder not in listed:
                listed[folder] = self.store.listing(folder)
            found[path] = listed[folder][relative]
        return found

    def clear_folder(self, relative: str) -> None:
        """Remove a folder of the run here and, on object storage, in the store (a step starting afresh)."""
        shutil.rmtree(self.path / relative, ignore_errors=True)
        if self.store is not None:
            gone = list(self.store.listing(relative))
            self.store.delete(gone)
            for name in gone:
                self.mirror.published.pop(name, None)


#: the place of the node task running in this process on object storage (None elsewhere): see :func:`local`
_HERE: Place | None = None


def local(path: str | os.PathLike) -> Path:
    """A file of the run folder, on this machine: inside a node task on object storage, one that is not here
    yet is got from the store first (if the store has it). On local disk: the path as it is."""
    path = Path(path)
    relative = _in_this_task(path)
    if relative is not None and not path.exists():
        _HERE.mirror.fetch([relative])
    return path


def local_folder(folder: str | os.PathLike) -> Path:
    """A folder of the run folder with every file the store holds under it, on this machine (see :func:`local`)."""
    folder = Path(folder)
    relative = _in_this_task(folder)
    if relative is not None:
        _HERE.mirror.pull([relative])
    return folder


def _in_this_task(path: Path) -> str | None:
    """``path`` relative to the run folder of the node task running here on object storage, else None."""
    if _HERE is None:
        return None
    try:
        return path.relative_to(_HERE.path).as_posix()
    except ValueError:
        return None


@dataclass
class NodeItem:
    """One item for a node task: the item itself, and what of the run folder it reads."""

    item: Any
    pull: list[str] = field(default_factory=list)  # prefixes (folders) to bring into the place
    fetch: list[str] = field(default_factory=list)  # single objects to bring in (no listing)
    cpus: int = 1  # the task's own parallel work (a global step's phases): processes on its node


@dataclass
class NodeResult:
    """What a node task returns: its value, where it ran, what it cost the store."""

    value: Any
    node: str
    storage: dict
    markers: dict = field(default_factory=dict)  # {relative name: bytes} of the markers the task committed


class NodeTask:
    """``fn(place, item, shipped, progress)`` made runnable on any node: ``self(node_item, shipped, progress)``."""

    def __init__(self, fn: Callable, url: str | None, root: str | None):
        self.fn, self.url, self.root = fn, url, root
        self.__name__ = getattr(fn, "__name__", "node_task")

    def __call__(self, node_item: NodeItem, shipped: Any = None, progress: Callable | None = None) -> NodeResult:
        global _HERE
        if self.url is None:  # local disk: the place is the run folder itself
            place = Place(Path(self.root), node_id())
            return NodeResult(self.fn(place, node_item.item, shipped, progress), place.node, {})
        from webcorpus.executors.local import LocalExecutor

        scratch = Path(tempfile.mkdtemp(prefix="webcorpus-task-"))
        before = os.environ.get(NODE_VARIABLE)
        try:
            store = ObjectStore(self.url)
            mirror = Mirror(store, scratch, interval=0)
            mirror.pull(node_item.pull)
            mirror.fetch(node_item.fetch)
            place = Place(scratch, node_id(), store, mirror, LocalExecutor(node_item.cpus))
            os.environ[NODE_VARIABLE] = place.node  # the processes of its pool say the node they run on
            _HERE = place
            value = self.fn(place, node_item.item, shipped, progress)
            mirror.sync()
            markers = {name: (scratch / name).read_bytes() for name in sorted(mirror.put_names) if is_commit(name)}
            return NodeResult(value, place.node, store.counts(), markers)
        finally:
            _HERE = None
            shutil.rmtree(scratch, ignore_errors=True)
            if before is None:
                os.environ.pop(NODE_VARIABLE, None)
            else:
                os.environ[NODE_VARIABLE] = before

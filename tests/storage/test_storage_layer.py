"""The storage layer on a real S3 API (moto's server): commit order, what the driver pulls, node tasks."""
from __future__ import annotations

import json
import os
from pathlib import Path

from webcorpus.ledger import Ledger
from webcorpus.storage.mirror import Mirror
from webcorpus.storage.nodes import NodeItem, NodeResult, Place
from webcorpus.storage.run_folder import ObjectRunFolder, RunFolder
from webcorpus.storage.store import ObjectStore


class LoggedStore(ObjectStore):
    """A real store that also remembers the order of its puts and deletes."""

    def __init__(self, url):
        super().__init__(url)
        self.log = []

    def put_file(self, path, relative):
        self.log.append(("put", relative))
        super().put_file(path, relative)

    def delete(self, relatives):
        self.log += [("delete", r) for r in relatives]
        super().delete(relatives)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_mirror_puts_payloads_before_markers_and_withdraws_a_marker_before_its_payload_changes(tmp_path, bucket):
    store = LoggedStore(f"{bucket}/mirror")
    folder = tmp_path / "run"
    _write(folder / "steps/a.parquet", "payload 1")
    Ledger(folder / "markers").commit("a", {"shards": ["a.parquet"]})
    _write(folder / "stats.json", "{}")
    _write(folder / ".steps.tmp-1", "half written")
    mirror = Mirror(store, folder)
    mirror.sync()
    names = [name for _, name in store.log]
    assert names.index("steps/a.parquet") < names.index("markers/a.done") < names.index("stats.json")
    assert ".steps.tmp-1" not in names  # a temporary is never published
    assert set(store.listing()) == {"steps/a.parquet", "markers/a.done", "stats.json"}

    store.log.clear()
    _write(folder / "steps/a.parquet", "payload 2, longer")
    Ledger(folder / "markers").commit("a", {"shards": ["a.parquet"], "again": True})
    mirror.sync()
    assert store.log[0] == ("delete", "markers/a.done")  # no marker vouches for a payload being replaced
    assert store.log.index(("put", "steps/a.parquet")) < store.log.index(("put", "markers/a.done"))
    assert store.cat("steps/a.parquet") == b"payload 2, longer"
    assert store.requests["put"] >= 5 and store.bytes["up"] > 0


def test_a_driver_starts_with_the_ledger_and_no_document(tmp_path, bucket):
    url = f"{bucket}/ledger"
    store = ObjectStore(url)
    for name, data in {"run.json": b"{}", "stats.json": b"{}", "logs/run.log": b"line\n",
                       "markers/step-1.done": b"{}", "markers/step-0/task-a.done": b"{}",
                       "steps/step-0/documents/task-a.00000.parquet": b"x" * 1000, "documents/d.parquet": b"y" * 1000,
                       "tokens/llmc/train_000000.bin": b"z" * 1000}.items():
        store.pipe(name, data)
    folder = ObjectRunFolder(url, staging=tmp_path / "driver")
    folder.start()
    held = {p.relative_to(folder.path).as_posix() for p in folder.path.rglob("*") if p.is_file()}
    assert held == {"run.json", "stats.json", "logs/run.log", "markers/step-1.done"}
    folder.open_step(0)  # a per-batch step's task markers come when the step starts …
    assert (folder.path / "markers/step-0/task-a.done").is_file()
    folder.close_step(0)  # … and leave the driver's disk when it ends, staying in the store
    assert not (folder.path / "markers/step-0/task-a.done").exists()
    assert "markers/step-0/task-a.done" in store.listing("markers")
    assert "step-0/task-a.done" in folder.marker_names()
    folder.forget_markers("step-0/")  # a redo forgets them in the store
    assert "markers/step-0/task-a.done" not in ObjectStore(url).listing("markers")


def _write_in_place(place: Place, item, shipped=None, progress=None) -> str:
    _write(place.path / "steps/step-9/part.npy", item)
    Ledger(place.path / "markers").commit("work", {"item": item})
    return str(place.path)


def test_a_node_task_writes_in_place_on_local_disk_and_through_its_scratch_on_object_storage(tmp_path, bucket):
    local = RunFolder.open(str(tmp_path / "local"))
    result = local.node_task(_write_in_place)(NodeItem("on disk"))
    assert isinstance(result, NodeResult) and result.value == str(tmp_path / "local") and result.storage == {}
    assert (tmp_path / "local/markers/work.done").is_file()

    remote = ObjectRunFolder(f"{bucket}/node", staging=tmp_path / "driver")
    result = remote.node_task(_write_in_place)(NodeItem("on s3"))
    scratch = Path(result.value)
    assert not scratch.exists()  # the task's scratch is removed when it ends
    assert scratch.name.startswith("webcorpus-task-")
    store = ObjectStore(f"{bucket}/node")
    assert store.cat("steps/step-9/part.npy") == b"on s3"
    assert json.loads(store.cat("markers/work.done")) == {"item": "on s3"}
    assert result.storage["requests"]["put"] == 2 and result.node
    assert not (tmp_path / "driver").exists() or not any((tmp_path / "driver").rglob("*.npy"))
    assert os.environ.get("WEBCORPUS_NODE_ID") is None  # the node's name does not outlive the task

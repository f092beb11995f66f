"""A file task whose run folder is on object storage: what a worker on any machine runs.

The worker gets nothing but URLs (its input, the step's documents, markers and excluded folders in
the bucket). It runs the ordinary :func:`~webcorpus.pipeline.tasks.run_file_task` into a scratch
folder of its own machine, then puts the task's shards into the bucket and its marker last, and
deletes the scratch. So the commit protocol of docs/architecture.md holds on the bucket: a marker
is put only after every shard it lists, a worker killed before that leaves shards without a marker
(which the driver clears before the task runs again), and losing a worker's disk loses nothing.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

from webcorpus.document_shards import list_shards
from webcorpus.pipeline.remote_output import is_remote
from webcorpus.pipeline.tasks import FileTask, TaskResult, run_file_task


def run_remote_file_task(task: FileTask, stages: list, progress: Callable[[int], None] | None = None) -> TaskResult:
    """Run ``task`` (its folders URLs) in local scratch and commit it to the bucket: shards, then the marker.

    The shape an executor runs (``fn(item, shipped, progress)``), like ``run_file_task``.
    """
    import fsspec

    folders = [task.output_dir, task.marker_dir] + ([task.excluded_dir] if task.excluded_dir else [])
    local = [folder for folder in folders if not is_remote(folder)]
    if local:  # a worker must not depend on a folder of the driver's machine
        raise ValueError(f"a remote file task writes to object storage only, got local folder(s) {local}")
    with tempfile.TemporaryDirectory(prefix="webcorpus-task-") as scratch:
        work = replace(task, output_dir=os.path.join(scratch, "documents"), marker_dir=os.path.join(scratch, "markers"),
                       excluded_dir=os.path.join(scratch, "excluded") if task.excluded_dir else None)
        result = run_file_task(work, stages, progress)
        fs, documents = fsspec.core.url_to_fs(task.output_dir)
        for name in result.shards:
            fs.put_file(os.path.join(work.output_dir, name), f"{documents.rstrip('/')}/{name}")
        if work.excluded_dir:
            excluded = _path(task.excluded_dir)
            for path in list_shards(work.excluded_dir):
                fs.put_file(path, f"{excluded}/{Path(path).name}")
        marker = work.ledger.marker(task.task_id)
        fs.put_file(str(marker), f"{_path(task.marker_dir)}/{marker.name}")  # last: the task is committed
    return result


def _path(url: str) -> str:
    """The bucket path of a URL, as the URL's file system names it (``s3://b/x/`` -> ``b/x``)."""
    import fsspec

    return fsspec.core.url_to_fs(url)[1].rstrip("/")

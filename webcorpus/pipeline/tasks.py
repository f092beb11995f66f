"""One task: read one input file, run the per-batch stages, write its shards, leave a marker.

The protocol that makes runs resumable and exactly-once:

1. shards of a task carry the task's id in their names and are written under a
   temporary name, then renamed;
2. when every shard is in place, the task writes its marker (a JSON file with
   its stats) atomically;
3. a task with a marker is skipped on a re-run; a task without one first
   deletes whatever shards a killed attempt left, then runs again from the
   start. Outputs are a pure function of the input file and the config, so the
   second attempt writes exactly what the first would have.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyarrow as pa

from webcorpus.output.shards import ShardWriter, remove_shards

STAGE_COLUMN = "drop_stage"


@dataclass(frozen=True)
class FileTask:
    """Read ``source`` and write documents to ``output_dir``; the marker goes to ``marker_dir``."""

    source: str
    output_dir: str
    marker_dir: str
    excluded_dir: str | None = None
    batch_size: int = 1000
    name: str | None = None  # set for shards inside the run folder, whose full path differs between runs

    @property
    def task_id(self) -> str:
        return self.name or task_id(self.source)

    @property
    def marker(self) -> Path:
        return Path(self.marker_dir) / f"{self.task_id}.done"


def task_id(source: str) -> str:
    """A readable, unique, stable name for the task of one input: its file name plus a hash of the full path."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", source.rstrip("/").rsplit("/", 1)[-1])[:80] or "input"
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{base}-{digest}"


def source_stamp(source: str) -> list | None:
    """Size and modification time of a local input (None for remote ones): a marker holds for this stamp only."""
    if "://" in source and not source.startswith("file://"):
        return None
    try:
        stat = os.stat(source[len("file://"):] if source.startswith("file://") else source)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def read_marker(task: FileTask) -> dict | None:
    """The finished task's stats, or None if it has not finished, or its input changed since."""
    try:
        marker = json.loads(task.marker.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if marker.get("source_stamp") != source_stamp(task.source):
        return None  # the file was rewritten (or an earlier step made it anew): run the task again
    return marker


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def run_file_task(task: FileTask, stages: list, progress: Callable[[int], None] | None = None) -> dict:
    """Run one task to completion and return its stats (also written as its marker)."""
    from webcorpus.readers import read_documents
    from webcorpus.readers.report import ReadReport

    start = time.perf_counter()
    stamp = source_stamp(task.source)
    remove_shards(task.output_dir, task.task_id)
    if task.excluded_dir:
        remove_shards(task.excluded_dir, task.task_id)
    for stage in stages:
        stage.pop_stats()  # stats are per task
    writer = ShardWriter(task.output_dir, task.task_id)
    excluded = ShardWriter(task.excluded_dir, task.task_id) if task.excluded_dir else None
    report = ReadReport(task.source)
    records = 0
    try:
        for batch in read_documents(task.source, report, batch_size=task.batch_size):
            records += batch.num_rows
            for index, stage in enumerate(stages):
                if batch.num_rows == 0:
                    break
                output = stage.apply(batch)
                batch = output.kept
                if excluded is not None and output.dropped is not None and output.dropped.num_rows:
                    label = f"{index + 1}:{stage.name or type(stage).__name__}"
                    dropped = output.dropped.append_column(STAGE_COLUMN, pa.array([label] * output.dropped.num_rows))
                    excluded.write(dropped)
            writer.write(batch)
            if progress is not None:
                progress(records)
        shards = writer.close()
        if excluded is not None:
            excluded.close()
    except BaseException:
        writer.abort()
        if excluded is not None:
            excluded.abort()
        raise
    stats = {
        "task": task.task_id,
        "source": task.source,
        "source_stamp": stamp,
        "documents_read": records,
        "documents_written": writer.rows_written,
        "shards": [os.path.basename(p) for p in shards],
        "reader": report.to_dict(),
        "stages": [{"name": s.name or type(s).__name__, **s.pop_stats().to_dict()} for s in stages],
        "seconds": round(time.perf_counter() - start, 3),
    }
    write_json_atomic(task.marker, stats)
    return stats


def safe_run_file_task(task: FileTask, stages: list, progress: Callable[[int], None] | None = None) -> dict:
    """Like :func:`run_file_task`, but an unexpected failure becomes a failed-task record, not a crash."""
    try:
        return run_file_task(task, stages, progress)
    except Exception as exc:
        return {
            "task": task.task_id,
            "source": task.source,
            "failed": True,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }


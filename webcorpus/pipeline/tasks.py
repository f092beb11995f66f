"""One task: read one input file, run the per-batch stages, write its shards, commit a marker.

The protocol that makes runs resumable and exactly-once:

1. shards of a task carry the task's id in their names and are written under a
   temporary name, then renamed;
2. when every shard is in place, the task commits its marker (its
   :class:`TaskResult`) to the step's :class:`~webcorpus.ledger.Ledger`;
3. a task with a marker for the same input identity is skipped on a re-run; a
   task without one first deletes whatever shards a killed attempt left, then
   runs again from the start. Outputs are a pure function of the input file and
   the config, so the second attempt writes exactly what the first would have.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import pyarrow as pa

from webcorpus.ledger import Ledger, input_identity
from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.readers.report import ReadReport
from webcorpus.stages.base import StageStats

STAGE_COLUMN = "drop_stage"
MAX_LISTED_ERRORS = 10_000  # beyond this, reader errors are counted but not listed one by one


@dataclass(frozen=True)
class FileTask:
    """Read ``source`` and write documents to ``output_dir``; the marker goes to the ledger at ``marker_dir``."""

    source: str
    output_dir: str
    marker_dir: str
    excluded_dir: str | None = None
    batch_size: int = 1000
    name: str | None = None  # set for shards inside the run folder, whose full path differs between runs
    max_record_bytes: int = 64 << 20  # a record or decoded page over this is skipped and reported
    size: int | None = None  # bytes of a crawl file: progress is then reported in bytes read, else in documents
    byte_range: tuple[int, int] | None = None  # a part of a large crawl file: [start, end) of its bytes
    # The input's identity as the driver sees it, when a worker reads the input by another name (a shard of
    # the run read by URL from object storage); None: input_identity(source).
    identity: list | None = None

    @property
    def source_identity(self) -> list:
        """What the task's marker records of its input, and what a re-run compares it with."""
        return self.identity if self.identity is not None else input_identity(self.source)

    @property
    def task_id(self) -> str:
        base = self.name or task_id(self.source)
        return base if self.byte_range is None else range_task_id(base, *self.byte_range)

    @property
    def bytes(self) -> int | None:
        """Bytes this task reads, for progress: its range's, else the file's size (None: count documents)."""
        return self.byte_range[1] - self.byte_range[0] if self.byte_range is not None else self.size

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.marker_dir)


def _position(batch: pa.Table, size: int, start: int = 0) -> int:
    """How far into its file (or its range, from ``start``) a batch of a crawl file reaches: the byte
    offset of its last record."""
    import pyarrow.compute as pc

    if "offset" not in batch.column_names or batch.num_rows == 0:
        return 0
    last = pc.max(batch.column("offset")).as_py() or 0
    return max(0, min(int(last) - start, size))


def task_id(source: str) -> str:
    """A readable, unique, stable name for the task of one input: its file name plus a hash of the full path."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", source.rstrip("/").rsplit("/", 1)[-1])[:80] or "input"
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{base}-{digest}"


#: what separates a file's task id from a byte range in a range task's id
RANGE_SEP = ".bytes-"


def range_task_id(base: str, start: int, end: int) -> str:
    """The task id of bytes ``[start, end)`` of a file: zero-padded, so names sort in file order."""
    return f"{base}{RANGE_SEP}{start:013d}-{end:013d}"


def file_id_of(task: str) -> str:
    """The task id of the whole file a task id reads a part of (itself for a whole-file task)."""
    return task.split(RANGE_SEP, 1)[0]


@dataclass
class TaskResult:
    """What one file task did (also its marker), or why it failed; :meth:`merge` adds tasks up."""

    task: str
    source: str
    identity: list = field(default_factory=list)
    documents_read: int = 0
    documents_written: int = 0
    shards: list = field(default_factory=list)
    reader: ReadReport | None = None
    stage_names: list = field(default_factory=list)
    stages: list = field(default_factory=list)  # StageStats of each stage of the step, in order
    seconds: float = 0.0
    error: str | None = None  # set when the task failed
    traceback: str = ""
    byte_range: list | None = None  # [start, end) of a part of a large file
    seam: list | None = None  # that part's [first record member read, where reading stopped] (readers.ranges.Seam)
    shard_bytes: list | None = None  # the size of each shard, in the order of ``shards``

    @property
    def failed(self) -> bool:
        return self.error is not None

    @classmethod
    def failure(cls, task: FileTask, error: str, traceback: str = "") -> "TaskResult":
        """The record of a task that did not finish (it raised, its worker died, or the run stopped)."""
        return cls(task.task_id, task.source, error=error, traceback=traceback,
                   byte_range=list(task.byte_range) if task.byte_range else None)

    def merge(self, other: "TaskResult") -> None:
        """Add ``other``'s counts to these (the reader's errors listed up to ``MAX_LISTED_ERRORS``)."""
        self.documents_read += other.documents_read
        self.documents_written += other.documents_written
        self.shards += other.shards
        self.seconds += other.seconds
        if other.reader is not None:
            self.reader = self.reader or ReadReport(self.source)
            self.reader.merge(other.reader, MAX_LISTED_ERRORS)
        if not self.stages:
            self.stage_names, self.stages = list(other.stage_names), [StageStats() for _ in other.stages]
        for mine, theirs in zip(self.stages, other.stages):
            mine.merge(theirs)

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k not in ("stage_names", "traceback", "error")}
        data["reader"] = self.reader.to_dict() if self.reader is not None else None
        data["stages"] = [{"name": n, **s.to_dict()} for n, s in zip(self.stage_names, self.stages)]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TaskResult":
        stages = data.get("stages", [])
        reader = data.get("reader")
        return cls(
            **{k: v for k, v in data.items() if k not in ("reader", "stages")},
            reader=ReadReport.from_dict(data["source"], reader) if reader is not None else None,
            stage_names=[s.get("name", "") for s in stages],
            stages=[StageStats.from_dict(s) for s in stages],
        )


@dataclass
class StepResult:
    """What one step did: a per-batch step's task results, or a global step's stats; the shards it left."""

    step: int
    kind: str  # "batch" or "global"
    names: list  # the step's stage names (YAML names)
    shards: list = field(default_factory=list)
    tasks: list = field(default_factory=list)  # TaskResult of each finished task (batch steps)
    failed: list = field(default_factory=list)  # TaskResult of each failed task
    resumed: int = 0  # tasks (or the whole global step) found finished by an earlier run
    stats: dict = field(default_factory=dict)  # a global step's StageStats, as a dict
    sizes: dict = field(default_factory=dict)  # bytes of each shard it left (the identity of a run's shard)
    nodes: dict = field(default_factory=dict)  # {"tasks" or a phase: {node: tasks it ran}}


def read_marker(task: FileTask) -> TaskResult | None:
    """The finished task's result, or None if it has not finished, or its input changed since."""
    record = task.ledger.read(task.task_id, expect={"identity": task.source_identity})
    return TaskResult.from_dict(record) if record is not None else None


def run_file_task(task: FileTask, stages: list, progress: Callable[[int], None] | None = None) -> TaskResult:
    """Run one task to completion and return its result (also committed as its marker).

    The shape an executor runs: ``fn(item, shipped, progress)``, the stages being what is shipped.
    """
    from webcorpus.readers import read_documents

    start = time.perf_counter()
    identity = task.source_identity
    remove_shards(task.output_dir, task.task_id)
    if task.excluded_dir:
        remove_shards(task.excluded_dir, task.task_id)
    for stage in stages:
        stage.pop_stats()  # stats are per task
    # row groups of batch_size rows, whatever the batches: the byte ranges of a file, joined, give these files
    writer = ShardWriter(task.output_dir, task.task_id, group_rows=task.batch_size)
    excluded = ShardWriter(task.excluded_dir, task.task_id, group_rows=task.batch_size) if task.excluded_dir else None
    report = ReadReport(task.source)
    records = 0
    origin = task.byte_range[0] if task.byte_range else 0  # where the progress of a range starts
    try:
        for batch in read_documents(task.source, report, batch_size=task.batch_size,
                                    max_record_bytes=task.max_record_bytes, byte_range=task.byte_range):
            records += batch.num_rows
            read_batch = batch
            for index, stage in enumerate(stages):
                if batch.num_rows == 0:
                    break
                output = stage.apply(batch)
                batch = output.kept
                if excluded is not None and output.dropped is not None and output.dropped.num_rows:
                    name = stage.name or type(stage).__name__
                    label = f"{index + 1}:{name}" + (f":{stage.label}" if getattr(stage, "label", None) else "")
                    dropped = output.dropped.append_column(STAGE_COLUMN, pa.array([label] * output.dropped.num_rows))
                    excluded.write(dropped)
            writer.write(batch)
            if progress is not None:
                progress(_position(read_batch, task.bytes, origin) if task.bytes else records)
        shards = writer.close()
        if progress is not None and task.bytes:
            progress(task.bytes)  # the whole file (or range), whatever followed its last record
        if excluded is not None:
            excluded.close()
    except BaseException:
        writer.abort()
        if excluded is not None:
            excluded.abort()
        raise
    result = TaskResult(
        task=task.task_id,
        source=task.source,
        identity=identity,
        documents_read=records,
        documents_written=writer.rows_written,
        shards=[os.path.basename(p) for p in shards],
        shard_bytes=[os.path.getsize(p) for p in shards],
        reader=report,
        stage_names=[s.name or type(s).__name__ for s in stages],
        stages=[s.pop_stats() for s in stages],
        seconds=round(time.perf_counter() - start, 3),
        byte_range=list(task.byte_range) if task.byte_range else None,
        seam=[report.seam.first, report.seam.stop] if report.seam is not None else None,
    )
    task.ledger.commit(task.task_id, result.to_dict())
    return result

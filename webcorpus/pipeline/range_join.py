"""Join a split file's byte-range results into the one result an unsplit run gives.

When every range task of a file has finished and the ranges meet (:mod:`webcorpus.pipeline.splits`),
the file's range shards are read in range order and written again through the same
:class:`~webcorpus.document_shards.ShardWriter` a whole-file task uses (row groups of ``batch_size``
rows, cut by the rows alone), under the whole file's task id: the shards are those of an unsplit
run, names and bytes, and so is everything later steps make of them. The range results are added
up into the whole file's :class:`~webcorpus.pipeline.tasks.TaskResult` (no byte range, no seam).

Order of the steps, and what a kill at each point leaves for the re-run:

1. the joined shards are written (``<file task id>.NNNNN.parquet``, each by temporary name and
   rename) — killed here: no whole-file marker, so the re-run plans the ranges again, deletes
   these shards as another cut's (``splits.clear_other_parts``), finds the range markers and joins;
2. the whole-file marker is committed — from here on the re-run plans the file as one finished
   task and deletes whatever is left of its ranges (shards, then markers) the same way;
3. the range shards are deleted (documents, then ``excluded/``), then the range markers.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.pipeline.splits import ranges_by_file
from webcorpus.pipeline.tasks import RANGE_SEP, FileTask, TaskResult
from webcorpus.readers.report import ReadReport
from webcorpus.stages.base import StageStats


def joinable(tasks: list[FileTask], results: dict[str, TaskResult]) -> list[list[FileTask]]:
    """The range tasks of each split file whose ranges all finished (in file order), file by file.
    Call after ``splits.whole_file_redos``, which takes out the files whose ranges do not meet."""
    return [parts for parts in ranges_by_file(tasks).values()
            if all(t.task_id in results and not results[t.task_id].failed for t in parts)]


def join_ranges(job: tuple[list[FileTask], list[TaskResult]]) -> TaskResult:
    """Join one file's finished range tasks (``job``: the tasks and their results, in file order)
    into its whole-file shards and marker, then remove the ranges' shards and markers; the file's
    result. A top-level function of one argument, for ``executor.map``."""
    parts, done = job
    start = time.perf_counter()
    whole = replace(parts[0], byte_range=None)
    base = whole.task_id
    documents = Path(whole.output_dir)
    range_shards = {documents: [name for r in done for name in r.shards]}  # each folder's, in file order
    if whole.excluded_dir:
        folder = Path(whole.excluded_dir)
        range_shards[folder] = sorted(p.name for p in folder.glob(f"{base}{RANGE_SEP}*.parquet")) if folder.is_dir() else []
    joined = {folder: _rewrite(folder, base, names, whole.batch_size) for folder, names in range_shards.items()}
    shards = joined[documents]
    result = merged_result(base, whole.source, done, [Path(p).name for p in shards])
    result.seconds = round(result.seconds + time.perf_counter() - start, 3)
    result.shard_bytes = [os.path.getsize(p) for p in shards]
    whole.ledger.commit(base, result.to_dict())
    for folder, names in range_shards.items():  # by name: a finished range leaves no temporary file
        for name in names:
            (folder / name).unlink(missing_ok=True)
    for task in parts:
        task.ledger.marker(task.task_id).unlink(missing_ok=True)
    return result


def merged_result(base: str, source: str, done: list[TaskResult], shards: list[str]) -> TaskResult:
    """The whole file's result from its ranges' results: counts summed, every read error listed
    (as one task lists them), no byte range and no seam."""
    first = done[0]
    result = TaskResult(base, source, identity=list(first.identity), shards=shards, reader=ReadReport(source),
                        stage_names=list(first.stage_names), stages=[StageStats() for _ in first.stages])
    for part in done:
        result.documents_read += part.documents_read
        result.documents_written += part.documents_written
        result.seconds += part.seconds
        if part.reader is not None:
            result.reader.merge(part.reader, sys.maxsize)
        for mine, theirs in zip(result.stages, part.stages):
            mine.merge(theirs)
    return result


def _rewrite(folder: Path, base: str, names: list[str], batch_size: int) -> list[str]:
    """Write the rows of ``names`` (shards in ``folder``, in this order) as ``base``'s shard series."""
    remove_shards(folder, base, exact=True)  # what a killed join left (not the ranges' shards)
    writer = ShardWriter(folder, base, group_rows=batch_size)
    try:
        for name in names:
            shard = pq.ParquetFile(folder / name)
            for group in range(shard.num_row_groups):
                writer.write(shard.read_row_group(group))
        return writer.close()
    except BaseException:
        writer.abort()
        raise

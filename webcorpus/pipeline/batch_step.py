"""A per-batch step: one file task per crawl file (or byte range of a large one) or shard, on any node.

Every task runs as a node task (``storage.nodes.NodeTask``): on local disk in place, in the run
folder; on object storage in the scratch of whichever machine runs it, whose shards and marker are then
put into the store (payloads first, the marker last). Either way the driver only reads and writes the
ledger: which tasks finished (markers), what each returned, and the sizes of the shards it wrote.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from webcorpus.executors.base import Failure
from webcorpus.ledger import input_identity
from webcorpus.pipeline.config import PipelineConfig
from webcorpus.pipeline.failures import explain
from webcorpus.pipeline.progress import NOTE, Progress
from webcorpus.pipeline.range_join import join_ranges, joinable
from webcorpus.pipeline.splits import clear_other_parts, describe_task, split_large_files, whole_file_redos, whole_in_place
from webcorpus.pipeline.tasks import RANGE_SEP, FileTask, StepResult, TaskResult, read_marker, run_file_task
from webcorpus.storage.nodes import NodeItem, NodeResult, Place
from webcorpus.storage.run_folder import RunFolder

log = logging.getLogger("webcorpus")


def run_batch_step(number: int, stages: list, inputs: list[str], sizes: dict, out_dir: Path, folder: RunFolder,
                   config: PipelineConfig, executor, quiet: bool, label: str = "") -> StepResult:
    folder.open_step(number)  # its task markers, where the driver reads them
    tasks = file_tasks(number, inputs, sizes, out_dir, folder.path, config)
    if number == 0:  # large crawl files: one task per byte range (pipeline/splits.py)
        tasks = split_large_files(tasks, config.split_bytes)
        clear_other_parts(tasks, folder)  # also with split_bytes 0: no shard of another cut stays beside these
    results: dict[str, TaskResult] = {}
    todo = []
    for task in tasks:
        marker = read_marker(task)
        if marker is not None:
            results[task.task_id] = marker
        else:
            todo.append(task)
    resumed = len(tasks) - len(todo)
    label = label or f"step {number + 1}"
    if results and not quiet:
        log.log(NOTE, "%s: %d of %d task(s) finished in an earlier run; skipping them", label, len(results), len(tasks))
    if todo:  # on a terminal the bar carries the label; plain output gets the step's first line here
        log.info("%s: %d %s to read", label, len(todo), "crawl file(s)" if number == 0 else "shard(s)")
    task_bytes = [t.bytes for t in todo]
    if todo and all(task_bytes):  # crawl files: bytes read
        progress = Progress(sum(task_bytes), label, quiet, unit="B", files=len(todo))
    elif todo and number > 0:  # shards of the run: documents, counted when each task reports
        progress = Progress(len(todo), label, quiet, unit="shard", files=len(todo))
    else:
        progress = Progress(len(todo), label, quiet or not todo)  # a step with nothing to do draws no empty bar
    nodes: Counter = Counter()
    by_id = {t.task_id: t for t in tasks}

    def on_result(item: NodeItem, value) -> None:
        task = by_id[item.item.task_id]
        if isinstance(value, NodeResult):
            nodes[value.node] += 1
            folder.add_task_counts(value.storage)
            value = value.value
        # on object storage the worker committed its marker to the store: the driver keeps the result in memory
        # only, so its disk holds no task marker of a fresh run whatever the number of tasks
        result = TaskResult.failure(task, value.error, value.traceback) if isinstance(value, Failure) else value
        results[task.task_id] = result
        if result.failed:
            progress.task_done(f"{describe_task(result)}: FAILED {result.error}", size=task.bytes or 0)
            return
        for error in result.reader.errors:
            log.warning("bad input %s at offset %s: %s", error["source"], error["offset"], error["error"])
        progress.task_done(f"{describe_task(result)}: {result.documents_read:,} read, {result.documents_written:,} written",
                           result.documents_read, size=task.bytes or 1)
        folder.sync(soon=True)

    node_task = folder.node_task(file_task_on_node)
    try:
        executor.run(node_task, [NodeItem(relative(t, folder.path)) for t in todo], stages, on_result, progress.records,
                     needs=stages)
        redos = whole_file_redos(tasks, results) if number == 0 else []
        if redos:  # a file whose ranges do not meet: read whole, as an unsplit run reads it
            tasks = whole_in_place(tasks, redos)
            by_id.update((t.task_id, t) for t in redos)
            executor.run(node_task, [NodeItem(relative(t, folder.path)) for t in redos], stages, on_result, progress.records,
                         needs=stages)
    finally:
        progress.close()
    if number == 0:  # files whose ranges all finished become the shards and result of one task
        tasks = join_split_files(tasks, results, folder, executor, nodes)
    folder.close_step(number)
    ordered = [results[t.task_id] for t in tasks if t.task_id in results]
    done = [r for r in ordered if not r.failed]
    shards = [str(out_dir / name) for r in done for name in r.shards]
    return StepResult(
        step=number,
        kind="batch",
        names=[s.name for s in stages],
        shards=shards,
        tasks=done,
        failed=[r for r in ordered if r.failed] + [
            TaskResult.failure(t, "no result (interrupted)") for t in tasks if t.task_id not in results
        ],
        resumed=resumed,
        sizes={path: size for r in done for path, size in zip((str(out_dir / n) for n in r.shards), r.shard_bytes or [])},
        nodes={"tasks": dict(nodes)} if nodes else {},
    )


def file_task_on_node(place: Place, task: FileTask, stages: list, progress=None) -> TaskResult:
    """Run a file task in ``place``: its folders are the driver's, moved under the place's run folder;
    a shard of the run is read where it lies (a URL on object storage). On object storage the shards a
    killed attempt left in the store are deleted first (on local disk the task deletes its own)."""
    task = placed(task, place)
    if place.store is not None:
        for folder in (task.output_dir, task.excluded_dir):
            if folder:
                place.clear(Path(folder).relative_to(place.path).as_posix(), task.task_id)
    return run_file_task(task, stages, progress)


def placed(task: FileTask, place: Place) -> FileTask:
    """``task`` (folders relative to the run folder) with every folder under ``place``; a source inside the run
    (a relative name) read where it lies."""
    def at(folder):
        return str(place.path / folder) if folder else folder
    source = place.url(task.source) if task.name is not None and not os.path.isabs(task.source) and "://" not in task.source else task.source
    return replace(task, source=source, output_dir=at(task.output_dir), marker_dir=at(task.marker_dir),
                   excluded_dir=at(task.excluded_dir))


def relative(task: FileTask, root: Path) -> FileTask:
    """The driver's task with folders (and a source inside the run) relative to the run folder ``root``."""
    def rel(path):
        return os.path.relpath(path, root) if path else path
    source = rel(task.source) if task.name is not None and str(task.source).startswith(str(root)) else task.source
    return replace(task, source=source, output_dir=rel(task.output_dir), marker_dir=rel(task.marker_dir),
                   excluded_dir=rel(task.excluded_dir))


def join_split_files(tasks: list[FileTask], results: dict[str, TaskResult], folder: RunFolder, executor,
                     nodes: Counter) -> list[FileTask]:
    """Join each split file whose range tasks all finished (pipeline/range_join.py): ``results``
    then holds its whole-file result instead of its ranges'; the tasks with those files whole.
    Each join is a node task: on object storage the node fetches the ranges' shards and markers."""
    jobs = joinable(tasks, results)
    if not jobs:
        return tasks
    items = []
    for parts in jobs:
        done = [results[t.task_id] for t in parts]
        rel = [relative(t, folder.path) for t in parts]
        fetch = [f"{rel[0].output_dir}/{name}" for r in done for name in r.shards]
        fetch += [f"{t.marker_dir}/{t.task_id}.done" for t in rel]
        items.append(NodeItem((rel, done), fetch=fetch))
    joined: dict[int, TaskResult] = {}

    def on_result(item, value):
        if isinstance(value, NodeResult):
            nodes[value.node] += 1
            folder.add_task_counts(value.storage)
            value = value.value
        if isinstance(value, Failure):
            raise RuntimeError(f"joining the byte ranges of {item.item[0][0].source}: {value.error}")
        joined[id(item)] = value

    executor.run(folder.node_task(join_on_node), items, None, on_result)
    for parts, item in zip(jobs, items):
        result = joined[id(item)]
        for task in parts:
            results.pop(task.task_id)
            task.ledger.marker(task.task_id).unlink(missing_ok=True)
        results[result.task] = result
    log.info("joined the byte ranges of %d file(s) into their whole-file shards", len(jobs))
    return whole_in_place(tasks, [replace(parts[0], byte_range=None) for parts in jobs])


def join_on_node(place: Place, job, shipped=None, progress=None) -> TaskResult:
    """``join_ranges`` in ``place``; on object storage the ranges' excluded shards are fetched first."""
    parts, done = job
    parts = [placed(t, place) for t in parts]
    if place.store is not None and parts[0].excluded_dir:
        excluded = Path(parts[0].excluded_dir).relative_to(place.path).as_posix()
        base = replace(parts[0], byte_range=None).task_id
        place.mirror.fetch([n for n in place.store.listing(excluded) if n[len(excluded) + 1:].startswith(base + RANGE_SEP)])
    return join_ranges((parts, done))


def file_tasks(number: int, inputs: list[str], sizes: dict, out_dir: Path, output: Path, config: PipelineConfig) -> list[FileTask]:
    """The tasks of a per-batch step: one per input file (step 0) or shard (later steps). A shard of the
    run is known by its name and size (its identity survives moving the run, and needs no look at it)."""
    markers = output / "markers" / f"step-{number}"
    excluded = str(output / "excluded") if config.excluded else None
    return [
        # Shards made by an earlier step are named after their file alone: the run folder may move.
        FileTask(src, str(out_dir), str(markers), excluded, config.batch_size, name=Path(src).stem if number else None,
                 max_record_bytes=config.max_record_bytes, size=None if number else _crawl_file_size(src),
                 identity=[os.path.basename(src), sizes[src]] if number and src in sizes else input_identity(src))
        for src in inputs
    ]


def _crawl_file_size(source: str) -> int | None:
    """Bytes of a local crawl file, for progress in bytes (None: a Parquet input or a remote one)."""
    if source.endswith(".parquet") or "://" in source:
        return None
    try:
        return os.path.getsize(source) or None
    except OSError:
        return None

"""Large crawl files as several tasks: one per byte range (``split_bytes``), and the check of their seams.

A file gzipped per record and larger than ``split_bytes`` becomes one task per range
``[start, end)`` (:mod:`webcorpus.readers.ranges` has the rule that gives every record to
exactly one range). Documents keep the ids and offsets of the whole file, and each range
task's shards are named ``<file task id>.bytes-<start>-<end>.NNNNN.parquet``: read in sorted
order, a split file's shards hold the same rows in the same order as the one shard series of
an unsplit run. When all of a file's ranges have finished, :mod:`webcorpus.pipeline.range_join`
rewrites them as that series, so every later step sees the same files.

Two things keep that true across runs and surprises:

* a file whose whole-file task finished in an earlier run (before splitting, or with
  ``split_bytes: 0``) keeps that result; a file's shards and markers from another way of
  cutting it (a killed unsplit attempt, another ``split_bytes``) are removed before its tasks
  run (:func:`clear_other_parts`);
* each range task reports where it began and where it stopped reading; when the stop of one
  range is not the start of the next (a gzipped record stored verbatim inside another
  member can pass for a member start), the file is read again as one task
  (:func:`whole_file_redos`), so the output is that of an unsplit run in every case.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from webcorpus.ledger import MARKER_SUFFIX
from webcorpus.pipeline.tasks import FileTask, TaskResult, file_id_of, read_marker
from webcorpus.readers.ranges import byte_ranges, splittable

log = logging.getLogger("webcorpus")

DEFAULT_SPLIT_BYTES = 1 << 30  # a Common Crawl WARC (about 1 GB) is one task, or two halves when over 1 GiB
MIN_SPLIT_BYTES = 1 << 16  # smaller ranges would hold a few records each: more tasks, nothing gained
_PROBES = 16  # files looked at in parallel while planning (remote files: one request each)


def split_large_files(tasks: list[FileTask], split_bytes: int) -> list[FileTask]:
    """The crawl-file tasks with every file gzipped per record and over ``split_bytes`` cut into
    range tasks (``split_bytes`` 0: none is cut). Order: file by file, ranges in file order.
    Changes nothing on disk; the runner then calls :func:`clear_other_parts`."""
    if split_bytes <= 0:
        return tasks
    with ThreadPoolExecutor(_PROBES) as pool:
        plans = list(pool.map(lambda task: _plan(task, split_bytes), tasks))
    return [part for parts in plans for part in parts]


def _plan(task: FileTask, split_bytes: int) -> list[FileTask]:
    size = task.size or _remote_size(task.source)
    if size is None or size <= split_bytes or read_marker(task) is not None:
        return [task]  # small, of unknown size, or finished whole in an earlier run
    try:
        from webcorpus.readers.read import open_source

        with open_source(task.source) as raw:
            if not splittable(raw):
                return [task]
    except OSError:
        return [task]  # its task will say what is wrong with it
    return [replace(task, size=size, byte_range=piece) for piece in byte_ranges(size, split_bytes)]


def _remote_size(source: str) -> int | None:
    """The size of a file behind an fsspec URL that allows seeking (not plain HTTP), else None."""
    if "://" not in source or source.startswith(("http://", "https://")) or source.endswith(".parquet"):
        return None
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(source)
        return int(fs.size(path))
    except Exception:  # noqa: BLE001 - no size, no split: the task itself reports an unreadable file
        return None


def family(task: FileTask) -> str:
    """The task id of the whole file a task reads a part of (its own id for a whole-file task)."""
    return file_id_of(task.task_id)


def ranges_by_file(tasks: list[FileTask]) -> dict[str, list[FileTask]]:
    """The range tasks among ``tasks``, by the whole file they read parts of (in task order)."""
    ranges: dict[str, list[FileTask]] = {}
    for task in tasks:
        if task.byte_range is not None:
            ranges.setdefault(family(task), []).append(task)
    return ranges


def clear_other_parts(tasks: list[FileTask], folder) -> None:
    """Delete the shards and forget the markers of each file's tasks that are not in ``tasks``:
    what an earlier run left from cutting the file another way, which would otherwise be read
    twice (shards) or trusted without its shards (markers). ``folder`` (a ``RunFolder``) lists and
    removes the shards where they lie; the markers are the driver's ledger."""
    by_file: dict[str, set[str]] = {}
    for task in tasks:
        by_file.setdefault(family(task), set()).add(task.task_id)
    first = tasks[0] if tasks else None
    if first is None:
        return
    root = Path(folder.path)
    dirs = [Path(first.output_dir)] + ([Path(first.excluded_dir)] if first.excluded_dir else [])
    stale = []
    for directory in dirs:
        for relative in folder.listing(directory.relative_to(root).as_posix()):
            name = relative.rsplit("/", 1)[-1]
            if "/" in relative[len(directory.relative_to(root).as_posix()) + 1:] or not name.endswith(".parquet"):
                continue
            owner = _shard_task(name)
            base = file_id_of(owner)
            if base in by_file and owner not in by_file[base]:
                stale.append(relative)
    folder.remove(stale)
    markers = Path(first.marker_dir)
    if markers.is_dir():
        for path in markers.glob(f"*{MARKER_SUFFIX}"):
            name = path.name[: -len(MARKER_SUFFIX)]
            base = file_id_of(name)
            if base in by_file and name not in by_file[base]:
                first.ledger.marker(name).unlink(missing_ok=True)  # this name only, not the names it prefixes


def _shard_task(name: str) -> str:
    """``<task id>.NNNNN.parquet`` -> the task id."""
    return name[: -len(".parquet")].rsplit(".", 1)[0]


def whole_file_redos(tasks: list[FileTask], results: dict[str, TaskResult]) -> list[FileTask]:
    """Whole-file tasks for the files whose range tasks all finished but do not meet: one range
    stopped elsewhere than where the next began. Their range markers are forgotten and their
    results dropped from ``results``; the whole-file task deletes their shards when it starts."""
    redos = []
    for parts in ranges_by_file(tasks).values():
        done = [results.get(t.task_id) for t in parts]
        if any(r is None or r.failed for r in done):
            continue  # the step fails anyway; a re-run finishes the file first
        seams = [r.seam for r in done if r.seam is not None and r.seam[0] is not None]
        meet = all(a[1] == b[0] for a, b in zip(seams, seams[1:])) and (not seams or seams[-1][1] is None)
        if meet:
            continue
        log.warning("%s: its byte ranges do not meet (%s); reading it again as one task",
                    parts[0].source, ", ".join(f"{a}..{b}" for a, b in seams))
        for task in parts:
            results.pop(task.task_id, None)
            task.ledger.marker(task.task_id).unlink(missing_ok=True)
        redos.append(replace(parts[0], byte_range=None))
    return redos


def whole_in_place(tasks: list[FileTask], redos: list[FileTask]) -> list[FileTask]:
    """``tasks`` with each redone file's range tasks replaced by its whole-file task."""
    whole = {family(t): t for t in redos}
    out, seen = [], set()
    for task in tasks:
        base = family(task)
        if base in whole:
            if base not in seen:
                out.append(whole[base])
                seen.add(base)
        else:
            out.append(task)
    return out


def describe_task(result: TaskResult) -> str:
    """A task's source for log lines, with its byte range when it reads a part of the file."""
    if result.byte_range:
        start, end = result.byte_range
        return f"{result.source} [bytes {start:,}-{end:,}]"
    return result.source


def validate_split_bytes(value) -> str | None:
    """The problem with a ``split_bytes`` value, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or (value != 0 and value < MIN_SPLIT_BYTES):
        return f"'split_bytes' must be 0 (never split) or an integer of at least {MIN_SPLIT_BYTES}, got {value!r}"
    return None

"""TaskResult: one task's record (its marker) and the sum of a step's tasks."""
from __future__ import annotations

from collections import Counter

from webcorpus.pipeline import tasks
from webcorpus.pipeline.tasks import FileTask, TaskResult
from webcorpus.readers.report import ReadReport
from webcorpus.stages.base import StageStats


def _result(source: str, read: int, dropped: int, errors: int) -> TaskResult:
    report = ReadReport(source, Counter(html=read))
    for offset in range(errors):
        report.error(offset, "broken record")
    stats = StageStats(documents_in=read, documents_out=read - dropped, dropped=Counter(short=dropped))
    return TaskResult(source, source, [source, read], read, read - dropped, [f"{source}.00000.parquet"], report, ["filter"], [stats])


def test_merge_adds_tasks_up_and_caps_listed_errors(monkeypatch):
    monkeypatch.setattr(tasks, "MAX_LISTED_ERRORS", 3)
    total = TaskResult("", "")
    for result in (_result("a", 10, 2, 2), _result("b", 5, 1, 2)):
        total.merge(TaskResult.from_dict(result.to_dict()))  # through the marker's JSON form
    assert (total.documents_read, total.documents_written, total.shards) == (15, 12, ["a.00000.parquet", "b.00000.parquet"])
    assert total.reader.records == Counter(html=15, error=4) and total.reader.error_count == 4
    assert len(total.reader.errors) == 3
    assert total.stage_names == ["filter"] and total.stages[0].dropped == Counter(short=3)


def test_a_failure_names_its_task():
    task = FileTask("crawl/a.warc.gz", "out", "markers")
    failed = TaskResult.failure(task, "worker process died")
    assert failed.failed and failed.task == task.task_id and failed.source == "crawl/a.warc.gz"
    assert not _result("a", 1, 0, 0).failed

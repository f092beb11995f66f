"""Merge per-task and per-step statistics into the one ``stats.json`` of a run."""
from __future__ import annotations

import time

from webcorpus.pipeline.tasks import StepResult, TaskResult
from webcorpus.stages.base import StageStats
from webcorpus.readers.report import ReadReport


NO_DOCUMENTS = "skipped: no documents left"  # why a step after one that let nothing out did not run


def merge_step_stats(steps: list[StepResult], config, inputs: list[str], executor, started: float,
                     skipped: list = (), why: str = NO_DOCUMENTS) -> dict:
    """The run's stats.json: the tasks of each batch step added up (:meth:`TaskResult.merge`), global
    steps' stats as they are, the reader's counts from the first step. The stages of ``skipped``
    steps (``(kind, stages)`` as ``runner.split_steps`` gives them) that did not run follow with
    nothing in and out and ``skipped``: ``why``, so that the funnel always lists every stage."""
    stages_out = []
    read = TaskResult("", "", reader=ReadReport(""))
    for step in steps:
        if step.kind == "batch":
            total = TaskResult("", "", stages=[StageStats() for _ in step.names])
            for task in step.tasks:
                total.merge(task)
            if step.step == 0:
                read.merge(total)
            for name, stats in zip(step.names, total.stages):
                stages_out.append({"step": step.step, "name": name, "kind": "batch", **stats.to_dict()})
        else:
            stages_out.append({"step": step.step, "name": step.names[0], "kind": "global", **step.stats})
    for number, (kind, stages) in enumerate(skipped, start=len(steps)):
        for stage in stages:
            stages_out.append({"step": number, "name": stage.name, "kind": kind, **StageStats().to_dict(), "skipped": why})
    for entry, stage in zip(stages_out, config.stages):  # steps keep the stages' order
        label = getattr(stage, "label", None)  # a python stage's label names it in the funnel
        if label and label != entry["name"]:
            entry["label"] = label
    final = steps[-1] if steps and not skipped else None
    documents_written = (
        0 if final is None else
        sum(t.documents_written for t in final.tasks) if final.kind == "batch" else final.stats.get("documents_out", 0)
    )
    batch_tasks = [t for s in steps if s.kind == "batch" for t in s.tasks]
    return {
        "run": {
            "source": config.source,
            "config": config.describe(),
            "executor": executor.name,
            "workers": executor.workers,
            "input_files": len(inputs),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 3),
        },
        "reader": {
            "records": dict(sorted(read.reader.records.items())),
            "errors": read.reader.errors,
            "error_count": read.reader.error_count,
            "charset_replaced": read.reader.charset_replaced,
        },
        "stages": stages_out,
        "documents": {"read": read.documents_read, "written": documents_written, "shards": []},
        "tasks": {
            "finished": len(batch_tasks),
            "resumed": sum(s.resumed for s in steps),
            "failed": [{"task": f.task, "source": f.source, "error": f.error} for s in steps for f in s.failed],
        },
    }

"""Merge per-task and per-step statistics into the one ``stats.json`` of a run."""
from __future__ import annotations

import time
from collections import Counter

from webcorpus.stages.base import StageStats

MAX_LISTED_ERRORS = 10_000  # beyond this, errors are counted but not listed one by one


def merge_step_stats(steps: list[dict], config, inputs: list[str], executor, started: float) -> dict:
    reader_records: Counter = Counter()
    errors: list = []
    error_count = 0
    charset_replaced = 0
    documents_read = 0
    stages_out = []
    for step in steps:
        if step["kind"] == "batch":
            merged = [StageStats() for _ in step["stages"]]
            for task in step["tasks"]:
                for stats, data in zip(merged, task["stages"]):
                    stats.merge(StageStats.from_dict(data))
                if step["step"] == 0:
                    reader = task["reader"]
                    reader_records.update(reader["records"])
                    error_count += len(reader["errors"])
                    errors.extend(reader["errors"][: max(0, MAX_LISTED_ERRORS - len(errors))])
                    charset_replaced += reader["charset_replaced"]
                    documents_read += task["documents_read"]
            for stage, stats in zip(step["stages"], merged):
                stages_out.append({"step": step["step"], "name": stage.name, "kind": "batch", **stats.to_dict()})
        else:
            stages_out.append({"step": step["step"], "name": step["name"], "kind": "global", **step["stats"]})
    final = steps[-1]
    documents_written = (
        sum(t["documents_written"] for t in final["tasks"]) if final["kind"] == "batch" else
        final["stats"].get("documents_out", 0)
    )
    batch_tasks = [t for s in steps if s["kind"] == "batch" for t in s["tasks"]]
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
            "records": dict(sorted(reader_records.items())),
            "errors": errors,
            "error_count": error_count,
            "charset_replaced": charset_replaced,
        },
        "stages": stages_out,
        "documents": {"read": documents_read, "written": documents_written, "shards": []},
        "tasks": {
            "finished": len(batch_tasks),
            "resumed": sum(s.get("resumed", 0) for s in steps),
            "failed": [{k: f[k] for k in ("task", "source", "error")} for s in steps for f in s.get("failed", [])],
        },
    }

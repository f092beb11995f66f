"""`webcorpus run --dry-run`: the plan of a run, and what a resume would skip, without doing any work."""
from __future__ import annotations

import json
from pathlib import Path

from webcorpus.ledger import Ledger
from webcorpus.pipeline.config import PipelineConfig
from webcorpus.storage.run_folder import staging_folder
from webcorpus.storage.urls import is_remote, local_path
from webcorpus.pipeline.batch_step import file_tasks
from webcorpus.pipeline.resume import fingerprint
from webcorpus.pipeline.steps import split_steps, step_output
from webcorpus.pipeline.splits import split_large_files
from webcorpus.pipeline.tasks import read_marker


def describe_plan(config: PipelineConfig, inputs: list[str]) -> list[str]:
    """Lines that say what a run of ``config`` on ``inputs`` would do: its steps with their stages,
    inputs and outputs, and for each what is already finished in OUTPUT (a resume skips it)."""
    steps = split_steps(config.stages)
    if is_remote(config.output):  # the driver's ledger folder; the bucket is not read here
        output = staging_folder(config.output.rstrip("/"))
        state = f"output: {config.output} on object storage (the driver keeps its ledger in {output}); a dry run does not read the bucket"
    else:
        output = Path(local_path(config.output)).absolute()
        state = _folder_state(output, config, inputs)
    lines = [f"plan: {len(inputs)} input file(s) -> {config.output if is_remote(config.output) else output}  "
             f"({config.executor} executor, {config.workers} worker(s))"]
    lines.append(f"  {state}")
    for number, (kind, stages) in enumerate(steps):
        last = number == len(steps) - 1
        out_dir = step_output(output, number, last)
        names = ", ".join(s.name for s in stages) or "read only"
        source = f"{len(inputs)} crawl file(s)" if number == 0 else f"the shards of step {number}"
        lines.append(f"step {number + 1}/{len(steps)} ({kind}): {names}")
        lines.append(f"    in:  {source}")
        lines.append(f"    out: {out_dir}")
        lines.append(f"    resume: {_resume_state(number, kind, stages, inputs, output, config)}")
    return lines


def _folder_state(output: Path, config: PipelineConfig, inputs: list[str]) -> str:
    run_file = output / "run.json"
    if not run_file.exists():
        return "output: a new run" if not output.exists() or not any(output.iterdir()) else \
            "output: exists and is not a webcorpus run folder: the run would be refused"
    previous = json.loads(run_file.read_text(encoding="utf-8")).get("fingerprint")
    if previous == fingerprint(config, inputs):
        return "output: holds this run; finished work is skipped"
    return "output: holds a run of another config or input list: refused unless --overwrite (which starts afresh)"


def _resume_state(number, kind, stages, inputs, output: Path, config: PipelineConfig) -> str:
    if number == 0:
        tasks = split_large_files(file_tasks(number, inputs, {}, step_output(output, number, False), output, config),
                                  config.split_bytes)
        done = sum(read_marker(task) is not None for task in tasks)
        ranges = [t for t in tasks if t.byte_range is not None]
        split = f" ({len(ranges)} byte ranges of {len({t.source for t in ranges})} large file(s))" if ranges else ""
        return f"{done} of {len(tasks)} task(s) finished (skipped){split}" if done else f"{len(tasks)} task(s) to run{split}"
    if kind == "global" and Ledger(output / "markers").read(f"step-{number}") is not None:
        return "finished earlier; skipped if its input shards are unchanged"
    if kind == "batch" and (output / "markers" / f"step-{number}").is_dir():
        return "some tasks finished earlier; those whose input shard is unchanged are skipped"
    return "to run"

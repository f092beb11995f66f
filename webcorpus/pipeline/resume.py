"""Resume and ownership of a run folder: what the YAML decides (the fingerprint), what outside it
decides (files, code), which steps to redo, a finished run with unchanged inputs, and the folder's
leftovers. Works on the driver's folder: the run folder on local disk, the ledger folder on object
storage (storage/run_folder.py)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from webcorpus.ledger import Ledger, commit_json, contents_digest, input_identity
from webcorpus.pipeline.config import ConfigError, PipelineConfig
from webcorpus.pipeline.run_record import run_differences
from webcorpus.pipeline.steps import split_steps

RUN_LEASE = "run"  # OUTPUT/run.lease
OWNED = ("documents", "markers", "steps", "excluded", "tokenizer", "tokens", "dedup", "quality_classifier", "dedup_paragraphs", "logs", "stats.json", "report.html", "README.md")


def fingerprint(config: PipelineConfig, inputs: list[str]) -> str:
    """Key of what the YAML and the command line decide: stages and options, inputs, side outputs."""
    parts = {"stages": config.stage_specs, "inputs": inputs, "excluded": config.excluded}
    if config.max_record_bytes != 64 << 20:  # only when set: folders made before the option resume as they were
        parts["max_record_bytes"] = config.max_record_bytes
    payload = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def what_decides(config: PipelineConfig) -> dict[str, dict]:
    """What outside the YAML decides each stage's output, by stage number: the contents hash of
    every file it reads (a model, a list, a tokenizer) and the key of user code (a ``python:``
    function's source and module). A stage without either is absent."""
    decides = {}
    for index, stage in enumerate(config.stages, start=1):
        entry = {}
        files = {}
        for path in stage.files_read():
            if "://" not in str(path) and os.path.exists(path):
                files[str(path)] = contents_digest(path)
        if files:
            entry["files"] = files
        code = stage.code_identity()
        if code is not None:
            entry["code"] = code
        if entry:
            decides[f"{index} {stage.name}"] = entry
    return decides


def first_changed_step(config: PipelineConfig, before: dict, now: dict) -> tuple[int | None, list[str]]:
    """The first step whose stage's files or code changed since the folder was made, and what changed."""
    changed = sorted((key for key in set(before) | set(now) if before.get(key) != now.get(key)), key=lambda k: int(k.split()[0]))
    if not changed:
        return None, []
    step_of = {}
    for number, (_, stages) in enumerate(split_steps(config.stages)):
        for stage in stages:
            step_of[id(stage)] = number
    first = min(step_of[id(config.stages[int(key.split()[0]) - 1])] for key in changed)
    return first, [f"stage {key}: " + ", ".join(
        sorted(k for k in set(before.get(key, {})) | set(now.get(key, {})) if before.get(key, {}).get(k) != now.get(key, {}).get(k))
    ) for key in changed]


def redo_from(output: Path, first: int, folder=None) -> None:
    """Forget step ``first`` and every later step, so the re-run redoes them and keeps the steps before.

    Markers only: each task deletes its own shards before writing, and a global step whose inputs
    marker is gone clears its output and its stage's work (see run_global_step), so nothing of the
    earlier version is kept beside the new one. After a run that finished and removed its
    intermediates, every step is redone: the shards a later step would start from are gone.
    ``folder`` (the RunFolder) forgets them where they are: on object storage, in the store too.
    """
    from webcorpus.storage.run_folder import RunFolder

    folder = folder or RunFolder(output, str(output))
    if Ledger(output / "markers").read("complete") is not None:  # the run finished and removed the shards a later step starts from
        first = 0
        folder.forget_markers("complete")
    steps = {name.split("/")[0].split(".")[0] for name in folder.marker_names() if name.startswith("step-")}
    numbers = {int(step.split("-")[1]) for step in steps if step.split("-")[1].isdigit()}
    for number in sorted(n for n in numbers if n >= first):
        folder.forget_markers(f"step-{number}/")
        folder.forget_markers(f"step-{number}.")


def prepare_output(output: Path, config: PipelineConfig, inputs: list[str], overwrite: bool | str, folder=None) -> list[str]:
    """Make sure ``output`` is ours and holds this config.

    ``overwrite=True`` starts it afresh; ``overwrite="changed"`` starts it afresh only when it holds
    another config (and resumes otherwise); ``False`` refuses another config. When only a file a
    stage reads or user code changed, the steps from the first affected one on are redone; the
    returned notes say so (logged once the run's log is open).
    """
    run_file = output / "run.json"
    current = fingerprint(config, inputs)
    decides = what_decides(config)
    notes: list[str] = []
    record = {"fingerprint": current, "decides": decides, "config": config.describe(), "inputs": inputs}
    if run_file.exists():
        before = json.loads(run_file.read_text(encoding="utf-8"))
        previous = before.get("fingerprint")
        if previous == current and overwrite is not True:
            first, changes = first_changed_step(config, before.get("decides", {}), decides)
            if first is not None:  # a file a stage reads, or user code, changed: redo from its step on
                notes.append(f"changed since this folder was made: {'; '.join(changes)}; redoing step {first} and after")
                redo_from(output, first, folder)
        if previous != current and overwrite is False:
            raise ConfigError(
                f"{config.source}: output {output} holds a run of another config or input list "
                f"({run_differences(before, record)}; see {run_file}); pass --overwrite to start it afresh, "
                f"or choose another --output"
            )
        if previous != current or overwrite is True:
            clear_output(output, folder)
    output.mkdir(parents=True, exist_ok=True)
    commit_json(run_file, record)
    return notes


def refuse_foreign_output(output: Path, config: PipelineConfig) -> None:
    """Refuse a folder that holds something other than a webcorpus run (before its lease is taken)."""
    if output.is_dir() and not (output / "run.json").exists():
        if any(p.name != RUN_LEASE + ".lease" for p in output.iterdir()):
            raise ConfigError(f"{config.source}: output {output} exists and is not a webcorpus run folder (no run.json); choose an empty or new folder")


def clear_output(output: Path, folder=None) -> None:
    """Remove what a run owns from the folder (``folder``: its RunFolder, which also removes it from the store)."""
    for name in OWNED + ("run.json",):
        if folder is not None:
            folder.delete(name)
            continue
        path = output / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def remove_leftovers(output: Path) -> int:
    """Delete the ``*.tmp-PID`` files writers killed mid-write left in the run folder; how many.

    Safe because the caller holds the folder's lease: no live writer of another run is there, and
    this run has not started writing yet. Every writer names its temporary ``.NAME.tmp-PID``.
    """
    count = 0
    mine = str(os.getpid())  # this run's own lease heartbeat writes through a temporary too
    for path in output.rglob("*.tmp-*"):
        pid = path.name.rsplit(".tmp-", 1)[1]
        if path.is_file() and pid.isdigit() and pid != mine:
            path.unlink(missing_ok=True)
            count += 1
    return count


def finished_run(output: Path, inputs: list[str], folder=None) -> tuple[dict | None, bool]:
    """(the result of a run that finished and cleaned its intermediates, when its inputs are unchanged;
    whether the folder was cleared). With changed inputs the intermediates a resume would need are
    gone: the folder starts afresh."""
    markers = Ledger(output / "markers")
    complete = markers.read("complete")
    if complete is None:
        return None, False
    if complete.get("input_stamps") == [input_identity(p) for p in inputs] and (output / "stats.json").is_file():
        stats = json.loads((output / "stats.json").read_text(encoding="utf-8"))
        global_steps = sum(1 for stage in stats["stages"] if stage["kind"] == "global")
        stats["tasks"]["resumed"] = stats["tasks"]["finished"] + global_steps  # everything was skipped
        return stats, False
    run_json = (output / "run.json").read_text(encoding="utf-8")
    clear_output(output, folder)
    (output / "logs").mkdir(parents=True, exist_ok=True)
    commit_json(output / "run.json", json.loads(run_json))
    return None, True

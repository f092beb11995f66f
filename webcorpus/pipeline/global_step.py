"""A global step: one global stage over every shard that reached it, on the node that runs it.

On local disk the step runs in the driver's process and its phases go to the run's executor. On object
storage it is one task on a node of the cluster (``storage.nodes.NodeTask``): the node pulls the
step's inputs, work folder and markers, and the stage's own folders of the run, into its scratch; the
stage runs exactly as on local disk, its phases in a process pool of that node, and each phase's
committed work is put into the store as the phase ends (so a killed step resumes phase by phase, on any
machine). The driver never holds the step's data: it decides from its ledger whether the step finished
earlier and reads what the step returns.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from webcorpus.document_shards import list_shards
from webcorpus.ledger import Ledger, digest
from webcorpus.pipeline.config import ConfigError
from webcorpus.pipeline.progress import NOTE, Progress, Timer
from webcorpus.pipeline.tasks import StepResult
from webcorpus.stages.base import OptionError, StageStats
from webcorpus.stages.global_stage import GlobalContext
from webcorpus.executors.base import Failure
from webcorpus.ledger import commit_json
from webcorpus.storage.relocate import relocate
from webcorpus.storage.nodes import NodeItem, NodeResult, Place, node_id
from webcorpus.storage.run_folder import RunFolder

log = logging.getLogger("webcorpus")


@dataclass
class GlobalJob:
    """What the node running a global step needs besides the stage: names relative to the run folder."""

    number: int
    inputs: list  # the input shards, relative to the run folder
    identities: list  # their identities ([name, size]) as the driver knows them
    out_dir: str  # where the step writes its documents, relative
    last: bool
    excluded: bool
    quiet: bool
    label: str


def node_item(job: GlobalJob, stage, cpus: int) -> NodeItem:
    """The parts of the run a node pulls to run ``job``: its inputs (by name), its work folder, markers,
    output folder (the last step's is documents/) and the stage's own folders (the tokenizer, dedup/…)."""
    step = f"step-{job.number}"
    pulls = [f"steps/{step}", f"markers/{step}", *getattr(stage, "run_folders", ())]
    if job.last:
        pulls.append(job.out_dir)
    fetch = list(job.inputs) + [f"markers/{step}.done", f"markers/{step}.inputs.done"]
    return NodeItem(job, pull=pulls, fetch=fetch, cpus=cpus)


def finished_earlier(markers: Ledger, job: GlobalJob) -> StepResult | None:
    """The step's result when it finished for these very inputs (the driver's ledger says so)."""
    recorded = markers.read(f"step-{job.number}")
    if recorded is not None and recorded.get("input_stamps") == job.identities:
        return StepResult(job.number, "global", [recorded["name"]], recorded["shards"], stats=recorded["stats"], resumed=1,
                          sizes=recorded.get("sizes", {}))
    return None


def run_global_step(place: Place, job: GlobalJob, stage, progress=None, spread: bool = False) -> StepResult:
    """Run ``stage`` over ``job.inputs`` in ``place`` (the run folder as this node sees it); shards relative.
    ``spread``: ``place`` is the driver's ledger folder on object storage and every phase a node task
    (:class:`SpreadMap`): the step's data is in the store, never here."""
    output = place.path
    markers = Ledger(output / "markers")
    step = f"step-{job.number}"
    done = finished_earlier(markers, job)
    if done is not None:
        log.log(NOTE, "%s: finished in an earlier run; skipping it", job.label or stage.name)
        return done
    if markers.read(step) is not None:
        log.info("step %d (%s): its input changed since it finished; running it again", job.number, stage.name)
    inputs = [str(output / name) for name in job.inputs]
    out_dir = output / job.out_dir
    # The stage resumes its own work from its ledger (markers/step-N/) and its work folder, for these
    # inputs only: other inputs, and the ledger forgets what it held. What the stage wrote is its own.
    ledger = markers.child(step)
    inputs_key = digest(job.identities)
    if markers.read(f"{step}.inputs", expect={"key": inputs_key}) is None:
        ledger.forget()
        for stale in list_shards(out_dir):  # a fresh start: no shard of an earlier attempt stays in the output
            os.unlink(stale)
        if spread:  # … nor, in the store, any work, output or side output of an earlier attempt
            for folder in [f"steps/{step}", *getattr(stage, "run_folders", ()), *([job.out_dir] if job.last else [])]:
                place.clear_folder(folder)
        markers.commit(f"{step}.inputs", {"key": inputs_key, "identities": job.identities})
    work = output / "steps" / step
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    nodes: dict[str, Counter] = {}
    ctx = GlobalContext(
        inputs=inputs,
        output_dir=out_dir,
        work_dir=work,
        run_dir=output,
        workers=place.executor.workers,
        map=lambda fn, items: _map_with_progress(place, fn, items, ctx.phase or f"{stage.name}: {fn.__name__}", job.quiet, nodes),
        stats=StageStats(),
        progress=lambda items, desc: _progress_iter(place, items, desc, job.quiet, nodes),
        timer=lambda desc: Timer(desc, job.quiet),
        ledger=ledger,
        inputs_key=inputs_key,
        excluded_dir=output / "excluded" if job.excluded else None,
        spread=spread,
        count_rows=place.rows,
    )
    if not job.quiet:
        log.log(NOTE, "%s: %d shard(s) in", job.label or stage.name, len(inputs))
    start = time.perf_counter()
    try:
        written = stage.execute(ctx)
    except OptionError as exc:  # found in the data, yet no re-run can fix it: the user's to change (exit 2)
        raise ConfigError(f"step {job.number + 1} '{stage.name}' option '{exc.option}': {exc}") from None
    ctx.stats.seconds += time.perf_counter() - start
    if written is None:  # passes documents through unchanged
        written = link_into(inputs, out_dir) if job.last else list(inputs)
    ctx.stats.documents_in = place.rows(inputs)
    ctx.stats.documents_out = place.rows(written)
    shards = [Path(p).relative_to(output).as_posix() for p in written]
    sizes = {Path(p).relative_to(output).as_posix(): size for p, size in place.sizes(written).items()}
    result = StepResult(job.number, "global", [stage.name], shards, stats=ctx.stats.to_dict(), sizes=sizes,
                        nodes={"tasks": dict(sum(nodes.values(), Counter())) if spread else {place.node: 1},
                               "phases": {phase: dict(c) for phase, c in nodes.items()}})
    markers.commit(step, {"name": stage.name, "stats": result.stats, "shards": shards, "sizes": sizes,
                          "input_stamps": job.identities, "nodes": result.nodes})
    return result


class SpreadMap:
    """The map of a global step whose orchestration runs on the driver (object storage): each item a node
    task on any node of ``executor``, getting what it reads from the store where it runs; the markers the
    tasks committed come back into the driver's ledger (no get), what they cost into the run's counts."""

    def __init__(self, executor, folder: RunFolder):
        self.executor, self.folder = executor, folder
        self.name, self.workers = executor.name, executor.workers

    def map(self, fn, items, on_done=None) -> list:
        root = str(self.folder.path)
        self.folder.sync()  # what the orchestration wrote between phases (a small table of the step) reaches the store first
        node_items = [NodeItem((fn, item, root)) for item in items]
        values: dict[int, object] = {}

        def on_result(node_item, value) -> None:
            if isinstance(value, NodeResult):
                self.folder.add_task_counts(value.storage)
                for name, data in value.markers.items():
                    commit_json(self.folder.path / name, json.loads(data))
                    self.folder.adopt(self.folder.path / name)  # the task put it: the driver's copy is not put again
                value = value.value
            values[id(node_item)] = value
            if on_done:
                on_done()

        self.executor.run(self.folder.node_task(_phase_on_node), node_items, None, on_result)
        out = []
        for node_item in node_items:
            value = values.get(id(node_item), Failure("no result (interrupted)"))
            if isinstance(value, Failure):
                raise RuntimeError(f"{getattr(fn, '__name__', 'task')}: {value.error}")
            out.append(value)
        return out


def _phase_on_node(place: Place, job, shipped=None, progress=None):
    """One phase task of a spread global step, on the node that runs it: its item's paths moved from the
    driver's folder to this node's place, and its value's moved back."""
    fn, item, root = job
    return relocate(fn(relocate(item, root, str(place.path))), str(place.path), root)


def link_into(paths: list[str], directory: Path) -> list[str]:
    """Hard-link (or copy) shards into ``directory`` under the same names."""
    out = []
    for path in paths:
        target = directory / os.path.basename(path)
        if Path(path).resolve() != target.resolve():
            target.unlink(missing_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
        out.append(str(target))
    return out


class _OnNode:
    """``fn`` that also says which node ran it (a phase's tasks per node, in stats.json)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "task")

    def __call__(self, item):
        return node_id(), self.fn(item)


def _map_with_progress(place: Place, fn, items, desc: str, quiet: bool, nodes: dict) -> list:
    """The node's parallel map for a phase, with a bar (or log lines every ~10%); which node ran each
    task is counted under the phase's name; the phase's committed work is published when it ends."""
    items = list(items)
    progress = Progress(len(items), desc, quiet, unit="item")
    try:
        tagged = place.executor.map(_OnNode(fn), items, on_done=progress.advance)
    finally:
        progress.close()
    counts = nodes.setdefault(desc, Counter())
    for node, _ in tagged:
        counts[node] += 1
    place.publish()
    return [value for _, value in tagged]


def _progress_iter(place: Place, items, desc: str, quiet: bool, nodes: dict):
    """Work the stage does itself, item by item (a small dedup's phases), on this node: a bar, and the count."""
    items = list(items) if not hasattr(items, "__len__") else items
    progress = Progress(len(items), desc, quiet, unit="item")
    counts = nodes.setdefault(desc, Counter())
    try:
        for item in items:
            yield item
            counts[place.node] += 1
            progress.advance()
    finally:
        progress.close()
    place.publish()  # the work is committed item by item: on object storage it reaches the store now

"""Run a pipeline: split it into steps, run each step on an executor, merge the stats.

A pipeline's stages form *steps* (``steps.py``): a run of per-batch stages is one step (one task
per input file or shard, ``batch_step.py``), and every global stage is a step of its own
(``global_step.py``). The first step always exists: it reads the crawl files, even when no per-batch
stage follows. Each step writes Parquet shards that the next step reads; the last writes
``OUTPUT/documents/``. Resume and the folder's ownership are ``resume.py``'s; where the run folder
lives (local disk, object storage) is ``webcorpus.storage``'s. See docs/architecture.md.

Output layout::

    OUTPUT/documents/*.parquet    final documents (zstd), named after their input task
    OUTPUT/stats.json             merged statistics of the whole run
    OUTPUT/run.json               the config the folder was made with
    OUTPUT/run.lease              the lock of the run working in the folder (owner, heartbeat); gone when it ends
    OUTPUT/logs/run.log           one line per finished task, every error with file and offset
    OUTPUT/markers/step-N/        completion markers (JSON stats of each finished task)
    OUTPUT/steps/step-N/          shards between steps, and global stages' scratch
    OUTPUT/excluded/              dropped documents with drop_stage and drop_reason (``excluded: true``)

With an output on object storage (``s3://…``) the driver keeps only the ledger (run.json, markers,
logs, stats.json) in a small local folder; every task, global steps included, runs on a node of the
executor and puts what it writes into the store itself (``storage/run_folder.py``).
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from webcorpus import numbers
from webcorpus.executors.base import Failure
from webcorpus.ledger import Ledger, LeaseHeld, commit_json, input_identity
from webcorpus.pipeline.batch_step import run_batch_step
from webcorpus.pipeline.config import ConfigError, PipelineConfig, resolve_inputs
from webcorpus.pipeline.failures import exit_code_of, explain, task_error_needs_action
from webcorpus.pipeline.global_step import GlobalJob, SpreadMap, finished_earlier, node_item, run_global_step
from webcorpus.pipeline.logs import FILE_ONLY, close_logging, setup_logging
from webcorpus.pipeline.progress import NOTE, step_label
from webcorpus.pipeline.publish import publish
from webcorpus.pipeline.resume import (RUN_LEASE, finished_run, prepare_output, refuse_foreign_output,
                                       remove_leftovers)
from webcorpus.pipeline.stats import NO_DOCUMENTS, merge_step_stats
from webcorpus.pipeline.steps import split_steps, step_output
from webcorpus.pipeline.summary import empty_run_line
from webcorpus.pipeline.tasks import StepResult
from webcorpus.stages.requirements import MissingDependency, check_installed, install_line, is_installed
from webcorpus.storage.nodes import NODE_VARIABLE, NodeItem, NodeResult, driver_node, node_id
from webcorpus.storage.run_folder import RunFolder
from webcorpus.storage.urls import check_backend, check_writable, is_remote

if TYPE_CHECKING:
    from webcorpus.executors.base import Executor

log = logging.getLogger("webcorpus")

EXIT_OK = 0
EXIT_FAILED_TASKS = 1
EXIT_CONFIG = 2
EXIT_EMPTY = 3  # finished, and nothing came out: not an error of the run, but rarely what its user wants
EXIT_INTERRUPTED = 130


class OutputInUse(ConfigError):
    """Another live run holds the output folder's lease: this one refuses before touching it (exit 2)."""


@dataclass
class RunResult:
    output: Path  # the driver's folder: the run folder, or on object storage the ledger folder
    stats: dict
    failed: list = field(default_factory=list)
    fatal: str | None = None  # a failure that stopped the run (a global step, writing stats): its one line
    fatal_code: int = EXIT_OK
    folder: RunFolder | None = None  # where the run lives

    @property
    def remote(self) -> RunFolder | None:
        """The run folder when it is on object storage (None on local disk)."""
        return self.folder if self.folder is not None and self.folder.remote else None

    @property
    def url(self) -> str:
        """Where the run lives: its URL, or the local folder."""
        return self.folder.url if self.folder is not None else str(self.output)

    @property
    def exit_code(self) -> int:
        """0 finished; 1 a re-run can fix what failed; 2 it cannot (disk full, permissions, a bug);
        3 finished, but no document came out (the summary says which stage dropped the most, and why)."""
        if self.fatal is not None:
            return self.fatal_code
        if self.failed:
            return EXIT_CONFIG if all(task_error_needs_action(f.error) for f in self.failed) else EXIT_FAILED_TASKS
        if self.stats and not self.stats["documents"]["written"]:
            return EXIT_EMPTY
        return EXIT_OK

    @property
    def documents(self) -> list[str]:
        """The final document shards, in order: paths, or URLs on object storage."""
        return [f"{self.url}/documents/{name}" if self.remote else str(self.output / "documents" / name)
                for name in self.stats["documents"]["shards"]]


def run_pipeline(config: PipelineConfig, executor=None, quiet: bool = False, overwrite: bool | str = False,
                 keep_intermediates: bool = False) -> RunResult:
    """Run ``config`` to the end (or resume it), write stats.json, and return the result.

    After a run without failures OUTPUT/steps/ (the documents between steps, and global stages'
    scratch) is deleted unless ``keep_intermediates``; the ``complete`` marker then lets a re-run
    with unchanged inputs return at once (and a re-run with changed inputs start afresh).
    """
    check_installed(config.stages)  # a missing module: the install line, before any work (not a ConfigError)
    inputs = config.inputs or resolve_inputs(config)
    folder = open_output(config)  # an output that cannot work is refused here, before any work (exit 2)
    store_lease = take_store_lease(folder) if folder.remote else None  # one run per URL, whichever machine
    try:
        folder.start()  # on object storage: the ledger, pulled by listing the markers
        output = folder.path
        from webcorpus.pipeline.config import raise_problems
        from webcorpus.pipeline.plan_checks import output_problems

        raise_problems(config.source, output_problems(output))
        refuse_foreign_output(output, config)
        lease = take_run_lease(output)  # before anything in the folder is touched: one run per folder
        try:
            return _run_locked(config, inputs, folder, executor, quiet, overwrite, keep_intermediates)
        except OSError as exc:  # before the run's log exists (run.json unwritable, disk full): still one line
            raise ConfigError(f"{config.source}: {explain(exc)}") from None
        finally:
            lease.release()
    finally:
        if store_lease is not None:
            store_lease.release()


def take_run_lease(output: Path):
    """The run folder's lease (``OUTPUT/run.lease``), or :class:`OutputInUse` naming the run holding it."""
    try:
        return Ledger(output).lease(RUN_LEASE).acquire()
    except LeaseHeld as exc:
        raise OutputInUse(str(exc)) from None
    except OSError as exc:  # a file where the folder should be, a read-only parent: no re-run fixes it
        raise ConfigError(f"output {output} is not writable: {exc}") from None


def _run_locked(config: PipelineConfig, inputs: list[str], folder: RunFolder, executor, quiet: bool, overwrite,
                keep_intermediates: bool) -> RunResult:
    output = folder.path
    notes = prepare_output(output, config, inputs, overwrite, folder)
    finished, restarted = finished_run(output, inputs, folder)  # before the log opens: a restart clears logs/
    handlers = setup_logging(output, quiet)
    for note in notes:
        log.warning("%s", note)
    swept = remove_leftovers(output)
    if swept:
        log.info("removed %d temporary file(s) a killed run left", swept)
    started = time.time()
    if finished is not None:
        log.info("this run finished earlier with the same inputs; nothing to do (%s)",
                 f"{folder.url}/stats.json" if folder.remote else output / "stats.json")
        close_logging(handlers)
        folder.sync()
        return RunResult(output, finished, [], folder=folder)
    if restarted:
        log.info("the inputs changed since this run finished and its intermediates were removed: starting afresh")
    executor = executor or make_executor(config)
    folder.sync()  # run.json (and a changed config's cleared folders) reach the URL before any task
    step_stats: list[StepResult] = []  # what finished, for the stats.json of a run that stops too
    named = os.environ.get(NODE_VARIABLE)
    os.environ[NODE_VARIABLE] = driver_node(executor)  # what work in this process (and its pools) says it ran on
    try:
        for warning in config.input_warnings:
            log.warning("%s", warning)
        log.info("webcorpus: %d input file(s) -> %s, %s executor, %d worker(s)", len(inputs), folder.url, executor.name, executor.workers)
        steps = split_steps(config.stages)
        shards = list(inputs)
        sizes: dict = {}  # bytes of each shard of the run: its identity (with its name) for the next step
        failed: list = []
        for number, (kind, stages) in enumerate(steps):
            last = number == len(steps) - 1
            out_dir = step_output(output, number, last)
            label = step_label(number, len(steps), [s.name for s in stages])
            if kind == "batch":
                result = run_batch_step(number, stages, shards, sizes, out_dir, folder, config, executor, quiet, label)
            else:
                result = run_global(number, stages[0], shards, sizes, out_dir, folder, last, executor, quiet, label,
                                    excluded=config.excluded)
            folder.sync()
            step_stats.append(result)
            failed += result.failed
            if failed:
                action = ("Fix what the errors below say, then re-run the same command to resume."
                          if all(task_error_needs_action(f.error) for f in failed) else "Re-run the same command to retry them.")
                log.error("step %d: %d task(s) failed; later steps not run. %s", number, len(failed), action)
                break
            shards = result.shards
            sizes = result.sizes
            if not last and documents_out(result) == 0:  # nothing for the later steps: say so, skip them
                skipped = steps[number + 1:]
                log.warning("step %d: no documents left; skipping the later steps (%s)", number + 1,
                            ", ".join(s.name for _, later in skipped for s in later))
                break
        for item in failed:  # named before the stats are written: that may fail too (a full disk)
            log.error("FAILED %s: %s", item.source, item.error)
            if item.traceback:
                log.info("traceback of %s:\n%s", item.source, item.traceback, extra=FILE_ONLY)
        stats = merge_step_stats(step_stats, config, inputs, executor, started, skipped=steps[len(step_stats):],
                                 why=f"not run: {len(failed)} task(s) failed" if failed else NO_DOCUMENTS)
        stats["documents"]["shards"] = [] if failed else [os.path.basename(p) for p in shards]
        if not failed and not stats["documents"]["written"]:
            log.warning("%s", empty_run_line(stats), extra=FILE_ONLY)  # the summary prints it
        if not failed:
            publish_dataset(folder, executor, stats, shards)
        add_where_and_cost(stats, step_stats, folder)
        commit_json(output / "stats.json", stats)
        if not failed and not keep_intermediates and len(steps) > 1:
            clean_intermediates(folder, inputs)
            if folder.remote:  # the store's counts with the deletes
                add_where_and_cost(stats, step_stats, folder)
                commit_json(output / "stats.json", stats)
        folder.sync()
        return RunResult(output, stats, failed, folder=folder)
    except Exception as exc:  # a global step, or writing the stats: one line here, the traceback in run.log
        code = exit_code_of(exc)
        line = explain(exc)
        log.error("run stopped: %s%s", line, "; re-run the same command to resume" if code == EXIT_FAILED_TASKS else "")
        log.info("traceback:", exc_info=True, extra=FILE_ONLY)
        stats = _stats_of_stopped_run(output, step_stats, config, inputs, executor, started, line)
        _publish_what_was_committed(folder)
        return RunResult(output, stats, [], fatal=line, fatal_code=code, folder=folder)
    except BaseException:  # interrupted: publish what was committed, so a re-run anywhere resumes it
        _stats_of_stopped_run(output, step_stats, config, inputs, executor, started, "interrupted")
        _publish_what_was_committed(folder)
        raise
    finally:
        close_logging(handlers)
        if named is None:
            os.environ.pop(NODE_VARIABLE, None)
        else:
            os.environ[NODE_VARIABLE] = named


def run_global(number, stage, inputs, sizes, out_dir, folder: RunFolder, last, executor, quiet, label="",
               excluded: bool = False) -> StepResult:
    """A global step: in the driver's process on local disk (its phases on the run's executor); on object
    storage as one task on a node of the executor, which holds the step's data (global_step.py)."""
    root = folder.path
    names = [os.path.relpath(p, root) for p in inputs]
    identities = [[os.path.basename(p), sizes[p] if p in sizes else os.path.getsize(p)] for p in inputs]
    job = GlobalJob(number, names, identities, os.path.relpath(out_dir, root), last, excluded, quiet, label)
    done = finished_earlier(Ledger(root / "markers"), job)
    if done is not None:
        log.log(NOTE, "%s: finished in an earlier run; skipping it", label or stage.name)
        result = done
    elif not folder.remote:
        result = run_global_step(folder.place(executor), job, stage)
    elif stage.spreads and executor.name != "local":  # the step's ledger here, each phase task on any node of the cluster
        log.info("%s: each phase's tasks on the nodes of the %s executor", label or stage.name, executor.name)
        folder.open_step(number)
        result = run_global_step(folder.place(SpreadMap(executor, folder)), job, stage, spread=True)
        folder.close_step(number)
    else:
        log.info("%s: one task on a node of the %s executor, its phases in %d process(es) there", label or stage.name,
                 executor.name, executor.workers)
        result = on_a_node(folder, executor, run_global_step, node_item(job, stage, executor.workers), stage)
    result.shards = [str(root / name) for name in result.shards]
    result.sizes = {str(root / name): size for name, size in result.sizes.items()}
    return result


class _Cpus:
    """What a node task needs of a cluster: its processes' CPUs."""

    def __init__(self, cpus: int):
        self.resources = {"num_cpus": cpus}


def on_a_node(folder: RunFolder, executor, fn, item: NodeItem, shipped=None):
    """``fn(place, item.item, shipped, progress)`` as one task on a node of ``executor``; its value (raises
    what the task raised, in one line)."""
    task = folder.node_task(fn)
    if executor.name == "local":  # the one machine: run here, not in a process started for one task
        value = task(item, shipped)
    else:
        values = []
        executor.run(task, [item], shipped, lambda _item, value: values.append(value),
                     needs=[_Cpus(max_task_cpus(executor, item.cpus))])
        value = values[0]
    if isinstance(value, Failure):  # the task's exception as text: a ConfigError stays one (exit 2)
        kind, _, message = value.error.partition(": ")
        raise ConfigError(message) if kind in ("ConfigError", "OutputInUse") else RuntimeError(value.error)
    if isinstance(value, NodeResult):
        folder.add_task_counts(value.storage)
        value = value.value
    return value


def max_task_cpus(executor, wanted: int) -> int:
    """``wanted`` CPUs, or the most one node of the cluster has (a task asking more would never start)."""
    most = getattr(executor, "node_cpus", None)
    return max(1, min(wanted, most() if most else wanted))


def publish_dataset(folder: RunFolder, executor, stats: dict, shards: list[str]) -> None:
    """Make OUTPUT/documents/ a dataset to hand over (publish.py), where the documents are: in place on
    local disk, on a node of the executor on object storage."""
    names = [os.path.relpath(p, folder.path) for p in shards]
    if not folder.remote:
        _publish_on_node(folder.place(executor), (stats, names))
        return
    on_a_node(folder, executor, _publish_on_node, NodeItem((stats, names), fetch=names))


def _publish_on_node(place, job, shipped=None, progress=None) -> None:
    stats, names = job
    publish(place.path, stats, [str(place.path / name) for name in names])


def documents_out(result: StepResult) -> int:
    """Documents a finished step let out: its tasks' (a per-batch step) or its stage's (a global step)."""
    if result.kind == "batch":
        return sum(t.documents_written for t in result.tasks)
    return result.stats.get("documents_out", 0)


def add_where_and_cost(stats: dict, step_stats: list[StepResult], folder: RunFolder) -> None:
    """stats.json's ``nodes`` (the driver's node; per step, and per phase of a global step, the tasks each node
    ran) and, on object storage, ``storage`` (requests by kind and bytes moved, the driver's and in all)."""
    stats["nodes"] = {"driver": os.environ.get(NODE_VARIABLE) or node_id(), "steps": [{"step": r.step, "names": r.names, **r.nodes} for r in step_stats]}
    if folder.remote:
        stats["storage"] = folder.counts()


def _stats_of_stopped_run(output: Path, step_stats: list, config, inputs: list[str], executor, started: float,
                          why: str) -> dict:
    """stats.json of a run that stopped (an error, an interruption): the funnel of the steps that finished,
    the rest listed as not run, so that `webcorpus report` and `inspect` can say where the documents went.
    Best effort: the error that stopped the run (a full disk) may stop this too."""
    try:
        steps = split_steps(config.stages)
        stats = merge_step_stats(step_stats, config, inputs, executor, started, skipped=steps[len(step_stats):],
                                 why=f"not finished: the run stopped ({why})")
        stats["documents"]["written"] = 0  # nothing reached OUTPUT/documents/
        commit_json(output / "stats.json", stats)
        return stats
    except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to report
        log.info("could not write stats.json of the stopped run: %s", explain(exc), extra=FILE_ONLY)
        return {}


def _publish_what_was_committed(folder: RunFolder) -> None:
    """After a run stopped: publish what the driver committed, so that a re-run (on any machine) resumes it."""
    try:
        folder.sync()
    except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to report
        log.error("could not publish the ledger to %s: %s", folder.url, exc)


def clean_intermediates(folder: RunFolder, inputs: list[str]) -> None:
    """Delete OUTPUT/steps/ after a successful run, first committing the ``complete`` marker with the
    inputs' identities: the steps' markers no longer have their shards, so only that marker says
    whether a re-run has anything to do."""
    Ledger(folder.path / "markers").commit("complete", {"input_stamps": [input_identity(p) for p in inputs]})
    folder.sync()  # the marker first: a run killed while the store deletes is complete
    size = folder.delete("steps")
    log.info("removed the intermediate documents in %s/steps (%s; --keep-intermediates keeps them)", folder.url, numbers.size(size))


def open_output(config: PipelineConfig) -> RunFolder:
    """Check that the output can work before any work starts (ConfigError: exit 2): a known scheme
    with its backend installed, credentials that work, a writable place (one probe put); its RunFolder.
    A local folder is checked by plan_checks.output_problems."""
    if is_remote(config.output):
        try:
            check_backend(config.output)
            check_writable(config.output)
        except ValueError as exc:
            raise ConfigError(f"{config.source}: {exc}") from None
    return RunFolder.open(config.output)


def take_store_lease(folder: RunFolder):
    """The lease of a run on object storage (``URL/run.lease``, a conditional put), or :class:`OutputInUse`."""
    try:
        return folder.store.lease(RUN_LEASE).acquire()
    except LeaseHeld as exc:
        raise OutputInUse(str(exc)) from None


def make_executor(config: PipelineConfig) -> "Executor":
    if config.executor == "local":
        from webcorpus.executors.local import LocalExecutor

        return LocalExecutor(config.workers)
    if config.executor == "ray":
        from webcorpus.executors.ray import RayExecutor

        if not is_installed("ray"):
            raise MissingDependency(f"executor 'ray' needs the module 'ray': {install_line('ray')}")
        try:
            return RayExecutor(config.workers, address=config.ray_address)
        except (ImportError, ConnectionError) as exc:
            raise ConfigError(f"{config.source}: executor 'ray': {exc}") from None
    raise ConfigError(f"{config.source}: executor {config.executor!r} is not available")

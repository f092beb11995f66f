"""Run a pipeline: split it into steps, run each step on an executor, merge the stats.

A pipeline's stages form *steps*: a run of per-batch stages is one step (one
task per input file or shard), and every global stage is a step of its own.
The first step always exists: it reads the crawl files, even when no per-batch
stage follows. Each step writes Parquet shards that the next step reads; the
last writes ``OUTPUT/documents/``. See docs/architecture.md.

Output layout::

    OUTPUT/documents/*.parquet    final documents (zstd), named after their input task
    OUTPUT/stats.json             merged statistics of the whole run
    OUTPUT/run.json               the config the folder was made with
    OUTPUT/run.lease              the lock of the run working in the folder (owner, heartbeat); gone when it ends
    OUTPUT/logs/run.log           one line per finished task, every error with file and offset
    OUTPUT/markers/step-N/        completion markers (JSON stats of each finished task)
    OUTPUT/steps/step-N/          shards between steps, and global stages' scratch
    OUTPUT/excluded/              dropped documents with drop_stage and drop_reason (``excluded: true``)

An output on object storage (``s3://…``) is staged in a local folder with this layout and mirrored
to the URL in commit order as the run goes (``remote_output.RemoteRun``); file tasks are committed
to the bucket by the workers themselves (``remote_tasks.run_remote_file_task``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from webcorpus import numbers
from webcorpus.document_shards import list_shards
from webcorpus.pipeline.config import ConfigError, PipelineConfig, resolve_inputs
from webcorpus.stages.requirements import MissingDependency, check_installed, install_line, is_installed
from webcorpus.pipeline.failures import exit_code_of, explain, task_error_needs_action
from webcorpus.pipeline.publish import publish
from webcorpus.pipeline.run_record import run_differences
from webcorpus.pipeline.progress import NOTE, BarSafeHandler, Progress, Timer, step_label
from webcorpus.pipeline.remote_output import RemoteRun, check_backend, check_writable, is_remote, local_path
from webcorpus.pipeline.remote_tasks import run_remote_file_task
from webcorpus.pipeline.stats import NO_DOCUMENTS, merge_step_stats
from webcorpus.pipeline.summary import empty_run_line
from webcorpus.ledger import Ledger, LeaseHeld, commit_json, contents_digest, digest, input_identity
from webcorpus.pipeline.tasks import FileTask, StepResult, TaskResult, read_marker, run_file_task
from webcorpus.pipeline.range_join import join_ranges, joinable
from webcorpus.pipeline.splits import (clear_other_parts, describe_task, split_large_files, whole_file_redos,
                                       whole_in_place)
from webcorpus.executors.base import Failure
from webcorpus.stages.base import OptionError, StageStats
from webcorpus.stages.global_stage import GlobalContext

if TYPE_CHECKING:
    from webcorpus.executors.base import Executor

log = logging.getLogger("webcorpus")

EXIT_OK = 0
EXIT_FAILED_TASKS = 1
EXIT_CONFIG = 2
EXIT_EMPTY = 3  # finished, and nothing came out: not an error of the run, but rarely what its user wants
EXIT_INTERRUPTED = 130
RUN_LEASE = "run"  # OUTPUT/run.lease
OWNED = ("documents", "markers", "steps", "excluded", "tokenizer", "tokens", "dedup", "quality_classifier", "dedup_paragraphs", "logs", "stats.json", "report.html", "README.md")


class OutputInUse(ConfigError):
    """Another live run holds the output folder's lease: this one refuses before touching it (exit 2)."""


@dataclass
class RunResult:
    output: Path  # the run folder on this machine (the staging copy when ``url`` is set)
    stats: dict
    failed: list = field(default_factory=list)
    fatal: str | None = None  # a failure that stopped the run (a global step, writing stats): its one line
    fatal_code: int = EXIT_OK
    remote: RemoteRun | None = None  # the object-storage run folder ``output`` is mirrored to

    @property
    def url(self) -> str:
        """Where the run lives: its URL, or the local folder."""
        return self.remote.url if self.remote else str(self.output)

    def publish(self) -> None:
        """Mirror what was added to ``output`` after the run (e.g. report.html) to the URL."""
        if self.remote:
            self.remote.sync()

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
        """Paths of the final document shards, in order."""
        return [str(self.output / "documents" / name) for name in self.stats["documents"]["shards"]]


def split_steps(stages: list) -> list[tuple[str, list]]:
    """[a, b, GLOBAL, c] -> [("batch", [a, b]), ("global", [GLOBAL]), ("batch", [c])]."""
    steps: list[tuple[str, list]] = [("batch", [])]
    for stage in stages:
        if getattr(stage, "is_global", False):
            steps.append(("global", [stage]))
        elif steps[-1][0] == "batch":
            steps[-1][1].append(stage)
        else:
            steps.append(("batch", [stage]))
    return steps


def run_pipeline(config: PipelineConfig, executor=None, quiet: bool = False, overwrite: bool | str = False,
                 keep_intermediates: bool = False) -> RunResult:
    """Run ``config`` to the end (or resume it), write stats.json, and return the result.

    After a run without failures OUTPUT/steps/ (the documents between steps, and global stages'
    scratch) is deleted unless ``keep_intermediates``; the ``complete`` marker then lets a re-run
    with unchanged inputs return at once (and a re-run with changed inputs start afresh).
    """
    check_installed(config.stages)  # a missing module: the install line, before any work (not a ConfigError)
    inputs = config.inputs or resolve_inputs(config)
    remote = open_output(config)  # an output that cannot work is refused here, before any work (exit 2)
    bucket_lease = take_remote_lease(remote) if remote else None  # one run per URL, whichever machine
    try:
        output = remote.pull() if remote else Path(local_path(config.output)).absolute()
        from webcorpus.pipeline.config import raise_problems
        from webcorpus.pipeline.plan_checks import output_problems

        raise_problems(config.source, output_problems(output))
        refuse_foreign_output(output, config)
        lease = take_run_lease(output)  # before anything in the folder is touched: one run per folder
        try:
            return _run_locked(config, inputs, output, executor, quiet, overwrite, keep_intermediates, remote)
        except OSError as exc:  # before the run's log exists (run.json unwritable, disk full): still one line
            raise ConfigError(f"{config.source}: {explain(exc)}") from None
        finally:
            lease.release()
    finally:
        if bucket_lease is not None:
            bucket_lease.release()


def take_run_lease(output: Path):
    """The run folder's lease (``OUTPUT/run.lease``), or :class:`OutputInUse` naming the run holding it."""
    try:
        return Ledger(output).lease(RUN_LEASE).acquire()
    except LeaseHeld as exc:
        raise OutputInUse(str(exc)) from None
    except OSError as exc:  # a file where the folder should be, a read-only parent: no re-run fixes it
        raise ConfigError(f"output {output} is not writable: {exc}") from None


def _run_locked(config: PipelineConfig, inputs: list[str], output: Path, executor, quiet: bool, overwrite,
                keep_intermediates: bool, remote: RemoteRun | None = None) -> RunResult:
    notes = prepare_output(output, config, inputs, overwrite)
    finished, restarted = finished_run(output, inputs)  # before the log opens: a restart clears logs/
    handlers = setup_logging(output, quiet)
    for note in notes:
        log.warning("%s", note)
    swept = remove_leftovers(output)
    if swept:
        log.info("removed %d temporary file(s) a killed run left", swept)
    started = time.time()
    # With an output URL the staging folder is mirrored in commit order (remote_output.RemoteRun).
    mirror = remote.sync if remote else (lambda soon=False: None)
    if finished is not None:
        log.info("this run finished earlier with the same inputs; nothing to do (%s)", output / "stats.json")
        _close(handlers)
        mirror()
        finished.remote = remote
        return finished
    if restarted:
        log.info("the inputs changed since this run finished and its intermediates were removed: starting afresh")
    executor = executor or make_executor(config)
    mirror()  # run.json (and a changed config's cleared folders) reach the URL before any task
    step_stats: list[StepResult] = []  # what finished, for the stats.json of a run that stops too
    try:
        for warning in config.input_warnings:
            log.warning("%s", warning)
        log.info("webcorpus: %d input file(s) -> %s, %s executor, %d worker(s)", len(inputs), output, executor.name, executor.workers)
        steps = split_steps(config.stages)
        shards = list(inputs)
        failed: list = []
        for number, (kind, stages) in enumerate(steps):
            last = number == len(steps) - 1
            out_dir = step_output(output, number, last)
            label = step_label(number, len(steps), [s.name for s in stages])
            if kind == "batch":
                result = run_batch_step(number, stages, shards, out_dir, output, config, executor, quiet, label, remote, mirror)
            else:
                result = run_global_step(number, stages[0], shards, out_dir, output, last, executor, quiet, label, remote, mirror,
                                         excluded=config.excluded)
            mirror()
            step_stats.append(result)
            failed += result.failed
            if failed:
                action = ("Fix what the errors below say, then re-run the same command to resume."
                          if all(task_error_needs_action(f.error) for f in failed) else "Re-run the same command to retry them.")
                log.error("step %d: %d task(s) failed; later steps not run. %s", number, len(failed), action)
                break
            shards = result.shards
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
            publish(output, stats, [str(p) for p in shards])
        commit_json(output / "stats.json", stats)
        if not failed and not keep_intermediates and len(steps) > 1:
            clean_intermediates(output, inputs)
        if remote:
            mirror()
            log.info("mirrored to %s: %s object-store request(s)", remote.url, dict(sorted(remote.requests.items())))
        return RunResult(output, stats, failed, remote=remote)
    except Exception as exc:  # a global step, or writing the stats: one line here, the traceback in run.log
        code = exit_code_of(exc)
        line = explain(exc)
        log.error("run stopped: %s%s", line, "; re-run the same command to resume" if code == EXIT_FAILED_TASKS else "")
        log.info("traceback:", exc_info=True, extra=FILE_ONLY)
        stats = _stats_of_stopped_run(output, step_stats, config, inputs, executor, started, line)
        _mirror_what_was_committed(remote)
        return RunResult(output, stats, [], fatal=line, fatal_code=code, remote=remote)
    except BaseException:  # interrupted: mirror what was committed, so a re-run anywhere resumes it
        _stats_of_stopped_run(output, step_stats, config, inputs, executor, started, "interrupted")
        _mirror_what_was_committed(remote)
        raise
    finally:
        _close(handlers)


def documents_out(result: StepResult) -> int:
    """Documents a finished step let out: its tasks' (a per-batch step) or its stage's (a global step)."""
    if result.kind == "batch":
        return sum(t.documents_written for t in result.tasks)
    return result.stats.get("documents_out", 0)


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


def _mirror_what_was_committed(remote: RemoteRun | None) -> None:
    """After a run stopped: mirror what was committed, so that a re-run (on any machine) resumes it."""
    if remote is None:
        return
    try:
        remote.sync()
    except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to report
        log.error("could not mirror to %s: %s", remote.url, exc)


def _close(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        logging.getLogger("webcorpus").removeHandler(handler)
        try:
            handler.close()
        except OSError:  # its last lines could not be flushed (a full disk): already said on the console
            pass


def clean_intermediates(output: Path, inputs: list[str]) -> None:
    """Delete OUTPUT/steps/ after a successful run, first committing the ``complete`` marker with the
    inputs' identities: the steps' markers no longer have their shards, so only that marker says
    whether a re-run has anything to do."""
    Ledger(output / "markers").commit("complete", {"input_stamps": [input_identity(p) for p in inputs]})
    size = sum(f.stat().st_size for f in (output / "steps").rglob("*") if f.is_file())
    shutil.rmtree(output / "steps", ignore_errors=True)
    log.info("removed the intermediate documents in %s (%s; --keep-intermediates keeps them)", output / "steps", numbers.size(size))


def finished_run(output: Path, inputs: list[str]) -> tuple[RunResult | None, bool]:
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
        return RunResult(output, stats, []), False
    run_json = (output / "run.json").read_text(encoding="utf-8")
    clear_output(output)
    (output / "logs").mkdir(parents=True, exist_ok=True)
    commit_json(output / "run.json", json.loads(run_json))
    return None, True


def run_batch_step(number, stages, inputs, out_dir, output, config, executor, quiet, label="", remote=None,
                   mirror=None) -> StepResult:
    tasks = file_tasks(number, inputs, out_dir, output, config)
    if number == 0:  # large crawl files: one task per byte range (pipeline/splits.py)
        tasks = split_large_files(tasks, config.split_bytes)
        clear_other_parts(tasks)  # also with split_bytes 0: no shard of another cut stays beside these
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
    sizes = [t.bytes for t in todo]
    if todo and all(sizes):  # crawl files: bytes read
        progress = Progress(sum(sizes), label, quiet, unit="B", files=len(todo))
    elif todo and number > 0:  # shards of the run: documents, counted from their footers
        progress = Progress(count_rows([t.source for t in todo]), label, quiet, unit="doc", files=len(todo))
    else:
        progress = Progress(len(todo), label, quiet or not todo)  # a step with nothing to do draws no empty bar

    def on_result(task: FileTask, value) -> None:
        result = TaskResult.failure(task, value.error, value.traceback) if isinstance(value, Failure) else value
        if remote and not result.failed:  # the worker committed it to the bucket: bring it into staging
            try:
                remote.fetch_task(task, result)
            except Exception as exc:  # noqa: BLE001 - the store's errors vary; a re-run fetches it again
                result = TaskResult.failure(task, f"committed to {remote.url} but could not be fetched: {explain(exc)}")
        results[task.task_id] = result
        if result.failed:
            progress.task_done(f"{describe_task(result)}: FAILED {result.error}", size=task.bytes or 0)
            return
        for error in result.reader.errors:
            log.warning("bad input %s at offset %s: %s", error["source"], error["offset"], error["error"])
        progress.task_done(f"{describe_task(result)}: {result.documents_read:,} read, {result.documents_written:,} written",
                           result.documents_read, size=task.bytes or result.documents_read)
        if remote:
            mirror(soon=True)

    fn, items = run_file_task, todo
    if remote:  # workers write to the bucket from their own scratch, never to this machine's staging folder
        remote.clear_tasks(todo)
        fn, items = run_remote_file_task, [remote.remote_task(task) for task in todo]
    try:
        executor.run(fn, items, stages, on_result, progress.records, needs=stages)
        redos = whole_file_redos(tasks, results) if number == 0 else []
        if redos:  # a file whose ranges do not meet: read whole, as an unsplit run reads it
            tasks = whole_in_place(tasks, redos)
            if remote:
                remote.clear_tasks(redos)
            executor.run(fn, [remote.remote_task(task) for task in redos] if remote else redos, stages, on_result,
                         progress.records, needs=stages)
    finally:
        progress.close()
    if number == 0:  # files whose ranges all finished become the shards and result of one task
        tasks = join_split_files(tasks, results, _on_this_node(executor, remote))  # with a URL: in staging
    ordered = [results[t.task_id] for t in tasks if t.task_id in results]
    done = [r for r in ordered if not r.failed]
    return StepResult(
        step=number,
        kind="batch",
        names=[s.name for s in stages],
        shards=[str(out_dir / name) for r in done for name in r.shards],
        tasks=done,
        failed=[r for r in ordered if r.failed] + [
            TaskResult.failure(t, "no result (interrupted)") for t in tasks if t.task_id not in results
        ],
        resumed=resumed,
    )


def join_split_files(tasks: list[FileTask], results: dict[str, TaskResult], executor) -> list[FileTask]:
    """Join each split file whose range tasks all finished (pipeline/range_join.py): ``results``
    then holds its whole-file result instead of its ranges'; the tasks with those files whole."""
    jobs = joinable(tasks, results)
    if not jobs:
        return tasks
    joined = executor.map(join_ranges, [(parts, [results[t.task_id] for t in parts]) for parts in jobs])
    for parts, result in zip(jobs, joined):
        for task in parts:
            results.pop(task.task_id)
        results[result.task] = result
    log.info("joined the byte ranges of %d file(s) into their whole-file shards", len(jobs))
    return whole_in_place(tasks, [replace(parts[0], byte_range=None) for parts in jobs])


def file_tasks(number: int, inputs: list[str], out_dir: Path, output: Path, config: PipelineConfig) -> list[FileTask]:
    """The tasks of a per-batch step: one per input file (step 0) or shard (later steps)."""
    markers = output / "markers" / f"step-{number}"
    excluded = str(output / "excluded") if config.excluded else None
    return [
        # Shards made by an earlier step are named after their file alone: the run folder may move.
        FileTask(src, str(out_dir), str(markers), excluded, config.batch_size, name=Path(src).stem if number else None,
                 max_record_bytes=config.max_record_bytes, size=None if number else _crawl_file_size(src))
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


def step_output(output: Path, number: int, last: bool) -> Path:
    """Where step ``number`` writes its documents: OUTPUT/documents/ for the last step."""
    return output / "documents" if last else output / "steps" / f"step-{number}" / "documents"


def run_global_step(number, stage, inputs, out_dir, output, last, executor, quiet, label="", remote=None,
                    mirror=None, excluded: bool = False) -> StepResult:
    markers = Ledger(output / "markers")
    step = f"step-{number}"
    identities = [input_identity(p) for p in inputs]
    recorded = markers.read(step)
    if recorded is not None:
        if recorded.get("input_stamps") == identities:
            log.log(NOTE, "%s: finished in an earlier run; skipping it", label or stage.name)
            return StepResult(number, "global", [stage.name], recorded["shards"], stats=recorded["stats"], resumed=1)
        log.info("step %d (%s): its input changed since it finished; running it again", number, stage.name)
    # The stage resumes its own work from its ledger (markers/step-N/) and its work folder, for these
    # inputs only: other inputs, and the ledger forgets what it held. What the stage wrote is its own.
    ledger = markers.child(step)
    inputs_key = digest(identities)
    if markers.read(f"{step}.inputs", expect={"key": inputs_key}) is None:
        ledger.forget()
        for stale in list_shards(out_dir):  # a fresh start: no shard of an earlier attempt stays in the output
            os.unlink(stale)
        markers.commit(f"{step}.inputs", {"key": inputs_key, "identities": identities})
    work = output / "steps" / step
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    # With an output URL a global stage works in this machine's staging folder: its phases run here, in a
    # local pool (other Ray nodes cannot see that folder), and what they commit is mirrored after each phase.
    on_this_node = _on_this_node(executor, remote)
    ctx = GlobalContext(
        inputs=list(inputs),
        output_dir=out_dir,
        work_dir=work,
        run_dir=output,
        workers=executor.workers,
        map=lambda fn, items: _map_with_progress(on_this_node, fn, items, ctx.phase or f"{stage.name}: {fn.__name__}", quiet, mirror),
        stats=StageStats(),
        progress=lambda items, desc: _progress_iter(items, desc, quiet),
        timer=lambda desc: Timer(desc, quiet),
        ledger=ledger,
        inputs_key=inputs_key,
        excluded_dir=output / "excluded" if excluded else None,
    )
    if not quiet:
        log.log(NOTE, "%s: %d shard(s) in", label or stage.name, len(inputs))
    start = time.perf_counter()
    try:
        written = stage.execute(ctx)
    except OptionError as exc:  # found in the data, yet no re-run can fix it: the user's to change (exit 2)
        raise ConfigError(f"step {number + 1} '{stage.name}' option '{exc.option}': {exc}") from None
    ctx.stats.seconds += time.perf_counter() - start
    if written is None:  # passes documents through unchanged
        written = link_into(inputs, out_dir) if last else list(inputs)
    ctx.stats.documents_in = count_rows(inputs)
    ctx.stats.documents_out = count_rows(written)
    result = StepResult(number, "global", [stage.name], [str(p) for p in written], stats=ctx.stats.to_dict())
    markers.commit(step, {"name": stage.name, "stats": result.stats, "shards": result.shards, "input_stamps": identities})
    return result


def _on_this_node(executor, remote):
    """The executor for work whose files are in this machine's staging folder (global stages, joins of
    byte ranges): ``executor`` itself unless the run is on an output URL and the executor can reach
    other machines; then a process pool of as many workers here."""
    if remote is None or executor.name == "local":
        return executor
    from webcorpus.executors.local import LocalExecutor

    return LocalExecutor(executor.workers)


def count_rows(shards: list[str]) -> int:
    """Rows in Parquet shards, read from their footers."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in shards)


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


def _map_with_progress(executor, fn, items, desc: str, quiet: bool, mirror=None) -> list:
    """The executor's parallel map, with a bar (or log lines every ~10%) for the phase; a phase's
    committed work is mirrored (an output URL) when it ends."""
    items = list(items)
    progress = Progress(len(items), desc, quiet, unit="item")
    try:
        values = executor.map(fn, items, on_done=progress.advance)
    finally:
        progress.close()
    if mirror:
        mirror()
    return values


def _progress_iter(items, desc: str, quiet: bool):
    items = list(items) if not hasattr(items, "__len__") else items
    progress = Progress(len(items), desc, quiet, unit="item")
    try:
        for item in items:
            yield item
            progress.advance()
    finally:
        progress.close()


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


def redo_from(output: Path, first: int) -> None:
    """Forget step ``first`` and every later step, so the re-run redoes them and keeps the steps before.

    Markers only: each task deletes its own shards before writing, and a global step whose inputs
    marker is gone clears its output and its stage's work (see run_global_step), so nothing of the
    earlier version is kept beside the new one. After a run that finished and removed its
    intermediates, every step is redone: the shards a later step would start from are gone.
    """
    markers = Ledger(output / "markers")
    if markers.read("complete") is not None:  # the run finished and removed the shards a later step starts from
        first = 0
        markers.forget("complete")
    root = output / "markers"
    numbers = {int(p.name.split(".")[0].split("-")[1]) for p in root.glob("step-*") if p.name.split(".")[0].split("-")[1].isdigit()} if root.is_dir() else set()
    for number in sorted(n for n in numbers if n >= first):
        markers.forget(f"step-{number}/")
        markers.forget(f"step-{number}.")


def prepare_output(output: Path, config: PipelineConfig, inputs: list[str], overwrite: bool | str) -> list[str]:
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
                redo_from(output, first)
        if previous != current and overwrite is False:
            raise ConfigError(
                f"{config.source}: output {output} holds a run of another config or input list "
                f"({run_differences(before, record)}; see {run_file}); pass --overwrite to start it afresh, "
                f"or choose another --output"
            )
        if previous != current or overwrite is True:
            clear_output(output)
    output.mkdir(parents=True, exist_ok=True)
    commit_json(run_file, record)
    return notes


def refuse_foreign_output(output: Path, config: PipelineConfig) -> None:
    """Refuse a folder that holds something other than a webcorpus run (before its lease is taken)."""
    if output.is_dir() and not (output / "run.json").exists():
        if any(p.name != RUN_LEASE + ".lease" for p in output.iterdir()):
            raise ConfigError(f"{config.source}: output {output} exists and is not a webcorpus run folder (no run.json); choose an empty or new folder")


def open_output(config: PipelineConfig) -> RemoteRun | None:
    """Check that the output can work before any work starts (ConfigError: exit 2): a known scheme
    with its backend installed, credentials that work, a writable place (one probe put). A URL gives
    its RemoteRun; a local folder is checked by plan_checks.output_problems."""
    if not is_remote(config.output):
        return None
    try:
        check_backend(config.output)
        check_writable(config.output)
    except ValueError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None
    return RemoteRun(config.output)


def take_remote_lease(remote: RemoteRun):
    """The lease of a run on object storage (``URL/run.lease``, a conditional put), or :class:`OutputInUse`."""
    try:
        return remote.lease(RUN_LEASE).acquire()
    except LeaseHeld as exc:
        raise OutputInUse(str(exc)) from None


def clear_output(output: Path) -> None:
    for name in OWNED + ("run.json",):
        path = output / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


FILE_ONLY = {"file_only": True}  # ``extra=`` of a log record that goes to run.log only (tracebacks)


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


class RunLogHandler(logging.FileHandler):
    """run.log; a line it cannot write (a full disk) is lost quietly: the console still has the one line,
    and logging's own traceback on stderr would bury it."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(output: Path, quiet: bool) -> list[logging.Handler]:
    logger = logging.getLogger("webcorpus")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    (output / "logs").mkdir(parents=True, exist_ok=True)
    file_handler = RunLogHandler(output / "logs" / "run.log", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = BarSafeHandler(sys.stderr) if sys.stderr.isatty() else logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s" if quiet else "%(message)s"))
    console.addFilter(lambda record: not getattr(record, "file_only", False))
    # With a progress bar on the terminal, only warnings interrupt it; quiet shows errors only.
    console.setLevel(logging.ERROR if quiet else NOTE if sys.stderr.isatty() else logging.INFO)
    logger.addHandler(file_handler)
    logger.addHandler(console)
    return [file_handler, console]


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

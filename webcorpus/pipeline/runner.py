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
    OUTPUT/logs/run.log           one line per finished task, every error with file and offset
    OUTPUT/markers/step-N/        completion markers (JSON stats of each finished task)
    OUTPUT/steps/step-N/          shards between steps, and global stages' scratch
    OUTPUT/excluded/              dropped documents with drop_stage and drop_reason (``excluded: true``)

An output on object storage (``s3://…``) is written in a local staging folder with this layout
and published to the URL in commit order as the run goes (``remote_output.RemoteRun``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from webcorpus.document_shards import list_shards
from webcorpus.pipeline.config import ConfigError, PipelineConfig, resolve_inputs
from webcorpus.pipeline.progress import BarSafeHandler, Progress
from webcorpus.pipeline.remote_output import RemoteRun, check_backend, check_writable, is_remote, local_path
from webcorpus.pipeline.stats import merge_step_stats
from webcorpus.ledger import Ledger, commit_json, digest, input_identity
from webcorpus.pipeline.tasks import FileTask, StepResult, TaskResult, read_marker, run_file_task
from webcorpus.executors.base import Failure
from webcorpus.stages.base import StageStats
from webcorpus.stages.global_stage import GlobalContext

if TYPE_CHECKING:
    from webcorpus.executors.base import Executor

log = logging.getLogger("webcorpus")

EXIT_OK = 0
EXIT_FAILED_TASKS = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
OWNED = ("documents", "markers", "steps", "excluded", "tokenizer", "tokens", "dedup", "logs", "stats.json", "report.html")


@dataclass
class RunResult:
    output: Path  # the run folder on this machine (the staging copy when ``url`` is set)
    stats: dict
    failed: list = field(default_factory=list)
    remote: RemoteRun | None = None  # the object-storage run folder ``output`` is published to

    @property
    def url(self) -> str:
        """Where the run lives: its URL, or the local folder."""
        return self.remote.url if self.remote else str(self.output)

    def publish(self) -> None:
        """Publish what was added to ``output`` after the run (e.g. report.html) to the URL."""
        if self.remote:
            self.remote.sync()

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED_TASKS if self.failed else EXIT_OK

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


def run_pipeline(config: PipelineConfig, executor=None, quiet: bool = False, overwrite: bool | str = False) -> RunResult:
    """Run ``config`` to the end (or resume it), write stats.json, and return the result."""
    inputs = config.inputs or resolve_inputs(config)
    remote = open_output(config)
    output = remote.pull() if remote else Path(local_path(config.output))
    prepare_output(output, config, inputs, overwrite)
    handlers = setup_logging(output, quiet)
    executor = executor or make_executor(config)
    if remote:
        refuse_remote_on_many_nodes(config, executor)
    publish = remote.sync if remote else (lambda soon=False: None)
    publish()
    started = time.time()
    try:
        log.info("webcorpus: %d input file(s) -> %s, %s executor, %d worker(s)", len(inputs), output, executor.name, executor.workers)
        steps = split_steps(config.stages)
        shards = list(inputs)
        step_stats = []
        failed: list = []
        for number, (kind, stages) in enumerate(steps):
            last = number == len(steps) - 1
            out_dir = output / "documents" if last else output / "steps" / f"step-{number}" / "documents"
            if kind == "batch":
                result = run_batch_step(number, stages, shards, out_dir, output, config, executor, quiet, publish)
            else:
                result = run_global_step(number, stages[0], shards, out_dir, output, last, executor, quiet, publish)
            publish()
            step_stats.append(result)
            failed += result.failed
            if failed:
                log.error("step %d: %d task(s) failed; later steps not run. Re-run the same command to retry them.", number, len(failed))
                break
            shards = result.shards
        stats = merge_step_stats(step_stats, config, inputs, executor, started)
        stats["documents"]["shards"] = [] if failed else [os.path.basename(p) for p in shards]
        commit_json(output / "stats.json", stats)
        for item in failed:
            log.error("FAILED %s: %s", item.source, item.error)
        if remote:
            publish()
            log.info("published to %s: %s object-store request(s)", remote.url, dict(sorted(remote.requests.items())))
        return RunResult(output, stats, failed, remote)
    except BaseException:
        if remote:  # interrupted or failed: publish what was committed, so a re-run elsewhere resumes it
            try:
                remote.sync()
            except Exception as exc:  # noqa: BLE001 - the first error is the one to report
                log.error("could not publish to %s: %s", remote.url, exc)
        raise
    finally:
        for handler in handlers:
            logging.getLogger("webcorpus").removeHandler(handler)
            handler.close()


def run_batch_step(number, stages, inputs, out_dir, output, config, executor, quiet, publish=None) -> StepResult:
    markers = output / "markers" / f"step-{number}"
    excluded = str(output / "excluded") if config.excluded else None
    tasks = [
        # Shards made by an earlier step are named after their file alone: the run folder may move.
        FileTask(src, str(out_dir), str(markers), excluded, config.batch_size, name=Path(src).stem if number else None)
        for src in inputs
    ]
    results: dict[str, TaskResult] = {}
    todo = []
    for task in tasks:
        marker = read_marker(task)
        if marker is not None:
            results[task.task_id] = marker
        else:
            todo.append(task)
    if results:
        log.info("step %d: %d of %d task(s) already finished; skipping them", number, len(results), len(tasks))
    names = ", ".join(s.name for s in stages) or "read"
    progress = Progress(len(todo), f"step {number} ({names})", quiet)

    def on_result(task: FileTask, value) -> None:
        result = TaskResult.failure(task, value.error, value.traceback) if isinstance(value, Failure) else value
        results[task.task_id] = result
        if result.failed:
            progress.task_done(f"{result.source}: FAILED {result.error}")
            return
        for error in result.reader.errors:
            log.warning("bad input %s at offset %s: %s", error["source"], error["offset"], error["error"])
        progress.task_done(f"{result.source}: {result.documents_read} read, {result.documents_written} written", result.documents_read)
        if publish:
            publish(soon=True)

    try:
        executor.run(run_file_task, todo, stages, on_result, progress.records, needs=stages)
    finally:
        progress.close()
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
        resumed=len(tasks) - len(todo),
    )


def run_global_step(number, stage, inputs, out_dir, output, last, executor, quiet, publish=None) -> StepResult:
    markers = Ledger(output / "markers")
    step = f"step-{number}"
    identities = [input_identity(p) for p in inputs]
    recorded = markers.read(step)
    if recorded is not None:
        if recorded.get("input_stamps") == identities:
            log.info("step %d (%s): already finished; skipping it", number, stage.name)
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
    ctx = GlobalContext(
        inputs=list(inputs),
        output_dir=out_dir,
        work_dir=work,
        run_dir=output,
        workers=executor.workers,
        map=lambda fn, items: _map_with_progress(executor, fn, items, f"step {number} ({stage.name}): {fn.__name__}", quiet, publish),
        stats=StageStats(),
        progress=lambda items, desc: _progress_iter(items, desc, quiet),
        ledger=ledger,
        inputs_key=inputs_key,
    )
    log.info("step %d (%s): %d shard(s) in", number, stage.name, len(inputs))
    start = time.perf_counter()
    written = stage.execute(ctx)
    ctx.stats.seconds += time.perf_counter() - start
    if written is None:  # passes documents through unchanged
        written = link_into(inputs, out_dir) if last else list(inputs)
    ctx.stats.documents_in = count_rows(inputs)
    ctx.stats.documents_out = count_rows(written)
    result = StepResult(number, "global", [stage.name], [str(p) for p in written], stats=ctx.stats.to_dict())
    markers.commit(step, {"name": stage.name, "stats": result.stats, "shards": result.shards, "input_stamps": identities})
    return result


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


def _map_with_progress(executor, fn, items, desc: str, quiet: bool, publish=None) -> list:
    """The executor's parallel map, with a bar (or log lines every ~10%) for the phase; a phase's
    committed work is published (object-storage output) when it ends."""
    items = list(items)
    progress = Progress(len(items), desc, quiet, unit="item")
    try:
        values = executor.map(fn, items, on_done=progress.advance)
    finally:
        progress.close()
    if publish:
        publish()
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
    payload = json.dumps({"stages": config.stage_specs, "inputs": inputs, "excluded": config.excluded}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def prepare_output(output: Path, config: PipelineConfig, inputs: list[str], overwrite: bool | str) -> None:
    """Make sure ``output`` is ours and holds this config.

    ``overwrite=True`` starts it afresh; ``overwrite="changed"`` starts it afresh only when it holds
    another config (and resumes otherwise); ``False`` refuses another config.
    """
    run_file = output / "run.json"
    current = fingerprint(config, inputs)
    if run_file.exists():
        previous = json.loads(run_file.read_text(encoding="utf-8")).get("fingerprint")
        if previous != current and overwrite is False:
            raise ConfigError(
                f"{config.source}: output {output} holds a run of another config or input list "
                f"(see {run_file}); pass --overwrite to start it afresh, or choose another --output"
            )
        if previous != current or overwrite is True:
            clear_output(output)
    elif output.exists() and any(output.iterdir()):
        raise ConfigError(f"{config.source}: output {output} exists and is not a webcorpus run folder (no run.json); choose an empty or new folder")
    output.mkdir(parents=True, exist_ok=True)
    commit_json(run_file, {"fingerprint": current, "config": config.describe(), "inputs": inputs})


def open_output(config: PipelineConfig) -> RemoteRun | None:
    """Check that the output can work before any work starts (ConfigError: exit 2): a known scheme
    with its backend installed, credentials that work, a writable place. A URL gives its RemoteRun."""
    try:
        check_backend(config.output)
        check_writable(config.output)
    except ValueError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None
    return RemoteRun(config.output) if is_remote(config.output) else None


def refuse_remote_on_many_nodes(config: PipelineConfig, executor) -> None:
    """Workers write the staging folder of the driver's machine: with an output URL, every worker
    must run on that machine. A Ray cluster of several nodes is refused rather than lose output."""
    nodes = getattr(executor, "alive_nodes", lambda: 1)()
    if nodes > 1:
        raise ConfigError(
            f"{config.source}: output {config.output!r} on object storage needs every worker on this machine "
            f"(it is staged here and published from here), but the Ray cluster has {nodes} nodes; "
            "use an output on a file system that every node mounts, or a single-node cluster"
        )


def clear_output(output: Path) -> None:
    for name in OWNED + ("run.json",):
        path = output / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def setup_logging(output: Path, quiet: bool) -> list[logging.Handler]:
    logger = logging.getLogger("webcorpus")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    (output / "logs").mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(output / "logs" / "run.log", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = BarSafeHandler(sys.stderr) if sys.stderr.isatty() else logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s" if quiet else "%(message)s"))
    # With a progress bar on the terminal, only warnings interrupt it; quiet shows errors only.
    console.setLevel(logging.ERROR if quiet else logging.WARNING if sys.stderr.isatty() else logging.INFO)
    logger.addHandler(file_handler)
    logger.addHandler(console)
    return [file_handler, console]


def make_executor(config: PipelineConfig) -> "Executor":
    if config.executor == "local":
        from webcorpus.executors.local import LocalExecutor

        return LocalExecutor(config.workers)
    if config.executor == "ray":
        from webcorpus.executors.ray import RayExecutor

        try:
            return RayExecutor(config.workers, address=config.ray_address)
        except (ImportError, ConnectionError) as exc:
            raise ConfigError(f"{config.source}: executor 'ray': {exc}") from None
    raise ConfigError(f"{config.source}: executor {config.executor!r} is not available")

"""The Python face of a pipeline: the same thing a YAML file describes, built in code.

    from webcorpus import Pipeline, build_stage, read_batches

    if __name__ == "__main__":         # workers import this file: the guard keeps them from running it
        pipeline = Pipeline(
            [build_stage("extract", {"engine": "trafilatura"}), my_stage],
            input="crawl/*.warc.gz", output="out/", workers=2,
        )
        result = pipeline.run()        # same output layout as `webcorpus run`; raises RunFailed
        table = pipeline.process(next(read_batches("crawl/*.warc.gz")))  # or one batch in memory
"""
from __future__ import annotations

import os
from typing import Any

import pyarrow as pa

from webcorpus.pipeline.config import PipelineConfig, config_from_dict, load_config, validate_settings
from webcorpus.pipeline.splits import DEFAULT_SPLIT_BYTES
from webcorpus.pipeline.runner import RunResult, run_pipeline


class RunFailed(RuntimeError):
    """Tasks of a run failed; ``result`` is the :class:`RunResult` (re-running resumes and retries them)."""

    def __init__(self, result: RunResult):
        self.result = result
        lines = [f"  {item.source}: {item.error}" for item in result.failed[:5]]
        more = f"\n  ... and {len(result.failed) - 5} more" if len(result.failed) > 5 else ""
        super().__init__(
            f"{len(result.failed)} task(s) failed (run it again to retry them; see {result.output}/logs/run.log):\n"
            + "\n".join(lines) + more
        )


class Pipeline:
    """Stages over crawl files, built in code: the same thing a pipeline YAML file describes."""

    def __init__(
        self,
        stages: list,
        input: Any = None,
        output: str | os.PathLike | None = None,
        workers: int = 1,
        executor: str = "local",
        address: str | None = None,
        batch_size: int = 1000,
        excluded: bool = False,
        split_bytes: int = DEFAULT_SPLIT_BYTES,
    ):
        specs = [(stage.name or type(stage).__name__, _public_options(stage)) for stage in stages]
        self.config = PipelineConfig(
            stages=list(stages),
            stage_specs=specs,
            input=input,
            output=str(output) if output is not None else None,
            workers=workers,
            executor=executor,
            ray_address=address,
            batch_size=batch_size,
            excluded=excluded,
            split_bytes=split_bytes,
        )
        validate_settings(self.config)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike, **overrides) -> "Pipeline":
        """Load a pipeline file; keyword arguments (input=, output=, workers=, ...) override it."""
        return cls._from_config(load_config(path, overrides))

    @classmethod
    def from_dict(cls, data: dict) -> "Pipeline":
        return cls._from_config(config_from_dict(data))

    @classmethod
    def _from_config(cls, config: PipelineConfig) -> "Pipeline":
        pipeline = cls.__new__(cls)
        pipeline.config = config
        return pipeline

    @property
    def stages(self) -> list:
        return self.config.stages

    def run(self, quiet: bool = False, overwrite: bool = False, executor=None, check: bool = True,
            keep_intermediates: bool = False) -> RunResult:
        """Run (or resume) the pipeline; the output layout is that of `webcorpus run`.

        A task that failed raises :class:`RunFailed` (its ``result`` holds what finished), unless
        ``check=False``: then look at ``result.failed`` (or ``result.exit_code``) yourself.
        OUTPUT/steps/ (documents between steps) is deleted after a successful run unless ``keep_intermediates``.
        """
        result = run_pipeline(self.config, executor=executor, quiet=quiet, overwrite=overwrite,
                              keep_intermediates=keep_intermediates)
        if check and result.failed:
            raise RunFailed(result)
        return result

    def process(self, batch: pa.Table) -> pa.Table:
        """Run the per-batch stages on one table in memory (global stages need a full run)."""
        for stage in self.config.stages:
            if getattr(stage, "is_global", False):
                raise TypeError(f"stage '{stage.name}' needs every document at once: use Pipeline.run()")
            batch = stage(batch)
        return batch


def _public_options(stage) -> dict:
    """A stage's options as plain values, stable across processes (they make the run's fingerprint)."""

    def plain(value):
        if callable(value):
            return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', type(value).__name__)}"
        return value

    return {k: plain(v) for k, v in stage.options().items()}

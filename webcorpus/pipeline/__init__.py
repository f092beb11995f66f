"""Pipelines: YAML config, steps, the runner and its per-file tasks."""
from webcorpus.pipeline.config import ConfigError, PipelineConfig, load_config
from webcorpus.pipeline.pipeline import Pipeline, RunFailed
from webcorpus.pipeline.runner import RunResult, run_pipeline

__all__ = ["ConfigError", "Pipeline", "RunFailed", "PipelineConfig", "RunResult", "load_config", "run_pipeline"]

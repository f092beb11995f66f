"""Pipeline YAML: load, apply command-line overrides, and validate everything before any work starts.

    input: crawl/*.warc.gz          # path, glob, list, https:// or s3:// (fsspec),
                                    # or {commoncrawl: CC-MAIN-2024-10, kind: warc, limit: 10}
    output: out/
    workers: 2
    executor: local                 # or ray
    address: 10.0.0.1:6379          # with ray: join this cluster (default: start a local Ray)
    stages:
      - extract: {engine: trafilatura}
      - language: {keep: [en], min_score: 0.65}

Every problem is a :class:`ConfigError` whose message names the file, the
stage, the option and the valid choices; the CLI turns it into exit code 2.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from webcorpus.stages import registry

EXECUTORS = ("local", "ray")
TOP_LEVEL_KEYS = ("input", "output", "workers", "executor", "address", "batch_size", "excluded", "stages")
CRAWL_KEYS = ("commoncrawl", "kind", "limit", "sample", "seed", "base_url")


class ConfigError(ValueError):
    """A pipeline that cannot run as written. The message says where and what is valid."""


@dataclass
class PipelineConfig:
    stages: list  # built stage objects, in order
    stage_specs: list[tuple[str, dict]]  # (YAML name, options) as written, for run.json
    input: Any = None
    output: str | None = None
    workers: int = 1
    executor: str = "local"
    ray_address: str | None = None
    batch_size: int = 1000
    excluded: bool = False  # also write dropped documents, with their reason, under OUTPUT/excluded/
    source: str = "<python>"  # the YAML file, for messages
    inputs: list[str] = field(default_factory=list)  # input expanded to files, filled by resolve_inputs()

    def describe(self) -> dict:
        return {
            "input": self.input,
            "output": self.output,
            "executor": self.executor,
            "batch_size": self.batch_size,
            "excluded": self.excluded,
            "stages": [{name: options} for name, options in self.stage_specs],
        }


def load_config(path: str | os.PathLike, overrides: dict | None = None) -> PipelineConfig:
    """Read a pipeline YAML file, apply non-None ``overrides`` (CLI flags), validate it all."""
    path = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such pipeline file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with keys {', '.join(TOP_LEVEL_KEYS)}")
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    return config_from_dict(data, source=path)


def config_from_dict(data: dict, source: str = "<python>") -> PipelineConfig:
    unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key '{unknown[0]}' (valid: {', '.join(TOP_LEVEL_KEYS)})")
    stages_data = data.get("stages") or []
    if not isinstance(stages_data, list):
        raise ConfigError(f"{source}: 'stages' must be a list of single-key mappings like '- extract: {{}}'")
    specs = []
    for index, item in enumerate(stages_data, start=1):
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, dict) or len(item) != 1:
            raise ConfigError(f"{source}: stage {index} must be a single-key mapping like '- extract: {{engine: trafilatura}}', got {item!r}")
        (name, options), = item.items()
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise ConfigError(f"{source}: stage {index} '{name}': options must be a mapping, got {options!r}")
        specs.append((name, options))
    config = PipelineConfig(
        stages=build_stages(specs, source),
        stage_specs=specs,
        input=data.get("input"),
        output=data.get("output"),
        workers=data.get("workers", 1),
        executor=data.get("executor", "local"),
        ray_address=data.get("address"),
        batch_size=data.get("batch_size", 1000),
        excluded=data.get("excluded", False),
        source=source,
    )
    validate_settings(config)
    return config


def build_stages(specs: list[tuple[str, dict]], source: str) -> list:
    stages = []
    for index, (name, options) in enumerate(specs, start=1):
        try:
            stages.append(registry.build_stage(name, options))
        except KeyError:
            raise ConfigError(
                f"{source}: stage {index}: unknown stage '{name}' (valid: {', '.join(registry.STAGES)})"
            ) from None
        except registry.OptionError as exc:
            choices = f" (valid: {', '.join(exc.choices)})" if exc.choices else ""
            raise ConfigError(f"{source}: stage {index} '{name}': {exc}{choices}") from None
    # Checks that need the stages before this one (e.g. a vocabulary too large for a token format).
    for index, stage in enumerate(stages):
        check = getattr(stage, "check_with_earlier", None)
        if check is not None:
            try:
                check(stages[:index])
            except ValueError as exc:
                option = getattr(exc, "option", "")
                where = f" option '{option}'" if option else ""
                raise ConfigError(f"{source}: stage {index + 1} '{specs[index][0]}'{where}: {exc}") from None
    return stages


def validate_settings(config: PipelineConfig) -> None:
    source = config.source
    if not isinstance(config.workers, int) or isinstance(config.workers, bool) or config.workers < 1:
        raise ConfigError(f"{source}: 'workers' must be a positive integer, got {config.workers!r}")
    if config.executor not in EXECUTORS:
        raise ConfigError(f"{source}: 'executor' must be one of {', '.join(EXECUTORS)}, got {config.executor!r}")
    if not isinstance(config.batch_size, int) or isinstance(config.batch_size, bool) or config.batch_size < 1:
        raise ConfigError(f"{source}: 'batch_size' must be a positive integer, got {config.batch_size!r}")
    if not isinstance(config.excluded, bool):
        raise ConfigError(f"{source}: 'excluded' must be true or false, got {config.excluded!r}")
    if config.output is not None and not isinstance(config.output, str):
        raise ConfigError(f"{source}: 'output' must be a folder path, got {config.output!r}")
    if config.output:
        from webcorpus.pipeline.remote_output import check_backend  # an unknown scheme, a missing backend

        try:
            check_backend(config.output)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    if isinstance(config.input, dict):
        unknown = [k for k in config.input if k not in CRAWL_KEYS]
        if unknown or "commoncrawl" not in config.input:
            raise ConfigError(
                f"{source}: 'input' as a mapping names a Common Crawl crawl: keys {', '.join(CRAWL_KEYS)}"
                f" ('commoncrawl' required){'; unknown: ' + unknown[0] if unknown else ''}"
            )
    elif config.input is not None and not isinstance(config.input, (str, list)):
        raise ConfigError(f"{source}: 'input' must be a path, a glob, a list of them, or a commoncrawl mapping")


def resolve_inputs(config: PipelineConfig) -> list[str]:
    """Expand ``input`` to a sorted list of files; a missing input is a ConfigError."""
    from webcorpus.readers import expand_inputs
    from webcorpus.readers.commoncrawl import list_crawl_files

    if config.input in (None, "", []):
        raise ConfigError(f"{config.source}: no 'input' given (set it in the file or pass --input)")
    if config.output in (None, ""):
        raise ConfigError(f"{config.source}: no 'output' given (set it in the file or pass --output)")
    try:
        if isinstance(config.input, dict):
            crawl = dict(config.input)
            crawl_id = crawl.pop("commoncrawl")
            config.inputs = list_crawl_files(crawl_id, **crawl)
        else:
            config.inputs = expand_inputs(config.input)
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise ConfigError(f"{config.source}: input: {exc}") from None
    if not config.inputs:
        raise ConfigError(f"{config.source}: input {config.input!r} matches no file")
    return config.inputs
